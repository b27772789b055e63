import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import type { ResolvedConfig } from "../../src/config/model.js";
import { desiredClassicIam } from "../../src/desired/classic-iam.js";
import { splitExpired } from "../../src/desired/expiry.js";
import { planExpiry } from "../../src/desired/expiry.js";
import { computePlan, PlanError } from "../../src/plan/compute-plan.js";
import type { DesiredResource, LiveResource, Plan } from "../../src/domain/plan-types.js";
import { authentikRelease } from "../../src/domain/releases.js";

/** A fixed clock: planning is pure, so these tests pin it. */
const NOW = new Date("2026-12-01T12:00:00Z");
const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "classic-iam.yaml"), "utf8");

/** The classic example with these mappings instead of its own. */
function config(mappings: string, extra = ""): ResolvedConfig {
  const text = example.replace(/\nmappings:\n[\s\S]*?\n\noptions:\n {2}prune: true\n/, `\nmappings:\n${mappings}\noptions:\n  prune: false\n${extra}`);
  expect(text).not.toBe(example);
  const result = validateConfigText("aws-access.yaml", text, { now: NOW });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.config!;
}

const ctx = { authentikUrl: "https://authentik.company", api: authentikRelease("2026.8.1", "test") };
/** What an earlier apply left: everything the config asks for if nothing had expired, owned. */
const asLive = (resources: DesiredResource[]): LiveResource[] => resources.map(({ grantedBy: _g, ...r }) => ({ ...r, id: `id-${r.address}`, owned: true }));

function plan(c: ResolvedConfig, live: LiveResource[], over: { prune?: boolean; allowDeleteAll?: boolean; now?: Date } = {}): Plan {
  const now = over.now ?? NOW;
  const split = splitExpired(desiredClassicIam(c, ctx), c.mappings, now);
  return computePlan({
    mode: c.mode,
    configFile: c.file,
    tool: { name: "t", version: "0" },
    desired: split.desired,
    live,
    prune: over.prune ?? c.options.prune,
    allowDeleteAll: over.allowDeleteAll ?? false,
    identityOf: () => undefined,
    accountIds: { prod: "111111111111", dev: "222222222222" },
    expiry: planExpiry(c, split, now),
  });
}

const FULL = `  - group: aws-admins
    roles: [admin]
  - group: engineers
    roles: [readonly]
  - group: data-eng
    roles: [data-engineer]
    expires: EXPIRES
`;

describe("planning with mappings[].expires (a fixed now)", () => {
  it("an expiry still ahead changes nothing, shows on new grants, and lists every expiring grant", () => {
    const c = config(FULL.replace("EXPIRES", "2027-06-30"));
    const fresh = plan(c, []);
    const gained = fresh.access.find((r) => r.group === "data-eng" && r.kind === undefined)!;
    expect(gained).toMatchObject({ change: "gained", grant: "data-engineer", account: "dev", expires: { value: "2027-06-30", endsAt: "2027-07-01T00:00:00.000Z", field: "mappings[2].expires" } });
    expect(fresh.access.find((r) => r.group === "aws-admins" && r.kind === undefined)!.expires).toBeUndefined();
    // The application binding of data-eng ends with its only mapping, too.
    expect(fresh.access.find((r) => r.group === "data-eng" && r.kind === "application")!.expires?.value).toBe("2027-06-30");

    const applied = plan(c, asLive(desiredClassicIam(c, ctx)));
    expect(applied.changes).toEqual([]);
    expect(applied.expiring).toEqual([
      { group: "data-eng", grant: "data-engineer", account: "dev", accountId: "222222222222", expires: expect.objectContaining({ value: "2027-06-30" }), daysLeft: 211 },
    ]);
    expect(applied.warnings).toEqual([]);
  });

  it("warns within review.expiryWarningDays, naming group, grant, accounts, date, time left and the mapping's place", () => {
    const c = config(FULL.replace("EXPIRES", "2026-12-04"));
    const p = plan(c, asLive(desiredClassicIam(c, ctx)));
    expect(p.changes).toEqual([]);
    expect(p.warnings).toEqual([
      expect.stringMatching(
        /^access ends in 3 days: group 'data-eng' loses role 'data-engineer' in dev \(222222222222\) — expires on 2026-12-04 \(mappings\[2\]\.expires, aws-access\.yaml:\d+:14\)/,
      ),
    ]);
    // Outside the window: no warning.
    expect(plan(config(FULL.replace("EXPIRES", "2026-12-20")), asLive(desiredClassicIam(c, ctx))).warnings).toEqual([]);
    const wide = config(FULL.replace("EXPIRES", "2026-12-20"), "review:\n  expiryWarningDays: 30\n");
    expect(plan(wide, asLive(desiredClassicIam(wide, ctx))).warnings).toHaveLength(1);
  });

  it("once past, the grant and the group's application binding are removed with reason expired, even with pruning off", () => {
    const c = config(FULL.replace("EXPIRES", "2026-11-30"));
    const live = asLive(desiredClassicIam(c, ctx));
    const p = plan(c, live, { prune: false });
    expect(p.changes.map((ch) => `${ch.action} ${ch.address}`)).toEqual([
      "delete authentik.policy_binding[aws/data-engineer@dev→group:data-eng]",
      "delete authentik.policy_binding[aws→group:data-eng]",
    ]);
    for (const ch of p.changes) {
      expect(ch.reason).toMatch(/^expired on 2026-11-30 \(mappings\[2\]\.expires, aws-access\.yaml:\d+:14\)$/);
      expect(ch.expired).toEqual({ value: "2026-11-30", endsAt: "2026-12-01T00:00:00.000Z", field: "mappings[2].expires", location: expect.stringMatching(/^aws-access\.yaml:\d+:14$/) });
    }
    expect(p.access).toEqual([
      expect.objectContaining({ group: "data-eng", grant: "data-engineer", account: "dev", change: "lost", reason: "expired", expires: expect.objectContaining({ value: "2026-11-30" }) }),
      expect.objectContaining({ group: "data-eng", kind: "application", change: "lost", reason: "expired" }),
    ]);
    expect(p.notPruned).toEqual([]);
    // The expiry is in the hashed changes: a plan made before it passed does not match.
    const before = plan(c, live, { now: new Date("2026-11-30T23:00:00Z") });
    expect(before.changes).toEqual([]);
    expect(before.hash).not.toBe(p.hash);
  });

  it("a date-time ends at that instant", () => {
    const c = config(FULL.replace("EXPIRES", '"2026-12-01T13:00:00+02:00"'));
    const p = plan(c, asLive(desiredClassicIam(c, ctx)));
    expect(p.changes[0]!.reason).toMatch(/^expired at 2026-12-01T13:00:00\+02:00 /);
    expect(plan(c, asLive(desiredClassicIam(c, ctx)), { now: new Date("2026-12-01T10:59:59Z") }).changes).toEqual([]);
  });

  it("keeps a grant another mapping still gives, and the application binding of a group with a mapping in force", () => {
    const c = config(`  - group: aws-admins
    roles: [admin]
  - group: data-eng
    roles: [readonly, data-engineer]
    accounts: [dev]
    expires: 2026-11-30
  - group: data-eng
    roles: [readonly]
    accounts: [dev]
    expires: 2027-03-31
`);
    const p = plan(c, asLive(desiredClassicIam(c, ctx)));
    expect(p.changes.map((ch) => `${ch.action} ${ch.address}`)).toEqual(["delete authentik.policy_binding[aws/data-engineer@dev→group:data-eng]"]);
    // readonly in dev lasts until the later mapping ends.
    expect(p.expiring!.map((r) => `${r.group} ${r.grant}@${r.account} ${r.expires.value}`)).toEqual(["data-eng readonly@dev 2027-03-31"]);
  });

  it("removes copies (…#2) of an expired binding too", () => {
    const c = config(FULL.replace("EXPIRES", "2026-11-30"));
    const live = asLive(desiredClassicIam(c, ctx));
    const binding = live.find((r) => r.address === "authentik.policy_binding[aws/data-engineer@dev→group:data-eng]")!;
    const p = plan(c, [...live, { ...binding, id: "zz-copy" }], { prune: false });
    expect(p.changes.filter((ch) => ch.address.startsWith("authentik.policy_binding[aws/data-engineer")).map((ch) => [ch.address, ch.liveId, ch.expired?.value])).toEqual([
      ["authentik.policy_binding[aws/data-engineer@dev→group:data-eng]", `id-${binding.address}`, "2026-11-30"],
      ["authentik.policy_binding[aws/data-engineer@dev→group:data-eng]#2", "zz-copy", "2026-11-30"],
    ]);
    expect(p.access.filter((r) => r.kind === undefined)).toHaveLength(1);
  });

  it("removing the last grant because it expired is not refused as 'delete every access'; emptying the config still is", () => {
    const c = config(`  - group: data-eng
    roles: [data-engineer]
    expires: 2026-11-30
`);
    const live = asLive(desiredClassicIam(c, ctx));
    const p = plan(c, live);
    expect(p.access.filter((r) => r.kind === undefined)).toEqual([expect.objectContaining({ change: "lost", reason: "expired" })]);
    // The same live state, with the mapping deleted from the file instead: refused.
    expect(() => plan(config("  []\n"), live, { prune: true })).toThrow(PlanError);
    expect(() => plan(config("  []\n"), live, { prune: true, allowDeleteAll: true })).not.toThrow();
  });

  it("one expired grant does not let an emptied configuration through the guard (found in review: it did)", () => {
    const everything = asLive(desiredClassicIam(config(FULL.replace("EXPIRES", "2027-06-30")), ctx));
    const cut = config(`  - group: data-eng
    roles: [data-engineer]
    expires: 2026-11-30
`);
    expect(() => plan(cut, everything, { prune: true })).toThrow(PlanError);
  });

  it("the plan hash does not depend on how -c spelled the configuration's path", () => {
    const text = (file: string) => validateConfigText(file, example.replace(/\nmappings:\n[\s\S]*?\n\noptions:\n {2}prune: true\n/, `\nmappings:\n${FULL.replace("EXPIRES", "2026-11-30")}\noptions:\n  prune: false\n`), { now: NOW }).config!;
    const a = text("aws-access.yaml");
    const b = text("./aws-access.yaml");
    const live = asLive(desiredClassicIam(config(FULL.replace("EXPIRES", "2027-06-30")), ctx));
    expect(plan(a, live).changes.some((c) => c.expired)).toBe(true);
    expect(plan(b, live).hash).toBe(plan(a, live).hash);
  });
});
