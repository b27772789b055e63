/**
 * Plans that only take away access whose mappings[].expires has passed: what the
 * Action's `mode: expire` and `apply --only-expired` apply without a reviewed plan
 * (the expiry was reviewed when it was merged). Pure.
 */
import { expiryLocationAsGiven, expiryPhrase } from "../config/expiry.js";
import type { Change, Plan } from "../domain/plan-types.js";

/** The changes that are not removals of expired access (none: the plan only removes expired access). */
export function notExpiredRemovals(plan: Plan): Change[] {
  return plan.changes.filter((c) => !c.expired);
}

/** Why such a plan is refused: the first few other changes, and that nothing was applied. */
export function notOnlyExpiredMessage(plan: Plan, other: readonly Change[]): string {
  const shown = other.slice(0, 5).map((c) => `${c.action} ${c.address}`).join(", ");
  return `${other.length} change(s) between the configuration and the live state that are not removals of expired access (${shown}${other.length > 5 ? `, … ${other.length - 5} more` : ""}); nothing was applied, not even the ${plan.changes.length - other.length} expired removal(s). Review the plan and apply it through a pull request`;
}

/** "group 'data-eng': role 'data-engineer' in dev (222222222222), expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)" */
export function expiredAccessLines(plan: Plan): string[] {
  const kind = plan.mode === "classic-iam" ? "role" : "permission set";
  return plan.access
    .filter((a) => a.change === "lost" && a.reason === "expired" && a.expires)
    .map(
      (a) =>
        `group '${a.group}': ${a.kind === "application" ? `sign-in to application '${a.grant}'` : `${kind} '${a.grant}' in ${a.account} (${a.accountId})`}, expired ${expiryPhrase(a.expires!.value)} (${a.expires!.field}, ${expiryLocationAsGiven(a.expires!.location, plan.config)})`,
    );
}
