import { describe, expect, it } from "vitest";
import { computePlan, PlanError, type PlanInput } from "../../src/plan/compute-plan.js";
import { decodePolicyDocument, normalizePolicy, policyJson } from "../../src/domain/policy-normalize.js";
import type { DesiredResource, LiveResource } from "../../src/domain/plan-types.js";

describe("policy normalization", () => {
  const written = {
    Version: "2012-10-17",
    Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"], Condition: { StringEquals: { "aws:PrincipalTag/team": "data" } } },
  };
  it("treats single values and lists, key order and set order as the same policy", () => {
    const asAwsReturnsIt = encodeURIComponent(
      JSON.stringify({
        Statement: [{ Resource: ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"], Condition: { StringEquals: { "aws:PrincipalTag/team": ["data"] } }, Action: ["s3:GetObject"], Effect: "Allow" }],
        Version: "2012-10-17",
      }),
    );
    expect(normalizePolicy(asAwsReturnsIt)).toEqual(normalizePolicy(written));
  });
  it("decodes URL-encoded documents but leaves a literal % in raw JSON alone", () => {
    expect(decodePolicyDocument('{"a":"100%"}')).toEqual({ a: "100%" });
    expect(decodePolicyDocument("%7B%22a%22%3A1%7D")).toEqual({ a: 1 });
  });
  it("sends one-element lists as plain values, the way people write them", () => {
    expect(JSON.parse(policyJson(normalizePolicy(written))).Statement[0].Action).toBe("s3:GetObject");
    expect(normalizePolicy(JSON.parse(policyJson(normalizePolicy(written))))).toEqual(normalizePolicy(written));
  });
});

const binding = (group: string, role: string): DesiredResource => ({
  address: `authentik.policy_binding[aws/${role}→group:${group}]`,
  type: "authentik.policy_binding",
  system: "authentik",
  title: `${group} → ${role}`,
  props: { group: { $lookup: "group", key: group }, role },
});
const live = (d: DesiredResource, extra: Partial<LiveResource> = {}): LiveResource => ({ ...d, id: `${d.address}-id`, owned: true, ...extra });

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
    ...over,
  };
}

describe("computePlan", () => {
  it("is deterministic: the same input gives the same hash whatever the order of live objects", () => {
    const d = [binding("a", "admin"), binding("b", "readonly")];
    const l = [live(binding("c", "admin")), live(binding("a", "admin"))];
    expect(computePlan(input(d, l)).hash).toBe(computePlan(input([...d].reverse(), [...l].reverse())).hash);
  });

  it("reports gained and lost access from the state before and after", () => {
    const plan = computePlan(input([binding("a", "admin")], [live(binding("b", "admin")), live(binding("a", "admin"))]));
    expect(plan.access).toEqual([{ group: "b", grant: "admin", account: "prod", accountId: "111111111111", change: "lost" }]);
  });

  it("prunes a duplicate, keeping the copy that matches the configuration, without a lost-access row", () => {
    const d = binding("a", "admin");
    const drifted = live(d, { id: "z-first-listed", props: { ...d.props, role: "admin", extra: 1 } });
    const good = live(d, { id: "b-second-listed" });
    for (const order of [[drifted, good], [good, drifted]]) {
      const plan = computePlan(input([d], order));
      expect(plan.changes.map((c) => [c.action, c.address, c.liveId])).toEqual([["delete", `${d.address}#2`, "z-first-listed"]]);
      expect(plan.access).toEqual([]);
    }
  });

  it("refuses to remove every managed grant, but not because of a hand-made one that stays", () => {
    const managed = live(binding("a", "admin"));
    const handMade = live(binding("h", "break-glass"), { owned: false });
    expect(() => computePlan(input([], [managed, handMade]))).toThrow(PlanError);
    expect(() => computePlan(input([], [managed, handMade]))).toThrow(/would remove every access/);
    expect(computePlan(input([], [managed, handMade], { allowDeleteAll: true })).summary.delete).toBe(1);
  });

  it("keeps undeclared owned objects without pruning, and never deletes unowned ones", () => {
    const plan = computePlan(input([binding("a", "admin")], [live(binding("a", "admin")), live(binding("x", "admin")), live(binding("y", "admin"), { owned: false })], { prune: false }));
    expect(plan.changes).toEqual([]);
    expect(plan.notPruned.map((n) => n.address)).toEqual(["authentik.policy_binding[aws/admin→group:x]"]);
  });

  it("stops on an unowned object holding a declared object's identity", () => {
    const role = (path: string): DesiredResource => ({ address: `aws.iam.role[prod:${path}admin]`, type: "aws.iam.role", system: "aws", account: "prod", title: `role ${path}admin`, props: { name: "admin", path } });
    const identityOf = (r: { type: string; props: Record<string, unknown> }) => (r.type === "aws.iam.role" ? `role:${String(r.props.name).toLowerCase()}` : undefined);
    expect(() => computePlan(input([role("/authentik/")], [live(role("/"), { owned: false, ownership: "no tag" })], { identityOf }))).toThrow(/already exists and is not managed by authentik-aws-gitops \(no tag\)/);
  });
});
