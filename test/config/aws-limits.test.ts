import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { COMMERCIAL_REGIONS } from "../../src/domain/aws-iam.js";

/**
 * Every documented limit on what the tool writes to AWS — IAM and IAM Identity Center
 * name patterns and lengths, tags, policy sizes per kind, policy counts, partitions and
 * accounts in ARNs — is refused at validate, located and naming the limit; adjustable
 * quotas are located warnings with their defaults. Each case here was accepted by the
 * tool before these rules (issue 19).
 */
const FILE = "aws-access.yaml";
const lines = (text: string) => validateConfigText(FILE, text).diagnostics.map(formatDiagnostic);
const at = (where: string) => `${FILE}:${where}`;

/** classic-iam, accounts prod (111111111111) and dev (222222222222); `body` starts at line 10. */
const classic = (body: string) => `version: 1
mode: classic-iam
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:
    prod: { id: "111111111111" }
    dev: { id: "222222222222" }
${body}`;

/** identity-center, the same accounts; `body` starts at line 14. */
const identityCenter = (body: string, region = "us-east-1") => `version: 1
mode: identity-center
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:
    prod: { id: "111111111111" }
    dev: { id: "222222222222" }
  identityCenter:
    region: ${region}
    accessPortalUrl: https://d-1234567890.awsapps.com/start
    spMetadata: sp.xml
${body}`;

const flowList = (items: readonly string[]) => `[${items.join(", ")}]`;
const flowMap = (entries: readonly [string, string][]) => `{ ${entries.map(([k, v]) => `${k}: ${v}`).join(", ")} }`;
const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i + 1));
const pad = (i: number) => String(i).padStart(4, "0");

describe("IAM Identity Center: what sso-admin refuses", () => {
  it("an inline policy over 10,240 characters that are not white space (though under 32,768)", () => {
    const resources = flowList(range(300, (i) => `arn:aws:s3:::bucket-number-${pad(i)}/*`));
    const text = identityCenter(`permissionSets:
  ps:
    inlinePolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: s3:GetObject
          Resource: ${resources}
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    expect(lines(text)).toEqual([
      at(
        "16:5: error: the inline policy of permission set 'ps' has 10894 characters that are not white space; IAM Identity Center allows at most 10240 per permission set (and 32768 with white space), not adjustable — move some into customer-managed policies",
      ),
    ]);
  });

  it("an inline policy under 10,240 characters is accepted, white space in strings not counted", () => {
    const text = identityCenter(`permissionSets:
  ps:
    inlinePolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: s3:GetObject
          Resource: ${flowList(range(280, (i) => `arn:aws:s3:::bucket-number-${pad(i)}/*`))}
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    expect(lines(text)).toEqual([]);
  });

  it("an AWS-managed policy ARN whose path sso-admin's pattern refuses", () => {
    const text = identityCenter(`permissionSets:
  ps:
    managedPolicies: ["arn:aws:iam::aws:policy/job~function/ViewOnlyAccess"]
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    expect(lines(text)).toEqual([
      at(
        "16:23: error: 'permissionSets.ps.managedPolicies[0]' is not a policy ARN IAM Identity Center accepts: arn:aws:iam::aws:policy/, an optional path of segments of letters, digits and . , + @ = _ - each followed by /, then the policy name (sso-admin's pattern for ManagedPolicyArn)",
      ),
    ]);
  });

  it("customer-managed policy paths sso-admin's pattern refuses", () => {
    const text = identityCenter(`permissionSets:
  ps:
    customerManagedPolicies:
      - { name: Team, path: /team~a/ }
      - { name: Other, path: /a//b/ }
    permissionsBoundary:
      customerManagedPolicy: { name: Boundary, path: "/x!y/" }
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    const message = (path: string) =>
      `'${path}' is not a policy path IAM accepts: / or segments of letters, digits and . , + @ = _ - each between slashes, like /team/ (IAM's and IAM Identity Center's pattern for policy paths)`;
    expect(lines(text)).toEqual([
      at(`17:29: error: ${message("permissionSets.ps.customerManagedPolicies[0].path")}`),
      at(`18:30: error: ${message("permissionSets.ps.customerManagedPolicies[1].path")}`),
      at(`20:54: error: ${message("permissionSets.ps.permissionsBoundary.customerManagedPolicy.path")}`),
    ]);
  });

  it("a customer-managed policy given as the permissions boundary's managedPolicyArn", () => {
    const text = identityCenter(`permissionSets:
  ps:
    permissionsBoundary:
      managedPolicyArn: arn:aws:iam::111111111111:policy/team/Boundary
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    expect(lines(text)).toEqual([
      at(
        "17:25: error: 'permissionSets.ps.permissionsBoundary.managedPolicyArn' is a customer-managed policy; IAM Identity Center takes only an AWS-managed policy by ARN (arn:aws:iam::aws:policy/…), and a customer-managed one by name and path, from each account it provisions to: write customerManagedPolicy: { name: Boundary, path: /team/ }",
      ),
    ]);
  });

  it("more than 20 managed and customer-managed policies on one permission set", () => {
    const text = identityCenter(`permissionSets:
  ps:
    managedPolicies: ${flowList(range(15, (i) => `arn:aws:iam::aws:policy/Policy${i}`))}
    customerManagedPolicies: ${flowList(range(10, (i) => `{ name: Team${i} }`))}
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    expect(lines(text)).toEqual([
      at("15:3: error: permission set 'ps' attaches 25 managed policies (15 AWS-managed, 10 customer-managed); IAM Identity Center allows at most 20 per permission set, not adjustable"),
    ]);
  });

  it("more than 10: a warning naming IAM's adjustable quota, which the roles it becomes are held to", () => {
    const text = identityCenter(`permissionSets:
  ps:
    managedPolicies: ${flowList(range(8, (i) => `arn:aws:iam::aws:policy/Policy${i}`))}
    customerManagedPolicies: ${flowList(range(4, (i) => `{ name: Team${i} }`))}
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    expect(lines(text)).toEqual([
      at(
        "15:3: warning: permission set 'ps' attaches 12 managed policies (8 AWS-managed, 4 customer-managed); it becomes an IAM role in each account it is provisioned to, and IAM allows 10 managed policies per role by default (quota \"Managed policies per role\", adjustable up to 20): raise it in those accounts first",
      ),
    ]);
  });
});

describe("tags", () => {
  const tags = (n: number, prefix = "k") => flowMap(range(n, (i): [string, string] => [`${prefix}${i}`, "v"]));

  it("aws.tags counts: 49 of them and the tool's two make 51 on every role", () => {
    const text = classic(`  tags: ${tags(49)}
roles:
  admin: { accounts: "*" }
mappings:
  - { group: admins, roles: [admin] }
`);
    expect(lines(text)).toEqual([
      at("10:3: error: aws.tags puts 49 tags on every role, and the tool adds managed-by and managed-by-config: 51 in all; IAM allows at most 50 tags per role"),
    ]);
  });

  it("a role's own tags with aws.tags (a key in both counts once)", () => {
    const text = classic(`  tags: ${tags(40)}
roles:
  admin: { accounts: "*", tags: ${tags(10, "r")} }
  other: { accounts: "*", tags: ${tags(8, "k")} }
mappings:
  - { group: admins, roles: [admin, other] }
`);
    expect(lines(text)).toEqual([
      at("12:27: error: role 'admin' would carry 52 tags: 50 of its own and aws.tags, and the tool's managed-by and managed-by-config; IAM allows at most 50 tags per role"),
    ]);
  });

  it("permission sets may carry 75 tags: 60 of their own are accepted, 74 in aws.tags are not", () => {
    expect(
      lines(
        identityCenter(`permissionSets:
  ps: { tags: ${tags(60)} }
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`),
      ),
    ).toEqual([]);
    const text = identityCenter(
      `permissionSets:
  ps: {}
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`,
    ).replace("  identityCenter:", `  tags: ${tags(74)}\n  identityCenter:`);
    expect(lines(text)).toEqual([
      at(
        "10:3: error: aws.tags puts 74 tags on every permission set, and the tool adds managed-by and managed-by-config: 76 in all; IAM Identity Center allows at most 75 tags per permission set",
      ),
    ]);
  });

  it("keys that differ only in letter case: IAM tag keys are case-insensitive", () => {
    const text = classic(`  tags: { Team: a, cost: b, COST: c }
roles:
  admin: { accounts: "*", tags: { team: x, Env: y, env: z } }
mappings:
  - { group: admins, roles: [admin] }
`);
    expect(lines(text)).toEqual([
      at("10:29: error: this tag key in 'aws.tags' differs from another one there only in letter case; IAM tag keys are case-insensitive, so a role cannot carry both"),
      at(
        "12:35: error: this tag key in 'roles.admin.tags' differs from one in aws.tags only in letter case; IAM tag keys are case-insensitive, so a role cannot carry both (to give this role another value, write the key as aws.tags does)",
      ),
      at("12:52: error: this tag key in 'roles.admin.tags' differs from another one there only in letter case; IAM tag keys are case-insensitive, so a role cannot carry both"),
    ]);
  });

  it("the aws: prefix in any letter case", () => {
    const text = classic(`  tags: { AWS:team: a }
roles:
  admin: { accounts: "*", tags: { Aws:cost: x } }
mappings:
  - { group: admins, roles: [admin] }
`);
    expect(lines(text)).toEqual([
      at("10:11: error: this tag key in 'aws.tags' starts with aws: (in another letter case); AWS reserves the prefix aws: in any letter case for its own tags"),
      at("12:35: error: this tag key in 'roles.admin.tags' starts with aws: (in another letter case); AWS reserves the prefix aws: in any letter case for its own tags"),
    ]);
  });

  it("the tool's own tags on a role or permission set, which the tool would silently overwrite", () => {
    const role = classic(`roles:
  admin: { accounts: "*", tags: { managed-by: me, Managed-By-Config: x } }
mappings:
  - { group: admins, roles: [admin] }
`);
    expect(lines(role)).toEqual([
      at("11:35: error: the tag 'managed-by' is reserved: the tool sets it to mark what it owns and for which configuration"),
      at("11:51: error: the tag 'Managed-By-Config' is reserved: the tool sets it to mark what it owns and for which configuration"),
    ]);
    const ps = identityCenter(`permissionSets:
  ps: { tags: { MANAGED-BY: me } }
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`);
    expect(lines(ps)).toEqual([at("15:17: error: the tag 'MANAGED-BY' is reserved: the tool sets it to mark what it owns and for which configuration")]);
  });
});

describe("ARNs across accounts and partitions", () => {
  it("a customer-managed policy of one account on a role in several", () => {
    const text = classic(`roles:
  admin:
    accounts: [prod, dev]
    managedPolicies: [arn:aws:iam::111111111111:policy/Team]
    permissionsBoundary: arn:aws:iam::333333333333:policy/Boundary
mappings:
  - { group: admins, roles: [admin] }
`);
    expect(lines(text)).toEqual([
      at(
        "13:23: error: role 'admin' exists in account 'dev' (222222222222), but 'roles.admin.managedPolicies[0]' is a policy of account 111111111111; IAM attaches to a role only AWS-managed policies and policies of the role's own account — use an AWS-managed or inline policy, or declare a role for each account",
      ),
      at(
        "14:26: error: role 'admin' exists in accounts 'prod' (111111111111), 'dev' (222222222222), but 'roles.admin.permissionsBoundary' is a policy of account 333333333333; IAM attaches to a role only AWS-managed policies and policies of the role's own account — use an AWS-managed or inline policy, or declare a role for each account",
      ),
    ]);
  });

  const CLASSIC_ONLY =
    "mode classic-iam does not support: the trust policies, IAM SAML provider ARNs, SAML audience (urn:amazon:webservices) and sign-in URLs (https://signin.aws.amazon.com/saml) it writes are those of the commercial partition aws";

  it("classic-iam: ARNs and sign-in regions of aws-us-gov and aws-cn", () => {
    const text = classic(`  signInRegions: [eu-west-1, cn-north-1]
roles:
  admin:
    accounts: "*"
    managedPolicies: [arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess]
mappings:
  - { group: admins, roles: [admin] }
`).replace(`prod: { id: "111111111111" }`, `prod: { id: "111111111111", assumeRole: "arn:aws-cn:iam::111111111111:role/gitops" }`);
    expect(lines(text)).toEqual([
      at(`8:45: error: 'aws.accounts.prod.assumeRole' is an ARN of partition aws-cn (AWS China), which ${CLASSIC_ONLY}`),
      at(`10:30: error: 'aws.signInRegions[1]' cn-north-1 is a region of partition aws-cn (AWS China), which ${CLASSIC_ONLY}`),
      at(`14:23: error: 'roles.admin.managedPolicies[0]' is an ARN of partition aws-us-gov (AWS GovCloud (US)), which ${CLASSIC_ONLY}`),
    ]);
  });

  it("identity-center: every ARN in one partition, the instance's", () => {
    const govCloud = (managed: string) =>
      identityCenter(
        `permissionSets:
  ps: { managedPolicies: [${managed}] }
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`,
        "us-gov-west-1",
      ).replace("    spMetadata: sp.xml", "    spMetadata: sp.xml\n    instanceArn: arn:aws-us-gov:sso:::instance/ssoins-1234567890abcdef");
    expect(lines(govCloud("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"))).toEqual([]);
    expect(lines(govCloud("arn:aws:iam::aws:policy/ReadOnlyAccess"))).toEqual([
      at(
        "16:27: error: 'permissionSets.ps.managedPolicies[0]' is an ARN of partition aws (AWS commercial), but 'aws.identityCenter.instanceArn' is of partition aws-us-gov (AWS GovCloud (US)); IAM Identity Center attaches and provisions only within its instance's partition",
      ),
    ]);
    const mixed = identityCenter(`permissionSets:
  ps: { permissionsBoundary: { managedPolicyArn: arn:aws-cn:iam::aws:policy/ReadOnlyAccess } }
mappings:
  - { group: admins, permissionSets: [ps], accounts: [prod] }
`).replace("    spMetadata: sp.xml", "    spMetadata: sp.xml\n    instanceArn: arn:aws-us-gov:sso:::instance/ssoins-1234567890abcdef");
    expect(lines(mixed)).toEqual([
      at(
        "11:13: warning: 'aws.identityCenter.region' us-east-1 is a region of partition aws (AWS commercial), but this file's ARNs are of partition aws-us-gov (AWS GovCloud (US)), as 'aws.identityCenter.instanceArn' is; IAM Identity Center works only within its instance's partition, so one of them is wrong",
      ),
      at(
        "16:50: error: 'permissionSets.ps.permissionsBoundary.managedPolicyArn' is an ARN of partition aws-cn (AWS China), but 'aws.identityCenter.instanceArn' is of partition aws-us-gov (AWS GovCloud (US)); IAM Identity Center attaches and provisions only within its instance's partition",
      ),
    ]);
  });
});

describe("adjustable quotas: located warnings with their defaults", () => {
  it("managed policies per role (10 by default, up to 20)", () => {
    const text = classic(`roles:
  admin:
    accounts: "*"
    managedPolicies: ${flowList(range(12, (i) => `arn:aws:iam::aws:policy/Policy${i}`))}
mappings:
  - { group: admins, roles: [admin] }
`);
    expect(lines(text)).toEqual([
      at("13:5: warning: role 'admin' attaches 12 managed policies; IAM allows 10 per role by default (quota \"Managed policies per role\", adjustable up to 20): raise it in the role's accounts first"),
    ]);
  });

  it("roles per account (1,000 by default)", () => {
    const names = range(1001, (i) => `r${pad(i)}`);
    const text = classic(`roles:
${names.map((n) => `  ${n}: { accounts: [prod] }`).join("\n")}
  d: { accounts: [dev] }
mappings:
  - { group: admins, roles: ${flowList([...names, "d"])} }
`);
    expect(lines(text)).toEqual([
      at(
        "8:5: warning: account 'prod' would hold 1001 roles of this file; IAM allows 1000 roles per account by default (quota \"Roles per account\", adjustable) — and roles made outside this file count too",
      ),
    ]);
  });

  it("permission sets per instance (2,000) and provisioned per account (250) by default", () => {
    const many = range(2001, (i) => `p${pad(i)}`);
    const text = identityCenter(`permissionSets:
${many.map((n) => `  ${n}: {}`).join("\n")}
mappings:
  - { group: admins, permissionSets: ${flowList(many)}, accounts: [prod] }
`);
    expect(lines(text)).toEqual([
      at(
        "8:5: warning: account 'prod' would have 2001 permission sets of this file provisioned to it; IAM Identity Center allows 250 per account by default (quota \"Provisioned permission sets per account\", adjustable) — and those of other configurations count too",
      ),
      at(
        "14:1: warning: this file declares 2001 permission sets; IAM Identity Center allows 2000 per instance by default (quota \"Permission sets per instance\", adjustable) — and permission sets made outside this file count too",
      ),
    ]);
    const some = range(251, (i) => `p${pad(i)}`);
    const fewer = identityCenter(`permissionSets:
${some.map((n) => `  ${n}: {}`).join("\n")}
mappings:
  - { group: admins, permissionSets: ${flowList(some.slice(0, 200))}, accounts: [prod, dev] }
  - { group: others, permissionSets: ${flowList(some.slice(200))}, accounts: [dev] }
`);
    expect(lines(fewer)).toEqual([
      at(
        "9:5: warning: account 'dev' would have 251 permission sets of this file provisioned to it; IAM Identity Center allows 250 per account by default (quota \"Provisioned permission sets per account\", adjustable) — and those of other configurations count too",
      ),
    ]);
  });
});

describe("aws.signInRegions (classic-iam)", () => {
  const roles = `roles:
  admin: { accounts: "*" }
mappings:
  - { group: admins, roles: [admin] }
`;

  it("regions with a sign-in endpoint are accepted; one this release does not know is a warning", () => {
    expect(lines(classic(`  signInRegions: [eu-west-1, us-east-1, ap-southeast-2]\n${roles}`))).toEqual([]);
    expect(lines(classic(`  signInRegions: [eu-wets-1]\n${roles}`))).toEqual([
      at(
        "10:19: warning: 'eu-wets-1' is not a region this release knows to have an AWS sign-in endpoint (https://eu-wets-1.signin.aws.amazon.com/saml); check the spelling — sign-ins posted to an endpoint that does not exist fail",
      ),
    ]);
  });

  it("belongs to classic-iam, lists each region once, and is made of region codes", () => {
    expect(lines(identityCenter(`permissionSets: {}\nmappings: []\n`).replace("  identityCenter:", "  signInRegions: [eu-west-1]\n  identityCenter:"))).toEqual([
      at("10:3: error: 'aws.signInRegions' belongs to mode classic-iam, but this file's mode is identity-center"),
    ]);
    const errors = lines(classic(`  signInRegions: [eu-west-1, eu-west-1, "https://signin.aws.amazon.com/saml"]\n${roles}`));
    expect(errors).toEqual([
      at("10:30: error: 'aws.signInRegions' lists the same item twice (items 1 and 2)"),
      at("10:41: error: 'aws.signInRegions[2]' must be an AWS region like eu-west-1"),
    ]);
  });

  it("a trust policy longer than IAM's default quota (2,048) is a warning", () => {
    const regions = [...COMMERCIAL_REGIONS, "us-east-8", "us-east-9"];
    const text = classic(`  samlProvider: ${"a".repeat(128)}\n  signInRegions: ${flowList(regions)}\n${roles}`);
    expect(lines(text).filter((l) => !l.includes("is not a region this release knows"))).toEqual([
      at(
        "11:3: warning: with 36 sign-in endpoints, each role's trust policy has 2089 characters (white space not counted); IAM allows 2048 by default (quota \"Role trust policy length\", adjustable): raise it in every account, or list fewer regions",
      ),
    ]);
  });
});
