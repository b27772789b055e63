import { describe, expect, it, vi } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";

/**
 * The policy rules (src/config/rules/policies.ts and policy-reference.ts): the IAM
 * policy grammar, what IAM requires of an identity-based policy, and every action,
 * resource ARN and condition key against AWS's service authorization reference. Each
 * mistake under "everyday mistakes" validated cleanly before these rules (no message at
 * all); each is now refused, or warned about, at the element it is about — inside
 * policies written as strings of JSON too.
 */
const diagnostics = (text: string) => validateConfigText("aws-access.yaml", text).diagnostics;
const lines = (text: string) => diagnostics(text).map((d) => `${d.line}:${d.column} ${d.severity}: ${d.message}`);
const indent = (text: string, n: number) => text.split("\n").map((l) => (l ? " ".repeat(n) + l : l)).join("\n");

/** A classic-iam file whose role holds one inline policy `s3`, from line 14 on (`      s3:` is line 13). */
function classic(policy: string): string {
  return `version: 1
mode: classic-iam
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:
    prod: { id: "111111111111" }
roles:
  admin:
    accounts: "*"
    inlinePolicies:
      s3:
${indent(policy, 8)}
mappings:
  - { group: admins, roles: [admin] }
`;
}

/** The same file with the policy written after its key, on line 13 (`      s3: POLICY`). */
const inline = (policy: string) => classic("").replace("      s3:\n\n", `      s3: ${policy}\n`);

/** A policy of one statement, whose first element is on line 16 (`          - Sid: …`). */
const one = (statement: string) => `Version: "2012-10-17"\nStatement:\n  - ${indent(statement, 4).trimStart()}`;

const P = "policy document 'roles.admin.inlinePolicies.s3'";
const REF = "AWS's service authorization reference";

describe("everyday mistakes that passed validation", () => {
  it.each([
    [
      "a Sid with a hyphen",
      one(`Sid: read-s3\nEffect: Allow\nAction: s3:GetObject\nResource: "*"`),
      `16:18 error: ${P} statement 1: Sid 'read-s3' may hold only letters and digits (A–Z, a–z, 0–9); IAM refuses other characters`,
    ],
    [
      "a Sid used twice in one policy",
      `Version: "2012-10-17"\nStatement:\n  - { Sid: Read, Effect: Allow, Action: s3:GetObject, Resource: "*" }\n  - { Sid: Read, Effect: Allow, Action: s3:ListBucket, Resource: "*" }`,
      `17:20 error: ${P} statement 2: Sid 'Read' is already the Sid of statement 1; the Sids of one policy must differ`,
    ],
    [
      "a statement without Resource or NotResource",
      one(`Effect: Allow\nAction: s3:GetObject`),
      `16:13 error: ${P} statement 1 needs Resource or NotResource — a policy of a role or permission set (an identity-based policy) names the resources it applies to ("*" for all)`,
    ],
    [
      "an action without its service prefix",
      one(`Effect: Allow\nAction: GetObject\nResource: "*"`),
      `17:21 error: ${P} statement 1: action 'GetObject' has no service prefix; an action is SERVICE:ACTION — did you mean 'mediapackagev2:GetObject', 'mediastore:GetObject', 's3:GetObject' or one of 2 more?`,
    ],
    ["an empty Action list", one(`Effect: Allow\nAction: []\nResource: "*"`), `17:21 error: ${P} statement 1: Action is an empty list; name at least one action (SERVICE:ACTION)`],
    [
      "both Action and NotAction",
      one(`Effect: Allow\nAction: s3:GetObject\nNotAction: s3:PutObject\nResource: "*"`),
      `18:13 error: ${P} statement 1 has both Action and NotAction; a statement has exactly one of them`,
    ],
    [
      "both Resource and NotResource",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: "*"\nNotResource: arn:aws:s3:::logs`),
      `19:13 error: ${P} statement 1 has both Resource and NotResource; a statement has exactly one of them`,
    ],
    [
      "a misspelt element (Conditions)",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: "*"\nConditions: { Bool: { aws:SecureTransport: "true" } }`),
      `19:13 error: ${P} statement 1: 'Conditions' is not an element of a policy statement — did you mean 'Condition'?`,
    ],
    [
      "an unknown condition operator",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: "*"\nCondition: { StringEqualz: { aws:PrincipalTag/team: data } }`),
      `19:26 error: ${P} statement 1: 'StringEqualz' is not a condition operator — did you mean 'StringEquals'? (operators: StringEquals, StringLike, ArnLike, Bool, IpAddress, NumericLessThan, DateGreaterThan, Null…; IfExists may follow, ForAllValues: or ForAnyValue: precede)`,
    ],
    [
      "a Resource that is neither an ARN nor *",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: my-bucket`),
      `18:23 error: ${P} statement 1: resource 'my-bucket' is neither "*" nor an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, as arn:aws:s3:::my-bucket)`,
    ],
    [
      "an ARN none of its service's formats can match (IAM ARNs have no region)",
      one(`Effect: Allow\nAction: iam:GetRole\nResource: arn:aws:iam:us-east-1:111111111111:role/admin`),
      `18:23 error: ${P} statement 1: ARN 'arn:aws:iam:us-east-1:111111111111:role/admin' fits none of the resource ARN formats of iam in ${REF} (closest: arn:\${Partition}:iam::\${Account}:role/\${RoleNameWithPath})`,
    ],
    [
      "a Principal in an identity-based policy",
      one(`Effect: Allow\nPrincipal: { AWS: "*" }\nAction: s3:GetObject\nResource: "*"`),
      `17:13 error: ${P} statement 1: Principal has no place in the policy of a role or permission set: an identity-based policy applies to whoever holds it, and IAM refuses Principal in it (who holds it is what mappings say)`,
    ],
    [
      "an unknown action (s3:GetObjet)",
      one(`Effect: Allow\nAction: s3:GetObjet\nResource: "*"`),
      `17:21 error: ${P} statement 1: action 's3:GetObjet' is not in ${REF} — did you mean 's3:GetObject'?`,
    ],
    ["a wildcard that matches no action", one(`Effect: Allow\nAction: s3:Get*Foo\nResource: "*"`), `17:21 error: ${P} statement 1: 's3:Get*Foo' matches no action of s3 in ${REF}`],
    [
      "a condition key the action does not support (a warning)",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: "*"\nCondition: { StringLike: { s3:prefix: home/* } }`),
      `19:40 warning: ${P} statement 1: action 's3:GetObject' does not support condition key 's3:prefix' in ${REF}: its requests never carry the key, so the condition cannot work as meant for it — give it a statement of its own`,
    ],
  ])("%s", (_name, policy, expected) => {
    expect(lines(classic(policy))).toEqual([expected]);
  });

  it("a wrong Version inside a policy written as a string of JSON", () => {
    const policy = `'{"Version": "2012-10-18", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'`;
    expect(lines(inline(policy))).toEqual([`13:24 error: ${P}: Version must be "2012-10-17" (or the older "2008-10-17"), the versions of the policy language`]);
  });

  it("a wrong Version written as YAML is the schema's to report, once", () => {
    const found = lines(classic(`Version: "2012-10-18"\nStatement:\n  - { Effect: Allow, Action: s3:GetObject, Resource: "*" }`));
    expect(found).toHaveLength(1);
    expect(found[0]).toBe("14:9 error: 'roles.admin.inlinePolicies.s3' must be a policy document: an object with Version and Statement, or a string of JSON");
  });
});

describe("policies written as strings of JSON: each message at the line and column of the JSON's element", () => {
  const json = `{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" },
    {
      "Sid": "read-s3",
      "Effect": "Allow",
      "Action": ["s3:GetObjet", "GetObject"],
      "Resource": "my-bucket",
      "Condition": { "StringEqualz": { "aws:SourceIp": "10.0.0.0/8" } }
    }
  ]
}`;

  it("in a block scalar (|)", () => {
    expect(lines(classic(`|\n${indent(json, 2)}`))).toEqual([
      `20:24 error: ${P} statement 2: Sid 'read-s3' may hold only letters and digits (A–Z, a–z, 0–9); IAM refuses other characters`,
      `22:28 error: ${P} statement 2: action 's3:GetObjet' is not in ${REF} — did you mean 's3:GetObject'?`,
      `22:43 error: ${P} statement 2: action 'GetObject' has no service prefix; an action is SERVICE:ACTION — did you mean 'mediapackagev2:GetObject', 'mediastore:GetObject', 's3:GetObject' or one of 2 more?`,
      `23:29 error: ${P} statement 2: resource 'my-bucket' is neither "*" nor an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, as arn:aws:s3:::my-bucket)`,
      `24:32 error: ${P} statement 2: 'StringEqualz' is not a condition operator — did you mean 'StringEquals'? (operators: StringEquals, StringLike, ArnLike, Bool, IpAddress, NumericLessThan, DateGreaterThan, Null…; IfExists may follow, ForAllValues: or ForAnyValue: precede)`,
    ]);
  });

  const compact = `{"Version": "2012-10-17", "Statement": {"Sid": "a-b", "Effect": "Allow", "Action": "s3:GetObjet", "Resource": "*"}}`;

  it("in a single-quoted string", () => {
    expect(lines(inline(`'${compact}'`))).toEqual([
      `13:59 error: ${P} statement 1: Sid 'a-b' may hold only letters and digits (A–Z, a–z, 0–9); IAM refuses other characters`,
      `13:95 error: ${P} statement 1: action 's3:GetObjet' is not in ${REF} — did you mean 's3:GetObject'?`,
    ]);
  });

  it("in a double-quoted string with escapes (\\\" and \\u0047)", () => {
    const escaped = JSON.stringify(compact).replace("s3:GetObjet", "s3:\\\\u0047etObjet");
    const found = lines(inline(escaped));
    expect(found).toEqual([
      `13:67 error: ${P} statement 1: Sid 'a-b' may hold only letters and digits (A–Z, a–z, 0–9); IAM refuses other characters`,
      `13:111 error: ${P} statement 1: action 's3:GetObjet' is not in ${REF} — did you mean 's3:GetObject'?`,
    ]);
    // The columns are those of the JSON strings' opening quotes, as the file writes them (\").
    const text = inline(escaped).split("\n")[12]!;
    expect(text.slice(66)).toMatch(/^\\"a-b\\"/);
    expect(text.slice(110)).toMatch(/^\\"s3:\\\\u0047etObjet\\"/);
  });

  it("in a folded scalar (>) and a double-quoted string over several lines", () => {
    const folded = `>\n  {"Version": "2012-10-17",\n   "Statement": {"Effect": "Allow",\n     "Action": "s3:GetObjet", "Resource": "*"}}`;
    expect(lines(classic(folded))).toEqual([`17:24 error: ${P} statement 1: action 's3:GetObjet' is not in ${REF} — did you mean 's3:GetObject'?`]);
    const quoted = `"{\\"Version\\": \\"2012-10-17\\",\n  \\"Statement\\": {\\"Effect\\": \\"Allow\\",\n  \\"Action\\": \\"s3:GetObjet\\", \\"Resource\\": \\"*\\"}}"`;
    expect(lines(classic(quoted))).toEqual([`16:23 error: ${P} statement 1: action 's3:GetObjet' is not in ${REF} — did you mean 's3:GetObject'?`]);
  });

  it("a permission set's inline policy too", () => {
    const text = `version: 1
mode: identity-center
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:
    prod: { id: "111111111111" }
  identityCenter:
    region: us-east-1
    accessPortalUrl: https://d-1234567890.awsapps.com/start
    spMetadata: sp.xml
permissionSets:
  Reader:
    inlinePolicy: |
      {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
mappings:
  - { group: readers, permissionSets: [Reader], accounts: [prod] }
`;
    expect(lines(text)).toEqual([
      `17:22 error: policy document 'permissionSets.Reader.inlinePolicy' statement 1 needs Resource or NotResource — a policy of a role or permission set (an identity-based policy) names the resources it applies to ("*" for all)`,
    ]);
  });
});

describe("what IAM accepts is accepted", () => {
  it("wildcards, NotAction, NotResource, policy variables, operators with IfExists and set prefixes, global keys, any letter case", () => {
    const policy = `Version: "2012-10-17"
Id: DataLake
Statement:
  - Sid: ReadDataLake1
    Effect: Allow
    Action: [s3:Get*, S3:getobjectversion, "s3:?etObject"]
    Resource: [arn:aws:s3:::data-lake, "arn:aws:s3:::data-lake/\${aws:username}/*", "arn:*:s3:::logs-*"]
    Condition:
      ForAnyValue:StringEquals: { aws:TagKeys: [team] }
      Bool: { aws:SecureTransport: true }
      NumericLessThan: { aws:MultiFactorAuthAge: 3600 }
      "Null": { aws:TokenIssueTime: "false" }
  - Effect: Deny
    NotAction: [iam:*, "sts:*"]
    NotResource: [arn:aws:iam::*:role/*, arn:aws:ssm:us-east-1::document/AWS-RunShellScript]
    Condition: { StringNotEquals: { aws:RequestedRegion: [eu-west-1] } }
  - Effect: Allow
    Action: "*"
    Resource: "*"
    Condition: { StringEquals: { s3:ExistingObjectTag/team: data, iam:PassedToService: ec2.amazonaws.com } }
  - Effect: Allow
    Action: [sts:AssumeRole, sts:TagSession]
    Resource: [arn:aws:iam::111111111111:role/x, "arn:aws:sts::111111111111:assumed-role/x/*"]
  - Effect: Allow
    Action: [ec2:StartInstances, ec2:StopInstances]
    Resource: arn:aws:ec2:*:111111111111:instance/*
    Condition: { StringEquals: { ec2:ResourceTag/team: data, aws:ResourceTag/env: dev } }
  - Effect: Allow
    Action: [s3:ListBucket, "s3:List*Versions"]
    Resource: arn:aws:s3:::data-lake
    Condition: { StringLikeIfExists: { s3:prefix: ["home/\${aws:username}/*"] } }
  - Effect: Allow
    Action: sts:AssumeRoleWithSAML
    Resource: "*"
    Condition: { StringEquals: { SAML:aud: https://signin.aws.amazon.com/saml } }`;
    expect(lines(classic(policy))).toEqual([]);
  });

  it("the examples' policies", () => {
    const policy = one(`Sid: ReadDataLake\nEffect: Allow\nAction: [s3:GetObject, s3:ListBucket]\nResource: [arn:aws:s3:::data-lake, arn:aws:s3:::data-lake/*]`);
    expect(lines(classic(policy))).toEqual([]);
  });
});

describe("more of the grammar", () => {
  it.each([
    [
      "an Effect in the wrong case",
      one(`Effect: allow\nAction: s3:GetObject\nResource: "*"`),
      `16:21 error: ${P} statement 1: Effect must be "Allow" or "Deny" — did you mean 'Allow'?`,
    ],
    ["a statement without Effect", one(`Action: s3:GetObject\nResource: "*"`), `16:13 error: ${P} statement 1 needs Effect "Allow" or "Deny"`],
    ["a statement without Action", one(`Effect: Allow\nResource: "*"`), `16:13 error: ${P} statement 1 needs Action or NotAction`],
    [
      "a misspelt Action (Actions)",
      one(`Effect: Allow\nActions: s3:GetObject\nResource: "*"`),
      `17:13 error: ${P} statement 1: 'Actions' is not an element of a policy statement — did you mean 'Action'?`,
    ],
    [
      "Null with IfExists",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: "*"\nCondition: { NullIfExists: { aws:TokenIssueTime: "true" } }`),
      `19:26 error: ${P} statement 1: Null takes no IfExists (it tests whether the key is present)`,
    ],
    [
      "a misspelt operator after ForAnyValue: and before IfExists",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: "*"\nCondition: { "ForAnyValue:StringLikeX": { aws:TagKeys: [a] } }`),
      `19:26 error: ${P} statement 1: 'ForAnyValue:StringLikeX' is not a condition operator — did you mean 'ForAnyValue:StringLike'? (operators: StringEquals, StringLike, ArnLike, Bool, IpAddress, NumericLessThan, DateGreaterThan, Null…; IfExists may follow, ForAllValues: or ForAnyValue: precede)`,
    ],
    [
      "a condition value that is a mapping",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: "*"\nCondition: { StringEquals: { aws:PrincipalTag/team: { a: b } } }`),
      `19:65 error: ${P} statement 1: the value of condition key 'aws:PrincipalTag/team' must be a string or a list of strings`,
    ],
    [
      "an ARN with too few parts",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: arn:aws:s3:my-bucket`),
      `18:23 error: ${P} statement 1: ARN 'arn:aws:s3:my-bucket' has fewer than six parts; an ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (REGION and ACCOUNT may be empty, as in arn:aws:s3:::my-bucket)`,
    ],
    [
      "an S3 bucket ARN with a region and an account",
      one(`Effect: Allow\nAction: s3:ListBucket\nResource: arn:aws:s3:us-east-1:111111111111:data-lake`),
      `18:23 error: ${P} statement 1: ARN 'arn:aws:s3:us-east-1:111111111111:data-lake' fits none of the resource ARN formats of s3 in ${REF} (closest: arn:\${Partition}:s3:::\${BucketName})`,
    ],
    [
      "an ARN of a service the reference does not know (a warning)",
      one(`Effect: Allow\nAction: s3:GetObject\nResource: arn:aws:s4:::data-lake`),
      `18:23 warning: ${P} statement 1: ARN 'arn:aws:s4:::data-lake' names the service 's4', which has no resource type in ${REF} — did you mean 's3'?`,
    ],
    [
      "an unknown service prefix",
      one(`Effect: Allow\nAction: s4:GetObject\nResource: "*"`),
      `17:21 error: ${P} statement 1: action 's4:GetObject': 's4' is not a service prefix in ${REF} — did you mean 's3'?`,
    ],
    [
      "an action with two colons",
      one(`Effect: Allow\nAction: "s3:GetObject:x"\nResource: "*"`),
      `17:21 error: ${P} statement 1: 's3:GetObject:x' is not an action: SERVICE:ACTION, of letters, digits and -, with * and ? as wildcards`,
    ],
    [
      "a Principal element in a JSON-less YAML statement list of one (NotPrincipal)",
      `Version: "2012-10-17"\nStatement:\n  Effect: Deny\n  NotPrincipal: { AWS: arn:aws:iam::111111111111:root }\n  Action: "*"\n  Resource: "*"`,
      `17:11 error: ${P} statement 1: NotPrincipal has no place in the policy of a role or permission set: an identity-based policy applies to whoever holds it, and IAM refuses NotPrincipal in it (who holds it is what mappings say)`,
    ],
    [
      "a misspelt top-level element",
      `Version: "2012-10-17"\nStatement: [{ Effect: Allow, Action: s3:GetObject, Resource: "*" }]\nStatment: []`,
      `16:9 error: ${P}: 'Statment' is not a policy element — did you mean 'Statement'? (a policy has Version, Id and Statement)`,
    ],
  ])("%s", (_name, policy, expected) => {
    expect(lines(classic(policy))).toEqual([expected]);
  });
});

describe("condition keys against the reference (warnings)", () => {
  const withCondition = (action: string, condition: string) => one(`Effect: Allow\nAction: ${action}\nResource: "*"\nCondition: { StringEquals: { ${condition}: x } }`);

  it("an unknown key, with the key it may mean", () => {
    expect(lines(classic(withCondition("s3:ListBucket", "s3:prefx")))).toEqual([
      `19:42 warning: ${P} statement 1: condition key 's3:prefx' is not in ${REF}, so no request carries it — did you mean 's3:prefix'?`,
    ]);
  });

  it("a wildcard none of whose actions supports the key; one that some do is fine", () => {
    expect(lines(classic(withCondition("[s3:Get*Acl]", "s3:prefix")))).toEqual([
      expect.stringMatching(new RegExp(`^19:42 warning: ${P} statement 1: action 's3:Get\\*Acl' \\(none of the \\d+ actions it matches\\) does not support condition key 's3:prefix'`)),
    ]);
    expect(lines(classic(withCondition("[s3:List*]", "s3:prefix")))).toEqual([]);
  });

  it("several actions that do not support it, named as the reference spells them", () => {
    expect(lines(classic(withCondition("[s3:getobject, s3:PutObject, s3:ListBucket]", "s3:prefix")))).toEqual([
      `19:42 warning: ${P} statement 1: actions 's3:GetObject' and 's3:PutObject' do not support condition key 's3:prefix' in ${REF}: their requests never carry the key, so the condition cannot work as meant for them — give them a statement of their own`,
    ]);
  });

  it("global keys (aws:*) and NotAction statements are not checked", () => {
    expect(lines(classic(withCondition("s3:GetObject", "aws:SomethingNew")))).toEqual([]);
    expect(lines(classic(one(`Effect: Deny\nNotAction: s3:GetObject\nResource: "*"\nCondition: { StringEquals: { s3:prefix: x } }`)))).toEqual([]);
  });
});

describe("messages never echo what looks like a secret", () => {
  it("a resource or a Sid that looks like a token is described, not quoted", () => {
    const secret = "kR7vQ2mXp9LwZt4BnH8sJc3Yd6FgA1eU";
    const policy = `Version: "2012-10-17"\nStatement:\n  - { Sid: ${secret}, Effect: Allow, Action: s3:GetObject, Resource: ${secret} }\n  - { Sid: ${secret}, Effect: Allow, Action: "s3:${secret}", Resource: "*" }`;
    const found = lines(classic(policy));
    expect(found).toHaveLength(3);
    for (const line of found) expect(line).not.toContain(secret);
    expect(found[0]).toContain("resource <a name that looks like a secret, 32 characters, not shown> is neither");
  });
});

describe("cost", () => {
  it("a configuration without policies reads no service of the reference", async () => {
    vi.resetModules();
    const { validateConfigText: validate } = await import("../../src/config/load-config.js");
    const { servicesRead } = await import("../../src/domain/iam-reference.js");
    validate("a.yaml", classic(`Version: "2012-10-17"\nStatement: []`).replace(/ {4}inlinePolicies:\n.*\n.*\n.*\n/, ""));
    expect(servicesRead()).toBe(0);
    validate("a.yaml", classic(one(`Effect: Allow\nAction: [s3:GetObject, iam:GetRole]\nResource: "*"`)));
    expect(servicesRead()).toBe(2);
  });

  it("hostile policies stay fast: wildcards that would make a regular expression backtrack, long ARNs, thousands of statements", () => {
    const statements = Array.from({ length: 2000 }, (_, i) =>
      `  - { Effect: Allow, Action: ["s3:*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b${i}", "ec2:${"?".repeat(40)}*"], Resource: ["arn:aws:ec2:*:*:${"*a".repeat(500)}${i}", "arn:aws:s3:::${"x*".repeat(900)}"] }`,
    ).join("\n");
    const start = performance.now();
    const found = diagnostics(classic(`Version: "2012-10-17"\nStatement:\n${statements}`));
    expect(performance.now() - start).toBeLessThan(20_000);
    expect(found.some((d) => d.severity === "error")).toBe(true);
  });
});
