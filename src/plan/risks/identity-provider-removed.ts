import { kindOf } from "../../resources/registry.js";
import type { RiskRule } from "./context.js";

/** identity-provider-removed: a way to sign in is deleted. */
export const identityProviderRemoved: RiskRule = (ctx) => {
  const rule = ctx.rules.identityProviderRemoved;
  if (!rule.enabled) return;
  for (const c of ctx.plan.changes) {
    if (c.action === "delete" && kindOf(c.type).identityProvider) ctx.add("identity-provider-removed", rule.severity ?? "high", `${c.title} is deleted: nobody can sign in through it`, [c.address]);
  }
};
