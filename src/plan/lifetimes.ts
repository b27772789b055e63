/**
 * How long access lasts, as a change of the plan: grants kept by the plan whose end is
 * set, moved or removed. The end before the plan is what the last apply recorded next to
 * the grant (src/desired/expiry.ts recordLifetimes), read back by the grant's kind. Pure.
 */
import { byCodePoint } from "../domain/canonical.js";
import type { AccessRow, Change, ExpiringRow, LifetimeRow } from "../domain/plan-types.js";
import { isRecordOnly, lifetimesOf } from "../resources/registry.js";
import { expiredReason } from "./changes.js";

const key = (r: { group: string; grant: string; accountId: string }) => `${r.group}\u0000${r.grant}\u0000${r.accountId}`;

/**
 * The lifetime rows of a plan. A grant gained or lost is not one (its access row says when
 * it ends, or that it expired). An update that only drops the record of grants removed
 * because they expired is marked `expired`, like their deletes: `mode: expire` applies it.
 */
export function lifetimeChanges(changes: readonly Change[], access: readonly AccessRow[], expiring: readonly ExpiringRow[]): LifetimeRow[] {
  const moved = new Map(access.filter((r) => r.kind !== "application").map((r) => [key(r), r]));
  const fieldOf = new Map(expiring.map((r) => [key(r), r.expires.field]));
  const rows: LifetimeRow[] = [];
  for (const c of changes) {
    // A record created or deleted (identity-center) reads as one with nothing in it.
    const before = new Map((c.before ? lifetimesOf({ type: c.type, props: c.before }) : []).map((l) => [key(l), l]));
    const after = new Map((c.after ? lifetimesOf({ type: c.type, props: c.after }) : []).map((l) => [key(l), l]));
    if (before.size === 0 && after.size === 0) continue;
    let droppedExpired: AccessRow | undefined;
    let other = false;
    for (const k of new Set([...before.keys(), ...after.keys()])) {
      const b = before.get(k);
      const a = after.get(k);
      if (b?.value === a?.value) continue;
      const row = moved.get(k);
      if (row) {
        if (row.change === "lost" && row.reason === "expired" && !a) droppedExpired ??= row;
        else other = true;
        continue;
      }
      other = true;
      const facts = (a ?? b)!;
      const field = fieldOf.get(k);
      rows.push({ group: facts.group, grant: facts.grant, account: facts.account, accountId: facts.accountId, before: b?.value ?? null, after: a?.value ?? null, ...(field ? { field } : {}), address: c.address });
    }
    // Only the record of expired grants goes, and nothing else of the object changes (or,
    // for the identity-center record, the record itself goes with the last of them).
    const onlyRecord =
      (c.action === "update" && c.fields.every((f) => f.field === "attributes.access_expires" || (isRecordOnly({ type: c.type, props: c.after! }) && f.field === "attributes.aws_account_aliases"))) ||
      (c.action === "delete" && isRecordOnly({ type: c.type, props: c.before! }));
    if (droppedExpired?.expires && !other && onlyRecord) {
      c.expired = droppedExpired.expires;
      c.reason = `${expiredReason(droppedExpired.expires)}: the recorded end goes with the grant`;
    }
  }
  return rows.sort((x, y) => byCodePoint(x.group, y.group) || byCodePoint(x.grant, y.grant) || byCodePoint(x.account, y.account) || byCodePoint(x.accountId, y.accountId));
}
