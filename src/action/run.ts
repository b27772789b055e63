import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { ConfigError, type Diagnostic } from "../config/diagnostics.js";
import { expiryPhrase } from "../config/expiry.js";
import { loadConfigFile, validateConfigFile } from "../config/load-config.js";
import type { ProgressEvent } from "../apply/executor.js";
import { createPlan } from "../engine.js";
import { formatProblem, UserError } from "../errors.js";
import { highestRisk, severityRank } from "../plan/risks.js";
import type { Plan, Severity } from "../domain/plan-types.js";
import { renderPlanJson } from "../render/json.js";
import { code, fence as markdownFence, mdText, renderPlanMarkdown } from "../render/markdown.js";
import { escapeUnsafe, escapeUnsafeJson } from "../util/safe-text.js";
import { planDrift } from "../plan/plan-drift.js";
import { createAccessReport } from "../report/access.js";
import { renderAccessMarkdown, renderAccessReport, type AccessFormat } from "../report/render.js";
import type { AccessReport } from "../report/types.js";
import { dataBlock, GITHUB_COMMENT_LIMIT, markerFor, readData, replaceStatus, RESULT_FAILED, RESULT_PLANNED, statusBlock } from "./comment.js";
import { GitHubApiError, GitHubClient, graphqlUrlFor, sameLogin, type IssueComment, type PullRequest } from "./github.js";
import { log } from "./log.js";

export type ActionMode = "auto" | "plan" | "apply" | "drift" | "expire" | "report";

export interface ActionInputs {
  configs: string[];
  mode: ActionMode;
  githubToken: string;
  authentikUrl: string;
  authentikToken: string;
  /** undefined: as options.prune in each config says. */
  prune: boolean | undefined;
  requireReviewedPlan: boolean;
  commentOnNoChanges: boolean;
  /** Whose comments are ours, as given (the bot-login input); undefined: the token's own login, asked of GitHub. */
  botLogin: string | undefined;
  scimWaitSeconds: number;
  /** Write the SCIM token to authentik again (it cannot be compared). */
  rotateScimToken: boolean;
  /** Fail the plan check when a plan has a risk of this severity or higher (fail-on-risk); undefined: never. */
  failOnRisk?: Severity;
  /** mode: report — the format of the file written (report-file); the job summary is always markdown. */
  reportFormat: AccessFormat;
}

export interface ActionContext {
  eventName: string;
  event: Record<string, any>;
  repository: string;
  sha: string;
  ref: string;
  apiUrl: string;
  serverUrl: string;
  runId: string;
  workspace: string;
  tempDir: string;
  env: NodeJS.ProcessEnv;
}

/** GitHub drops a step summary above 1 MiB altogether; counted in bytes (UTF-8), not characters. */
export const JOB_SUMMARY_LIMIT_BYTES = 1024 * 1024;
const SUMMARY_SEPARATOR = "\n\n---\n\n";

interface ConfigOutcome {
  config: string;
  plan?: Plan;
  planFile?: string;
  failed?: string;
}

export function effectiveMode(inputs: ActionInputs, ctx: ActionContext): Exclude<ActionMode, "auto"> {
  if (inputs.mode !== "auto") return inputs.mode;
  if (ctx.eventName === "pull_request") return "plan";
  // A merge queue's required check on the queued merge: plan it, write nothing. The push to the
  // default branch that follows the queue's merge applies it (require-reviewed-plan: the reviewed hash).
  if (ctx.eventName === "merge_group") return "plan";
  if (ctx.eventName === "push") {
    const defaultBranch = ctx.event.repository?.default_branch ?? "main";
    return ctx.ref === `refs/heads/${defaultBranch}` ? "apply" : "plan";
  }
  return "drift"; // schedule, workflow_dispatch: is the live state still what main declares?
}

function runUrl(ctx: ActionContext): string {
  return `${ctx.serverUrl.replace(/\/+$/, "")}/${ctx.repository}/actions/runs/${ctx.runId}`;
}

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

function isForkPullRequest(ctx: ActionContext): boolean {
  const pr = ctx.event.pull_request;
  if (!pr) return false;
  return pr.head?.repo == null || pr.head.repo.full_name !== pr.base?.repo?.full_name;
}

/** Validation errors as GitHub annotations on the config file (relative to the workspace). */
function annotate(diagnostics: readonly Diagnostic[], ctx: ActionContext): void {
  for (const d of diagnostics) {
    const file = path.relative(ctx.workspace, path.resolve(ctx.workspace, d.file)) || d.file;
    const props = { file, startLine: d.line, startColumn: d.column, title: "authentik-aws-gitops" };
    if (d.severity === "error") log.error(d.message, props);
    else log.warning(d.message, props);
  }
}

/**
 * What went wrong, as lines (one message may span several), each with its unsafe
 * characters made visible: the error's problems in the form the CLI prints them too
 * (warnings of a configuration are annotations, not failures).
 */
function errorLines(error: unknown): string[] {
  const messages =
    error instanceof UserError
      ? error.problems().filter((p) => p.severity === "error").map((p) => formatProblem(p))
      : // Not one of ours (a bug, or an SDK's own error such as no AWS credentials): its kind helps.
        [error instanceof Error ? `${error.name}: ${error.message}` : String(error)];
  return messages.flatMap((m) => m.split(/\r?\n/)).map(escapeUnsafe);
}

/** Errors a user can act on: reported per config (comment, summary) rather than crashing the run. */
function isReportable(error: unknown): boolean {
  return error instanceof UserError;
}

/** Lines as a block in the comment or the summary (a <pre> when a line spells markup, see render/markdown.ts). */
function fence(lines: string[]): string {
  return markdownFence(lines, "text").join("\n");
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > maxBytes) break;
    bytes += b;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * `render(maxLength)` (a limit in UTF-16 code units, which never undercount bytes) made to
 * fit `maxBytes` of UTF-8: rendered again with a smaller limit while the bytes overflow,
 * so the renderer cuts where it reads well and says so.
 */
export function fitBytes(maxBytes: number, render: (maxLength: number) => string): string {
  let maxLength = maxBytes;
  for (let attempt = 0; attempt < 6; attempt++) {
    const text = render(maxLength);
    const bytes = Buffer.byteLength(text);
    if (bytes <= maxBytes) return text;
    maxLength = Math.max(0, Math.min(maxLength - 1, Math.floor((maxLength * maxBytes) / bytes * 0.99)));
  }
  return truncateUtf8(render(maxLength), maxBytes);
}

class ActionRun {
  readonly github: GitHubClient;
  private login: Promise<string> | undefined;
  readonly outcomes: ConfigOutcome[] = [];
  readonly summary: string[] = [];

  constructor(
    readonly inputs: ActionInputs,
    readonly ctx: ActionContext,
  ) {
    this.github = new GitHubClient(ctx.apiUrl, inputs.githubToken, graphqlUrlFor(ctx.apiUrl, ctx.env));
  }

  engineEnv(): NodeJS.ProcessEnv {
    const env = {
      ...this.ctx.env,
      ...(this.inputs.authentikToken ? { AUTHENTIK_TOKEN: this.inputs.authentikToken } : {}),
      ...(this.inputs.authentikUrl ? { AUTHENTIK_URL: this.inputs.authentikUrl } : {}),
    };
    // authentik.url comes from the configuration, which a pull request can change: the
    // token goes only to an address the workflow itself names.
    if (!env.AUTHENTIK_URL) {
      throw new UserError(
        "the authentik-url input is not set: the Action sends the authentik token only to the address the workflow names (authentik-url, or AUTHENTIK_URL in its env), never to authentik.url from the configuration, which a pull request can change",
      );
    }
    return env;
  }

  /** Whose comments are ours: bot-login when given, else the token's own login (GraphQL's viewer, which every token type may ask). */
  viewer(): Promise<string> {
    this.login ??= this.inputs.botLogin
      ? Promise.resolve(this.inputs.botLogin)
      : this.github.viewerLogin().catch((error: unknown) => {
          if (!(error instanceof GitHubApiError)) throw error;
          throw new GitHubApiError(
            error.method,
            error.path,
            error.status,
            `${error.githubMessage} — without the token's login the Action cannot tell its own comments; set the bot-login input to the login the token comments as`,
          );
        });
    return this.login;
  }

  async findComment(issue: number, config: string): Promise<IssueComment | undefined> {
    const [comments, login] = await Promise.all([this.github.listComments(this.ctx.repository, issue), this.viewer()]);
    const marker = markerFor(config);
    // Both the marker, as the first line, and the author: a comment someone else wrote, even quoting the marker, is never touched.
    return comments.find((c) => c.user?.login === login && (c.body ?? "").split("\n", 1)[0] === marker);
  }

  planBody(config: string, plan: Plan, status: string): string {
    const data = dataBlock(plan, this.ctx.sha, 20_000);
    const budget = GITHUB_COMMENT_LIMIT - data.length - 2;
    const markdown = renderPlanMarkdown(plan, {
      maxLength: budget,
      commit: this.ctx.sha,
      // Line 1 finds the comment again, line 2 says the plan succeeded (readData trusts nothing else).
      marker: `${markerFor(config)}\n${RESULT_PLANNED}`,
      title: `### authentik-aws-gitops plan for ${code(config)}`,
      statusLine: statusBlock(status),
      fullPlanHint: `The full plan is in the [job summary](${runUrl(this.ctx)}) and the \`plan-json\` output of the run.`,
    });
    return `${markdown}\n${data}`;
  }

  /**
   * The whole comment for a failed plan: no plan, no data line — whatever it showed
   * before is gone. Always within GitHub's limit (a refused update would leave the old
   * plan in place): as many error lines as fit once escaped, then how many are left out.
   */
  failureBody(config: string, lines: string[], status: string): string {
    const head = `${markerFor(config)}\n${RESULT_FAILED}\n### authentik-aws-gitops plan for ${code(config)}\n\n${statusBlock(status)}\n\n`;
    const body = (n: number) => {
      const rest = lines.length - n;
      return `${head}${fence(lines.slice(0, n))}\n${rest > 0 ? `\n… and ${rest} more line(s); see the run log\n` : ""}`;
    };
    if (body(lines.length).length <= GITHUB_COMMENT_LIMIT) return body(lines.length);
    // The most lines that fit (escaping can make a line several times longer: measure it rendered).
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (body(mid).length <= GITHUB_COMMENT_LIMIT) lo = mid;
      else hi = mid - 1;
    }
    const text = body(lo);
    // Even no line at all must fit; a single enormous line is cut, and says so.
    return text.length <= GITHUB_COMMENT_LIMIT ? text : `${head}… the errors are too long to show here; see the run log\n`;
  }

  /**
   * The reviewed plan a comment of ours vouches for: only the data line of a successful
   * plan (readData), and only while nobody but the Action has edited the comment —
   * someone with write access could keep the plan a reviewer saw and put another plan's
   * hash in its data line.
   */
  async reviewedPlan(comment: IssueComment, pull: number, config: string) {
    const reviewed = readData(comment.body ?? "");
    if (!reviewed) return undefined;
    const [editor, login] = await Promise.all([this.github.commentEditor(comment.node_id), this.viewer()]);
    if (editor !== null && !sameLogin(editor, login)) {
      throw new UserError(
        `edited-plan-comment: the plan comment of pull request #${pull} for ${config} was last edited by ${editor}, not by the Action, so it no longer proves what was reviewed; nothing was applied. Plan and review the change again in a new pull request`,
      );
    }
    return reviewed;
  }

  async upsertComment(issue: number, config: string, body: string, existing?: IssueComment): Promise<void> {
    const found = existing ?? (await this.findComment(issue, config));
    if (found) await this.github.updateComment(this.ctx.repository, found.id, body);
    else await this.github.createComment(this.ctx.repository, issue, body);
  }

  async savePlan(config: string, plan: Plan): Promise<string> {
    const dir = path.join(this.ctx.tempDir, "authentik-aws-gitops");
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${config.replace(/[^A-Za-z0-9._-]+/g, "_")}.plan.json`);
    // Lossless JSON escapes for what no reader should get raw (controls, invisible and bidirectional characters).
    await writeFile(file, escapeUnsafeJson(renderPlanJson(plan)));
    return file;
  }

  addSummary(config: string, plan: Plan, status: string): void {
    // Each config gets its share of GitHub's limit, in bytes: a plan full of non-ASCII names
    // takes up to three bytes per character.
    const share = Math.floor((JOB_SUMMARY_LIMIT_BYTES - 2) / Math.max(1, this.inputs.configs.length)) - SUMMARY_SEPARATOR.length;
    this.summary.push(
      fitBytes(share, (maxLength) =>
        renderPlanMarkdown(plan, {
          maxLength,
          commit: this.ctx.sha,
          title: `### authentik-aws-gitops: ${code(config)}`,
          statusLine: status,
          fullPlanHint: "The full plan is in the `plan-json` output of the run.",
        }),
      ),
    );
  }

  async loadConfig(config: string) {
    // Relative to the working directory (the workspace on a runner), so messages name the file as the repository does.
    const file = path.relative(process.cwd(), path.resolve(this.ctx.workspace, config)) || config;
    const { config: resolved, warnings } = await loadConfigFile(file).catch((error: unknown) => {
      if (error instanceof ConfigError) annotate(error.diagnostics, this.ctx);
      throw error;
    });
    annotate(warnings, this.ctx);
    const scimToken = resolved.scim ? this.ctx.env[resolved.scim.tokenEnv] : undefined;
    if (scimToken) core.setSecret(scimToken);
    return resolved;
  }

  async loadPlan(config: string): Promise<Plan> {
    const resolved = await this.loadConfig(config);
    const pollMs = Number(this.ctx.env.AUTHENTIK_AWS_GITOPS_POLL_MS);
    const session = await createPlan(resolved, {
      env: this.engineEnv(),
      // How often asynchronous Identity Center operations are polled (as in the CLI; tests shorten it).
      ...(pollMs > 0 ? { pollMs } : {}),
      ...(this.inputs.prune !== undefined ? { prune: this.inputs.prune } : {}),
      scimWaitSeconds: this.inputs.scimWaitSeconds,
      ...(this.inputs.rotateScimToken ? { rotateScimToken: true } : {}),
    });
    this.sessions.set(config, session);
    return session.plan;
  }

  readonly sessions = new Map<string, Awaited<ReturnType<typeof createPlan>>>();
}

/**
 * pull_request: plan each config and keep one comment per config up to date.
 * merge_group (and any run without a pull request): plan, summary and outputs only; nothing is written to GitHub.
 */
async function planOnPullRequest(r: ActionRun): Promise<void> {
  const pr = r.ctx.event.pull_request as { number: number } | undefined;
  const queue = r.ctx.eventName === "merge_group" ? (r.ctx.event.merge_group as { base_ref?: string } | undefined) : undefined;
  for (const config of r.inputs.configs) {
    const status = queue
      ? `🚦 Planned for the merge queue at ${shortSha(r.ctx.sha)} in [run ${r.ctx.runId}](${runUrl(r.ctx)}). Nothing is applied here: the push to \`${(queue.base_ref ?? "").replace(/^refs\/heads\//, "") || "the default branch"}\` after the queue merges applies the plan reviewed in the pull request${r.inputs.requireReviewedPlan ? " (require-reviewed-plan: only if its hash is unchanged)" : ""}.`
      : `📝 Planned for ${shortSha(r.ctx.sha)} in [run ${r.ctx.runId}](${runUrl(r.ctx)}).`;
    try {
      const plan = await r.loadPlan(config);
      const planFile = await r.savePlan(config, plan);
      r.outcomes.push({ config, plan, planFile });
      r.addSummary(config, plan, status);
      if (!pr) continue;
      const existing = await r.findComment(pr.number, config);
      // Nothing to say: no comment, unless one exists (it would show a stale plan) or asked for.
      if (plan.changes.length === 0 && !existing && !r.inputs.commentOnNoChanges) continue;
      await r.upsertComment(pr.number, config, r.planBody(config, plan, status), existing);
    } catch (error) {
      // Every failure — the configuration, the plan (a missing group, a collision, the
      // delete-all guard), a peer that cannot be reached, a bug — replaces the comment's
      // plan and its data: no "Planned" comment may outlive a commit that failed.
      const lines = errorLines(error);
      if (!isReportable(error)) log.error([`${config}: the plan failed unexpectedly:`, ...lines]);
      r.outcomes.push({ config, failed: lines.join("\n") });
      r.summary.push(`### authentik-aws-gitops: ${code(config)}\n\n❌ Plan failed.\n\n${fence(lines)}\n`);
      if (!pr) continue;
      const body = r.failureBody(config, lines, `❌ Plan failed for ${shortSha(r.ctx.sha)} in [run ${r.ctx.runId}](${runUrl(r.ctx)}).`);
      try {
        await r.upsertComment(pr.number, config, body);
      } catch (commentError) {
        if (!(commentError instanceof GitHubApiError)) throw commentError;
        // The step fails anyway; say that the comment could not be replaced, since it may still show an older plan.
        r.outcomes.push({ config, failed: `the plan comment could not be replaced with this failure (${commentError.message}); it may still show an earlier plan, which must not be merged` });
      }
    }
  }
}

/** push to the default branch: apply exactly what was reviewed in the merged pull request. */
async function applyOnMerge(r: ActionRun): Promise<void> {
  const pulls = await r.github.pullsForCommit(r.ctx.repository, r.ctx.sha);
  const merged: PullRequest | undefined = pulls.find((p) => p.merge_commit_sha === r.ctx.sha && p.merged_at) ?? pulls.find((p) => p.merged_at);
  for (const config of r.inputs.configs) {
    const link = `[run ${r.ctx.runId}](${runUrl(r.ctx)})`;
    let comment: IssueComment | undefined;
    try {
      comment = merged ? await r.findComment(merged.number, config) : undefined;
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
        const diff = planDrift(reviewed.changes, plan);
        const status = `⚠️ **Plan changed** — not applied. The plan at merge (${shortSha(r.ctx.sha)}, ${link}) differs from the one reviewed here (hash \`${reviewed.hash.slice(0, 12)}\` → \`${plan.hash.slice(0, 12)}\`):\n\n${fence(diff.map(escapeUnsafe))}\n\nRe-run the plan on a new pull request and review it.`;
        if (r.inputs.requireReviewedPlan) {
          if (comment) await r.github.updateComment(r.ctx.repository, comment.id, replaceStatus(comment.body ?? "", status));
          r.addSummary(config, plan, status);
          throw new UserError(`plan-changed: the live state or configuration changed since the plan was reviewed in #${merged!.number}; nothing was applied.\n${diff.join("\n")}`);
        }
        log.warning(["plan-changed, applying anyway because require-reviewed-plan is off:", ...diff]);
      }

      if (plan.changes.length === 0) {
        r.addSummary(config, plan, "✅ Nothing to apply.");
        if (comment) await r.github.updateComment(r.ctx.repository, comment.id, replaceStatus(comment.body ?? "", `✅ Nothing to apply at ${shortSha(r.ctx.sha)} (${link}).`));
        continue;
      }
      if (comment) await r.github.updateComment(r.ctx.repository, comment.id, replaceStatus(comment.body ?? "", `⏳ Applying at ${shortSha(r.ctx.sha)} in ${link}…`));
      try {
        const session = r.sessions.get(config)!;
        await session.apply({ onProgress });
      } catch (error) {
        const status = `❌ **Apply failed** at ${shortSha(r.ctx.sha)} in ${link}:\n\n${fence(errorLines(error))}`;
        if (comment) await r.github.updateComment(r.ctx.repository, comment.id, replaceStatus(comment.body ?? "", status));
        r.addSummary(config, plan, status);
        throw error;
      }
      const done = `✅ **Applied** at ${shortSha(r.ctx.sha)} in ${link}.`;
      if (comment) await r.github.updateComment(r.ctx.repository, comment.id, replaceStatus(comment.body ?? "", done));
      r.addSummary(config, plan, done);
    } catch (error) {
      if (!isReportable(error)) throw error;
      r.outcomes.push({ config, failed: errorLines(error).join("\n") });
      if (!r.summary.some((s) => s.includes(code(config)))) r.summary.push(`### authentik-aws-gitops: ${code(config)}\n\n❌ Failed.\n\n${fence(errorLines(error))}\n`);
    }
  }
}

/** schedule: plan, and fail when the live state drifted from what main declares. */
async function drift(r: ActionRun): Promise<void> {
  for (const config of r.inputs.configs) {
    try {
      const plan = await r.loadPlan(config);
      const planFile = await r.savePlan(config, plan);
      const drifted = plan.changes.length > 0;
      r.outcomes.push({ config, plan, planFile, ...(drifted ? { failed: `drift: ${plan.changes.length} change(s) between the configuration and the live state` } : {}) });
      r.addSummary(config, plan, drifted ? `⚠️ **Drift**: the live state differs from ${code(config)} (${runUrl(r.ctx)}).` : "✅ No drift.");
    } catch (error) {
      if (!isReportable(error)) throw error;
      r.outcomes.push({ config, failed: errorLines(error).join("\n") });
      r.summary.push(`### authentik-aws-gitops: ${code(config)}\n\n❌ Failed.\n\n${fence(errorLines(error))}\n`);
    }
  }
}

/** Apply's progress in the log: one line per change done, and what the engine says it is doing. */
function onProgress(e: ProgressEvent): void {
  if (e.kind === "done") log.info([`✓ ${e.change.action} ${e.change.address}`]);
  else if (e.kind === "info") log.info(e.message);
}

/** "group 'data-eng': role 'data-engineer' in dev (222222222222), expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)" */
function expiredAccessLines(plan: Plan): string[] {
  const kind = plan.mode === "classic-iam" ? "role" : "permission set";
  return plan.access
    .filter((a) => a.change === "lost" && a.reason === "expired" && a.expires)
    .map(
      (a) =>
        `group '${a.group}': ${a.kind === "application" ? `sign-in to application '${a.grant}'` : `${kind} '${a.grant}' in ${a.account} (${a.accountId})`}, expired ${expiryPhrase(a.expires!.value)} (${a.expires!.field}, ${a.expires!.location})`,
    );
}

/**
 * mode: expire (an hourly schedule): plan each config and apply it only when every
 * change removes a grant whose mappings[].expires has passed. The expiry was reviewed
 * when it was merged, so no reviewed plan is needed; any other change is drift, which
 * fails the run like mode: drift and applies nothing.
 */
async function expire(r: ActionRun): Promise<void> {
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
  for (const config of r.inputs.configs) {
    try {
      const plan = await r.loadPlan(config);
      const planFile = await r.savePlan(config, plan);
      if (plan.changes.length === 0) {
        r.outcomes.push({ config, plan, planFile });
        r.addSummary(config, plan, "✅ Nothing has expired: no changes.");
        continue;
      }
      const other = plan.changes.filter((c) => !c.expired);
      if (other.length > 0) {
        const shown = other.slice(0, 5).map((c) => `${c.action} ${c.address}`).join(", ");
        const failed = `drift: ${other.length} change(s) between the configuration and the live state that are not removals of expired access (${shown}${other.length > 5 ? `, … ${other.length - 5} more` : ""}); nothing was applied, not even the ${plan.changes.length - other.length} expired removal(s). Review the plan and apply it through a pull request`;
        r.outcomes.push({ config, plan, planFile, failed });
        r.addSummary(config, plan, `⚠️ **Drift**: the live state differs from ${code(config)} by more than expired access (${runUrl(r.ctx)}); **nothing was applied**.`);
        continue;
      }
      const expired = expiredAccessLines(plan);
      for (const line of expired) log.info([`expired: ${line}`]);
      try {
        const session = r.sessions.get(config)!;
        await session.apply({ onProgress });
      } catch (error) {
        r.addSummary(config, plan, `❌ **Removing expired access failed** at ${shortSha(r.ctx.sha)} in ${link}:

${fence(errorLines(error))}`);
        throw error;
      }
      r.outcomes.push({ config, plan, planFile });
      const list = expired.map((l) => `- ${mdText(l)}`).join("\n");
      r.addSummary(config, plan, `✅ **Expired access removed** at ${shortSha(r.ctx.sha)} in ${link} (${plan.changes.length} change(s), each the removal of a grant whose \`expires\` has passed):\n\n${list}`);
    } catch (error) {
      if (!isReportable(error)) throw error;
      r.outcomes.push({ config, failed: errorLines(error).join("\n") });
      if (!r.summary.some((s) => s.includes(code(config)))) r.summary.push(`### authentik-aws-gitops: ${code(config)}\n\n❌ Failed.\n\n${fence(errorLines(error))}\n`);
    }
  }
}

/**
 * mode: report — the access report of each config: markdown into the job summary, the
 * chosen format into a file (report-file). Reads only: nothing is written to GitHub,
 * nothing is applied.
 */
async function accessReports(r: ActionRun): Promise<void> {
  const files: string[] = [];
  const lines: string[] = [];
  const failures: string[] = [];
  const ext = { markdown: "md", csv: "csv", json: "json" }[r.inputs.reportFormat];
  const share = Math.floor((JOB_SUMMARY_LIMIT_BYTES - 2) / Math.max(1, r.inputs.configs.length)) - SUMMARY_SEPARATOR.length;
  for (const config of r.inputs.configs) {
    try {
      const resolved = await r.loadConfig(config);
      const report: AccessReport = await createAccessReport(resolved, { env: r.engineEnv() });
      const dir = path.join(r.ctx.tempDir, "authentik-aws-gitops");
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${config.replace(/[^A-Za-z0-9._-]+/g, "_")}.access.${ext}`);
      await writeFile(file, renderAccessReport(report, r.inputs.reportFormat));
      files.push(file);
      r.summary.push(
        fitBytes(share, (maxLength) =>
          renderAccessMarkdown(report, {
            maxLength,
            title: `### authentik-aws-gitops access report: ${code(config)}`,
            fullReportHint: "the full report is in the `report-file` output of the run",
          }),
        ),
      );
      const s = report.summary;
      lines.push(`${config}: ${s.people === null ? "" : `${s.people} people, `}${s.grants} grants (${s.unmanagedGrants} not managed), ${s.unlisted} that cannot be listed`);
    } catch (error) {
      if (!isReportable(error)) throw error;
      const errors = errorLines(error);
      failures.push(`${config}: ${errors.join("\n")}`);
      lines.push(`${config}: failed`);
      r.summary.push(`### authentik-aws-gitops access report: ${code(config)}\n\n❌ Report failed.\n\n${fence(errors)}\n`);
    }
  }
  core.setOutput("report-file", files.join("\n"));
  core.setOutput("summary", lines.map(escapeUnsafe).join("\n"));
  if (r.summary.length) await core.summary.addRaw(truncateUtf8(r.summary.join(SUMMARY_SEPARATOR), JOB_SUMMARY_LIMIT_BYTES - 2), true).write();
  if (failures.length) log.fail(failures.join("\n"));
}

/** Fork pull requests get no secrets and a read-only token: validate offline and say so once. */
async function forkPullRequest(r: ActionRun): Promise<void> {
  let invalid = false;
  for (const config of r.inputs.configs) {
    const result = await validateConfigFile(path.resolve(r.ctx.workspace, config));
    annotate(result.diagnostics.map((d) => ({ ...d, file: config })), r.ctx);
    if (!result.config) invalid = true;
  }
  log.notice(
    "This pull request comes from a fork, so GitHub gives its workflow no secrets and a read-only token: the plan against authentik and AWS cannot run and no plan comment is posted. " +
      "The configuration was validated offline" +
      (invalid ? " and has errors (see the annotations)." : " and is valid.") +
      " A maintainer can push the branch to this repository to get a reviewed plan before merging.",
    { title: "authentik-aws-gitops: plan skipped for a fork" },
  );
  core.setOutput("has-changes", "false");
  core.setOutput("summary", "plan skipped: pull request from a fork");
  if (invalid) log.fail("the configuration has errors (see the annotations)");
}

export async function run(inputs: ActionInputs, ctx: ActionContext): Promise<void> {
  if (inputs.authentikToken) core.setSecret(inputs.authentikToken);
  if (ctx.eventName === "pull_request_target") {
    // pull_request_target runs with the base repository's secrets and a token that can
    // write, for a pull request anyone (a fork too) controls: a workflow that checks out
    // its head hands the authentik token and the AWS role to the pull request's files.
    throw new UserError(
      "pull_request_target is refused: it gives a pull request's code this repository's secrets and a writable token. Plan on pull_request (a fork's pull request gets an offline validation), apply on push to the default branch",
    );
  }
  const mode = effectiveMode(inputs, ctx);
  log.info([`authentik-aws-gitops: ${mode} for ${inputs.configs.join(", ")}`]);
  if (mode === "plan" && isForkPullRequest(ctx) && !inputs.authentikToken) return forkPullRequest(new ActionRun(inputs, ctx));

  // The SCIM token a config names is masked as soon as that config is loaded (loadPlan).
  const r = new ActionRun(inputs, ctx);
  if (mode === "report") return accessReports(r);
  if (mode === "plan") await planOnPullRequest(r);
  else if (mode === "apply") await applyOnMerge(r);
  else if (mode === "expire") await expire(r);
  else await drift(r);

  const planned = r.outcomes.filter((o) => o.plan);
  const hasChanges = planned.some((o) => o.plan!.changes.length > 0);
  core.setOutput("has-changes", hasChanges ? "true" : "false");
  core.setOutput("plan-hash", planned.map((o) => o.plan!.hash).join("\n"));
  core.setOutput("plan-json", planned.map((o) => o.planFile).join("\n"));
  const risk = planned.map((o) => highestRisk(o.plan!.risks)).reduce<Severity | "none">((a, b) => (severityRank(b) < severityRank(a) ? b : a), "none");
  core.setOutput("risk", risk);
  core.setOutput(
    "summary",
    r.outcomes
      .map((o) => escapeUnsafe(o.plan ? `${o.config}: ${o.plan.summary.create} to create, ${o.plan.summary.update} to update, ${o.plan.summary.delete} to delete` : `${o.config}: failed`))
      .join("\n"),
  );
  if (r.summary.length) {
    let text = r.summary.join(SUMMARY_SEPARATOR);
    // Plans are fitted one by one; failures (long error lists) are not. addRaw adds a line end (up to 2 bytes).
    if (Buffer.byteLength(text) > JOB_SUMMARY_LIMIT_BYTES - 2) {
      const notice = "\n\n… (cut at GitHub's job summary limit of 1 MiB; the full plans are in the `plan-json` output)\n";
      text = `${truncateUtf8(text, JOB_SUMMARY_LIMIT_BYTES - 2 - Buffer.byteLength(notice))}${notice}`;
    }
    await core.summary.addRaw(text, true).write();
  }
  const failures = r.outcomes.filter((o) => o.failed);
  // Only the plan check fails: after a merge, the reviewed plan is applied as approved.
  if (inputs.failOnRisk && mode === "plan" && risk !== "none" && severityRank(risk) <= severityRank(inputs.failOnRisk)) {
    const which = planned.filter((o) => o.plan!.risks.some((x) => severityRank(x.severity) <= severityRank(inputs.failOnRisk!))).map((o) => o.config);
    failures.push({ config: which.join(", "), failed: `the plan has a ${risk} risk (fail-on-risk: ${inputs.failOnRisk}); see RISKS in the plan comment` });
  }
  if (failures.length) log.fail(failures.map((f) => `${f.config}: ${f.failed}`).join("\n"));
}
