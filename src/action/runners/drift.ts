/** schedule: plan, and fail when the live state drifted from what the default branch declares. */
import { code } from "../../render/markdown.js";
import { type ActionRun, forEachConfig, runUrl } from "../action-run.js";

export async function drift(r: ActionRun): Promise<void> {
  await forEachConfig(r, async (config) => {
    const plan = await r.loadPlan(config);
    const planFile = await r.savePlan(config, plan);
    const drifted = plan.changes.length > 0;
    r.outcomes.push({ config, plan, planFile, ...(drifted ? { failed: `drift: ${plan.changes.length} change(s) between the configuration and the live state` } : {}) });
    r.addSummary(config, plan, drifted ? `⚠️ **Drift**: the live state differs from ${code(config)} (${runUrl(r.ctx)}).` : "✅ No drift.", { drift: true });
  });
}
