// The words of risk findings (issue 20, item 6): a grant named after the policy that makes
// it admin-equivalent is not named twice, and "every account" names the accounts, once.
import { describe, expect, it } from "vitest";
import type { ResolvedConfig } from "../../src/config/model.js";
import type { Change, Plan } from "../../src/domain/plan-types.js";
import { assessRisks, DEFAULT_REVIEW } from "../../src/plan/risks.js";

const ACCOUNTS = ["prod", "dev"];
const config = (role: string, organizationalUnits: string[] = []): ResolvedConfig =>
  ({
    mode: "classic-iam",
    aws: { accounts: ACCOUNTS.map((alias) => ({ alias, id: alias })) },
    roles: [{ name: role, accounts: ACCOUNTS }],
    mappings: [{ group: "ops", grants: [role], accounts: "role-default", organizationalUnits }],
    review: { ...DEFAULT_REVIEW, productionAccounts: [] },
  }) as unknown as ResolvedConfig;
const binding = (role: string, account: string): Change => ({
  address: `authentik.policy_binding[aws/${role}@${account}→group:ops]`,
  type: "authentik.policy_binding",
  system: "authentik",
  title: "",
  action: "create",
  reason: "",
  before: null,
  after: { role, account },
  fields: [],
  dependsOn: [],
});
function risksFor(role: string, organizationalUnits: string[] = []) {
  const plan = {
    changes: ACCOUNTS.map((a) => binding(role, a)),
    access: ACCOUNTS.map((account) => ({ group: "ops", grant: role, account, accountId: account, change: "gained", people: { count: 3 } })),
    permissions: [],
  } as unknown as Plan;
  const desired = ACCOUNTS.map((account) => ({
    address: `aws.iam.role[${account}:/authentik/${role}]`,
    type: "aws.iam.role" as const,
    system: "aws" as const,
    account,
    title: "",
    props: { name: role, managed_policies: ["arn:aws:iam::aws:policy/AdministratorAccess"], inline_policies: {} },
  }));
  return assessRisks({
    plan,
    config: config(role, organizationalUnits),
    desired,
    accessOfChange: (c) => ({ group: "ops", grant: String(c.after!.role), account: String(c.after!.account), accountId: String(c.after!.account) }),
  });
}

describe("risk words", () => {
  it("does not name a grant called AdministratorAccess twice", () => {
    const messages = risksFor("AdministratorAccess").filter((r) => r.rule === "admin-equivalent").map((r) => r.message);
    expect(messages).toEqual(["group ops (3 people) gains admin-equivalent AdministratorAccess in dev", "group ops (3 people) gains admin-equivalent AdministratorAccess in prod"]);
    // A grant with another name still says why.
    expect(risksFor("admin").find((r) => r.rule === "admin-equivalent")!.message).toBe("group ops (3 people) gains admin-equivalent admin (AdministratorAccess) in dev");
  });

  it("every-account names the accounts, and an organizational unit adds no second finding", () => {
    const every = risksFor("admin", ["ou-root-all"]).filter((r) => r.rule === "every-account");
    expect(every.map((r) => r.message)).toEqual(["group ops (3 people) gains admin in every account: prod, dev"]);
  });
});
