/**
 * pull_request: plan each config and keep one comment per config up to date.
 * merge_group (and any run without a pull request): plan, summary and outputs only; nothing is written to GitHub.
 */
import { type ActionRun, forEachConfig, runUrl, shortSha } from "../action-run.js";
import { GitHubApiError } from "../github.js";

export async function planOnPullRequest(r: ActionRun): Promise<void> {
  const pr = r.ctx.event.pull_request as { number: number } | undefined;
  const queue = r.ctx.eventName === "merge_group" ? (r.ctx.event.merge_group as { base_ref?: string } | undefined) : undefined;
  const status = queue
    ? `🚦 Planned for the merge queue at ${shortSha(r.ctx.sha)} in [run ${r.ctx.runId}](${runUrl(r.ctx)}). Nothing is applied here: the push to \`${(queue.base_ref ?? "").replace(/^refs\/heads\//, "") || "the default branch"}\` after the queue merges applies the plan reviewed in the pull request${r.inputs.requireReviewedPlan ? " (require-reviewed-plan: only if its hash is unchanged)" : ""}.`
    : `📝 Planned for ${shortSha(r.ctx.sha)} in [run ${r.ctx.runId}](${runUrl(r.ctx)}).`;
  await forEachConfig(
    r,
    async (config) => {
      const plan = await r.loadPlan(config);
      const planFile = await r.savePlan(config, plan);
      r.outcomes.push({ config, plan, planFile });
      r.addSummary(config, plan, status);
      if (!pr) return;
      const existing = await r.findComment(pr.number, config);
      // Nothing to say: no comment, unless one exists (it would show a stale plan) or asked for.
      if (plan.changes.length === 0 && !existing && !r.inputs.commentOnNoChanges) return;
      await r.upsertComment(pr.number, config, r.planBody(config, plan, status), existing);
    },
    {
      failedTitle: "Plan failed.",
      // Every failure — the configuration, the plan (a missing group, a collision, the
      // delete-all guard), a peer that cannot be reached, a bug — replaces the comment's
      // plan and its data: no "Planned" comment may outlive a commit that failed.
      async onFailure(config, lines) {
        if (!pr) return;
        const body = r.failureBody(config, lines, `❌ Plan failed for ${shortSha(r.ctx.sha)} in [run ${r.ctx.runId}](${runUrl(r.ctx)}).`);
        try {
          await r.upsertComment(pr.number, config, body);
        } catch (commentError) {
          if (!(commentError instanceof GitHubApiError)) throw commentError;
          // The step fails anyway; say that the comment could not be replaced, since it may still show an older plan.
          r.outcomes.push({ config, failed: `the plan comment could not be replaced with this failure (${commentError.message}); it may still show an earlier plan, which must not be merged` });
        }
      },
    },
  );
}
