/**
 * mode: expire (an hourly schedule): plan each config and apply it only when every
 * change removes a grant whose mappings[].expires has passed (src/plan/expired-only.ts,
 * as `apply --only-expired` does). The expiry was reviewed when it was merged, so no
 * reviewed plan is needed; any other change is drift, which fails the run like mode:
 * drift and applies nothing.
 */
import { expiredAccessLines, notExpiredRemovals, notOnlyExpiredMessage } from "../../plan/expired-only.js";
import { code, mdText } from "../../render/markdown.js";
import { type ActionRun, errorLines, fence, forEachConfig, onProgress, runUrl, shortSha } from "../action-run.js";
import { log } from "../log.js";

export async function expire(r: ActionRun): Promise<void> {
  const link = `[run ${r.ctx.runId}](${runUrl(r.ctx)})`;
  // It applies without a reviewed plan: only what the default branch says may end access
  // (a dispatch on a branch could back-date someone else's expires).
  const defaultBranch = r.ctx.event.repository?.default_branch ?? "main";
  if (r.ctx.ref !== `refs/heads/${defaultBranch}`) {
    const message = `mode expire applies only from the default branch (${defaultBranch}), whose expiries were reviewed; this run is on ${r.ctx.ref || "no ref"}: nothing was applied`;
    for (const config of r.inputs.configs) r.outcomes.push({ config, failed: message });
    r.summary.push(`### authentik-aws-gitops\n\n❌ ${message}\n`);
    return;
  }
  await forEachConfig(r, async (config) => {
    const plan = await r.loadPlan(config);
    const planFile = await r.savePlan(config, plan);
    if (plan.changes.length === 0) {
      r.outcomes.push({ config, plan, planFile });
      r.addSummary(config, plan, "✅ Nothing has expired: no changes.");
      return;
    }
    const other = notExpiredRemovals(plan);
    if (other.length > 0) {
      r.outcomes.push({ config, plan, planFile, failed: `drift: ${notOnlyExpiredMessage(plan, other)}` });
      r.addSummary(config, plan, `⚠️ **Drift**: the live state differs from ${code(config)} by more than expired access (${runUrl(r.ctx)}); **nothing was applied**.`);
      return;
    }
    const expired = expiredAccessLines(plan);
    for (const line of expired) log.info([`expired: ${line}`]);
    try {
      await r.sessions.get(config)!.apply({ onProgress });
    } catch (error) {
      r.addSummary(config, plan, `❌ **Removing expired access failed** at ${shortSha(r.ctx.sha)} in ${link}:\n\n${fence(errorLines(error))}`);
      throw error;
    }
    r.outcomes.push({ config, plan, planFile });
    const list = expired.map((l) => `- ${mdText(l)}`).join("\n");
    r.addSummary(config, plan, `✅ **Expired access removed** at ${shortSha(r.ctx.sha)} in ${link} (${plan.changes.length} change(s), each the removal of a grant whose \`expires\` has passed):\n\n${list}`);
  });
}
