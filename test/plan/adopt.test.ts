import { describe, expect, it } from "vitest";
import { computePlan, PlanError, type PlanInput } from "../../src/plan/compute-plan.js";
import type { DesiredResource, LiveResource } from "../../src/domain/plan-types.js";

const role = (name: string, tags: Record<string, string>): DesiredResource => ({
  address: `aws.iam.role[prod:/${name}]`,
  type: "aws.iam.role",
  system: "aws",
  account: "prod",
  title: `IAM role ${name}`,
  props: { name, tags },
});
const binding = (group: string, grant: string): DesiredResource => ({
  address: `authentik.policy_binding[aws/${grant}@prod→group:${group}]`,
  type: "authentik.policy_binding",
  system: "authentik",
  title: `${group} → ${grant}`,
  props: { group: { $lookup: "group", key: group }, grant },
});
const ours = { "managed-by": "authentik-aws-gitops", "managed-by-config": "aws" };

function input(desired: DesiredResource[], live: LiveResource[], over: Partial<PlanInput> = {}): PlanInput {
  return {
    mode: "classic-iam",
    configFile: "c.yaml",
    tool: { name: "t", version: "0" },
    desired,
    live,
    prune: true,
    allowDeleteAll: false,
    accessOf: (r) => (r.type === "authentik.policy_binding" ? { group: (r.props.group as { key: string }).key, grant: String(r.props.grant), account: "prod", accountId: "111111111111" } : undefined),
    identityOf: () => undefined,
    ...over,
  };
}

describe("adopt: taking over objects made by hand", () => {
  it("an object being adopted is an adopt change, counted, carrying what differs (the tags)", () => {
    const d = role("admin", ours);
    const plan = computePlan(input([d], [{ ...role("admin", {}), id: "admin", owned: true, adopting: "it was made by hand (no managed-by tag)" }]));
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ action: "adopt", address: d.address, liveId: "admin", reason: expect.stringContaining("taken over (adopt: in the configuration): it was made by hand") });
    expect(plan.changes[0]!.fields.map((f) => f.field)).toEqual(["tags.managed-by", "tags.managed-by-config"]);
    expect(plan.summary).toMatchObject({ adopt: 1, create: 0, update: 0 });
  });

  it("is listed even when nothing else differs: never a silent take-over", () => {
    const d = binding("ops", "admin");
    const plan = computePlan(input([d], [{ ...d, id: "b1", owned: true, adopting: "it comes with application 'aws', which this configuration adopts" }]));
    expect(plan.changes.map((c) => [c.action, c.fields.length])).toEqual([["adopt", 0]]);
  });

  it("without adopt, an object made by hand with a declared name stays a plan error", () => {
    const d = role("admin", ours);
    expect(() => computePlan(input([d], [{ ...role("admin", {}), id: "admin", owned: false, ownership: "it lacks the tag managed-by=authentik-aws-gitops" }]))).toThrow(PlanError);
  });

  it("access a hand-made Role mapping grants now (liveAccess) makes the same grant from an entitlement no change", () => {
    const d = binding("ops", "admin");
    const now = [{ group: "ops", grant: "admin", account: "prod", accountId: "111111111111" }];
    expect(computePlan(input([d], [], { liveAccess: now })).access).toEqual([]);
    // Without it, the same plan would read as a gain: the test that the rows matter.
    expect(computePlan(input([d], [])).access).toMatchObject([{ group: "ops", grant: "admin", change: "gained" }]);
    // And a hand-made grant the configuration does not carry over shows as a loss.
    const other = [...now, { group: "sre", grant: "admin", account: "prod", accountId: "111111111111" }];
    expect(computePlan(input([d], [], { liveAccess: other })).access).toMatchObject([{ group: "sre", grant: "admin", change: "lost" }]);
  });

  it("a person whose roles change although no group's do is said (one role from merged group attributes today, both groups' roles after)", () => {
    const d = [binding("admins", "admin"), binding("engineers", "readonly")];
    const now = [
      { group: "admins", grant: "admin", account: "prod", accountId: "111111111111" },
      { group: "engineers", grant: "readonly", account: "prod", accountId: "111111111111" },
    ];
    const members = { admins: ["bob"], engineers: ["alice", "bob"] };
    const today = new Map([
      ["alice", [{ grant: "readonly", account: "prod", accountId: "111111111111" }]],
      ["bob", [{ grant: "readonly", account: "prod", accountId: "111111111111" }]], // "engineers" sorts last: its aws_role wins
    ]);
    const plan = computePlan(input(d, [], { liveAccess: now, personAccess: { now: today, members, names: true } }));
    expect(plan.access).toEqual([]);
    expect(plan.accessCaveats).toEqual([expect.stringContaining("1 person holds different roles after this plan although no group's access changes"), "  bob gains admin in prod (111111111111)"]);
    const counted = computePlan(input(d, [], { liveAccess: now, personAccess: { now: today, members, names: false } }));
    expect(counted.accessCaveats).toHaveLength(1);
    expect(JSON.stringify(counted)).not.toContain("bob");
    // The same people holding the same roles: nothing to say.
    const same = new Map([["alice", [now[1]!]], ["bob", [now[0]!, now[1]!]]]);
    expect(computePlan(input(d, [], { liveAccess: now, personAccess: { now: same, members, names: true } })).accessCaveats).toBeUndefined();
  });
});
