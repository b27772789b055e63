/**
 * push to the default branch: apply exactly what was reviewed in the merged pull request,
 * verify the sign-ins of the people it affected (issue 21), then post what happened as a new
 * comment on it (a new comment notifies the people on the pull request; editing the plan
 * comment notifies nobody), and point the plan comment's status line to it. A sign-in that
 * does not work fails the job once both comments are written; what was applied stays.
 */
import { ApplyError, type ProgressEvent } from "../../apply/executor.js";
import type { Plan } from "../../domain/plan-types.js";
import { NotConvergedError } from "../../engine.js";
import { UserError } from "../../errors.js";
import { planDrift } from "../../plan/plan-drift.js";
import type { VerifyOutcome } from "../../domain/verify.js";
import { applyOutcome, brokenSignIns, renderApplyMarkdown, type ApplyReport, type ApplyResultRow, type Verification } from "../../render/apply-markdown.js";
import { brokenSignInsLine } from "../../render/verify-text.js";
import { escapeUnsafe } from "../../util/safe-text.js";
import { type ActionRun, type ConfigOutcome, errorLines, fence, forEachConfig, onProgress, runUrl, shortSha } from "../action-run.js";
import { applyMarkerFor, digestDrift, GITHUB_COMMENT_LIMIT, replaceStatus, STATUS_DRIFT_LINES } from "../comment.js";
import { GitHubApiError, type IssueComment, type PullRequest } from "../github.js";
import { log } from "../log.js";

/** Each change's result, from the executor's progress events. */
class ResultTracker {
  private readonly state = new Map<string, { result: ApplyResultRow["result"]; error?: string }>();
  constructor(private readonly plan: Plan) {}

  on = (e: ProgressEvent): void => {
    if (e.kind === "start") this.state.set(e.change.address, { result: "unknown" });
    else if (e.kind === "done") this.state.set(e.change.address, { result: "done" });
    // Not one of ours (an SDK's error, e.g. AWS's NoSuchEntity): its kind helps, as in errorLines.
    else if (e.kind === "failed") this.state.set(e.change.address, { result: "failed", error: e.error instanceof UserError ? e.error.message : `${e.error.name}: ${e.error.message}` });
    else if (e.kind === "skipped") this.state.set(e.change.address, { result: "not attempted" });
  };

  rows(redact: (s: string) => string): ApplyResultRow[] {
    return this.plan.changes.map((c) => {
      const s = this.state.get(c.address) ?? { result: "not attempted" as const };
      return { address: c.address, action: c.action, result: s.result, ...(s.error !== undefined ? { error: escapeUnsafe(redact(s.error)) } : {}) };
    });
  }
}

export async function applyOnMerge(r: ActionRun): Promise<void> {
  const pulls = await r.github.pullsForCommit(r.ctx.repository, r.ctx.sha);
  const merged: PullRequest | undefined = pulls.find((p) => p.merge_commit_sha === r.ctx.sha && p.merged_at) ?? pulls.find((p) => p.merged_at);
  const attempt = Number(r.ctx.env.GITHUB_RUN_ATTEMPT ?? "1");
  const runLabel = `run ${r.ctx.runId}${attempt > 1 ? `, attempt ${attempt}` : ""}`;
  const link = `[${runLabel}](${runUrl(r.ctx)})`;
  await forEachConfig(r, async (config) => {
    const comment = merged ? await r.findComment(merged.number, config) : undefined;
    // What an earlier attempt of this job posted (a re-run updates it, never posts another).
    const earlier = merged ? await r.findApplyComment(merged.number, config) : undefined;
    const earlierNote = earlier ? ` An earlier attempt of this job: [apply results](${earlier.html_url}).` : "";
    const setStatus = async (status: string) => {
      if (comment) await r.github.updateComment(r.ctx.repository, comment.id, replaceStatus(comment.body ?? "", status));
    };
    const reviewed = comment ? await r.reviewedPlan(comment, merged!.number, config) : undefined;
    const plan = await r.loadPlan(config);
    const planFile = await r.savePlan(config, plan);
    const outcome: ConfigOutcome = { config, plan, planFile };
    r.outcomes.push(outcome);

    // A re-run after this job applied everything: nothing is left, and nothing is written.
    if (earlier && plan.changes.length === 0) {
      r.addSummary(config, plan, `✅ Nothing left to apply: an earlier attempt of this job applied it (${earlier.html_url}).`);
      await setStatus(`✅ **Nothing left to apply** at ${shortSha(r.ctx.sha)} (checked again in ${link}). An earlier attempt of this job: [apply results](${earlier.html_url}).`);
      return;
    }

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
      // The status goes into the plan comment, whose length planBody bounds: at most
      // STATUS_DRIFT_LINES lines of what changed here (all of them in the log and the error).
      const shown = diff.length > STATUS_DRIFT_LINES ? [...diff.slice(0, STATUS_DRIFT_LINES), `… and ${diff.length - STATUS_DRIFT_LINES} more (in the run log)`] : diff;
      const status = `⚠️ **Plan changed** — not applied. The plan at merge (${shortSha(r.ctx.sha)}, ${link}) differs from the one reviewed here (hash \`${reviewed.hash.slice(0, 12)}\` → \`${plan.hash.slice(0, 12)}\`):\n\n${fence(shown.map((l) => escapeUnsafe(l.length > 200 ? `${l.slice(0, 199)}…` : l)))}\n\nRe-run the plan on a new pull request and review it.${earlierNote}`;
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
    const tracker = new ResultTracker(plan);
    let failure: unknown;
    try {
      await r.sessions.get(config)!.apply({
        onProgress: (e) => {
          tracker.on(e);
          onProgress(e);
        },
      });
    } catch (error) {
      failure = error;
    }

    // What happened, as a new comment on the merged pull request (updated on a re-run).
    const verification: Verification =
      failure === undefined
        ? { kind: "verified" }
        : failure instanceof NotConvergedError
          ? { kind: "not-converged", remaining: failure.remaining.map((l) => escapeUnsafe(r.redact(l))) }
          : {
              kind: "not-run",
              reason:
                failure instanceof ApplyError
                  ? "the apply stopped at a failure, so nothing was read again. Open a pull request to plan and review what is left (every step is idempotent, so applying it converges); a re-run of this job is refused as plan-changed while require-reviewed-plan is on."
                  : "the apply did not finish, so nothing was read again. Plan again to see what is left.",
            };
    // The apply is complete and a fresh read agrees: do the sign-ins of the people it affected work?
    const signIns: VerifyOutcome | undefined = failure === undefined ? await r.verify(config, plan) : undefined;
    const report: ApplyReport = {
      config,
      commit: r.ctx.sha,
      run: { url: runUrl(r.ctx), label: runLabel },
      ...(comment ? { planComment: { url: comment.html_url } } : {}),
      rows: tracker.rows((s) => r.redact(s)),
      verification,
      ...(signIns ? { signIns } : {}),
      // The changes' own errors are in their rows; anything else (a step after them, an unexpected error) is shown whole.
      ...(failure !== undefined && !(failure instanceof ApplyError) && !(failure instanceof NotConvergedError)
        ? { errorLines: errorLines(failure).map((l) => r.redact(l)) }
        : {}),
    };
    const posted = merged ? await postApplyComment(r, merged.number, config, report, earlier) : undefined;
    const result = applyOutcome(report);
    const results = (words: string) => (posted ? ` — [${words}](${posted.html_url}).` : ".");

    if (failure !== undefined) {
      const head =
        result === "not-verified"
          ? `⚠️ **Applied, but not verified** at ${shortSha(r.ctx.sha)} in ${link}${results("apply results")}`
          : `❌ **Apply failed** at ${shortSha(r.ctx.sha)} in ${link}${results("what was written and what failed")}`;
      // Without the apply comment, the errors stay in the status line.
      const lines = errorLines(failure).map((l) => r.redact(l));
      const shownLines = lines.length > STATUS_DRIFT_LINES ? [...lines.slice(0, STATUS_DRIFT_LINES), `… and ${lines.length - STATUS_DRIFT_LINES} more lines (in the run log)`] : lines;
      const status = posted ? head : `${head}\n\n${fence(shownLines.map((l) => (l.length > 200 ? `${l.slice(0, 199)}…` : l)))}`;
      await setStatus(status);
      r.addSummary(config, plan, status);
      throw failure;
    }
    const broken = brokenSignIns(report);
    if (broken > 0 && signIns?.kind === "checked") {
      const status = `❌ **Applied, but ${broken} sign-in${broken === 1 ? " does" : "s do"} not work** at ${shortSha(r.ctx.sha)} in ${link}${results("apply results")}`;
      await setStatus(status);
      r.addSummary(config, plan, status, { signIns });
      // The job fails, after the comments are written; nothing is undone.
      outcome.failed = `apply complete; ${brokenSignInsLine(signIns.report, 5, signIns.people)}. What was applied stays applied; the apply comment and the job summary say why each sign-in fails`;
      return;
    }
    const done = `✅ **Applied** at ${shortSha(r.ctx.sha)} in ${link}${results("apply results")}`;
    await setStatus(done);
    r.addSummary(config, plan, done, signIns ? { signIns } : {});
  });
}

/** Posts the apply comment, or updates an earlier attempt's; a GitHub error is a warning (the apply itself is done). */
async function postApplyComment(r: ActionRun, pull: number, config: string, report: ApplyReport, earlier: IssueComment | undefined): Promise<IssueComment | undefined> {
  const body = renderApplyMarkdown(report, { maxLength: GITHUB_COMMENT_LIMIT, marker: applyMarkerFor(config, r.ctx.sha) });
  try {
    return earlier ? await r.github.updateComment(r.ctx.repository, earlier.id, body) : await r.github.createComment(r.ctx.repository, pull, body);
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error;
    log.warning(`could not post the apply results on pull request #${pull}: ${error.message}`);
    return undefined;
  }
}
