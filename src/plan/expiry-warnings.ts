/** Warnings about access that ends soon (review.expiryWarningDays). Pure. */
import { expiryLocationAsGiven, expiryPhrase, timeLeftText } from "../config/expiry.js";
import type { ExpiringRow } from "../domain/plan-types.js";
import type { PlanInput } from "./plan-input.js";

const DAY_MS = 86_400_000;

/**
 * A warning per mapping and grant ending within review.expiryWarningDays, naming the
 * group, the grant, its accounts, the date, the time left and where the date is written.
 */
export function expiryWarnings(input: PlanInput, expiring: readonly ExpiringRow[]): string[] {
  const e = input.expiry;
  if (!e) return [];
  const kind = input.mode === "classic-iam" ? "role" : "permission set";
  const soon = new Map<string, ExpiringRow[]>();
  for (const row of expiring) {
    if (Date.parse(row.expires.endsAt) - e.now.getTime() > e.warningDays * DAY_MS) continue;
    const k = `${row.group}\u0000${row.grant}\u0000${row.expires.location}\u0000${row.expires.endsAt}`;
    soon.set(k, [...(soon.get(k) ?? []), row]);
  }
  return [...soon.values()].map((rows) => {
    const { group, grant, expires } = rows[0]!;
    const accounts = rows.map((r) => (r.accountId && r.accountId !== r.account ? `${r.account} (${r.accountId})` : r.account)).join(", ");
    return `access ends ${timeLeftText(expires.endsAt, e.now)}: group '${group}' loses ${kind} '${grant}' in ${accounts} — expires ${expiryPhrase(expires.value)} (${expires.field}, ${expiryLocationAsGiven(expires.location, input.configFile)}); the Action's mode: expire removes it then, or extend the date to keep it`;
  });
}
