// options.revokeSessions (issue 21, item 2): who loses a role, person by person, gets their
// live sessions in it ended by a policy the tool owns on the role; entries stay until the
// longest session has run out, and then go as an expired removal. Pure: computePlan.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import type { ResolvedConfig } from "../../src/config/model.js";
import { desiredClassicIam } from "../../src/desired/classic-iam.js";
import { computePlan } from "../../src/plan/compute-plan.js";
import type { LiveResource, Plan } from "../../src/domain/plan-types.js";
import { authentikRelease } from "../../src/domain/releases.js";
import { AT_APPLY, readRevocationPolicy, revocationInstant, revocationPolicy } from "../../src/domain/session-revocation.js";
import { roleSessionNameOf } from "../../src/domain/expressions.js";
import { notExpiredRemovals } from "../../src/plan/expired-only.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";

const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "classic-iam.yaml"), "utf8");
const ctx = { authentikUrl: "https://authentik.company", api: authentikRelease("2026.8.1", "test") };
const plain = { bold: (t: string) => t, dim: (t: string) => t, red: (t: string) => t, green: (t: string) => t, yellow: (t: string) => t, cyan: (t: string) => t };
const NOW = new Date("2026-12-06T08:00:00.250Z");
const REVOCATION = "aws.iam.session_revocation[prod:/authentik/admin]";

function config(text: string): ResolvedConfig {
  const result = validateConfigText("aws-access.yaml", text, {});
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.config!;
}
const revoking = example.replace("options:\n  prune: true", "options:\n  prune: true\n  revokeSessions: true");
/** admin no longer for aws-admins in prod: only dev. */
const adminOnlyInDev = (text: string) => text.replace("  - group: aws-admins\n    roles: [admin]", "  - group: aws-admins\n    roles: [admin]\n    accounts: [dev]");

const live = (c: ResolvedConfig, extra: LiveResource[] = []): LiveResource[] => [
  ...desiredClassicIam(c, ctx).map(({ grantedBy: _g, ...r }) => ({ ...r, id: `id-${r.address}`, owned: true })),
  ...extra,
];
const members = { "aws-admins": ["alice", "bob"], engineers: ["carol", "bob"], "data-eng": ["dan"] };
const sessionNames = { alice: "alice@example.com", bob: "bob@example.com", carol: "carol@example.com" };

function plan(c: ResolvedConfig, before: LiveResource[], options: { revoke?: boolean; now?: Date } = {}): Plan {
  return computePlan({
    mode: c.mode,
    configFile: c.file,
    tool: { name: "t", version: "0" },
    desired: desiredClassicIam(c, ctx),
    live: before,
    prune: true,
    allowDeleteAll: false,
    accountIds: { prod: "111111111111", dev: "222222222222" },
    members,
    people: "names",
    ...(options.revoke === false ? {} : { revokeSessions: { members, sessionNames, now: options.now ?? NOW } }),
  });
}

/** The live revocation policy on prod's admin role, as the IAM reader reads it back. */
function liveRevocation(sessions: Record<string, string>): LiveResource {
  return {
    address: REVOCATION,
    type: "aws.iam.session_revocation",
    system: "aws",
    account: "prod",
    title: "sessions ended on IAM role /authentik/admin in prod",
    id: "admin",
    owned: true,
    props: { role: { $ref: "aws.iam.role[prod:/authentik/admin]" }, role_name: "admin", sessions },
  };
}

describe("a plan that takes a role away from people, with options.revokeSessions", () => {
  it("ends the live sessions of each person who loses it — and of nobody who keeps it another way", () => {
    const p = plan(config(adminOnlyInDev(revoking)), live(config(revoking)));
    expect(p.sessionsEnded).toEqual([
      { person: "alice", session: "alice@example.com", grant: "admin", account: "prod", accountId: "111111111111" },
      { person: "bob", session: "bob@example.com", grant: "admin", account: "prod", accountId: "111111111111" },
    ]);
    const change = p.changes.find((c) => c.address === REVOCATION)!;
    expect(change).toMatchObject({ action: "create", after: { role_name: "admin", sessions: { "alice@example.com": AT_APPLY, "bob@example.com": AT_APPLY } } });
    // Written before the binding that takes the access away goes (a failed write leaves the access, and the next plan shows both again), never before the role exists.
    const removal = p.changes.find((c) => c.action === "delete" && c.address.startsWith("authentik.policy_binding"))!;
    expect(removal.dependsOn).toContain(REVOCATION);
    expect(change.dependsOn).toEqual(["aws.iam.role[prod:/authentik/admin]"]);
    expect(change.expired).toBeUndefined();
    expect(renderPlanText(p, plain as never)).toContain('x the live sessions of "alice", "bob" as role "admin" in prod (111111111111) will be ended (options.revokeSessions)');
    expect(renderPlanMarkdown(p, {})).toContain("The live sessions of `alice`, `bob` as role `admin` in prod (111111111111) will be ended (`options.revokeSessions`).");
  });

  it("leaves a person who keeps the role through another group alone", () => {
    // bob is in engineers too: give engineers admin in prod, and only alice loses it.
    const text = adminOnlyInDev(revoking).replace("  - group: engineers\n    roles: [readonly]", "  - group: engineers\n    roles: [readonly]\n  - group: engineers\n    roles: [admin]\n    accounts: [prod]");
    const p = plan(config(text), live(config(revoking)));
    expect(p.sessionsEnded?.map((e) => e.person)).toEqual(["alice"]);
  });

  it("without the option, says and writes nothing about sessions", () => {
    const p = plan(config(adminOnlyInDev(example)), live(config(example)), { revoke: false });
    expect(p.sessionsEnded).toBeUndefined();
    expect(p.changes.some((c) => c.type === "aws.iam.session_revocation")).toBe(false);
  });

  it("needs nothing for a role the plan deletes (a deleted role allows no session anything)", () => {
    const text = revoking.replace("    accounts: [prod, dev]\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]", "    accounts: [dev]\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]");
    expect(text).not.toBe(revoking);
    const p = plan(config(text), live(config(revoking)));
    expect(p.changes.some((c) => c.address === "aws.iam.role[prod:/authentik/admin]" && c.action === "delete")).toBe(true);
    expect(p.sessionsEnded).toBeUndefined();
  });

  it("warns when a person has no session name to deny (no email)", () => {
    const c = config(adminOnlyInDev(revoking));
    const p = computePlan({
      mode: c.mode, configFile: c.file, tool: { name: "t", version: "0" }, desired: desiredClassicIam(c, ctx), live: live(config(revoking)), prune: true, allowDeleteAll: false,
      revokeSessions: { members, sessionNames: { alice: "alice@example.com" }, now: NOW },
    });
    expect(p.sessionsEnded?.map((e) => e.person)).toEqual(["alice"]);
    expect(p.warnings.join("\n")).toContain("the live sessions of bob cannot be ended");
  });
});

describe("what the plan cannot name, or must not", () => {
  it("a removal only because a mapping expired: the revocation is an expired removal too, so mode: expire applies both", async () => {
    const { planExpiry, splitExpired } = await import("../../src/desired/expiry.js");
    const text = revoking.replace("  - group: aws-admins\n    roles: [admin]", "  - group: aws-admins\n    roles: [admin]\n    accounts: [dev]\n  - group: aws-admins\n    roles: [admin]\n    accounts: [prod]\n    expires: 2026-12-01");
    const c2 = config(text);
    const split = splitExpired(desiredClassicIam(c2, ctx), c2.mappings, NOW);
    const p = computePlan({
      mode: c2.mode, configFile: c2.file, tool: { name: "t", version: "0" }, desired: split.desired, live: live(config(revoking)), prune: true, allowDeleteAll: false,
      members, people: "names", expiry: planExpiry(c2, split, NOW),
      revokeSessions: { members, sessionNames, now: NOW },
    });
    expect(p.sessionsEnded?.map((e) => e.person)).toEqual(["alice", "bob"]);
    expect(p.changes.find((x) => x.address === REVOCATION)?.expired).toMatchObject({ value: "2026-12-01" });
    expect(notExpiredRemovals(p)).toEqual([]);
  });

  it("naming each session does not fit in IAM's 10,240 characters: every session of the role ends, and the plan says so", () => {
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`person-${i}`, `person-${i}@example.com`]));
    const c2 = config(adminOnlyInDev(revoking));
    const p = computePlan({
      mode: c2.mode, configFile: c2.file, tool: { name: "t", version: "0" }, desired: desiredClassicIam(c2, ctx), live: live(config(revoking)), prune: true, allowDeleteAll: false,
      revokeSessions: { members: { ...members, "aws-admins": Object.keys(many) }, sessionNames: many, now: NOW },
    });
    expect(p.changes.find((x) => x.address === REVOCATION)?.after).toMatchObject({ sessions: { "*": AT_APPLY } });
    expect(p.warnings.join("\n")).toContain("every session of the role issued before the apply ends instead");
    expect(p.sessionsEnded).toHaveLength(300);
  });

  it("with review.people count or off, names nobody", () => {
    const c2 = config(adminOnlyInDev(revoking));
    const p = computePlan({
      mode: c2.mode, configFile: c2.file, tool: { name: "t", version: "0" }, desired: desiredClassicIam(c2, ctx), live: live(config(revoking)), prune: true, allowDeleteAll: false,
      revokeSessions: { members, sessionNames, now: NOW, showNames: false },
    });
    expect(p.sessionsEnded).toEqual([
      { grant: "admin", account: "prod", accountId: "111111111111" },
      { grant: "admin", account: "prod", accountId: "111111111111" },
    ]);
    expect(renderPlanText(p, plain as never)).toContain('x the live sessions of 2 people as role "admin" in prod');
    // The line names nobody; the change itself carries the session names AWS needs (docs/safety.md says so).
    expect(renderPlanMarkdown(p, {})).toContain("The live sessions of 2 people as role `admin` in prod");
  });

  it("warns when someone who keeps the role signs in under the same session name", () => {
    const c2 = config(adminOnlyInDev(revoking).replace("  - group: engineers\n    roles: [readonly]", "  - group: engineers\n    roles: [readonly]\n  - group: engineers\n    roles: [admin]\n    accounts: [prod]"));
    const p = computePlan({
      mode: c2.mode, configFile: c2.file, tool: { name: "t", version: "0" }, desired: desiredClassicIam(c2, ctx), live: live(config(revoking)), prune: true, allowDeleteAll: false,
      revokeSessions: { members: { "aws-admins": ["alice"], engineers: ["carol"], "data-eng": [] }, sessionNames: { alice: "shared@example.com", carol: "shared@example.com" }, now: NOW },
    });
    expect(p.warnings.join("\n")).toContain("alice and carol (shared@example.com)");
  });

  it("warns when the live policy holds statements the tool did not write, and writes it again", () => {
    const c2 = config(revoking);
    const p = plan(c2, live(c2, [{ ...liveRevocation({ "bob@example.com": "2026-12-06T07:00:00Z" }), props: { role: { $ref: "aws.iam.role[prod:/authentik/admin]" }, role_name: "admin", sessions: { "bob@example.com": "2026-12-06T07:00:00Z" }, unreadable: 1 } }]));
    expect(p.warnings.join("\n")).toContain("1 statement(s) of the policy authentik-aws-gitops-ended-sessions were not written by authentik-aws-gitops");
    expect(p.changes.find((x) => x.address === REVOCATION)).toMatchObject({ action: "update" });
  });
});

describe("entries already written", () => {
  const c = config(revoking);
  // admin's longest session is 4h.
  const issuedBefore = "2026-12-06T06:00:00Z";

  it("stay while a session they name may still be live, and the next plan is clean", () => {
    const p = plan(c, live(c, [liveRevocation({ "bob@example.com": issuedBefore })]));
    expect(p.changes).toEqual([]);
  });

  it("stay even when the option is turned off: that must not give ended sessions back", () => {
    const c0 = config(example);
    const p = computePlan({
      mode: c0.mode, configFile: c0.file, tool: { name: "t", version: "0" }, desired: desiredClassicIam(c0, ctx), live: live(c0, [liveRevocation({ "bob@example.com": issuedBefore })]), prune: true, allowDeleteAll: false,
      // The engine's clock, as every run has it: before the run-out, so nothing may go.
      expiry: { now: NOW, warningDays: 14, expired: new Map(), expiring: new Map() },
    });
    expect(p.changes).toEqual([]);
  });

  it("stay on a role kept live when pruning is off, though the configuration no longer declares it", () => {
    const text = revoking.replace("options:\n  prune: true", "options:\n  prune: false").replace("    accounts: [prod, dev]\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]", "    accounts: [dev]\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]");
    const c2 = config(text);
    const p = computePlan({
      mode: c2.mode, configFile: c2.file, tool: { name: "t", version: "0" }, desired: desiredClassicIam(c2, ctx), live: live(c, [liveRevocation({ "bob@example.com": issuedBefore })]), prune: false, allowDeleteAll: false,
      revokeSessions: { members, sessionNames, now: NOW },
    });
    expect(p.changes.filter((x) => x.type === "aws.iam.session_revocation")).toEqual([]);
  });

  it("stay until the longest session AWS allows (12 h) has run out, whatever the role allows now", () => {
    // admin allows 4 h today; a session issued before may have been issued under a longer maximum.
    const p = plan(c, live(c, [liveRevocation({ "bob@example.com": issuedBefore })]), { now: new Date(Date.parse(issuedBefore) + 5 * 3600_000) });
    expect(p.changes).toEqual([]);
  });

  it("go once the longest session has run out, as an expired removal (apply --only-expired applies it)", () => {
    const later = new Date(Date.parse(issuedBefore) + 12 * 3600_000 + 1000);
    const p = plan(c, live(c, [liveRevocation({ "bob@example.com": issuedBefore })]), { now: later });
    expect(p.changes).toHaveLength(1);
    expect(p.changes[0]).toMatchObject({ address: REVOCATION, action: "delete", expired: { value: "2026-12-06T18:00:00Z", field: "options.revokeSessions" } });
    expect(p.changes[0]!.reason).toContain("have all run out");
    expect(notExpiredRemovals(p)).toEqual([]);
  });

  it("drop only what ran out, and keep the rest", () => {
    const later = new Date(Date.parse(issuedBefore) + 12 * 3600_000 + 1000);
    const p = plan(c, live(c, [liveRevocation({ "bob@example.com": issuedBefore, "carol@example.com": "2026-12-06T09:00:00Z" })]), { now: later });
    expect(p.changes).toHaveLength(1);
    expect(p.changes[0]).toMatchObject({ action: "update", after: { sessions: { "carol@example.com": "2026-12-06T09:00:00Z" } }, expired: { field: "options.revokeSessions" } });
  });

  it("are kept beside new ones, and the change that adds is no expired removal", () => {
    const p = plan(config(adminOnlyInDev(revoking)), live(c, [liveRevocation({ "dan@example.com": "2026-12-06T07:00:00Z" })]));
    const change = p.changes.find((x) => x.address === REVOCATION)!;
    expect(change).toMatchObject({ action: "update", after: { sessions: { "alice@example.com": AT_APPLY, "bob@example.com": AT_APPLY, "dan@example.com": "2026-12-06T07:00:00Z" } } });
    expect(change.expired).toBeUndefined();
    expect(change.fields.map((f) => f.field)).toEqual(["sessions.alice@example.com", "sessions.bob@example.com"]);
  });

  it("on a role the plan deletes go first: the role's delete waits for them", () => {
    const text = revoking.replace("    accounts: [prod, dev]\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]", "    accounts: [dev]\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]");
    const p = plan(config(text), live(c, [liveRevocation({ "bob@example.com": "2026-12-06T07:00:00Z" })]));
    const role = p.changes.find((x) => x.address === "aws.iam.role[prod:/authentik/admin]")!;
    expect(p.changes.find((x) => x.address === REVOCATION)).toMatchObject({ action: "delete" });
    expect(role.dependsOn).toContain(REVOCATION);
  });
});

describe("the policy document", () => {
  it("denies the named sessions of the role issued before the instant, and reads back as written", () => {
    const doc = revocationPolicy("AROAEXAMPLE", { "bob@example.com": "2026-12-06T08:05:01Z", "alice@example.com": "2026-12-06T08:05:01Z", "dan@example.com": "2026-12-06T07:00:00Z" });
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "EndSessionsIssuedBefore20261206T070000Z", Effect: "Deny", Action: "*", Resource: "*", Condition: { StringEquals: { "aws:userid": ["AROAEXAMPLE:dan@example.com"] }, DateLessThan: { "aws:TokenIssueTime": "2026-12-06T07:00:00Z" } } },
        {
          Sid: "EndSessionsIssuedBefore20261206T080501Z",
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { StringEquals: { "aws:userid": ["AROAEXAMPLE:alice@example.com", "AROAEXAMPLE:bob@example.com"] }, DateLessThan: { "aws:TokenIssueTime": "2026-12-06T08:05:01Z" } },
        },
      ],
    });
    expect(readRevocationPolicy(doc)).toEqual({ sessions: { "alice@example.com": "2026-12-06T08:05:01Z", "bob@example.com": "2026-12-06T08:05:01Z", "dan@example.com": "2026-12-06T07:00:00Z" }, unreadable: 0 });
  });

  it("reads back what IAM returns: URL-encoded, normalized", async () => {
    const { normalizePolicy } = await import("../../src/domain/policy-normalize.js");
    const doc = revocationPolicy("AROAEXAMPLE", { "bob@example.com": "2026-12-06T08:05:01Z" });
    expect(readRevocationPolicy(normalizePolicy(encodeURIComponent(JSON.stringify(doc))))).toEqual({ sessions: { "bob@example.com": "2026-12-06T08:05:01Z" }, unreadable: 0 });
  });

  it("counts statements of another shape instead of guessing at them", () => {
    expect(readRevocationPolicy({ Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*", Condition: {} }] })).toEqual({ sessions: {}, unreadable: 1 });
  });

  it("takes the instant past the removal: whole seconds rounded up, plus authentik's 5 minutes and 10 for the rest of the apply", () => {
    expect(revocationInstant(NOW)).toBe("2026-12-06T08:15:01Z");
    expect(revocationInstant(new Date("2026-12-06T08:00:00.000Z"))).toBe("2026-12-06T08:15:00Z");
  });

  it("ends every session of the role when naming each does not fit, and reads that back", () => {
    const doc = revocationPolicy("AROAEXAMPLE", { "*": "2026-12-06T08:15:00Z" });
    expect(doc.Statement).toEqual([{ Sid: "EndSessionsIssuedBefore20261206T081500ZAll", Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-12-06T08:15:00Z" } } }]);
    expect(readRevocationPolicy(doc)).toEqual({ sessions: { "*": "2026-12-06T08:15:00Z" }, unreadable: 0 });
  });

  it("names sessions as authentik's RoleSessionName expression does", () => {
    expect(roleSessionNameOf("bob@example.com")).toBe("bob@example.com");
    expect(roleSessionNameOf("José Ñ+x")).toBe("Jos___+x");
    expect(roleSessionNameOf("a")).toBe("a_");
    expect(roleSessionNameOf("x".repeat(70))).toHaveLength(64);
    expect(roleSessionNameOf("😀b")).toBe("_b");
  });
});
