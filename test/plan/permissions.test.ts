import { describe, expect, it } from "vitest";
import { computePlan, type PlanInput } from "../../src/plan/compute-plan.js";
import type { DesiredResource, LiveResource } from "../../src/domain/plan-types.js";

const role = (props: Record<string, unknown>): DesiredResource => ({
  address: "aws.iam.role[prod:/authentik/data-engineer]",
  type: "aws.iam.role",
  system: "aws",
  account: "prod",
  title: "IAM role data-engineer in prod",
  props: { name: "data-engineer", managed_policies: [], inline_policies: {}, permissions_boundary: null, ...props },
});
const binding = (group: string): DesiredResource => ({
  address: `authentik.policy_binding[aws/data-engineer@prod→group:${group}]`,
  type: "authentik.policy_binding",
  system: "authentik",
  title: `${group} → data-engineer`,
  props: { group: { $lookup: "group", key: group }, role: "data-engineer" },
});
const live = (d: DesiredResource): LiveResource => ({ ...d, id: `${d.address}-id`, owned: true });
const get = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/*" }] };
const getPut = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::data/*" }] };

function input(desired: DesiredResource[], liveResources: LiveResource[], over: Partial<PlanInput> = {}): PlanInput {
  return {
    mode: "classic-iam",
    configFile: "c.yaml",
    tool: { name: "t", version: "0" },
    desired,
    live: liveResources,
    prune: true,
    allowDeleteAll: false,
    accessOf: (r) => (r.type === "authentik.policy_binding" ? { group: (r.props.group as { key: string }).key, grant: String(r.props.role), account: "prod", accountId: "111111111111" } : undefined),
    identityOf: () => undefined,
    accountIds: { prod: "111111111111" },
    members: { data: ["ann", "bob"], analysts: ["bob", "cy"] },
    ...over,
  };
}

describe("permission rows", () => {
  it("reports an action added to an inline policy, widened, with everyone who holds the role", () => {
    const plan = computePlan(input([role({ inline_policies: { s3: getPut } }), binding("data"), binding("analysts")], [live(role({ inline_policies: { s3: get } })), live(binding("data")), live(binding("analysts"))]));
    expect(plan.permissions).toEqual([
      {
        grant: "data-engineer",
        account: "prod",
        accountId: "111111111111",
        change: "widened",
        address: "aws.iam.role[prod:/authentik/data-engineer]",
        added: [{ effect: "Allow", action: "s3:PutObject", resource: "arn:aws:s3:::data/*" }],
        removed: [],
        managedPoliciesAdded: [],
        managedPoliciesRemoved: [],
        customerManagedPoliciesAdded: [],
        customerManagedPoliciesRemoved: [],
        people: { count: 3, names: ["ann", "bob", "cy"] },
      },
    ]);
  });

  it("names managed policies attached and detached; a boundary change; count hides names", () => {
    const plan = computePlan(
      input(
        [role({ managed_policies: ["arn:aws:iam::aws:policy/AdministratorAccess"], permissions_boundary: "arn:aws:iam::aws:policy/PowerUserAccess" }), binding("data")],
        [live(role({ managed_policies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] })), live(binding("data"))],
        { people: "count" },
      ),
    );
    const row = plan.permissions![0]!;
    expect(row.managedPoliciesAdded).toEqual(["AdministratorAccess"]);
    expect(row.managedPoliciesRemoved).toEqual(["ReadOnlyAccess"]);
    expect(row.permissionsBoundary).toEqual({ before: null, after: "PowerUserAccess" });
    expect(row.change).toBe("changed");
    expect(row.people).toEqual({ count: 2 });
    expect(JSON.stringify(plan)).not.toMatch(/ann|bob/);
  });

  it("has no row when only the description changes, and lists a new role's policies", () => {
    expect(computePlan(input([role({ description: "new" })], [live(role({ description: "old" }))])).permissions).toEqual([]);
    const created = computePlan(input([role({ inline_policies: { s3: get }, managed_policies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] })], [])).permissions![0]!;
    expect(created).toMatchObject({ new: true, change: "widened", managedPoliciesAdded: ["ReadOnlyAccess"], added: [{ action: "s3:GetObject" }] });
  });

  it("permission sets: customer-managed references and boundary; the accounts it is assigned in; its holders in any account", () => {
    const ps = (props: Record<string, unknown>): DesiredResource => ({
      address: "aws.sso.permission_set[Data]",
      type: "aws.sso.permission_set",
      system: "aws",
      title: "permission set Data",
      props: { name: "Data", managed_policies: [], customer_managed_policies: [], inline_policy: null, permissions_boundary: null, ...props },
    });
    const assignment = (group: string, account: string): DesiredResource => ({
      address: `aws.sso.account_assignment[${group}:Data:${account}]`,
      type: "aws.sso.account_assignment",
      system: "aws",
      account,
      title: "",
      props: { group, account },
    });
    const accessOf: PlanInput["accessOf"] = (r) => (r.type === "aws.sso.account_assignment" ? { group: String(r.props.group), grant: "Data", account: String(r.props.account), accountId: String(r.props.account) } : undefined);
    const plan = computePlan(
      input(
        [ps({ customer_managed_policies: [{ name: "lake-write", path: "/data/" }], permissions_boundary: { customerManagedPolicy: { name: "limit", path: "/" } } }), assignment("data", "dev"), assignment("analysts", "prod")],
        [live(ps({ customer_managed_policies: [{ name: "lake-read", path: "/data/" }] })), live(assignment("data", "dev")), live(assignment("analysts", "prod"))],
        { mode: "identity-center", accessOf },
      ),
    );
    expect(plan.permissions).toEqual([
      expect.objectContaining({
        grant: "Data",
        account: "dev, prod",
        accountId: "",
        change: "changed",
        customerManagedPoliciesAdded: ["/data/lake-write"],
        customerManagedPoliciesRemoved: ["/data/lake-read"],
        permissionsBoundary: { before: null, after: "/limit" },
        people: { count: 3, names: ["ann", "bob", "cy"] },
      }),
    ]);
  });
});
