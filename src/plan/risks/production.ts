import { adminAdded, grantIsAdmin } from "./admin-equivalent.js";
import { grantWords, peopleText, permAccounts, type RiskRule } from "./context.js";

/**
 * production: a group gains a grant in a production account, or a grant that exists in one
 * is widened or changed there; high when what is gained is admin-equivalent.
 */
export const production: RiskRule = (ctx) => {
  const rule = ctx.rules.production;
  if (!rule.enabled) return;
  for (const r of ctx.gained) {
    if (!ctx.production.has(r.account)) continue;
    const admin = grantIsAdmin(ctx.grantOf(r.grant, r.account));
    ctx.add("production", rule.severity ?? (admin ? "high" : "medium"), `group ${r.group}${peopleText(r.people?.count)} gains ${r.grant} in production account ${r.account}`, ctx.rowAddresses(r));
  }
  for (const p of ctx.permissions) {
    // A new grant is the gained rows' finding there; a narrowed one gives nobody more.
    if (p.change === "narrowed" || p.new || !permAccounts(p).some((a) => ctx.production.has(a))) continue;
    const { where, held } = grantWords(p);
    ctx.add("production", rule.severity ?? (adminAdded(p).admin ? "high" : "medium"), `${p.grant}${where}${held} is ${p.change} in production`, [p.address]);
  }
};
