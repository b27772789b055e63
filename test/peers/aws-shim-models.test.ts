/**
 * The AWS shim refuses what AWS refuses: requests AWS's API models (botocore's) do not allow,
 * and writes over AWS's size and count limits. Every request here is sent with the AWS SDK
 * straight to the shim — none of the tool's own validation in the way — and each rule is
 * shown refusing one write with AWS's answer and letting a valid one through. Sources of the
 * rules: MOTO-NOTES.md, "What the shim refuses".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListPoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AttachCustomerManagedPolicyReferenceToPermissionSetCommand,
  AttachManagedPolicyToPermissionSetCommand,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListInstancesCommand,
  ListTagsForResourceCommand,
  PutInlinePolicyToPermissionSetCommand,
  SSOAdminClient,
  TagResourceCommand,
} from "@aws-sdk/client-sso-admin";
import { CreateGroupCommand, IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { CreateOrganizationCommand, ListAccountsForParentCommand, ListRootsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { loadAwsModels } from "./aws-models.js";
import { GRAMMAR_SCRATCH_ACCOUNT } from "./aws-policy-grammar.js";
import { startAwsShim, type AwsShim } from "./aws-shim.js";
import { compileJavaPattern, ModelValidator, parseQueryInput, validationMessage } from "./aws-validate.js";
import { ACCOUNT, identityPolicy, rejection, trustPolicy, uuidOf } from "./aws-shim-test-support.js";
import { awsClientConfig, startMoto, type MotoServer } from "./moto.js";

const MANAGEMENT = "888888888888";

describe("model validation (botocore's service JSON), without a server", () => {
  const models = loadAwsModels();

  it("finds botocore and compiles every pattern of the six models", () => {
    expect([...models.byService.keys()].sort()).toEqual(["iam", "identitystore", "organizations", "service-quotas", "sso-admin", "sts"]);
    for (const model of models.byService.values()) {
      const { patterns, skipped } = new ModelValidator(model).compileAll();
      expect(patterns).toBeGreaterThan(0);
      expect(skipped, model.service).toEqual([]);
    }
  });

  it("translates Java patterns: \\p{…} with the u flag, escapes JavaScript's u mode forbids, whole-value match", () => {
    expect(compileJavaPattern("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+")!.test("Cost Center:1")).toBe(true);
    expect(compileJavaPattern("[\\w+=,.@-]+")!.test("a b")).toBe(false); // matches() is whole-value
    const escaped = compileJavaPattern("[a-z\\ \\:\\'\"]+")!; // Java escapes of ordinary characters
    expect(escaped.test("a: 'b")).toBe(true);
    expect(compileJavaPattern("^(r-[0-9a-z]{4,32})|(\\d{12})$")!.test("123456789012")).toBe(true);
    expect(compileJavaPattern("(unclosed")).toBeUndefined();
  });

  it("reads query-protocol parameters by the model: X.member.N lists, nested structures, empty lists, numbers", () => {
    const iam = models.byService.get("iam")!;
    const params = new URLSearchParams(
      "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=7200&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=",
    );
    expect(parseQueryInput(iam, "CreateRole", params)).toEqual({
      input: { RoleName: "r", AssumeRolePolicyDocument: "{}", MaxSessionDuration: 7200, Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "" }] },
      serialization: [],
    });
    expect(parseQueryInput(iam, "UntagRole", new URLSearchParams("RoleName=r&TagKeys=")).input).toEqual({ RoleName: "r", TagKeys: [] });
    expect(parseQueryInput(iam, "ListRoles", new URLSearchParams("MaxItems=ten")).serialization).toHaveLength(1);
    const sts = models.byService.get("sts")!;
    expect(parseQueryInput(sts, "AssumeRole", new URLSearchParams("RoleArn=arn:aws:iam::1:role/x&RoleSessionName=s&PolicyArns.member.1.arn=arn:aws:iam::aws:policy/ReadOnlyAccess")).input).toEqual({
      RoleArn: "arn:aws:iam::1:role/x",
      RoleSessionName: "s",
      PolicyArns: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
    });
  });

  it("takes any JSON in a document member and exactly one member of a union", () => {
    const v = new ModelValidator(models.byService.get("identitystore")!);
    const byName = { IdentityStoreId: "d-0123456789", AlternateIdentifier: { UniqueAttribute: { AttributePath: "displayName", AttributeValue: "engineers" } } };
    expect(v.validate("GetGroupId", byName)).toEqual({ violations: [], serialization: [] });
    const both = { IdentityStoreId: "d-0123456789", AlternateIdentifier: { ...byName.AlternateIdentifier, ExternalId: { Issuer: "i", Id: "x" } } };
    expect(v.validate("GetGroupId", both).violations.map((x) => x.path)).toEqual(["alternateIdentifier"]);
  });

  it("words violations as AWS does", () => {
    const v = new ModelValidator(models.byService.get("iam")!);
    const { violations } = v.validate("CreateRole", { RoleName: "a b", MaxSessionDuration: 60, Tags: [{ Key: "k" }] });
    expect(validationMessage(violations)).toBe(
      "4 validation errors detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; " +
        "Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; " +
        "Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600; " +
        "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe("the shim refuses what AWS refuses (SDK straight to the shim)", () => {
  let moto: MotoServer;
  let shim: AwsShim;
  let iam: IAMClient;
  let sso: SSOAdminClient;
  let instanceArn: string;
  let identityStoreId: string;
  let n = 0;
  const role = async (extra: Partial<ConstructorParameters<typeof CreateRoleCommand>[0]> = {}) => {
    const RoleName = `role-${++n}`;
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustPolicy(300), ...extra }));
    return RoleName;
  };
  const permissionSet = async () =>
    (await sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: `ps-${++n}` }))).PermissionSet!.PermissionSetArn!;

  beforeAll(async () => {
    moto = await startMoto();
    shim = await startAwsShim({ motoEndpoint: moto.endpoint });
    // The SDK takes IAM's LimitExceeded(Exception) for throttling and retries it (3 attempts by
    // default, as against AWS): one attempt here, so that each refusal is one request.
    iam = new IAMClient({ ...awsClientConfig(shim.endpoint, ACCOUNT), maxAttempts: 1 });
    sso = new SSOAdminClient(awsClientConfig(shim.endpoint, ACCOUNT));
    const inst = (await sso.send(new ListInstancesCommand({}))).Instances![0]!;
    instanceArn = inst.InstanceArn!;
    identityStoreId = inst.IdentityStoreId!;
  });
  afterAll(async () => {
    await shim?.stop();
    await moto?.stop();
  });

  it("says what it checks against", () => {
    expect(shim.validation.checking).toBe(true);
    expect(shim.validation.models).toMatchObject({ iam: "2010-05-08", sts: "2011-06-15", "sso-admin": "2020-07-20" });
    expect(shim.validation.quotas).toMatchObject({ managedPoliciesPerRole: 10, roleTrustPolicyChars: 2048, tagsPerPermissionSet: 75 });
  });

  describe("IAM (query protocol)", () => {
    it("refuses what the model refuses with ValidationError, as an IAM ErrorResponse the SDK reads", async () => {
      const bad = await rejection(iam.send(new CreateRoleCommand({ RoleName: "has space", AssumeRolePolicyDocument: trustPolicy(300), MaxSessionDuration: 50_000 })));
      expect(bad.name).toBe("ValidationError");
      expect(bad.$metadata?.httpStatusCode).toBe(400);
      expect(bad.message).toBe(
        "2 validation errors detected: Value 'has space' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; " +
          "Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200",
      );
      expect((await rejection(iam.send(new GetRoleCommand({ RoleName: "x".repeat(65) })))).name).toBe("ValidationError"); // reads too
      expect(shim.stats.invalid).toMatchObject({ "iam:CreateRole": 1, "iam:GetRole": 1 });

      // The wire form, as moto and AWS write it.
      const raw = await fetch(shim.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0" },
        body: "Action=CreateRole&Version=2010-05-08&RoleName=ok&AssumeRolePolicyDocument=",
      });
      expect(raw.status).toBe(400);
      expect(await raw.text()).toMatch(
        /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>ValidationError<\/Code><Message>2 validation errors detected: Value '' at 'assumeRolePolicyDocument' .*<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
      );

      const ok = await role({ Description: "fine", MaxSessionDuration: 43_200, Path: "/authentik/" });
      expect((await iam.send(new GetRoleCommand({ RoleName: ok }))).Role?.MaxSessionDuration).toBe(43_200);
    });

    it("refuses a trust policy over 2,048 non-white-space characters (CreateRole, UpdateAssumeRolePolicy) with LimitExceeded", async () => {
      const fits = trustPolicy(2048);
      expect(fits.length).toBeGreaterThan(2048); // the white space does not count
      const name = await role({ AssumeRolePolicyDocument: fits });
      const over = await rejection(iam.send(new CreateRoleCommand({ RoleName: `role-${++n}`, AssumeRolePolicyDocument: trustPolicy(2049) })));
      expect(over.name).toBe("LimitExceededException");
      expect(over.$metadata?.httpStatusCode).toBe(409);
      // The SDK retries LimitExceededException as a throttling error (as it would against AWS).
      const retried = await rejection(new IAMClient(awsClientConfig(shim.endpoint, ACCOUNT)).send(new CreateRoleCommand({ RoleName: `role-${++n}`, AssumeRolePolicyDocument: trustPolicy(2049) })));
      expect(retried.$metadata).toMatchObject({ httpStatusCode: 409, attempts: 3 });
      expect(over.message).toBe("Cannot exceed quota for ACLSizePerRole: 2048");
      const update = await rejection(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trustPolicy(2049) })));
      expect(update.message).toBe("Cannot exceed quota for ACLSizePerRole: 2048");
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trustPolicy(2000) }));
      expect(shim.stats.refused).toMatchObject({ CreateRole: 4, UpdateAssumeRolePolicy: 1 });
    });

    it("refuses inline policies over 10,240 non-white-space characters in all on one role, counting a replaced one once", async () => {
      const name = await role();
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "a", PolicyDocument: identityPolicy(6000) }));
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "b", PolicyDocument: identityPolicy(4240) })); // 10,240 in all
      const over = await rejection(iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "c", PolicyDocument: identityPolicy(200) })));
      expect(over.name).toBe("LimitExceededException");
      expect(over.$metadata?.httpStatusCode).toBe(409);
      expect(over.message).toBe(`Maximum policy size of 10240 bytes exceeded for role ${name}`);
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "a", PolicyDocument: identityPolicy(5000) })); // replaces a
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "c", PolicyDocument: identityPolicy(1000) }));
      const single = await rejection(iam.send(new PutRolePolicyCommand({ RoleName: `${name}`, PolicyName: "a", PolicyDocument: identityPolicy(10_000) })));
      expect(single.name).toBe("LimitExceededException");
    });

    it("refuses an 11th managed policy on a role (LimitExceeded), re-attaching one is fine; the quota is an option", async () => {
      const arns: string[] = [];
      for (let i = 0; i < 11; i++) {
        const p = await iam.send(new CreatePolicyCommand({ PolicyName: `managed-${n}-${i}`, PolicyDocument: identityPolicy(120) }));
        arns.push(p.Policy!.Arn!);
      }
      const name = await role();
      for (const arn of arns.slice(0, 10)) await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arns[0] })); // already attached
      const over = await rejection(iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arns[10] })));
      expect(over.name).toBe("LimitExceededException");
      expect(over.message).toBe("Cannot exceed quota for PoliciesPerRole: 10");

      const raised = await startAwsShim({ motoEndpoint: moto.endpoint, quotas: { managedPoliciesPerRole: 20 } });
      try {
        await new IAMClient({ ...awsClientConfig(raised.endpoint, ACCOUNT), maxAttempts: 1 }).send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arns[10] }));
      } finally {
        await raised.stop();
      }
    });

    it("keeps tag keys case-insensitive: duplicates refused, another case replaces or removes, at most 50 tags, no aws: keys", async () => {
      const dup = await rejection(role({ Tags: [{ Key: "Team", Value: "a" }, { Key: "team", Value: "b" }] }));
      expect(dup.name).toBe("InvalidInputException");
      expect(dup.message).toBe("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
      const reserved = await rejection(role({ Tags: [{ Key: "AWS:owner", Value: "a" }] }));
      expect(reserved.name).toBe("InvalidInputException");
      const tooMany = await rejection(role({ Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) }));
      expect(tooMany.name).toBe("ValidationError"); // the model: at most 50 in a request

      const name = await role({ Tags: [{ Key: "Team", Value: "a" }, ...Array.from({ length: 48 }, (_, i) => ({ Key: `k${i}`, Value: "v" }))] });
      await iam.send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: "TEAM", Value: "b" }, { Key: "extra", Value: "1" }] })); // 50 in all
      const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: name, MaxItems: 100 }))).Tags!;
      expect(tags).toHaveLength(50);
      expect(tags.filter((t) => t.Key!.toLowerCase() === "team")).toEqual([{ Key: "TEAM", Value: "b" }]);
      const over = await rejection(iam.send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: "one-more", Value: "1" }] })));
      expect(over.name).toBe("LimitExceededException");
      expect(over.$metadata?.httpStatusCode).toBe(409);
      expect((await rejection(iam.send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: "aws:x", Value: "1" }] })))).name).toBe("InvalidInputException");

      await iam.send(new UntagRoleCommand({ RoleName: name, TagKeys: ["team", "EXTRA"] }));
      const left = (await iam.send(new ListRoleTagsCommand({ RoleName: name, MaxItems: 100 }))).Tags!.map((t) => t.Key);
      expect(left).toHaveLength(48);
      expect(left).not.toContain("TEAM");
      expect(left).not.toContain("extra");
    });
  });

  it("STS (query protocol): refuses what its model refuses", async () => {
    const sts = new STSClient(awsClientConfig(shim.endpoint, ACCOUNT));
    const bad = await rejection(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/r`, RoleSessionName: "has space", DurationSeconds: 100 })));
    expect(bad.name).toBe("ValidationError");
    expect(bad.message).toMatch(/^2 validation errors detected: .*'roleSessionName'.*; .*'durationSeconds'/);
    const ok = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/r`, RoleSessionName: "authentik-aws-gitops" }));
    expect(ok.Credentials?.AccessKeyId).toBeTruthy();
  });

  describe("Identity Center (JSON protocol)", () => {
    it("refuses what the model refuses with ValidationException; moto's own ids pass in AWS's form", async () => {
      const long = await rejection(sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: "x".repeat(33) })));
      expect(long.name).toBe("ValidationException");
      expect(long.message).toBe("1 validation error detected: Value '" + "x".repeat(33) + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 32");
      const duration = await rejection(sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: "ok", SessionDuration: "1 hour" })));
      expect(duration.message).toMatch(/at 'sessionDuration' failed to satisfy constraint: Member must satisfy regular expression pattern/);
      const principal = await rejection(
        sso.send(
          new CreateAccountAssignmentCommand({
            InstanceArn: instanceArn,
            PermissionSetArn: await permissionSet(), // moto's …:sso:::instance/ssoins-…/ps-… is checked as …:permissionSet/…
            TargetType: "AWS_ACCOUNT",
            TargetId: ACCOUNT,
            PrincipalType: "GROUP",
            PrincipalId: "engineers", // a display name is not a principal id
          }),
        ),
      );
      expect(principal.message).toMatch(/^1 validation error detected: Value 'engineers' at 'principalId'/);
      const ids = new IdentitystoreClient(awsClientConfig(shim.endpoint, ACCOUNT));
      const group = await rejection(ids.send(new CreateGroupCommand({ IdentityStoreId: identityStoreId, DisplayName: "" })));
      expect(group.name).toBe("ValidationException");
      await ids.send(new CreateGroupCommand({ IdentityStoreId: identityStoreId, DisplayName: "engineers" })); // moto's d-… id passes
      expect(shim.stats.invalid).toMatchObject({ "sso-admin:CreatePermissionSet": 2, "sso-admin:CreateAccountAssignment": 1, "identitystore:CreateGroup": 1 });
    });

    it("refuses an inline policy over 10,240 non-white-space bytes (the model says 32,768) with AWS's message", async () => {
      const arn = await permissionSet();
      const fits = identityPolicy(10_240);
      expect(fits.length).toBeGreaterThan(10_240);
      await sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, InlinePolicy: fits }));
      const over = await rejection(sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, InlinePolicy: identityPolicy(10_405) })));
      expect(over.name).toBe("ValidationException");
      expect(over.$metadata?.httpStatusCode).toBe(400);
      expect(over.message).toBe("Current size of the non-whitespace characters present in the InlinePolicy Document is 10405 bytes which has exceeded the maximum limit of 10240 bytes");
      const model = await rejection(sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, InlinePolicy: identityPolicy(32_800) })));
      expect(model.message).toMatch(/Member must have length less than or equal to 32768$/);
    });

    it("refuses a 21st AWS managed or customer managed policy on a permission set (ServiceQuotaExceededException)", async () => {
      const arn = await permissionSet();
      const scope = { InstanceArn: instanceArn, PermissionSetArn: arn };
      await sso.send(new AttachManagedPolicyToPermissionSetCommand({ ...scope, ManagedPolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
      for (let i = 0; i < 19; i++) {
        await sso.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ ...scope, CustomerManagedPolicyReference: { Name: `custom-${i}`, Path: "/" } }));
      }
      const customer = await rejection(
        sso.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ ...scope, CustomerManagedPolicyReference: { Name: "custom-19" } })),
      );
      expect(customer.name).toBe("ServiceQuotaExceededException");
      expect(customer.$metadata?.httpStatusCode).toBe(400);
      const managed = await rejection(sso.send(new AttachManagedPolicyToPermissionSetCommand({ ...scope, ManagedPolicyArn: "arn:aws:iam::aws:policy/PowerUserAccess" })));
      expect(managed.name).toBe("ServiceQuotaExceededException");
      // Attaching one already attached is moto's ConflictException, not the quota.
      const again = await rejection(sso.send(new AttachManagedPolicyToPermissionSetCommand({ ...scope, ManagedPolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })));
      expect(again.name).toBe("ConflictException");
    });

    it("refuses more than 75 tags on a permission set: in one request (model), in all (ServiceQuotaExceededException)", async () => {
      const many = (k: number, prefix = "k") => Array.from({ length: k }, (_, i) => ({ Key: `${prefix}${i}`, Value: "v" }));
      const create = await rejection(sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: `ps-${++n}`, Tags: many(76) })));
      expect(create.name).toBe("ValidationException");
      const arn = (await sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: `ps-${++n}`, Tags: many(75) }))).PermissionSet!.PermissionSetArn!;
      expect((await sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn }))).Tags).toHaveLength(50); // a page
      const over = await rejection(sso.send(new TagResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, Tags: many(1, "more") })));
      expect(over.name).toBe("ServiceQuotaExceededException");
      await sso.send(new TagResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, Tags: [{ Key: "k0", Value: "changed" }] })); // same key: still 75
    });
  });

  describe("the IAM policy grammar (moto's validator, asked in a scratch account where moto checks nothing)", () => {
    const statement = (extra: Record<string, unknown>) => ({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*", ...extra });
    const doc = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
    const { Resource: _r, ...withoutResource } = statement({});
    /** The four everyday mistakes, and the reason IAM (moto's validator, or the shim for the Sid) gives. */
    const malformed: Array<[string, string, RegExp]> = [
      ["a Sid with a hyphen", doc(statement({ Sid: "read-objects" })), /^Statement IDs \(SID\) must be alpha-numeric/],
      ["a statement without Resource", doc(withoutResource), /^Policy statement must contain resources\.$/],
      ["an action without a service prefix", doc(statement({ Action: "GetObject" })), /^Actions\/Conditions must be prefaced by a vendor/],
      ["an unknown element (Conditions)", doc(statement({ Conditions: { Bool: { "aws:SecureTransport": "true" } } })), /^Syntax errors in policy\.$/],
    ];
    const valid = doc(statement({ Sid: "ReadObjects" }), { Effect: "Deny", NotAction: "s3:*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } });

    it.each(malformed)("Identity Center refuses %s in an inline policy (ValidationException) and keeps the old one", async (_what, document, reason) => {
      const arn = await permissionSet();
      const scope = { InstanceArn: instanceArn, PermissionSetArn: arn };
      await sso.send(new PutInlinePolicyToPermissionSetCommand({ ...scope, InlinePolicy: valid }));
      const refused = await rejection(sso.send(new PutInlinePolicyToPermissionSetCommand({ ...scope, InlinePolicy: document })));
      expect(refused.name).toBe("ValidationException");
      expect(refused.$metadata?.httpStatusCode).toBe(400);
      expect(refused.message.replace(/^Invalid PermissionsPolicy Document: /, "")).toMatch(reason);
      expect((await sso.send(new GetInlinePolicyForPermissionSetCommand(scope))).InlinePolicy).toBe(valid);
    });

    it("IAM refuses the same (MalformedPolicyDocument) in CreatePolicy and PutRolePolicy; nothing is written", async () => {
      const name = await role();
      for (const [what, document, reason] of malformed) {
        const created = await rejection(iam.send(new CreatePolicyCommand({ PolicyName: `grammar-${++n}`, PolicyDocument: document })));
        expect([what, created.name, created.$metadata?.httpStatusCode]).toEqual([what, "MalformedPolicyDocumentException", 400]);
        expect(created.message).toMatch(reason);
        const put = await rejection(iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: document })));
        expect([what, put.name]).toEqual([what, "MalformedPolicyDocumentException"]);
      }
      expect((await rejection(iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: "inline" })))).name).toBe("NoSuchEntityException");
      const principal = await rejection(iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: doc(statement({ Principal: { AWS: "*" } })) })));
      expect(principal.message).toBe("Policy document should not specify a principal.");
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: valid }));
      await iam.send(new CreatePolicyCommand({ PolicyName: `grammar-${++n}`, PolicyDocument: valid }));
    });

    it("IAM refuses a malformed trust policy in CreateRole (which moto does not check) and creates no role", async () => {
      const trust = JSON.parse(trustPolicy(300)) as { Statement: Record<string, unknown>[] };
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [{ Sid: "saml-login" }, /^Statement IDs \(SID\) must be alpha-numeric/],
        [{ Resource: "*" }, /^Has prohibited field Resource\.$/],
        [{ Action: "AssumeRoleWithSAML" }, /^Actions\/Conditions must be prefaced by a vendor/],
        [{ Conditions: {} }, /^Syntax errors in policy\.$/],
      ];
      for (const [change, reason] of bad) {
        const RoleName = `trust-${++n}`;
        const document = JSON.stringify({ ...trust, Statement: [{ ...trust.Statement[0], ...change }] });
        const refused = await rejection(iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: document })));
        expect([RoleName, refused.name, refused.$metadata?.httpStatusCode]).toEqual([RoleName, "MalformedPolicyDocumentException", 400]);
        expect(refused.message).toMatch(reason);
        expect((await rejection(iam.send(new GetRoleCommand({ RoleName })))).name).toBe("NoSuchEntityException");
      }
      await role(); // the SAML trust policy passes
    });

    it("leaves nothing behind in its scratch account", async () => {
      const scratch = new IAMClient(awsClientConfig(moto.endpoint, GRAMMAR_SCRATCH_ACCOUNT));
      expect((await scratch.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies).toEqual([]);
      expect((await scratch.send(new ListRolesCommand({}))).Roles).toEqual([]);
    });
  });

  it("Organizations (JSON protocol): refuses what its model refuses", async () => {
    const org = new OrganizationsClient(awsClientConfig(shim.endpoint, MANAGEMENT));
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    const root = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    const bad = await rejection(org.send(new ListAccountsForParentCommand({ ParentId: "root" })));
    expect(bad.name).toBe("ValidationException");
    expect(bad.message).toMatch(/^1 validation error detected: Value 'root' at 'parentId' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    await org.send(new ListAccountsForParentCommand({ ParentId: root }));
  });

  it("with validate: false passes what the model refuses to moto, and still enforces the limits", async () => {
    const lax = await startAwsShim({ motoEndpoint: moto.endpoint, validate: false });
    try {
      const client = new IAMClient({ ...awsClientConfig(lax.endpoint, ACCOUNT), maxAttempts: 1 });
      await client.send(new CreateRoleCommand({ RoleName: `lax-${++n}`, AssumeRolePolicyDocument: trustPolicy(300), MaxSessionDuration: 50_000 })); // moto takes it
      const over = await rejection(client.send(new CreateRoleCommand({ RoleName: `lax-${++n}`, AssumeRolePolicyDocument: trustPolicy(2049) })));
      expect(over.name).toBe("LimitExceededException");
      expect(lax.stats.invalid).toEqual({});
      expect(lax.validation.checking).toBe(false);
      const laxSso = new SSOAdminClient(awsClientConfig(lax.endpoint, ACCOUNT));
      await laxSso.send(
        new CreateAccountAssignmentCommand({
          InstanceArn: instanceArn,
          PermissionSetArn: await permissionSet(),
          TargetType: "AWS_ACCOUNT",
          TargetId: ACCOUNT,
          PrincipalType: "GROUP",
          PrincipalId: uuidOf("lax"),
        }),
      );
    } finally {
      await lax.stop();
    }
  });
});
