// Access lifetime is part of the plan (issue 20, item 1): an expiry added, moved or removed
// is a change (counted, hashed), with before → after; and a re-plan after apply is clean.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import type { ResolvedConfig } from "../../src/config/model.js";
import { desiredClassicIam } from "../../src/desired/classic-iam.js";
import { desiredIdentityCenter } from "../../src/desired/identity-center.js";
import { planExpiry, recordLifetimes, splitExpired } from "../../src/desired/expiry.js";
import { computePlan } from "../../src/plan/compute-plan.js";
import type { DesiredResource, LiveResource, Plan } from "../../src/domain/plan-types.js";
import { authentikRelease } from "../../src/domain/releases.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "classic-iam.yaml"), "utf8");
const ctx = { authentikUrl: "https://authentik.company", api: authentikRelease("2026.8.1", "test") };

function config(expires?: string): ResolvedConfig {
  const text = example.replace("    accounts: [dev]\n\noptions:", `    accounts: [dev]\n${expires ? `    expires: ${expires}\n` : ""}\noptions:`);
  const result = validateConfigText("aws-access.yaml", text, { now: NOW });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.config!;
}

function desired(c: ResolvedConfig, now = NOW) {
  const split = splitExpired(desiredClassicIam(c, ctx), c.mappings, now);
  return { split, desired: recordLifetimes(split.desired, split.expiring) };
}

/** What applying `c` leaves live. */
const appliedLive = (c: ResolvedConfig): LiveResource[] => desired(c).desired.map(({ grantedBy: _g, ...r }) => ({ ...r, id: `id-${r.address}`, owned: true }));

function plan(c: ResolvedConfig, live: LiveResource[], now = NOW): Plan {
  const { split, desired: d } = desired(c, now);
  return computePlan({
    mode: c.mode,
    configFile: c.file,
    tool: { name: "t", version: "0" },
    desired: d as DesiredResource[],
    live,
    prune: true,
    allowDeleteAll: false,
    identityOf: () => undefined,
    accountIds: { prod: "111111111111", dev: "222222222222" },
    expiry: planExpiry(c, split, now),
  });
}

describe("a grant's expiry added, moved or removed is a plan change", () => {
  it("added: one update, in the hash, 'now expires on …, was permanent'; the re-plan after apply is clean", () => {
    const before = appliedLive(config());
    const p = plan(config("2027-01-31"), before);
    expect(p.changes.length).toBeGreaterThan(0);
    expect(p.summary.update).toBe(2); // data-eng's readonly@dev and data-engineer@dev entitlements
    expect(p.hash).not.toBe(plan(config(), before).hash);
    expect(p.access).toEqual([]);
    expect(p.lifetimes?.map((r) => [r.group, r.grant, r.account, r.before, r.after])).toEqual([
      ["data-eng", "data-engineer", "dev", null, "2027-01-31"],
      ["data-eng", "readonly", "dev", null, "2027-01-31"],
    ]);
    const md = renderPlanMarkdown(p, {});
    expect(md).not.toContain("No changes");
    expect(md).toContain("#### Access that expires");
    expect(md).toContain("now expires on 2027-01-31, was permanent");
    expect(md).toMatch(/\| `data-eng` \| `data-engineer` \| dev \(`222222222222`\) \| permanent → `2027-01-31`/);
    // Applied: live records the end, and nothing is left to do.
    expect(plan(config("2027-01-31"), appliedLive(config("2027-01-31"))).changes).toEqual([]);
  });

  it("moved: before → after", () => {
    const p = plan(config("2027-03-31"), appliedLive(config("2027-01-31")));
    expect(p.lifetimes?.map((r) => [r.grant, r.before, r.after])).toEqual([
      ["data-engineer", "2027-01-31", "2027-03-31"],
      ["readonly", "2027-01-31", "2027-03-31"],
    ]);
    expect(renderPlanMarkdown(p, {})).toContain("now expires on 2027-03-31, was on 2027-01-31");
  });

  it("removed: 'made permanent', a change with its own hash", () => {
    const live = appliedLive(config("2027-01-31"));
    const p = plan(config(), live);
    expect(p.summary.update).toBe(2);
    expect(p.lifetimes?.every((r) => r.before === "2027-01-31" && r.after === null)).toBe(true);
    expect(renderPlanMarkdown(p, {})).toContain("made permanent, was expiring on 2027-01-31");
  });

  it("expired: the record goes with the binding, and the update counts as part of the expired removal", () => {
    const live = appliedLive(config("2027-01-31"));
    const p = plan(config("2027-01-31"), live, new Date("2027-02-02T00:00:00Z"));
    expect(p.lifetimes).toBeUndefined();
    const updates = p.changes.filter((c) => c.action === "update");
    expect(updates.map((c) => c.address).sort()).toEqual(["authentik.entitlement[aws/data-engineer@dev]", "authentik.entitlement[aws/readonly@dev]"]);
    expect(p.changes.every((c) => c.expired)).toBe(true);
  });
});

// identity-center: an account assignment has nowhere to hold its end, so the tool keeps one
// entitlement of its own on the application, bound to no group (it grants nothing), whose
// attributes.access_expires records every expiring assignment's end.
describe("identity-center: a grant's expiry added, moved or removed is a plan change", () => {
  const icExample = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "identity-center.yaml"), "utf8");
  const icCtx = {
    authentikUrl: "https://authentik.company",
    api: authentikRelease("2026.8.1", "test"),
    sp: { entityId: "https://us-east-1.signin.aws.amazon.com/platform/saml/d-1234567890", acsUrl: "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/abc" },
    ouAccounts: new Map([["sandboxes", [{ id: "333333333333", label: "sandbox-1" }]]]),
    scimToken: "t",
  };
  const RECORD = "authentik.entitlement[aws-identity-center/aws-gitops access lifetimes]";

  function icConfig(expires?: string, prune = true): ResolvedConfig {
    let text = icExample.replace("    permissionSets: [DataEngineer]\n    accounts: [dev]\n", `    permissionSets: [DataEngineer]\n    accounts: [dev]\n${expires ? `    expires: ${expires}\n` : ""}`);
    if (!prune) text = text.replace("  prune: true ", "  prune: false ");
    const result = validateConfigText("aws-access.yaml", text, { now: NOW });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return result.config!;
  }
  function icDesired(c: ResolvedConfig, now = NOW) {
    const split = splitExpired(desiredIdentityCenter(c, icCtx), c.mappings, now);
    return { split, desired: recordLifetimes(split.desired, split.expiring) };
  }
  const icApplied = (c: ResolvedConfig): LiveResource[] => icDesired(c).desired.map(({ grantedBy: _g, dependsOn: _d, ...r }) => ({ ...r, id: `id-${r.address}`, owned: true }));
  function icPlan(c: ResolvedConfig, live: LiveResource[], now = NOW): Plan {
    const { split, desired: d } = icDesired(c, now);
    return computePlan({
      mode: c.mode,
      configFile: c.file,
      tool: { name: "t", version: "0" },
      desired: d as DesiredResource[],
      live,
      prune: c.options.prune,
      allowDeleteAll: false,
      identityOf: () => undefined,
      expiry: planExpiry(c, split, now),
    });
  }

  it("added: the tool's lifetime record is created (counted, hashed), 'now expires on …, was permanent'; the re-plan after apply is clean", () => {
    const before = icApplied(icConfig());
    const p = icPlan(icConfig("2027-01-31"), before);
    expect(p.summary).toMatchObject({ create: 1, update: 0, delete: 0 });
    expect(p.changes.map((c) => [c.action, c.address])).toEqual([["create", RECORD]]);
    expect(p.hash).not.toBe(icPlan(icConfig(), before).hash);
    expect(p.access).toEqual([]);
    expect(p.lifetimes?.map((r) => [r.group, r.grant, r.account, r.accountId, r.before, r.after, r.field])).toEqual([
      ["data-eng", "DataEngineer", "dev", "222222222222", null, "2027-01-31", "mappings[2].expires"],
    ]);
    // It grants nothing: bound to no group, marked as the tool's, and says so.
    const attributes = p.changes[0]!.after!.attributes as Record<string, unknown>;
    expect(attributes).toMatchObject({ managed_by: "authentik-aws-gitops", access_expires: { "data-eng→DataEngineer@222222222222": "2027-01-31" } });
    expect(String(attributes.purpose)).toContain("grants nothing");
    const md = renderPlanMarkdown(p, {});
    expect(md).not.toContain("No changes");
    expect(md).toContain("| Group | Permission set | Account | Before → after | Where |");
    expect(md).toContain("| `data-eng` | `DataEngineer` | dev (`222222222222`) | permanent → `2027-01-31`<br>now expires on 2027-01-31, was permanent | `mappings[2].expires` |");
    expect(icPlan(icConfig("2027-01-31"), icApplied(icConfig("2027-01-31"))).changes).toEqual([]);
  });

  it("moved: an update of the record, before → after", () => {
    const p = icPlan(icConfig("2027-03-31"), icApplied(icConfig("2027-01-31")));
    expect(p.changes.map((c) => [c.action, c.address])).toEqual([["update", RECORD]]);
    expect(p.lifetimes?.map((r) => [r.grant, r.before, r.after])).toEqual([["DataEngineer", "2027-01-31", "2027-03-31"]]);
    expect(renderPlanMarkdown(p, {})).toContain("now expires on 2027-03-31, was on 2027-01-31");
  });

  it("removed: the record goes (even with pruning off) and the grant reads 'made permanent'", () => {
    for (const prune of [true, false]) {
      const p = icPlan(icConfig(undefined, prune), icApplied(icConfig("2027-01-31", prune)));
      expect(p.changes.map((c) => [c.action, c.address])).toEqual([["delete", RECORD]]);
      expect(p.notPruned).toEqual([]);
      expect(p.lifetimes?.map((r) => [r.group, r.grant, r.before, r.after])).toEqual([["data-eng", "DataEngineer", "2027-01-31", null]]);
      const md = renderPlanMarkdown(p, {});
      expect(md).toContain("made permanent, was expiring on 2027-01-31");
      // The record grants nothing: its delete is listed under Changes, not warned about.
      expect(md).not.toContain("[!WARNING]");
      expect(md).toContain("#### Changes (1)");
    }
  });

  it("a grant added with an end is a gain (its access row says when it ends), not a lifetime change", () => {
    const live = icApplied(icConfig()).filter((r) => !r.address.includes("data-eng→DataEngineer"));
    const p = icPlan(icConfig("2027-01-31"), live);
    expect(p.lifetimes).toBeUndefined();
    expect(p.access.map((r) => [r.change, r.group, r.grant])).toEqual([["gained", "data-eng", "DataEngineer"]]);
  });

  it("an entitlement of that name made by hand is never taken for the record, and a group bound to the record gets nothing", () => {
    const applied = icApplied(icConfig("2027-01-31"));
    const handMade = applied.map((r) => (r.address === RECORD ? { ...r, owned: false, ownership: "it has no attribute managed_by: authentik-aws-gitops", props: { ...r.props, attributes: { note: "mine" } } } : r));
    expect(() => icPlan(icConfig("2027-01-31"), handMade)).toThrow(/exists but is not managed by authentik-aws-gitops/);
    const bound: LiveResource = {
      address: "authentik.policy_binding[aws-identity-center/aws-gitops access lifetimes→group:engineers]",
      type: "authentik.policy_binding",
      system: "authentik",
      title: "x",
      id: "b1",
      owned: true,
      props: { target: { $ref: RECORD }, group: { $lookup: "group", key: "engineers" }, order: 0, enabled: true, negate: false, timeout: 30, failure_result: false },
    };
    const p = icPlan(icConfig("2027-01-31"), [...applied, bound]);
    expect(p.changes.map((c) => [c.action, c.address])).toEqual([["delete", bound.address]]);
    expect(p.access).toEqual([]);
  });

  it("expired: the record goes with the assignment, and its delete is part of the expired removal", () => {
    const live = icApplied(icConfig("2027-01-31"));
    const p = icPlan(icConfig("2027-01-31"), live, new Date("2027-02-02T00:00:00Z"));
    expect(p.lifetimes).toBeUndefined();
    expect(p.changes.map((c) => c.address)).toContain(RECORD);
    expect(p.changes.every((c) => c.expired)).toBe(true);
  });
});
