import type { ActionChange, PermissionRow, Severity } from "../../domain/plan-types.js";
import { adminAdded } from "./admin-equivalent.js";
import { grantWords, newlyAllowed, permAccounts, quote, type RiskContext, type RiskRule } from "./context.js";

/**
 * What a change newly allows, in actions (src/plan/action-expansion.ts): privilege-escalation
 * and write-on-every-resource. One finding per rule and grant, however many statements
 * trigger it: the statement allowing the most is quoted, the others counted.
 */

/** Whether admin-equivalent already says it for this permission change: then these rules stay quiet. */
const saidAsAdmin = (ctx: RiskContext, p: PermissionRow) => adminAdded(p).admin && ctx.rules.adminEquivalent.enabled;

const others = (n: number) => (n > 1 ? ` (and ${n - 1} more statement${n === 2 ? "" : "s"})` : "");

/** Whether a quoted statement (normalized JSON) has a Condition. */
function hasCondition(statement: string): boolean {
  try {
    const parsed = JSON.parse(statement) as Record<string, unknown>;
    return parsed.Condition !== undefined && Object.keys(parsed.Condition as object).length > 0;
  } catch {
    // Cut at 2,000 characters: look for the key itself.
    return /"Condition":\{"/.test(statement);
  }
}

/** privilege-escalation: a grant newly allows actions that let whoever holds it give themselves more. */
export const privilegeEscalation: RiskRule = (ctx) => {
  for (const p of ctx.permissions) {
    if (saidAsAdmin(ctx, p)) continue;
    const escalating = newlyAllowed(p).filter((a) => a.escalation);
    if (escalating.length === 0) continue;
    const { where, held } = grantWords(p);
    const actions = [...new Set(escalating.flatMap((a) => a.escalation!))].sort();
    ctx.add("privilege-escalation", "high", `${p.grant}${where}${held} newly allows ${actions.join(", ")}, which let whoever holds it give themselves more${quote(escalating)}${others(escalating.length)}`, [p.address]);
  }
};

/** write-on-every-resource: a grant newly allows write or permissions-management actions on every resource. */
export const writeOnEveryResource: RiskRule = (ctx) => {
  for (const p of ctx.permissions) {
    if (saidAsAdmin(ctx, p)) continue;
    const allows = newlyAllowed(p);
    // A statement with a Condition may be narrower than "every resource" says (ReadOnlyAccess
    // allows s3express:CreateSession only for read-only sessions), or not at all
    // (aws:SecureTransport): raised one severity lower, saying so, never dropped.
    const unconditional = allows.filter((a) => a.writeOnEveryResource && !hasCondition(a.statement));
    const conditional = unconditional.length === 0;
    const writing: ActionChange[] = conditional ? allows.filter((a) => a.writeOnEveryResource) : unconditional;
    if (writing.length === 0) continue;
    const { where, held } = grantWords(p);
    const inProduction = permAccounts(p).some((acc) => ctx.production.has(acc));
    const severity: Severity = conditional ? (inProduction ? "medium" : "low") : inProduction ? "high" : "medium";
    const topStatement = [...writing].sort((x, y) => y.writeOnEveryResource!.actions - x.writeOnEveryResource!.actions)[0]!;
    const top = topStatement.writeOnEveryResource!;
    const examples = top.examples.slice(0, 3);
    const most = top.actions;
    ctx.add(
      "write-on-every-resource",
      severity,
      `${p.grant}${where}${held} newly allows ${most} write or permissions-management action${most === 1 ? "" : "s"} on every resource${inProduction ? " in production" : ""}${conditional ? " under a condition" : ""} (${examples.join(", ")}${top.actions > examples.length ? ", …" : ""})${quote([topStatement])}${others(writing.length)}`,
      [p.address],
    );
  }
};
