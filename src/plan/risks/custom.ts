import type { PolicyRow } from "../policy-diff.js";
import { peopleText, permAccounts, type RiskRule } from "./context.js";

/** The configuration's own rules (review.risks.custom): accounts, managed policies and actions to match, each optional. */
export const customRules: RiskRule = (ctx) => {
  for (const rule of ctx.rules.custom) {
    const matchAccount = (accounts: string[]) => rule.accounts.length === 0 || accounts.some((a) => rule.accounts.includes(a));
    const matchPolicies = (managed: string[]) => rule.policies.length === 0 || managed.some((m) => rule.policies.includes(m));
    const matchActions = (rows: PolicyRow[]) => rule.actions.length === 0 || rows.some((r) => r.effect === "Allow" && rule.actions.includes(r.action));
    for (const r of ctx.gained) {
      const g = ctx.grantOf(r.grant, r.account);
      if (matchAccount([r.account]) && matchPolicies(g?.managed ?? []) && matchActions(g?.rows ?? [])) {
        ctx.add(rule.name, rule.severity, `${rule.message}: group ${r.group}${peopleText(r.people?.count)} gains ${r.grant} in ${r.account}`, ctx.rowAddresses(r));
      }
    }
    for (const p of ctx.permissions) {
      if (p.change === "narrowed") continue;
      const g = ctx.grantOf(p.grant, p.account);
      if (matchAccount(permAccounts(p)) && matchPolicies(rule.policies.length ? [...p.managedPoliciesAdded, ...(g?.managed ?? [])] : []) && matchActions(p.added)) {
        ctx.add(rule.name, rule.severity, `${rule.message}: ${p.grant}${p.accountId ? ` in ${p.account}` : ""} is ${p.new ? "created" : p.change}`, [p.address]);
      }
    }
  }
};
