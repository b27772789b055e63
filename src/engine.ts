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

export type { EngineOptions, PlanSession };
export { PlanError, type PlanProblem } from "./plan/compute-plan.js";

export function createPlan(config: ResolvedConfig, options: EngineOptions = {}): Promise<PlanSession> {
  return config.mode === "classic-iam" ? planClassicIam(config, options) : planIdentityCenter(config, options);
}
