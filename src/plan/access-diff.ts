/**
 * The access diff: which groups gain or lose which grant in which account, comparing the
 * grants that exist now with those after the plan — and the access each resource gives,
 * by its kind. Pure.
 */
import { daysLeft } from "../config/expiry.js";
import { byCodePoint } from "../domain/canonical.js";
import type { AccessRow, DesiredResource, Expiry, ExpiringRow, LiveResource, Props, ResourceType } from "../domain/plan-types.js";
import { accessOf as kindAccess } from "../resources/registry.js";
import type { PlanInput } from "./plan-input.js";

/**
 * The access each resource gives, by its kind, with the references it holds resolved
 * on its own side of the plan (a binding's entitlement as desired, or as live).
 */
export function accessByKind(desired: readonly DesiredResource[], live: readonly LiveResource[]): NonNullable<PlanInput["accessOf"]> {
  const desiredByAddress = new Map(desired.map((r) => [r.address, r]));
  const liveByAddress = new Map(live.map((r) => [r.address, r]));
  return (resource, side) => {
    const resolve = (address: string) =>
      (side === "desired" ? (desiredByAddress.get(address) ?? liveByAddress.get(address)) : (liveByAddress.get(address) ?? desiredByAddress.get(address)))?.props;
    return kindAccess(resource, resolve);
  };
}

/** desired × live → Plan. Pure: no I/O, same input, same plan, same hash. */

/**
 * Who gains or loses what: the grants that exist now (from live objects) against
 * those that will exist after apply (desired objects, plus live ones the plan
 * keeps). Comparing states rather than counting creates and deletes also catches
 * an entitlement that now points at another account, and a duplicate binding
 * whose twin keeps the access alive.
 */
export function accessDiff(
  input: PlanInput & Required<Pick<PlanInput, "accessOf">>,
  desired: ReadonlyMap<string, DesiredResource>,
  liveList: readonly LiveResource[],
  deletes: ReadonlySet<string>,
  expiredDeletes: ReadonlyMap<string, Expiry>,
): {
  access: AccessRow[];
  before: number;
  after: number;
  later: Map<string, Omit<AccessRow, "change">>;
  expiring: ExpiringRow[];
  nowFromObjects: Omit<AccessRow, "change">[];
} {
  const key = (r: Omit<AccessRow, "change">) => `${r.kind ?? "grant"}\u0000${r.group}\u0000${r.grant}\u0000${r.accountId}`;
  // Which resources give each row: its expiry is theirs.
  const sources = new Map<string, string[]>();
  const collect = (resources: Iterable<{ address: string; type: ResourceType; account?: string; props: Props }>, side: "desired" | "live", track = false) => {
    const rows = new Map<string, Omit<AccessRow, "change">>();
    for (const r of resources) {
      const row = input.accessOf(r, side);
      if (!row) continue;
      const k = key(row);
      rows.set(k, row);
      if (track) sources.set(`${side}\u0000${k}`, [...(sources.get(`${side}\u0000${k}`) ?? []), r.address]);
    }
    return rows;
  };
  const now = collect(liveList, "live", true);
  const nowFromObjects = [...now.values()];
  for (const row of input.liveAccess ?? []) if (!now.has(key(row))) now.set(key(row), { ...row });
  const kept = liveList.filter((r) => !desired.has(r.address) && !deletes.has(r.address));
  const later = collect([...desired.values(), ...kept], "desired", true);
  /** A lost row whose grant was removed because it expired. */
  const expiredFor = (k: string) => (sources.get(`live\u0000${k}`) ?? []).map((a) => expiredDeletes.get(a)).find((e) => e !== undefined);
  /** When a row of the later state ends: when the last of the resources giving it ends (never, if one does not). */
  const endOf = (k: string): Expiry | undefined => {
    const ends = (sources.get(`desired\u0000${k}`) ?? []).map((a) => input.expiry?.expiring.get(a));
    if (ends.length === 0 || ends.some((e) => e === undefined)) return undefined;
    return ends.reduce((a, b) => (Date.parse(b!.endsAt) > Date.parse(a!.endsAt) ? b : a));
  };
  // The guard counts only what the tool grants: a hand-made grant that survives must
  // not make "every managed grant removed" look like a partial change.
  const ownedNow = collect(liveList.filter((r) => r.owned), "live");
  const ownedLater = collect([...desired.values(), ...kept.filter((r) => r.owned)], "desired");
  const access: AccessRow[] = [];
  for (const [k, row] of now) {
    if (later.has(k)) continue;
    const expired = expiredFor(k);
    access.push({ ...row, change: "lost", ...(expired ? { reason: "expired" as const, expires: expired } : {}) });
  }
  for (const [k, row] of later) {
    if (now.has(k)) continue;
    const expires = endOf(k);
    access.push({ ...row, change: "gained", ...(expires ? { expires } : {}) });
  }
  const expiring: ExpiringRow[] = [];
  const clock = input.expiry?.now;
  if (clock) {
    for (const [k, row] of later) {
      const expires = row.kind === "application" ? undefined : endOf(k);
      if (expires) expiring.push({ group: row.group, grant: row.grant, account: row.account, accountId: row.accountId, expires, daysLeft: daysLeft(expires.endsAt, clock) });
    }
    expiring.sort(
      (a, b) =>
        Date.parse(a.expires.endsAt) - Date.parse(b.expires.endsAt) ||
        byCodePoint(a.group, b.group) ||
        byCodePoint(a.grant, b.grant) ||
        byCodePoint(a.account, b.account) ||
        byCodePoint(a.accountId, b.accountId),
    );
  }
  access.sort(
    (a, b) =>
      (a.change === b.change ? 0 : a.change === "lost" ? -1 : 1) ||
      // Grants in accounts first, then who may sign in to the application.
      (a.kind === b.kind ? 0 : a.kind === "application" ? 1 : -1) ||
      byCodePoint(a.group, b.group) ||
      byCodePoint(a.grant, b.grant) ||
      byCodePoint(a.account, b.account) ||
      byCodePoint(a.accountId, b.accountId),
  );
  // Sign-in to the application alone grants nothing in AWS: the guard counts grants.
  const grants = (rows: Map<string, Omit<AccessRow, "change">>) => [...rows.values()].filter((r) => r.kind !== "application").length;
  return { access, before: grants(ownedNow), after: grants(ownedLater), later, expiring, nowFromObjects };
}
