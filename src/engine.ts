/**
 * The engine's entry: read live state → build desired state → plan (pure) →
 * apply. The CLI and the GitHub Action both call createPlan and then, when
 * asked, session.apply(); the modes share the planner and the executor and
 * differ only in what they read, desire and write.
 */
import type { ResolvedConfig } from "./config/model.js";
import { planClassicIam } from "./modes/classic-iam.js";
import { planIdentityCenter } from "./modes/identity-center.js";
import type { EngineOptions, PlanSession } from "./modes/shared.js";
import { UserError } from "./errors.js";

export type { EngineOptions, PlanSession };
export { PlanError, type PlanProblem } from "./plan/compute-plan.js";

function planFor(config: ResolvedConfig, options: EngineOptions): Promise<PlanSession> {
  return config.mode === "classic-iam" ? planClassicIam(config, options) : planIdentityCenter(config, options);
}

export async function createPlan(config: ResolvedConfig, options: EngineOptions = {}): Promise<PlanSession> {
  // One clock for the plan and the check after apply: a mapping that expires in between
  // is the next plan's change, not a reason to call this apply unconverged.
  options = { ...options, now: options.now ?? new Date() };
  const session = await planFor(config, options);
  if (options.verify === false) return session;
  const apply = session.apply;
  return {
    ...session,
    // An apply reports success only when a fresh read agrees: another apply of the same
    // configuration running at the same time (both creating the same bindings or
    // assignments) would otherwise leave copies behind two "Apply complete" messages.
    async apply(applyOptions) {
      const result = await apply(applyOptions);
      if (result.applied.length === 0) return result;
      applyOptions?.onProgress?.({ kind: "info", message: "reading authentik and AWS again to check the result" });
      // The token rotation was this apply's; asked again, it would show as a change.
      const fresh = await planFor(config, { ...options, rotateScimToken: false });
      if (fresh.plan.changes.length > 0) throw new NotConvergedError(fresh.plan.changes.map((c) => `${c.action} ${c.address}`));
      return result;
    },
  };
}

/** Applied, but a fresh read still differs from the configuration. */
export class NotConvergedError extends UserError {
  override readonly name = "NotConvergedError";
  constructor(readonly remaining: string[]) {
    super(
      `apply finished, but reading authentik and AWS again still shows ${remaining.length} change(s):\n${remaining.map((r) => `  ${r}`).join("\n")}\n` +
        "Something else changed them at the same time — most often another apply of this configuration (the Action's concurrency group prevents that). Run plan, then apply again: copies made twice show as …#2 and are removed.",
    );
  }
}
