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
 * Entries already written stay until the longest session the role allows has run out
 * after their instant — whether the option is still on or not: turning it off must not
 * give back sessions it ended. Then the plan drops them; such a change is marked like an
 * expired grant, so `apply --only-expired` (the Action's mode: expire) may apply it.
 */
import { byCodePoint } from "../domain/canonical.js";
import { address as addresses } from "../domain/addresses.js";
import type { AccessRow, Change, DesiredResource, LiveResource, SessionEnd } from "../domain/plan-types.js";
import { isRef } from "../domain/plan-types.js";
import { AT_APPLY } from "../domain/session-revocation.js";
import { refsIn } from "./field-diff.js";
import type { PlanInput } from "./plan-input.js";

type Row = Omit<AccessRow, "change">;

interface RoleFacts {
  address: string;
  account: string;
  name: string;
  path: string;
  title: string;
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
  /** Revocation address → when the last of the sessions it drops ran out (for markRunOut). */
  runOut: ReadonlyMap<string, string>;
}

export function sessionRevocations(
  input: PlanInput,
  access: { nowFromObjects: readonly Row[]; later: ReadonlyMap<string, Row> },
  desired: ReadonlyMap<string, DesiredResource>,
  liveList: readonly LiveResource[],
): SessionRevocations {
  const now = input.revokeSessions?.now ?? input.expiry?.now;
  const liveByAddress = new Map(liveList.map((r) => [r.address, r]));
  const desiredRoles = new Map<string, RoleFacts>();
  for (const d of desired.values()) {
    if (d.type !== "aws.iam.role" || !d.account) continue;
    const p = d.props as { name: string; path: string };
    desiredRoles.set(grantKey(p.name, d.account), { address: d.address, account: d.account, name: p.name, path: p.path, title: d.title });
  }
  /** The longest session a role allows, as it is and as the plan leaves it. */
  const maxSession = (roleAddress: string) =>
    Math.max(
      Number((liveByAddress.get(roleAddress)?.props as { max_session_duration?: number } | undefined)?.max_session_duration ?? 0),
      Number((desired.get(roleAddress)?.props as { max_session_duration?: number } | undefined)?.max_session_duration ?? 0),
      3600,
    );

  // --- what is written already, while a session it names may still be live -------------------
  const sessions = new Map<string, Record<string, string>>();
  const runOut = new Map<string, string>();
  for (const r of liveList) {
    if (r.type !== REVOCATION || !r.owned || /#\d+$/.test(r.address)) continue;
    const props = r.props as { role?: unknown; sessions?: Record<string, string> };
    const role = isRef(props.role) ? props.role.$ref : undefined;
    if (!role || !desired.has(role)) continue; // the role goes: so does its policy (its delete waits for this one's)
    // Without a clock nothing has run out.
    const runsOut = (before: string) => (now ? Date.parse(before) + maxSession(role) * 1000 : Number.POSITIVE_INFINITY);
    const entries = Object.entries(props.sessions ?? {});
    const at = now?.getTime() ?? 0;
    const kept = entries.filter(([, before]) => runsOut(before) > at);
    if (kept.length > 0) sessions.set(role, Object.fromEntries(kept));
    const gone = entries.filter(([, before]) => runsOut(before) <= at).map(([, before]) => runsOut(before));
    if (gone.length > 0) runOut.set(r.address, new Date(Math.max(...gone)).toISOString().replace(/\.\d{3}Z$/, "Z"));
  }

  // --- what this plan takes away, person by person -------------------------------------------
  const ended: SessionEnd[] = [];
  const warnings: string[] = [];
  const rs = input.revokeSessions;
  const dependsOn = new Map<string, Set<string>>();
  /** The authentik objects that give a group's row now (its bindings, and the entitlements they bind): what the removal changes. */
  let sources: Map<string, string[]> | undefined;
  const sourcesOf = (row: Row): string[] => {
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
    return sources.get(`${row.group}\u0000${grantKey(row.grant, row.account)}`) ?? [];
  };
  if (rs) {
    const before = heldByPerson(access.nowFromObjects, rs.members);
    const after = heldByPerson(access.later.values(), rs.members);
    const noSessionName: string[] = [];
    for (const [person, held] of before) {
      for (const [k, row] of held) {
        if (after.get(person)?.has(k)) continue;
        const role = desiredRoles.get(k);
        if (!role) continue; // deleted with the plan: nothing left to allow a session
        const session = rs.sessionNames[person];
        if (!session) {
          noSessionName.push(person);
          continue;
        }
        const entries = sessions.get(role.address) ?? {};
        entries[session] = AT_APPLY;
        sessions.set(role.address, entries);
        ended.push({ person, session, grant: row.grant, account: row.account, accountId: row.accountId });
        // Written once the authentik changes that take the access away are: the grants of this row, as they are now.
        const deps = dependsOn.get(role.address) ?? new Set<string>();
        for (const source of sourcesOf(row)) deps.add(source);
        dependsOn.set(role.address, deps);
      }
    }
    if (noSessionName.length > 0) {
      const names = [...new Set(noSessionName)].sort(byCodePoint);
      warnings.push(`options.revokeSessions: the live sessions of ${names.join(", ")} cannot be ended: authentik sends no session name for them (the attribute authentik.provider.sessionName names is empty)`);
    }
  }

  const out: DesiredResource[] = [];
  for (const [roleAddress, entries] of sessions) {
    const role = [...desiredRoles.values()].find((r) => r.address === roleAddress)!;
    out.push({
      address: addresses.sessionRevocation(role.account, role.path, role.name),
      type: REVOCATION,
      system: "aws",
      account: role.account,
      title: `sessions ended on ${role.title}`,
      props: { role: { $ref: roleAddress }, role_name: role.name, sessions: Object.fromEntries(Object.entries(entries).sort(([a], [b]) => byCodePoint(a, b))) },
      ...(dependsOn.get(roleAddress)?.size ? { dependsOn: [...dependsOn.get(roleAddress)!].sort(byCodePoint) } : {}),
    });
  }
  ended.sort((a, b) => byCodePoint(a.person, b.person) || byCodePoint(a.grant, b.grant) || byCodePoint(a.account, b.account));
  return { desired: out, ended, warnings, runOut };
}

/**
 * A change that only drops entries whose sessions have all run out (or the whole policy)
 * is marked like an expired grant: `apply --only-expired` and the Action's mode: expire
 * apply it, and a plan made later than the one reviewed may hold it.
 */
export function markRunOut(changes: Change[], runOut: ReadonlyMap<string, string>, configFile: string): void {
  for (const c of changes) {
    const when = runOut.get(c.address);
    if (c.type !== REVOCATION || !when) continue;
    const after = (c.after as { sessions?: Record<string, string> } | null)?.sessions ?? {};
    // Only dropping: nothing added, and nothing else of the policy rewritten.
    if (Object.values(after).includes(AT_APPLY)) continue;
    if (c.action === "update" && c.fields.some((f) => f.field !== "sessions" && !f.field.startsWith("sessions."))) continue;
    if (c.action !== "update" && c.action !== "delete") continue;
    c.expired = { value: when, endsAt: when, field: "options.revokeSessions", location: configFile };
    c.reason = `the sessions it ended have all run out (the last at ${when}): dropped whether pruning is on or not`;
  }
}
