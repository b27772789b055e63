import type { PermissionRow } from "../../domain/plan-types.js";
import type { PolicyRow } from "../policy-diff.js";
import { grantWords, newlyAllowed, peopleText, quote, type GrantPolicies, type RiskRule } from "./context.js";

/** Managed policies that make whoever holds them an administrator, by name. */
const ADMIN_POLICIES = new Set(["AdministratorAccess", "IAMFullAccess"]);

/** Whether an Allow row is admin-equivalent: `*`, `iam:*`, `iam:PassRole` on `*`, or an Allow of everything except a few actions. */
export function adminEquivalentRow(r: PolicyRow): boolean {
  if (r.effect !== "Allow") return false;
  if (r.notAction) return r.resource === "*" || r.notResource === true;
  if (r.notResource) return r.action === "*" || r.action === "iam:*";
  const action = r.action.toLowerCase();
  return action === "*" || action === "iam:*" || (action === "iam:passrole" && r.resource === "*") || (action === "iam:pass*" && r.resource === "*");
}

/** Whether a grant, as it will be, is admin-equivalent (production's severity reads it too). */
export const grantIsAdmin = (g: GrantPolicies | undefined): g is GrantPolicies => g !== undefined && (g.managed.some((m) => ADMIN_POLICIES.has(m)) || g.rows.some(adminEquivalentRow));

/** Why a grant is admin-equivalent: its admin managed policies and the Allows that make it so. */
const adminWhy = (g: GrantPolicies) =>
  [...g.managed.filter((m) => ADMIN_POLICIES.has(m)), ...(g.rows.some(adminEquivalentRow) ? ["an Allow of " + [...new Set(g.rows.filter(adminEquivalentRow).map((r) => (r.notAction ? `everything but ${r.action}` : r.action)))].join(", ")] : [])].join(", ");

/** What a permission change adds that is admin-equivalent: managed policies by name, and Allow rows. */
export function adminAdded(p: PermissionRow): { managed: string[]; rows: PolicyRow[]; admin: boolean } {
  const managed = p.managedPoliciesAdded.filter((m) => ADMIN_POLICIES.has(m));
  const rows = p.added.filter(adminEquivalentRow);
  return { managed, rows, admin: managed.length > 0 || rows.length > 0 };
}

/** admin-equivalent: a group gains an admin-equivalent grant; a grant gains (or, new, carries) admin-equivalent policies. */
export const adminEquivalent: RiskRule = (ctx) => {
  const rule = ctx.rules.adminEquivalent;
  if (!rule.enabled) return;
  for (const r of ctx.gained) {
    const g = ctx.grantOf(r.grant, r.account);
    if (!grantIsAdmin(g)) continue;
    // The why only when it says more than the name (a permission set called AdministratorAccess carries AdministratorAccess).
    const why = adminWhy(g);
    ctx.add("admin-equivalent", rule.severity ?? "high", `group ${r.group}${peopleText(r.people?.count)} gains admin-equivalent ${r.grant}${why === r.grant ? "" : ` (${why})`} in ${r.account}`, ctx.rowAddresses(r));
  }
  for (const p of ctx.permissions) {
    const added = adminAdded(p);
    if (!added.admin) continue;
    const { where, held } = grantWords(p);
    const what = [...added.managed, ...added.rows.map((r) => `an Allow of ${r.notAction ? `everything but ${r.action}` : r.action} on ${r.resource}`)].join(", ");
    ctx.add("admin-equivalent", rule.severity ?? "high", `${p.new ? "new " : ""}${p.grant}${where}${held} ${p.new ? "carries" : "gains"} ${what}${quote(newlyAllowed(p).filter((a) => a.escalation || a.writeOnEveryResource))}`, [p.address]);
  }
};
