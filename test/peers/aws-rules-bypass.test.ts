/**
 * The "bypass" corpus: for each of the tool's validation rules (ids shared with the
 * validate-time corpus, test/fixtures/aws-rules/, one file per id) that AWS enforces when the
 * tool writes, the write the tool would send for a violating configuration is sent straight
 * to the AWS shim with the AWS SDK — none of the tool's validation in the way — and the test
 * asserts AWS's refusal: its error code (as botocore's models list it for the operation) and
 * that nothing was written (the role, policy or permission set is not there, or keeps its old
 * state). The shim's sources for each refusal: MOTO-NOTES.md ("What the shim refuses",
 * "Policy grammar").
 *
 * | id | rule | the write AWS refuses (operation → error code), or why AWS does not refuse it at write time |
 * |----|------|------|
 * | P1 | sid-with-hyphen | PutRolePolicy → MalformedPolicyDocument; PutInlinePolicyToPermissionSet → ValidationException |
 * | P2 | sid-duplicate | same two writes, same codes |
 * | P3 | statement-without-resource | same |
 * | P4 | action-without-service-prefix | same |
 * | P5 | empty-action | same (`Action: []`) |
 * | P6 | action-and-notaction | same |
 * | P7 | misspelled-element | same (`Actions`) |
 * | P8 | unknown-condition-operator | same (`StringEqualz`) |
 * | P9 | resource-not-arn | same |
 * | P10 | principal-in-identity-policy | same |
 * | P11 | wrong-version-in-json-string | same (`"Version": "2012-10-18"`) |
 * | P12 | unknown-action | not refused: IAM stores actions it does not know (`s3:GetObjekt`); only Access Analyzer's ValidatePolicy reports them — the tool reports them at validate |
 * | P13 | wildcard-matching-no-action | not refused: same as P12 (`s3:Get*Objekt`) |
 * | P14 | condition-key-not-supported | not refused: IAM stores condition keys it does not know; the tool only warns |
 * | I1 | ps-inline-policy-over-10240 | PutInlinePolicyToPermissionSet → ValidationException (10,240 non-white-space bytes) |
 * | I2 | ps-customer-policy-path-pattern | AttachCustomerManagedPolicyReferenceToPermissionSet → ValidationException (the model's `ManagedPolicyPath` pattern) |
 * | I3 | ps-aws-managed-arn-pattern | AttachManagedPolicyToPermissionSet → ValidationException (the model's `ManagedPolicyArn` pattern: `…:iam::aws:policy/…` only) |
 * | I4 | ps-boundary-customer-policy-as-managed-arn | PutPermissionsBoundaryToPermissionSet → ValidationException (same pattern) |
 * | I5 | ps-over-20-policies | the 21st Attach…ToPermissionSet → ServiceQuotaExceededException |
 * | T1 | role-tags-over-50 | CreateRole with 51 tags → ValidationError (the model's `tagListType`, max 50); TagRole past 50 in all → LimitExceeded |
 * | T2 | ps-tags-over-75 | CreatePermissionSet with 76 tags → ValidationException (the model's `TagList`, max 75); TagResource past 75 in all → ServiceQuotaExceededException |
 * | T3 | tag-keys-differ-in-case | CreateRole with `Team` and `team` → InvalidInput (IAM's tag keys are case-insensitive; Identity Center's are not, and the rule is classic-iam's) |
 * | T4 | tag-key-aws-prefix | CreateRole with `AWS:owner` → InvalidInput (IAM). Identity Center's answer to an aws: key is not modelled by the shim (no source found for it) |
 * | T5 | tag-managed-by-reserved | not refused: `managed-by` is an ordinary key to AWS; the tool reserves it (it marks what the tool owns) |
 * | A1 | policy-pinned-to-other-account | AttachRolePolicy of another account's policy → NoSuchEntity ("does not exist or is not attachable", 404). (A boundary of another account, PutRolePermissionsBoundary, is not checked by moto and AWS's answer was not found: not tested) |
 * | A2 | partition-us-gov | AttachRolePolicy of an `arn:aws-us-gov:` policy in a commercial account → NoSuchEntity; AttachManagedPolicyToPermissionSet of one to a commercial instance → ResourceNotFoundException (moto's answer; AWS's not documented in what was found). classic-iam's trust policy and sign-in URLs for GovCloud are not a write AWS refuses: they are the commercial partition's, and would fail at sign-in |
 * | A3 | partition-cn | as A2, with `arn:aws-cn:` |
 * | N1 | role-name-too-long-or-bad-chars | CreateRole → ValidationError (the model's `roleNameType`: 1–64 of `[\w+=,.@-]`) |
 * | N2 | ps-name-too-long-or-bad-chars | CreatePermissionSet → ValidationException (the model's `PermissionSetName`: 1–32 of `[\w+=,.@-]`) |
 * | N3 | role-inline-policies-over-10240 | PutRolePolicy → LimitExceeded (10,240 non-white-space characters of a role's inline policies together) |
 * | N4 | trust-policy-over-2048 | CreateRole → LimitExceeded (ACLSizePerRole 2,048) |
 * | Q1 | ps-per-instance | not refused at this scale: an adjustable quota (2,000 permission sets per instance) reached only at scale; the shim does not model it |
 * | Q2 | ps-provisioned-per-account | not refused at this scale: adjustable (permission sets provisioned to one account); not modelled |
 * | Q3 | roles-per-account | not refused at this scale: adjustable (1,000 roles per account); not modelled |
 * | Q4 | managed-policies-per-role | the 11th AttachRolePolicy → LimitExceeded (default 10, adjustable to 20; the shim's `managedPoliciesPerRole`) |
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
} from "@aws-sdk/client-iam";
import {
  AttachCustomerManagedPolicyReferenceToPermissionSetCommand,
  AttachManagedPolicyToPermissionSetCommand,
  CreatePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  GetPermissionsBoundaryForPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  ListTagsForResourceCommand,
  PutInlinePolicyToPermissionSetCommand,
  PutPermissionsBoundaryToPermissionSetCommand,
  SSOAdminClient,
  TagResourceCommand,
} from "@aws-sdk/client-sso-admin";
import { startAwsShim, type AwsShim } from "./aws-shim.js";
import { ACCOUNT, identityPolicy, rejection, trustPolicy, type AwsError } from "./aws-shim-test-support.js";
import { awsClientConfig, startMoto, type MotoServer } from "./moto.js";

const OTHER_ACCOUNT = "222222222222";

/** Every rule id: refused at write time (a test below shows it), or not, and why (the table above). */
const RULES: Record<string, "refused" | "accepted" | "not modelled"> = {
  P1: "refused", P2: "refused", P3: "refused", P4: "refused", P5: "refused", P6: "refused", P7: "refused",
  P8: "refused", P9: "refused", P10: "refused", P11: "refused", P12: "accepted", P13: "accepted", P14: "accepted",
  I1: "refused", I2: "refused", I3: "refused", I4: "refused", I5: "refused",
  T1: "refused", T2: "refused", T3: "refused", T4: "refused", T5: "accepted",
  A1: "refused", A2: "refused", A3: "refused",
  N1: "refused", N2: "refused", N3: "refused", N4: "refused",
  Q1: "not modelled", Q2: "not modelled", Q3: "not modelled", Q4: "refused",
};
const shown = new Map<string, "refused" | "accepted">();

type Statement = Record<string, unknown>;
const statement = (extra: Statement = {}): Statement => ({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*", ...extra });
const doc = (statements: Statement[], version = "2012-10-17"): string => JSON.stringify({ Version: version, Statement: statements });
const without = (s: Statement, key: string): Statement => Object.fromEntries(Object.entries(s).filter(([k]) => k !== key));
const VALID = doc([statement({ Sid: "ReadObjects" })]);

/** P1–P11: a policy the tool would write (a role's inline policy, a permission set's inline policy) violating the rule, and IAM's reason. */
const MALFORMED: Array<[id: string, rule: string, document: string, reason: RegExp]> = [
  ["P1", "sid-with-hyphen", doc([statement({ Sid: "read-objects" })]), /^Statement IDs \(SID\) must be alpha-numeric/],
  ["P2", "sid-duplicate", doc([statement({ Sid: "Read" }), statement({ Sid: "Read", Action: "s3:ListBucket" })]), /^Statement IDs \(SID\) in a single policy must be unique\.$/],
  ["P3", "statement-without-resource", doc([without(statement(), "Resource")]), /^Policy statement must contain resources\.$/],
  ["P4", "action-without-service-prefix", doc([statement({ Action: "GetObject" })]), /^Actions\/Conditions must be prefaced by a vendor/],
  ["P5", "empty-action", doc([statement({ Action: [] })]), /^Policy statement must contain actions\.$/],
  ["P6", "action-and-notaction", doc([statement({ NotAction: "s3:DeleteObject" })]), /^Syntax errors in policy\.$/],
  ["P7", "misspelled-element", doc([{ ...without(statement(), "Action"), Actions: "s3:GetObject" }]), /^Syntax errors in policy\.$/],
  ["P8", "unknown-condition-operator", doc([statement({ Condition: { StringEqualz: { "aws:PrincipalTag/team": "data" } } })]), /^Syntax errors in policy\.$/],
  ["P9", "resource-not-arn", doc([statement({ Resource: "my-bucket/*" })]), /^Resource my-bucket\/\* must be in ARN format or "\*"\.$/],
  ["P10", "principal-in-identity-policy", doc([statement({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })]), /^Policy document should not specify a principal\.$/],
  ["P11", "wrong-version-in-json-string", doc([statement()], "2012-10-18"), /^Syntax errors in policy\.$/],
];

/** P12–P14: what IAM stores although the tool reports it (IAM does not check names against the service authorization reference). */
const ACCEPTED: Array<[id: string, rule: string, document: string]> = [
  ["P12", "unknown-action", doc([statement({ Action: "s3:GetObjekt" })])],
  ["P13", "wildcard-matching-no-action", doc([statement({ Action: "s3:Get*Objekt" })])],
  ["P14", "condition-key-not-supported", doc([statement({ Condition: { StringEquals: { "s3:NoSuchConditionKey": "x" } } })])],
];

let moto: MotoServer;
let shim: AwsShim;
let iam: IAMClient;
let sso: SSOAdminClient;
let instanceArn: string;
let n = 0;

const role = async (extra: Partial<ConstructorParameters<typeof CreateRoleCommand>[0]> = {}): Promise<string> => {
  const RoleName = `bypass-${++n}`;
  await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustPolicy(300), Path: "/authentik/", ...extra }));
  return RoleName;
};
const permissionSet = async (): Promise<string> =>
  (await sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: `bypass-${++n}` }))).PermissionSet!.PermissionSetArn!;
const permissionSetArns = async (): Promise<string[]> => {
  const arns = (await sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, MaxResults: 100 }))).PermissionSets ?? [];
  return arns;
};
const roleGone = async (RoleName: string): Promise<void> => {
  expect((await rejection(iam.send(new GetRoleCommand({ RoleName })))).name, `role ${RoleName} was created`).toBe("NoSuchEntityException");
};
/** The refusal, as the SDK reads it: error name (the code + "Exception" for IAM's) and HTTP status. */
const refusal = (e: AwsError) => ({ name: e.name, status: e.$metadata?.httpStatusCode });

beforeAll(async () => {
  moto = await startMoto();
  shim = await startAwsShim({ motoEndpoint: moto.endpoint });
  // One attempt: the SDK takes IAM's LimitExceeded for throttling and would retry it.
  iam = new IAMClient({ ...awsClientConfig(shim.endpoint, ACCOUNT), maxAttempts: 1 });
  sso = new SSOAdminClient({ ...awsClientConfig(shim.endpoint, ACCOUNT), maxAttempts: 1 });
  instanceArn = (await sso.send(new ListInstancesCommand({}))).Instances![0]!.InstanceArn!;
});
afterAll(async () => {
  await shim?.stop();
  await moto?.stop();
});

describe("policy grammar (P1–P11): refused by IAM and by IAM Identity Center, nothing written", () => {
  it.each(MALFORMED)("%s %s: PutRolePolicy → MalformedPolicyDocument (400), no inline policy", async (id, _rule, document, reason) => {
    const RoleName = await role();
    const e = await rejection(iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: "authentik-inline", PolicyDocument: document })));
    expect(refusal(e)).toEqual({ name: "MalformedPolicyDocumentException", status: 400 });
    expect(e.message).toMatch(reason);
    expect((await rejection(iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: "authentik-inline" })))).name).toBe("NoSuchEntityException");
    shown.set(id, "refused");
  });

  it.each(MALFORMED)("%s %s: PutInlinePolicyToPermissionSet → ValidationException (400), the old inline policy kept", async (id, _rule, document, reason) => {
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    await sso.send(new PutInlinePolicyToPermissionSetCommand({ ...scope, InlinePolicy: VALID }));
    const e = await rejection(sso.send(new PutInlinePolicyToPermissionSetCommand({ ...scope, InlinePolicy: document })));
    expect(refusal(e)).toEqual({ name: "ValidationException", status: 400 });
    expect(e.message).toMatch(/^Invalid PermissionsPolicy Document: /);
    expect(e.message.replace(/^Invalid PermissionsPolicy Document: /, "")).toMatch(reason);
    expect((await sso.send(new GetInlinePolicyForPermissionSetCommand(scope))).InlinePolicy).toBe(VALID);
    shown.set(id, "refused");
  });

  it.each(ACCEPTED)("%s %s: not refused at write time (IAM and Identity Center store it)", async (id, _rule, document) => {
    const RoleName = await role();
    await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: "authentik-inline", PolicyDocument: document }));
    expect(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: "authentik-inline" }))).PolicyDocument!)).toBe(document);
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    await sso.send(new PutInlinePolicyToPermissionSetCommand({ ...scope, InlinePolicy: document }));
    shown.set(id, "accepted");
  });
});

describe("permission sets (I1–I5): refused by IAM Identity Center, nothing attached", () => {
  it("I1 ps-inline-policy-over-10240: PutInlinePolicyToPermissionSet → ValidationException, the old inline policy kept", async () => {
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    await sso.send(new PutInlinePolicyToPermissionSetCommand({ ...scope, InlinePolicy: VALID }));
    const e = await rejection(sso.send(new PutInlinePolicyToPermissionSetCommand({ ...scope, InlinePolicy: identityPolicy(10_241) })));
    expect(refusal(e)).toEqual({ name: "ValidationException", status: 400 });
    expect(e.message).toMatch(/has exceeded the maximum limit of 10240 bytes$/);
    expect((await sso.send(new GetInlinePolicyForPermissionSetCommand(scope))).InlinePolicy).toBe(VALID);
    shown.set("I1", "refused");
  });

  it("I2 ps-customer-policy-path-pattern: AttachCustomerManagedPolicyReferenceToPermissionSet → ValidationException, nothing attached", async () => {
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    for (const Path of ["team/", "/team", "/te am/"]) {
      const e = await rejection(sso.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ ...scope, CustomerManagedPolicyReference: { Name: "DataAccess", Path } })));
      expect([Path, refusal(e)]).toEqual([Path, { name: "ValidationException", status: 400 }]);
      expect(e.message).toMatch(/at 'customerManagedPolicyReference\.path' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    }
    expect((await sso.send(new ListCustomerManagedPolicyReferencesInPermissionSetCommand(scope))).CustomerManagedPolicyReferences).toEqual([]);
    shown.set("I2", "refused");
  });

  it("I3 ps-aws-managed-arn-pattern: AttachManagedPolicyToPermissionSet of a customer policy ARN → ValidationException, nothing attached", async () => {
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    const e = await rejection(sso.send(new AttachManagedPolicyToPermissionSetCommand({ ...scope, ManagedPolicyArn: `arn:aws:iam::${ACCOUNT}:policy/team/DataAccess` })));
    expect(refusal(e)).toEqual({ name: "ValidationException", status: 400 });
    expect(e.message).toMatch(/at 'managedPolicyArn' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    expect((await sso.send(new ListManagedPoliciesInPermissionSetCommand(scope))).AttachedManagedPolicies).toEqual([]);
    shown.set("I3", "refused");
  });

  it("I4 ps-boundary-customer-policy-as-managed-arn: PutPermissionsBoundaryToPermissionSet → ValidationException, no boundary", async () => {
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    const e = await rejection(
      sso.send(new PutPermissionsBoundaryToPermissionSetCommand({ ...scope, PermissionsBoundary: { ManagedPolicyArn: `arn:aws:iam::${ACCOUNT}:policy/Boundary` } })),
    );
    expect(refusal(e)).toEqual({ name: "ValidationException", status: 400 });
    expect(e.message).toMatch(/at 'permissionsBoundary\.managedPolicyArn' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    expect((await rejection(sso.send(new GetPermissionsBoundaryForPermissionSetCommand(scope)))).name).toBe("ResourceNotFoundException");
    // The same policy as a customer managed policy reference is what AWS takes.
    await sso.send(new PutPermissionsBoundaryToPermissionSetCommand({ ...scope, PermissionsBoundary: { CustomerManagedPolicyReference: { Name: "Boundary" } } }));
    shown.set("I4", "refused");
  });

  it("I5 ps-over-20-policies: the 21st policy → ServiceQuotaExceededException, 20 stay attached", async () => {
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    await sso.send(new AttachManagedPolicyToPermissionSetCommand({ ...scope, ManagedPolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    for (let i = 0; i < 19; i++) await sso.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ ...scope, CustomerManagedPolicyReference: { Name: `p${i}` } }));
    const e = await rejection(sso.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ ...scope, CustomerManagedPolicyReference: { Name: "p19" } })));
    expect(refusal(e)).toEqual({ name: "ServiceQuotaExceededException", status: 400 });
    const customer = (await sso.send(new ListCustomerManagedPolicyReferencesInPermissionSetCommand({ ...scope, MaxResults: 100 }))).CustomerManagedPolicyReferences!;
    expect(customer.map((p) => p.Name)).not.toContain("p19");
    expect(customer).toHaveLength(19);
    shown.set("I5", "refused");
  });
});

describe("tags (T1–T5)", () => {
  const many = (k: number, prefix = "k") => Array.from({ length: k }, (_, i) => ({ Key: `${prefix}${i}`, Value: "v" }));

  it("T1 role-tags-over-50: CreateRole with 51 → ValidationError, no role; TagRole past 50 → LimitExceeded, tags unchanged", async () => {
    const RoleName = `bypass-${++n}`;
    const e = await rejection(iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustPolicy(300), Tags: many(51) })));
    expect(refusal(e)).toEqual({ name: "ValidationError", status: 400 });
    await roleGone(RoleName);
    const tagged = await role({ Tags: many(50) });
    const more = await rejection(iam.send(new TagRoleCommand({ RoleName: tagged, Tags: many(1, "more") })));
    expect(refusal(more)).toEqual({ name: "LimitExceededException", status: 409 });
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: tagged, MaxItems: 100 }))).Tags!.map((t) => t.Key)).not.toContain("more0");
    shown.set("T1", "refused");
  });

  it("T2 ps-tags-over-75: CreatePermissionSet with 76 → ValidationException, no permission set; TagResource past 75 → ServiceQuotaExceededException", async () => {
    const before = await permissionSetArns();
    const e = await rejection(sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: `bypass-${++n}`, Tags: many(76) })));
    expect(refusal(e)).toEqual({ name: "ValidationException", status: 400 });
    expect(await permissionSetArns()).toEqual(before);
    const arn = (await sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: `bypass-${++n}`, Tags: many(75) }))).PermissionSet!.PermissionSetArn!;
    const more = await rejection(sso.send(new TagResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, Tags: many(1, "more") })));
    expect(refusal(more)).toEqual({ name: "ServiceQuotaExceededException", status: 400 });
    const keys: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, ...(NextToken ? { NextToken } : {}) }));
      keys.push(...page.Tags!.map((t) => t.Key!));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(keys).toHaveLength(75);
    expect(keys).not.toContain("more0");
    shown.set("T2", "refused");
  });

  it("T3 tag-keys-differ-in-case: CreateRole with Team and team → InvalidInput, no role", async () => {
    const RoleName = `bypass-${++n}`;
    const e = await rejection(iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustPolicy(300), Tags: [{ Key: "Team", Value: "a" }, { Key: "team", Value: "b" }] })));
    expect(refusal(e)).toEqual({ name: "InvalidInputException", status: 400 });
    await roleGone(RoleName);
    shown.set("T3", "refused");
  });

  it("T4 tag-key-aws-prefix: CreateRole with AWS:owner → InvalidInput, no role", async () => {
    const RoleName = `bypass-${++n}`;
    const e = await rejection(iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustPolicy(300), Tags: [{ Key: "AWS:owner", Value: "a" }] })));
    expect(refusal(e)).toEqual({ name: "InvalidInputException", status: 400 });
    await roleGone(RoleName);
    shown.set("T4", "refused");
  });

  it("T5 tag-managed-by-reserved: not refused at write time (managed-by is the tool's key, not AWS's)", async () => {
    const RoleName = await role({ Tags: [{ Key: "managed-by", Value: "someone-else" }] });
    expect((await iam.send(new ListRoleTagsCommand({ RoleName }))).Tags).toEqual([{ Key: "managed-by", Value: "someone-else" }]);
    shown.set("T5", "accepted");
  });
});

describe("accounts and partitions (A1–A3): AttachRolePolicy → NoSuchEntity, nothing attached", () => {
  const attachedTo = async (RoleName: string) => (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies;

  it("A1 policy-pinned-to-other-account: a policy of another account → NoSuchEntity (404)", async () => {
    const other = new IAMClient(awsClientConfig(shim.endpoint, OTHER_ACCOUNT));
    const arn = (await other.send(new CreatePolicyCommand({ PolicyName: "DataAccess", PolicyDocument: VALID }))).Policy!.Arn!;
    expect(arn).toBe(`arn:aws:iam::${OTHER_ACCOUNT}:policy/DataAccess`);
    const RoleName = await role();
    const e = await rejection(iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: arn })));
    expect(refusal(e)).toEqual({ name: "NoSuchEntityException", status: 404 });
    expect(e.message).toBe(`Policy ${arn} does not exist or is not attachable.`);
    expect(await attachedTo(RoleName)).toEqual([]);
    shown.set("A1", "refused");
  });

  it.each([
    ["A2", "partition-us-gov", "aws-us-gov"],
    ["A3", "partition-cn", "aws-cn"],
  ])("%s %s: a policy of another partition → NoSuchEntity (role), ResourceNotFoundException (permission set)", async (id, _rule, partition) => {
    const arn = `arn:${partition}:iam::aws:policy/ReadOnlyAccess`;
    const RoleName = await role();
    const e = await rejection(iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: arn })));
    expect(refusal(e)).toEqual({ name: "NoSuchEntityException", status: 404 });
    expect(await attachedTo(RoleName)).toEqual([]);
    const scope = { InstanceArn: instanceArn, PermissionSetArn: await permissionSet() };
    const ps = await rejection(sso.send(new AttachManagedPolicyToPermissionSetCommand({ ...scope, ManagedPolicyArn: arn })));
    expect(refusal(ps)).toEqual({ name: "ResourceNotFoundException", status: 400 });
    expect((await sso.send(new ListManagedPoliciesInPermissionSetCommand(scope))).AttachedManagedPolicies).toEqual([]);
    shown.set(id, "refused");
  });
});

describe("names and sizes (N1–N4)", () => {
  it("N1 role-name-too-long-or-bad-chars: CreateRole → ValidationError, no role", async () => {
    for (const RoleName of ["r".repeat(65), "data eng", "data/eng"]) {
      const e = await rejection(iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustPolicy(300) })));
      expect([RoleName, refusal(e)]).toEqual([RoleName, { name: "ValidationError", status: 400 }]);
      expect(e.message).toMatch(/at 'roleName' failed to satisfy constraint/);
    }
    const listed = await iam.send(new GetRoleCommand({ RoleName: await role() })); // a valid one passes
    expect(listed.Role?.RoleName).toMatch(/^bypass-/);
    shown.set("N1", "refused");
  });

  it("N2 ps-name-too-long-or-bad-chars: CreatePermissionSet → ValidationException, no permission set", async () => {
    const before = await permissionSetArns();
    for (const Name of ["p".repeat(33), "Data Engineer", "data/eng"]) {
      const e = await rejection(sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name })));
      expect([Name, refusal(e)]).toEqual([Name, { name: "ValidationException", status: 400 }]);
      expect(e.message).toMatch(/at 'name' failed to satisfy constraint/);
    }
    expect(await permissionSetArns()).toEqual(before);
    shown.set("N2", "refused");
  });

  it("N3 role-inline-policies-over-10240: PutRolePolicy → LimitExceeded (409), the role's inline policies unchanged", async () => {
    const RoleName = await role();
    await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: "a", PolicyDocument: identityPolicy(8000) }));
    const e = await rejection(iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: "b", PolicyDocument: identityPolicy(2241) })));
    expect(refusal(e)).toEqual({ name: "LimitExceededException", status: 409 });
    expect((await rejection(iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: "b" })))).name).toBe("NoSuchEntityException");
    shown.set("N3", "refused");
  });

  it("N4 trust-policy-over-2048: CreateRole → LimitExceeded (409), no role", async () => {
    const RoleName = `bypass-${++n}`;
    const e = await rejection(iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustPolicy(2049) })));
    expect(refusal(e)).toEqual({ name: "LimitExceededException", status: 409 });
    await roleGone(RoleName);
    shown.set("N4", "refused");
  });
});

describe("adjustable quotas (Q1–Q4)", () => {
  it("Q4 managed-policies-per-role: the 11th AttachRolePolicy → LimitExceeded (409), ten stay attached", async () => {
    const arns: string[] = [];
    for (let i = 0; i < 11; i++) arns.push((await iam.send(new CreatePolicyCommand({ PolicyName: `bypass-q4-${i}`, PolicyDocument: VALID }))).Policy!.Arn!);
    const RoleName = await role();
    for (const PolicyArn of arns.slice(0, 10)) await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn }));
    const e = await rejection(iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: arns[10] })));
    expect(refusal(e)).toEqual({ name: "LimitExceededException", status: 409 });
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies).toHaveLength(10);
    shown.set("Q4", "refused");
  });
});

it("every rule id is in the table, and each one refused at write time was shown refused (the others accepted, or said why not)", () => {
  expect(Object.keys(RULES)).toHaveLength(35);
  for (const [id, kind] of Object.entries(RULES)) {
    if (kind === "not modelled") expect(shown.get(id), id).toBeUndefined();
    else expect([id, shown.get(id)]).toEqual([id, kind]);
  }
  expect(shim.stats.refused).not.toEqual({});
});
