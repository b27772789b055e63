import { describe, expect, it } from "vitest";
import type { ResolvedConfig } from "../../src/config/model.js";
import { adminEquivalentRow, assessRisks, DEFAULT_REVIEW, highestRisk } from "../../src/plan/risks.js";
import { permissionRow } from "../../src/plan/permissions.js";
import { expandPermissionChanges } from "../../src/plan/action-expansion.js";
import type { Change, Plan } from "../../src/domain/plan-types.js";

const config = (over: Partial<ResolvedConfig["review"]> = {}): ResolvedConfig =>
  ({
    mode: "classic-iam",
    aws: { accounts: [{ alias: "prod", id: "111111111111" }, { alias: "dev", id: "222222222222" }] },
    roles: [{ name: "admin", accounts: ["prod", "dev"] }],
    mappings: [{ group: "ops", grants: ["admin"], accounts: "role-default", organizationalUnits: [] }],
    review: { ...DEFAULT_REVIEW, productionAccounts: ["prod"], ...over },
  }) as unknown as ResolvedConfig;
const binding = (account: string): Change => ({
  address: `authentik.policy_binding[aws/admin@${account}→group:ops]`,
  type: "authentik.policy_binding",
  system: "authentik",
  title: "",
  action: "create",
  reason: "",
  before: null,
  after: { group: "ops", account },
  fields: [],
  dependsOn: [],
});
const plan = (changes: Change[], extra: Partial<Plan> = {}): Plan =>
  ({
    changes,
    access: ["prod", "dev"].map((account) => ({ group: "ops", grant: "admin", account, accountId: account, change: "gained", people: { count: 30 } })),
    permissions: [],
    ...extra,
  }) as unknown as Plan;
const desired = ["prod", "dev"].map((account) => ({
  address: `aws.iam.role[${account}:/authentik/admin]`,
  type: "aws.iam.role" as const,
  system: "aws" as const,
  account,
  title: "",
  props: { name: "admin", managed_policies: ["arn:aws:iam::aws:policy/AdministratorAccess"], inline_policies: {} },
}));
const accessOfChange = (c: Change) => (c.type === "authentik.policy_binding" ? { group: "ops", grant: "admin", account: String(c.after!.account), accountId: String(c.after!.account) } : undefined);

describe("risk rules", () => {
  it("flags admin in production high, every account, a large group; each naming its changes", () => {
    const risks = assessRisks({ plan: plan([binding("prod"), binding("dev")]), config: config(), desired, accessOfChange });
    expect(risks.map((r) => `${r.severity} ${r.rule}`)).toEqual(["high admin-equivalent", "high admin-equivalent", "high production", "medium every-account", "medium large-group", "medium large-group"]);
    expect(risks.find((r) => r.rule === "production")!.addresses).toEqual(["authentik.policy_binding[aws/admin@prod→group:ops]"]);
    expect(highestRisk(risks)).toBe("high");
    expect(highestRisk([])).toBe("none");
  });

  it("can be tuned and switched off, and takes rules of the organisation's own", () => {
    const tuned = config({
      risks: {
        ...DEFAULT_REVIEW.risks,
        adminEquivalent: { enabled: false },
        production: { enabled: true, severity: "low" },
        everyAccount: { enabled: false },
        largeGroup: { enabled: true, threshold: 100 },
        custom: [{ name: "payments", severity: "high", message: "payments account", accounts: ["dev"], policies: [], actions: [] }],
      },
    });
    const risks = assessRisks({ plan: plan([binding("prod"), binding("dev")]), config: tuned, desired, accessOfChange });
    expect(risks.map((r) => `${r.severity} ${r.rule}`)).toEqual(["high payments", "low production"]);
  });

  it("knows admin-equivalent statements", () => {
    expect(adminEquivalentRow({ effect: "Allow", action: "*", resource: "*" })).toBe(true);
    expect(adminEquivalentRow({ effect: "Allow", action: "iam:PassRole", resource: "*" })).toBe(true);
    expect(adminEquivalentRow({ effect: "Allow", action: "iam:PassRole", resource: "arn:aws:iam::1:role/x" })).toBe(false);
    expect(adminEquivalentRow({ effect: "Deny", action: "*", resource: "*" })).toBe(false);
    expect(adminEquivalentRow({ effect: "Allow", action: "s3:*", resource: "*" })).toBe(false);
  });

  it("flags every grant of a role removed while people use it (the role kept)", () => {
    const unbind = { ...binding("prod"), action: "delete" as const, before: { group: "ops", account: "prod" }, after: null };
    const lost = { ...plan([unbind]), access: [{ group: "ops", grant: "admin", account: "prod", accountId: "prod", change: "lost", people: { count: 4 } }] } as unknown as Plan;
    const risks = assessRisks({ plan: lost, config: config(), desired, accessOfChange: (c) => accessOfChange(c.after ? c : { ...c, after: c.before }) });
    expect(risks).toEqual([{ rule: "grant-in-use-removed", severity: "medium", message: "every grant of admin in prod is removed (ops) while 4 people use it", addresses: ["authentik.policy_binding[aws/admin@prod→group:ops]"] }]);
    // Another group still holding it after the plan: no finding.
    const still = [...desired, { ...binding("prod"), type: "authentik.policy_binding" as const, props: { group: "other", account: "prod" } }];
    expect(assessRisks({ plan: lost, config: config(), desired: still as never, accessOfChange: (c) => accessOfChange(c.after ? c : { ...c, after: c.before }) })).toEqual([]);
  });
});

describe("risk rules on what a permission change allows, in actions", () => {
  const roleChange = (account: string, statements: object[]): Change => ({
    address: `aws.iam.role[${account}:/authentik/data]`,
    type: "aws.iam.role",
    system: "aws",
    account,
    title: `IAM role data in ${account}`,
    action: "update",
    reason: "",
    before: { name: "data", managed_policies: [], inline_policies: {} },
    after: { name: "data", managed_policies: [], inline_policies: { access: { Version: "2012-10-17", Statement: statements } } },
    fields: [],
    dependsOn: [],
  });
  const risksOf = (account: string, statements: object[]) => {
    const change = roleChange(account, statements);
    const p = plan([change], { access: [] });
    p.permissions = [permissionRow(change, account, account)!];
    expandPermissionChanges(p, new Map());
    return assessRisks({ plan: p, config: config(), desired: [], accessOfChange });
  };
  const s3All = { Effect: "Allow", Action: "s3:*", Resource: "*" };

  it("s3:* on * is high in a production account, and says what it allows and which statement", () => {
    const risks = risksOf("prod", [s3All]);
    const write = risks.find((r) => r.rule === "write-on-every-resource")!;
    expect(write.severity).toBe("high");
    expect(write.message).toMatch(/^data in prod newly allows \d+ write or permissions-management actions on every resource in production \(s3:\w+, s3:\w+, s3:\w+, …\): inline policy access \{"Effect":"Allow","Action":"s3:\*","Resource":"\*"\}$/);
    expect(highestRisk(risks)).toBe("high");
  });

  it("one finding per rule and grant however many statements trigger it; a statement with a Condition does not raise it", () => {
    const ec2 = { Effect: "Allow", Action: "ec2:*", Resource: "*" };
    const risks = risksOf("dev", [s3All, ec2]);
    const write = risks.filter((r) => r.rule === "write-on-every-resource");
    expect(write).toHaveLength(1);
    expect(write[0]!.message).toMatch(/\(and 1 more statement\)$/);
    // ReadOnlyAccess allows s3express:CreateSession (a Write action) only for read-only sessions:
    // one severity lower, said — never dropped, since a Condition may narrow nothing.
    const conditional = { Effect: "Allow", Action: "s3express:CreateSession", Resource: "*", Condition: { StringEquals: { "s3express:SessionMode": "ReadOnly" } } };
    const lowered = risksOf("dev", [conditional]).filter((r) => r.rule === "write-on-every-resource");
    expect(lowered.map((r) => r.severity)).toEqual(["low"]);
    expect(lowered[0]!.message).toContain("on every resource under a condition");
    const vacuous = { Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } };
    expect(risksOf("prod", [vacuous]).find((r) => r.rule === "write-on-every-resource")?.severity).toBe("medium");
  });

  it("a resource written as a wildcard ARN is every resource too: arn:*, arn:aws:s3:::*, arn:aws:iam::*:role/*", () => {
    for (const resource of ["arn:*", "arn:aws:s3:::*", "arn:aws:s3:*"]) {
      expect(risksOf("dev", [{ Effect: "Allow", Action: "s3:*", Resource: resource }]).find((r) => r.rule === "write-on-every-resource")?.severity, resource).toBe("medium");
    }
    expect(risksOf("dev", [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::logs-*" }]).filter((r) => r.rule === "write-on-every-resource")).toEqual([]);
    // A bucket's objects are not every resource: its first segment names the bucket.
    expect(risksOf("dev", [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::data-lake/*" }]).filter((r) => r.rule === "write-on-every-resource")).toEqual([]);
    const passRole = risksOf("dev", [{ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::*:role/*" }]);
    expect(passRole.find((r) => r.rule === "privilege-escalation")?.severity).toBe("high");
  });

  it("what this tool writes is escalation anywhere: permission set policies, assignments, SAML providers, group memberships", () => {
    for (const action of ["sso:PutInlinePolicyToPermissionSet", "sso:CreateAccountAssignment", "iam:UpdateSAMLProvider", "identitystore:CreateGroupMembership"]) {
      const risks = risksOf("dev", [{ Effect: "Allow", Action: action, Resource: "arn:aws:sso:::instance/ssoins-1234567890abcdef" }]);
      expect(risks.find((r) => r.rule === "privilege-escalation")?.severity, action).toBe("high");
    }
  });

  it("s3:* on * is at least medium in an account that is not production", () => {
    const risks = risksOf("dev", [s3All]);
    expect(risks.find((r) => r.rule === "write-on-every-resource")?.severity).toBe("medium");
    expect(highestRisk(risks)).not.toBe("low");
    // Reading is no such risk.
    expect(risksOf("dev", [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }])).toEqual([]);
  });

  it("iam:PassRole on * is high anywhere, quoting the statement; on one role it is not", () => {
    const passRole = { Effect: "Allow", Action: ["iam:PassRole", "ec2:RunInstances"], Resource: "*" };
    const risks = risksOf("dev", [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }, passRole]);
    const finding = risks.find((r) => r.message.includes("iam:PassRole"))!;
    expect(finding.severity).toBe("high");
    expect(finding.message).toContain(`inline policy access {"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances"],"Resource":"*"}`);
    expect(risksOf("dev", [{ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::222222222222:role/app" }]).filter((r) => r.rule === "privilege-escalation")).toEqual([]);
  });

  it("iam:CreatePolicyVersion, iam:AttachRolePolicy, iam:PutRolePolicy, iam:UpdateAssumeRolePolicy are high on any resource", () => {
    for (const action of ["iam:CreatePolicyVersion", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"]) {
      const risks = risksOf("dev", [{ Effect: "Allow", Action: action, Resource: "arn:aws:iam::222222222222:role/app" }]);
      expect(risks.map((r) => `${r.severity} ${r.rule}`), action).toEqual(["high privilege-escalation"]);
      expect(risks[0]!.message).toContain(action);
      expect(risks[0]!.message).toContain(`{"Effect":"Allow","Action":"${action}"`);
    }
  });
});
