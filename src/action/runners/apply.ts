/** push to the default branch: apply exactly what was reviewed in the merged pull request. */
import { UserError } from "../../errors.js";
import { planDrift } from "../../plan/plan-drift.js";
import { escapeUnsafe } from "../../util/safe-text.js";
import { type ActionRun, errorLines, fence, forEachConfig, onProgress, runUrl, shortSha } from "../action-run.js";
import { digestDrift, replaceStatus } from "../comment.js";
import type { PullRequest } from "../github.js";
import { log } from "../log.js";

export async function applyOnMerge(r: ActionRun): Promise<void> {
  const pulls = await r.github.pullsForCommit(r.ctx.repository, r.ctx.sha);
  const merged: PullRequest | undefined = pulls.find((p) => p.merge_commit_sha === r.ctx.sha && p.merged_at) ?? pulls.find((p) => p.merged_at);
  const link = `[run ${r.ctx.runId}](${runUrl(r.ctx)})`;
  await forEachConfig(r, async (config) => {
    const comment = merged ? await r.findComment(merged.number, config) : undefined;
    const setStatus = async (status: string) => {
      if (comment) await r.github.updateComment(r.ctx.repository, comment.id, replaceStatus(comment.body ?? "", status));
    };
    const reviewed = comment ? await r.reviewedPlan(comment, merged!.number, config) : undefined;
    const plan = await r.loadPlan(config);
    const planFile = await r.savePlan(config, plan);
    r.outcomes.push({ config, plan, planFile });

    if (!reviewed) {
      const why = !merged
        ? `no merged pull request is associated with ${shortSha(r.ctx.sha)}`
        : comment
          ? `the plan comment of pull request #${merged.number} for ${config} shows no successful plan (its last plan failed, or it was written by an older version of the Action: push a commit to plan again)`
          : `pull request #${merged.number} has no plan comment for ${config}`;
      if (r.inputs.requireReviewedPlan && plan.changes.length > 0) {
        r.addSummary(config, plan, `❌ Not applied: ${why} (require-reviewed-plan is on).`);
        throw new UserError(`no-reviewed-plan: ${why}; nothing was applied. Open a pull request so the plan is reviewed, or set require-reviewed-plan: false.`);
      }
      if (plan.changes.length > 0) log.warning(`${why}; applying without a reviewed plan because require-reviewed-plan is off`);
    } else if (reviewed.hash !== plan.hash) {
      const diff = reviewed.digests !== undefined ? digestDrift(reviewed.digests, plan) : planDrift(reviewed.changes, plan);
      const status = `⚠️ **Plan changed** — not applied. The plan at merge (${shortSha(r.ctx.sha)}, ${link}) differs from the one reviewed here (hash \`${reviewed.hash.slice(0, 12)}\` → \`${plan.hash.slice(0, 12)}\`):\n\n${fence(diff.map(escapeUnsafe))}\n\nRe-run the plan on a new pull request and review it.`;
      if (r.inputs.requireReviewedPlan) {
        await setStatus(status);
        r.addSummary(config, plan, status);
        throw new UserError(`plan-changed: the live state or configuration changed since the plan was reviewed in #${merged!.number}; nothing was applied.\n${diff.join("\n")}`);
      }
      log.warning(["plan-changed, applying anyway because require-reviewed-plan is off:", ...diff]);
    }

    if (plan.changes.length === 0) {
      r.addSummary(config, plan, "✅ Nothing to apply.");
      await setStatus(`✅ Nothing to apply at ${shortSha(r.ctx.sha)} (${link}).`);
      return;
    }
    await setStatus(`⏳ Applying at ${shortSha(r.ctx.sha)} in ${link}…`);
    try {
      await r.sessions.get(config)!.apply({ onProgress });
    } catch (error) {
      const status = `❌ **Apply failed** at ${shortSha(r.ctx.sha)} in ${link}:\n\n${fence(errorLines(error))}`;
      await setStatus(status);
      r.addSummary(config, plan, status);
      throw error;
    }
    const done = `✅ **Applied** at ${shortSha(r.ctx.sha)} in ${link}.`;
    await setStatus(done);
    r.addSummary(config, plan, done);
  });
}
