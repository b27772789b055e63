import { kindOf } from "../../resources/registry.js";
import type { RiskRule } from "./context.js";

/** session-tags-changed: a change alters the session tags people get (attributes for access control). */
export const sessionTagsChanged: RiskRule = (ctx) => {
  const rule = ctx.rules.sessionTagsChanged;
  if (!rule.enabled) return;
  for (const c of ctx.plan.changes) {
    const tags = kindOf(c.type).sessionTags?.(c);
    if (tags) ctx.add("session-tags-changed", rule.severity ?? "medium", `${tags}: permission set policies that test aws:PrincipalTag see other values`, [c.address]);
  }
};
