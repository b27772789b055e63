import { formatDuration } from "../../config/durations.js";
import { kindOf } from "../../resources/registry.js";
import type { RiskRule } from "./context.js";

/** long-session: a grant created, or its session duration changed, to sessions longer than the threshold. */
export const longSession: RiskRule = (ctx) => {
  const rule = ctx.rules.longSession;
  if (!rule.enabled) return;
  const limit = rule.thresholdSeconds;
  for (const c of ctx.plan.changes) {
    if (c.action === "delete" || !c.after) continue;
    const changed = c.action === "create" || c.fields.some((f) => f.field === "max_session_duration" || f.field === "session_duration");
    if (!changed) continue;
    const seconds = kindOf(c.type).grant?.sessionSeconds(c.after);
    if (seconds !== undefined && Number.isFinite(seconds) && seconds > limit) {
      ctx.add("long-session", rule.severity ?? "low", `${c.title}: sessions of ${formatDuration(seconds)}, longer than ${formatDuration(limit)}`, [c.address]);
    }
  }
};
