/**
 * options.revokeSessions (classic-iam): which live sessions a plan ends, as desired
 * aws.iam.session_revocation objects (src/resources/aws-iam-session-revocation.ts). Pure;
 * part of computePlan.
 *
 * Per person, not per group: a person who loses a role through one group but keeps it
 * through another loses nothing, and their sessions stay. A role the plan deletes needs
 * nothing: a role session is evaluated against the role's policies at each request, and a
 * deleted role has none left to allow anything.
 *
 * Entries already written stay until the longest session AWS allows (12 h) has run out
 * after their instant — whether the option is still on or not: turning it off must not
 * give back sessions it ended. Then the plan drops them; such a change is marked like an
 * expired grant, so `apply --only-expired` (the Action's mode: expire) may apply it.
 */
import { byCodePoint } from "../domain/canonical.js";
import { address as addresses } from "../domain/addresses.js";
import type { AccessRow, Change, DesiredResource, Expiry, LiveResource, SessionEnd } from "../domain/plan-types.js";
import { isRef } from "../domain/plan-types.js";
import { AT_APPLY, EVERY_SESSION, LONGEST_SESSION_SECONDS, REVOCATION_POLICY_NAME, revocationPolicySize, ROLE_INLINE_POLICY_CHARS } from "../domain/session-revocation.js";
import { refsIn } from "./field-diff.js";
import type { PlanInput } from "./plan-input.js";

type Row = Omit<AccessRow, "change">;

interface RoleFacts {
  address: string;
  account: string;
  name: string;
  path: string;
  title: string;
  /** Its declared inline policies: IAM counts them with the revocation against one limit. */
  inline: Record<string, unknown>;
}

const REVOCATION = "aws.iam.session_revocation";

function grantKey(grant: string, account: string): string {
  return `${grant}\u0000${account}`;
}

/** Each person's grants (role × account) from access rows and group members. */
function heldByPerson(rows: Iterable<Row>, members: Readonly<Record<string, readonly string[]>>): Map<string, Map<string, Row>> {
  const out = new Map<string, Map<string, Row>>();
  for (const r of rows) {
    if (r.kind === "application") continue;
    for (const person of members[r.group] ?? []) {
      let held = out.get(person);
      if (!held) out.set(person, (held = new Map()));
      held.set(grantKey(r.grant, r.account), r);
    }
  }
  return out;
}

export interface SessionRevocations {
  /** The revocation objects that should exist after the plan. */
  desired: DesiredResource[];
  /** Whose sessions in which role this plan ends (absent entries: none). */
  ended: SessionEnd[];
  warnings: string[];
  /** Revocation address → when the last of the sessions it drops ran out (for markRevocations). */
  runOut: ReadonlyMap<string, string>;
  /** Revocation address → the authentik objects whose change removes the access: they wait for it (written first). */
  removals: ReadonlyMap<string, readonly string[]>;
  /** Revocation address → the expiry that ends all the access it ends now, when only expiries do (mode: expire applies it). */
  expiredBy: ReadonlyMap<string, Expiry>;
}

export function sessionRevocations(
  input: PlanInput,
  access: { nowFromObjects: readonly Row[]; later: ReadonlyMap<string, Row>; access: readonly AccessRow[] },
  desired: ReadonlyMap<string, DesiredResource>,
  liveList: readonly LiveResource[],
  deletes: ReadonlySet<string>,
): SessionRevocations {
  const now = input.revokeSessions?.now ?? input.expiry?.now;
  /** Roles that exist after the plan: declared, or live and kept (pruning off). */
  const roles = new Map<string, RoleFacts>();
  const byAddress = new Map<string, RoleFacts>();
  const addRole = (r: { address: string; type: string; account?: string; title: string; props: unknown }) => {
    if (r.type !== "aws.iam.role" || !r.account || deletes.has(r.address) || byAddress.has(r.address)) return;
    const p = r.props as { name: string; path: string; inline_policies?: Record<string, unknown> };
    const facts = { address: r.address, account: r.account, name: p.name, path: p.path, title: r.title, inline: p.inline_policies ?? {} };
    roles.set(grantKey(p.name, r.account), facts);
    byAddress.set(r.address, facts);
  };
  for (const d of desired.values()) addRole(d);
  for (const l of liveList) if (l.owned) addRole(l);

  // --- what is written already, while a session it names may still be live -------------------
  const sessions = new Map<string, Record<string, string>>();
  const runOut = new Map<string, string>();
  const warnings: string[] = [];
  for (const r of liveList) {
    if (r.type !== REVOCATION || !r.owned || /#\d+$/.test(r.address)) continue;
    const props = r.props as { role?: unknown; sessions?: Record<string, string>; unreadable?: number };
    const role = isRef(props.role) ? props.role.$ref : undefined;
    // The role goes: so does its policy (the role's delete waits for this one's).
    if (!role || !byAddress.has(role)) continue;
    if (props.unreadable) warnings.push(`${r.title}: ${props.unreadable} statement(s) of the policy ${REVOCATION_POLICY_NAME} were not written by authentik-aws-gitops (edited by hand?); the plan writes the policy again without them`);
    // Without a clock nothing has run out.
    const runsOut = (before: string) => (now ? Date.parse(before) + LONGEST_SESSION_SECONDS * 1000 : Number.POSITIVE_INFINITY);
    const entries = Object.entries(props.sessions ?? {});
    const at = now?.getTime() ?? 0;
    const kept = entries.filter(([, before]) => runsOut(before) > at);
    if (kept.length > 0) sessions.set(role, Object.fromEntries(kept));
    const gone = entries.filter(([, before]) => runsOut(before) <= at).map(([, before]) => runsOut(before));
    if (gone.length > 0) runOut.set(r.address, new Date(Math.max(...gone)).toISOString().replace(/\.\d{3}Z$/, "Z"));
  }

  // --- what this plan takes away, person by person -------------------------------------------
  const ended: SessionEnd[] = [];
  const rs = input.revokeSessions;
  const removals = new Map<string, Set<string>>();
  /** Per role: the expiries behind every entry this plan adds, or null once one is not an expiry's. */
  const expiries = new Map<string, Expiry[] | null>();
  /** The authentik objects that give a group's row now (its bindings, and the entitlements they bind): what the removal changes. */
  let sources: Map<string, string[]> | undefined;
  const sourcesOf = (group: string, row: Row): string[] => {
    if (!sources) {
      sources = new Map();
      for (const r of liveList) {
        if (r.system !== "authentik") continue;
        const given = input.accessOf?.(r, "live");
        if (!given) continue;
        const k = `${given.group}\u0000${grantKey(given.grant, given.account)}`;
        sources.set(k, [...(sources.get(k) ?? []), r.address, ...refsIn(r.props)]);
      }
    }
    return sources.get(`${group}\u0000${grantKey(row.grant, row.account)}`) ?? [];
  };
  if (rs) {
    const before = heldByPerson(access.nowFromObjects, rs.members);
    const after = heldByPerson(access.later.values(), rs.members);
    const groupsOf = new Map<string, string[]>();
    for (const [group, people] of Object.entries(rs.members)) for (const p of people) groupsOf.set(p, [...(groupsOf.get(p) ?? []), group]);
    const lost = new Map(access.access.filter((a) => a.change === "lost" && a.kind !== "application").map((a) => [`${a.group}\u0000${grantKey(a.grant, a.account)}`, a]));
    const holdersOfSession = new Map<string, string[]>();
    for (const [person, name] of Object.entries(rs.sessionNames)) holdersOfSession.set(name, [...(holdersOfSession.get(name) ?? []), person]);
    const noSessionName: string[] = [];
    const shared: string[] = [];
    for (const [person, held] of before) {
      for (const [k, row] of held) {
        if (after.get(person)?.has(k)) continue;
        const role = roles.get(k);
        if (!role) continue; // deleted with the plan: nothing left to allow a session
        const session = rs.sessionNames[person];
        if (!session) {
          noSessionName.push(person);
          continue;
        }
        // Another person who signs in under the same session name and keeps the role would lose their sessions too.
        const others = (holdersOfSession.get(session) ?? []).filter((p) => p !== person && after.get(p)?.has(k));
        if (others.length > 0) shared.push(`${person} and ${others.join(", ")} (${session})`);
        const entries = sessions.get(role.address) ?? {};
        entries[session] = AT_APPLY;
        sessions.set(role.address, entries);
        ended.push({ ...(rs.showNames === false ? {} : { person, session }), grant: row.grant, account: row.account, accountId: row.accountId });
        const deps = removals.get(role.address) ?? new Set<string>();
        const why = (groupsOf.get(person) ?? []).map((g) => lost.get(`${g}\u0000${k}`)).filter((a): a is AccessRow => a !== undefined);
        for (const a of why) for (const source of sourcesOf(a.group, row)) deps.add(source);
        removals.set(role.address, deps);
        const known = expiries.get(role.address);
        if (known !== null) expiries.set(role.address, why.length > 0 && why.every((a) => a.reason === "expired" && a.expires) ? [...(known ?? []), ...why.map((a) => a.expires!)] : null);
      }
    }
    if (noSessionName.length > 0) {
      const names = [...new Set(noSessionName)].sort(byCodePoint);
      warnings.push(`options.revokeSessions: the live sessions of ${rs.showNames === false ? `${names.length} ${names.length === 1 ? "person" : "people"}` : names.join(", ")} cannot be ended: authentik sends no session name for them (the attribute authentik.provider.sessionName names is empty)`);
    }
    if (shared.length > 0) {
      warnings.push(`options.revokeSessions: people who keep a role sign in under the same session name as someone who loses it, and lose their sessions of it too: ${rs.showNames === false ? `${shared.length} case(s)` : shared.join("; ")}`);
    }
  }

  const out: DesiredResource[] = [];
  for (const [roleAddress, entries] of sessions) {
    const role = byAddress.get(roleAddress)!;
    let named = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => byCodePoint(a, b)));
    // IAM counts every inline policy of the role against one limit: when naming each session does not fit, every session of the role issued before the apply ends.
    const declared = Object.values(role.inline).reduce<number>((n, doc) => n + JSON.stringify(doc).length, 0);
    if (Object.values(named).includes(AT_APPLY) && declared + revocationPolicySize(named) > ROLE_INLINE_POLICY_CHARS) {
      named = { [EVERY_SESSION]: AT_APPLY };
      warnings.push(
        `options.revokeSessions: naming each session to end does not fit in IAM's ${ROLE_INLINE_POLICY_CHARS} characters of inline policy for ${role.title}; every session of the role issued before the apply ends instead — everyone who keeps it signs in again`,
      );
    }
    out.push({
      address: addresses.sessionRevocation(role.account, role.path, role.name),
      type: REVOCATION,
      system: "aws",
      account: role.account,
      title: `sessions ended on ${role.title}`,
      props: { role: { $ref: roleAddress }, role_name: role.name, sessions: named },
    });
  }
  ended.sort((a, b) => byCodePoint(a.person ?? "", b.person ?? "") || byCodePoint(a.grant, b.grant) || byCodePoint(a.account, b.account));
  const revocationOf = (roleAddress: string) => {
    const role = byAddress.get(roleAddress)!;
    return addresses.sessionRevocation(role.account, role.path, role.name);
  };
  const expiredBy = new Map<string, Expiry>();
  for (const [roleAddress, list] of expiries) {
    if (!list?.length) continue;
    expiredBy.set(revocationOf(roleAddress), list.reduce((a, b) => (Date.parse(b.endsAt) > Date.parse(a.endsAt) ? b : a)));
  }
  return {
    desired: out,
    ended,
    warnings,
    runOut,
    removals: new Map([...removals].map(([roleAddress, set]) => [revocationOf(roleAddress), [...set].sort(byCodePoint)])),
    expiredBy,
  };
}

/**
 * Marks the changes of revocation objects, once the plan's changes exist:
 * - the authentik changes that remove the access wait for the revocation (it is written
 *   first: a failed write leaves the access, and the next plan shows both again);
 * - a change that only drops entries whose sessions have all run out (or the whole policy)
 *   is marked like an expired grant, as is one that adds only the sessions of access that
 *   expired: `apply --only-expired` and the Action's mode: expire apply them with it.
 */
export function markRevocations(changes: Change[], revocations: Pick<SessionRevocations, "runOut" | "removals" | "expiredBy">, configFile: string): void {
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  for (const [revocation, sources] of revocations.removals) {
    if (!byAddress.has(revocation)) continue;
    for (const source of sources) {
      const c = byAddress.get(source);
      if (c && c.system === "authentik" && !c.dependsOn.includes(revocation)) c.dependsOn = [...c.dependsOn, revocation].sort(byCodePoint);
    }
  }
  for (const c of changes) {
    if (c.type !== REVOCATION) continue;
    const after = (c.after as { sessions?: Record<string, string> } | null)?.sessions ?? {};
    const adds = Object.values(after).includes(AT_APPLY);
    const expiry = revocations.expiredBy.get(c.address);
    if (adds) {
      if (expiry) c.expired = expiry;
      continue;
    }
    const when = revocations.runOut.get(c.address);
    if (!when) continue;
    // Only dropping: nothing added, and nothing else of the policy rewritten.
    if (c.action === "update" && c.fields.some((f) => f.field !== "sessions" && !f.field.startsWith("sessions."))) continue;
    if (c.action !== "update" && c.action !== "delete") continue;
    c.expired = { value: when, endsAt: when, field: "options.revokeSessions", location: configFile };
    c.reason = `the sessions it ended have all run out (the last at ${when}): dropped whether pruning is on or not`;
  }
}
