/**
 * verify after an apply (issue 21), as the CLI's `apply` and the Action's apply run it: whom
 * (the people the plan affected, or everyone when it changed a link every sign-in goes through),
 * and the report; and everyone's, for the Action's drift mode. What was applied stays applied whatever verify finds; a verify that cannot run
 * (a read refused, an API down) is an outcome, not a failure of the apply.
 */
import type { ResolvedConfig } from "../config/model.js";
import type { Plan } from "../domain/plan-types.js";
import type { VerifyOutcome, VerifyScope } from "../domain/verify.js";
import { UserError } from "../errors.js";
import type { AuthentikAuth } from "../providers/authentik/auth.js";
import { needsFullScimSync, writesScimProvider } from "../plan/identity-center-checks.js";
import { changesSharedLink, peopleAffected } from "./core.js";
import { createVerifyReport } from "./run.js";

export type AfterApplyTarget = { kind: "nobody" } | { kind: "people"; people: string[] } | { kind: "everyone"; scope: Exclude<VerifyScope, "affected" | "everyone"> };

/** Whom the verify after applying `plan` checks. */
export function afterApplyTarget(plan: Pick<Plan, "access" | "changes">): AfterApplyTarget {
  const people = peopleAffected(plan);
  if (!people) return { kind: "everyone", scope: changesSharedLink(plan) ? "shared-link" : "unnamed" };
  return people.length === 0 ? { kind: "nobody" } : { kind: "people", people };
}

/**
 * identity-center with SCIM: applying `plan` started authentik's SCIM sync (it wrote the SCIM
 * provider, or what decides whom it syncs), so the Identity Store's users and memberships may
 * still be on their way when verify reads it.
 */
export function startsScimSync(config: ResolvedConfig, plan: Plan): boolean {
  return config.mode === "identity-center" && config.scim !== undefined && (writesScimProvider(plan) || needsFullScimSync(plan, config));
}

/**
 * Verifies the sign-ins `target` names after `plan` was applied. A UserError (an API refusal,
 * an authentik too old, a read that failed) is returned as not-run; anything else is a bug and
 * is thrown.
 */
export async function verifyAfterApply(
  config: ResolvedConfig,
  plan: Plan,
  target: AfterApplyTarget,
  options: { env: NodeJS.ProcessEnv; certificateWarningDays?: number; authentikAuth?: AuthentikAuth },
): Promise<VerifyOutcome> {
  if (target.kind === "nobody") return { kind: "nobody" };
  try {
    const report = await createVerifyReport(config, {
      env: options.env,
      // The apply's own sign-in (an access token exchanged for a JWT is renewed, not exchanged again).
      ...(options.authentikAuth ? { authentikAuth: options.authentikAuth } : {}),
      // Someone the plan named may have been deleted since: nothing of theirs to check.
      unknownPeople: "skip",
      ...(target.kind === "people" ? { people: target.people } : {}),
      ...(options.certificateWarningDays !== undefined ? { certificateWarningDays: options.certificateWarningDays } : {}),
      ...(startsScimSync(config, plan) ? { scimSyncPending: true } : {}),
    });
    return { kind: "checked", report, scope: target.kind === "people" ? "affected" : target.scope, people: config.review?.people ?? "names" };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { kind: "not-run", reason: error.message };
  }
}

/** Verifies everyone's sign-ins (the Action's drift mode); a UserError is not-run, as above. */
export async function verifyEveryone(config: ResolvedConfig, options: { env: NodeJS.ProcessEnv; authentikAuth?: AuthentikAuth }): Promise<VerifyOutcome> {
  try {
    const report = await createVerifyReport(config, { env: options.env, ...(options.authentikAuth ? { authentikAuth: options.authentikAuth } : {}) });
    return { kind: "checked", report, scope: "everyone", people: config.review?.people ?? "names" };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { kind: "not-run", reason: error.message };
  }
}
