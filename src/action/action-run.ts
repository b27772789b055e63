/**
 * What every runner of the Action shares: the run's GitHub client and its own login, the
 * plan comment of a configuration (found, written, read back as the reviewed plan), the
 * plan JSON file, the job summary's parts and each configuration's outcome — and the one
 * loop over configurations that handles a failure the same way for every mode.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import type { ProgressEvent } from "../apply/executor.js";
import { ConfigError, type Diagnostic } from "../config/diagnostics.js";
import { loadConfigFile } from "../config/load-config.js";
import type { Plan } from "../domain/plan-types.js";
import type { VerifyOutcome } from "../domain/verify.js";
import type { PlanSession } from "../engine.js";
import { formatProblem, UserError } from "../errors.js";
import { renderPlanJson } from "../render/json.js";
import { code, fence as markdownFence, renderPlanMarkdown } from "../render/markdown.js";
import { styler } from "../render/terminal-style.js";
import { renderVerifyOutcomeMarkdown } from "../render/verify-markdown.js";
import { countedFindings, renderVerifyText } from "../render/verify-text.js";
import { openSession } from "../session.js";
import { escapeUnsafe, escapeUnsafeJson } from "../util/safe-text.js";
import { afterApplyTarget, verifyAfterApply, verifyEveryone } from "../verify/after-apply.js";
import { applyMarkerFor, dataBlock, GITHUB_COMMENT_LIMIT, markerFor, readData, RESULT_FAILED, RESULT_PLANNED, STATUS_ROOM, statusBlock } from "./comment.js";
import type { AuthentikAuth } from "../providers/authentik/auth.js";
import { GitHubApiError, GitHubClient, graphqlUrlFor, sameLogin, type IssueComment } from "./github.js";
import { githubOidcAuth } from "./oidc.js";
import { log } from "./log.js";
import { fitBytes, shareOf } from "./summary.js";
import type { ActionContext, ActionInputs } from "./types.js";

export interface ConfigOutcome {
  config: string;
  plan?: Plan;
  planFile?: string;
  failed?: string;
}

export function runUrl(ctx: ActionContext): string {
  return `${ctx.serverUrl.replace(/\/+$/, "")}/${ctx.repository}/actions/runs/${ctx.runId}`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** Validation errors as GitHub annotations on the config file (relative to the workspace). */
export function annotate(diagnostics: readonly Diagnostic[], ctx: ActionContext): void {
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
export function errorLines(error: unknown): string[] {
  const messages =
    error instanceof UserError
      ? error.problems().filter((p) => p.severity === "error").map((p) => formatProblem(p))
      : // Not one of ours (a bug, or an SDK's own error such as no AWS credentials): its kind helps.
        [error instanceof Error ? `${error.name}: ${error.message}` : String(error)];
  return messages.flatMap((m) => m.split(/\r?\n/)).map(escapeUnsafe);
}

/** Errors a user can act on: reported per config (comment, summary) rather than crashing the run. */
export function isReportable(error: unknown): boolean {
  return error instanceof UserError;
}

/** Lines as a block in the comment or the summary (a <pre> when a line spells markup, see render/markdown.ts). */
export function fence(lines: string[]): string {
  return markdownFence(lines, "text").join("\n");
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
/** Apply's progress in the log: one line per change done, and what the engine says it is doing. */
export function onProgress(e: ProgressEvent): void {
  if (e.kind === "done") log.info([`✓ ${e.change.action} ${e.change.address}`]);
  else if (e.kind === "info") log.info(e.message);
}

export class ActionRun {
  readonly github: GitHubClient;
  private login: Promise<string> | undefined;
  readonly outcomes: ConfigOutcome[] = [];
  readonly summary: string[] = [];

  constructor(
    readonly inputs: ActionInputs,
    readonly ctx: ActionContext,
  ) {
    this.github = new GitHubClient(ctx.apiUrl, inputs.githubToken, graphqlUrlFor(ctx.apiUrl, ctx.env));
    if (inputs.authentikToken) this.secrets.add(inputs.authentikToken);
  }

  engineEnv(): NodeJS.ProcessEnv {
    const env = {
      ...this.ctx.env,
      ...(this.inputs.authentikToken ? { AUTHENTIK_TOKEN: this.inputs.authentikToken } : {}),
      ...(this.inputs.authentikUrl ? { AUTHENTIK_URL: this.inputs.authentikUrl } : {}),
    };
    // authentik.url comes from the configuration, which a pull request can change: the
    // token (or GitHub's OIDC token) goes only to an address the workflow itself names.
    if (!env.AUTHENTIK_URL) {
      throw new UserError(
        "the authentik-url input is not set: the Action sends the authentik token only to the address the workflow names (authentik-url, or AUTHENTIK_URL in its env), never to authentik.url from the configuration, which a pull request can change (nor GitHub's OIDC token, with authentik-auth: github-oidc)",
      );
    }
    return env;
  }

  private oidc: AuthentikAuth | undefined;

  /**
   * The run's sign-in to authentik, shared by every configuration: with authentik-auth:
   * github-oidc, GitHub's OIDC token exchanged for an access token (renewed as it nears
   * expiry, each one masked); undefined with authentik-auth: token, whose token reaches
   * the engine as AUTHENTIK_TOKEN (engineEnv).
   */
  authentikAuth(): AuthentikAuth | undefined {
    if (this.inputs.authentikAuth !== "github-oidc") return undefined;
    const url = this.engineEnv().AUTHENTIK_URL!;
    this.oidc ??= githubOidcAuth({ url, clientId: this.inputs.authentikClientId, audience: this.inputs.authentikOidcAudience, env: this.ctx.env, mask: (secret) => this.mask(secret) });
    return this.oidc;
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
    return this.findOwnComment(issue, markerFor(config));
  }

  /** The comment apply posted for `config` at this run's commit, by an earlier attempt of the same job. */
  findApplyComment(issue: number, config: string): Promise<IssueComment | undefined> {
    return this.findOwnComment(issue, applyMarkerFor(config, this.ctx.sha));
  }

  private async findOwnComment(issue: number, marker: string): Promise<IssueComment | undefined> {
    const [comments, login] = await Promise.all([this.github.listComments(this.ctx.repository, issue), this.viewer()]);
    // Both the marker, as the first line, and the author: a comment someone else wrote, even quoting the marker, is never touched.
    return comments.find((c) => c.user?.login === login && (c.body ?? "").split("\n", 1)[0] === marker);
  }

  /** Hides a secret from the log (the runner masks it) and from what the Action writes to GitHub (redact). */
  mask(secret: string): void {
    core.setSecret(secret);
    this.secrets.add(secret);
  }

  /** `text` with every secret of this run replaced by ***: for comments, which the runner does not mask. */
  redact(text: string): string {
    let out = text;
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) if (s.length >= 4) out = out.split(s).join("***");
    return out;
  }

  private readonly secrets = new Set<string>();

  planBody(config: string, plan: Plan, status: string): string {
    const data = dataBlock(plan, this.ctx.sha, 20_000);
    const budget = GITHUB_COMMENT_LIMIT - data.length - 2 - STATUS_ROOM;
    const markdown = renderPlanMarkdown(plan, {
      maxLength: budget,
      commit: this.ctx.sha,
      // Line 1 finds the comment again, line 2 says the plan succeeded (readData trusts nothing else).
      marker: `${markerFor(config)}\n${RESULT_PLANNED}`,
      title: `### authentik-aws-gitops plan for ${code(config)}`,
      statusLine: statusBlock(status),
      fullPlanHint: `The full plan is in the [job summary](${runUrl(this.ctx)}), and as files in the run's \`plan-markdown\` and \`plan-json\` outputs.`,
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

  /** Each configuration's whole plan as markdown, never cut (the `plan-markdown` output): what a cut comment points to. */
  readonly markdownFiles: string[] = [];

  async savePlan(config: string, plan: Plan): Promise<string> {
    const dir = path.join(this.ctx.tempDir, "authentik-aws-gitops");
    await mkdir(dir, { recursive: true });
    const base = path.join(dir, config.replace(/[^A-Za-z0-9._-]+/g, "_"));
    const file = `${base}.plan.json`;
    // Lossless JSON escapes for what no reader should get raw (controls, invisible and bidirectional characters).
    await writeFile(file, escapeUnsafeJson(renderPlanJson(plan)));
    await writeFile(`${base}.plan.md`, `${renderPlanMarkdown(plan, { commit: this.ctx.sha, title: `### authentik-aws-gitops plan for ${code(config)}` })}\n`);
    this.markdownFiles.push(`${base}.plan.md`);
    return file;
  }

  addSummary(config: string, plan: Plan, status: string, options: { drift?: boolean; signIns?: VerifyOutcome } = {}): void {
    // Each config gets its share of GitHub's limit, in bytes: a plan full of non-ASCII names
    // takes up to three bytes per character.
    const share = shareOf(this.inputs.configs.length);
    // What verify found goes under the status, before the plan, in at most a quarter of the share.
    const signIns = options.signIns
      ? fitBytes(Math.floor(share / 4), (maxLength) => renderVerifyOutcomeMarkdown(options.signIns!, { maxLength, fullReportHint: "the `verify-json` output of the run" })).trimEnd()
      : undefined;
    this.summary.push(
      fitBytes(share, (maxLength) =>
        renderPlanMarkdown(plan, {
          maxLength,
          commit: this.ctx.sha,
          title: `### authentik-aws-gitops: ${code(config)}`,
          statusLine: signIns ? `${status}\n\n${signIns}` : status,
          fullPlanHint: "The full plan is in the `plan-markdown` and `plan-json` outputs of the run.",
          ...(options.drift ? { drift: true } : {}),
        }),
      ),
    );
  }

  /** Each verify report of this run as JSON (the `verify-json` output). */
  readonly verifyFiles: string[] = [];
  /** The sign-ins that do not work (error findings) over every verify of this run; undefined while none ran (the `verify-findings` output). */
  verifyErrors: number | undefined;

  /**
   * verify (issue 21) for a configuration planned in this run: after its apply, the people
   * `applied` affected; without it (drift), everyone with access. It never throws — what was
   * applied stays applied, and a verify that cannot run is an outcome (not-run, its reason
   * without secrets) — and logs the report, saves it as JSON and counts what it found.
   */
  async verify(config: string, applied?: Plan): Promise<VerifyOutcome> {
    const session = this.sessions.get(config)!;
    let outcome: VerifyOutcome;
    try {
      const env = this.engineEnv();
      // The run's own sign-in to authentik (with github-oidc, the access token the plan and apply used, renewed as needed).
      const auth = this.authentikAuth();
      const options = { env, ...(auth ? { authentikAuth: auth } : {}) };
      outcome = applied ? await verifyAfterApply(session.config, applied, afterApplyTarget(applied), options) : await verifyEveryone(session.config, options);
    } catch (error) {
      // Not one of ours (a bug): the log gets it whole; the apply comment still gets written.
      const lines = errorLines(error).map((l) => this.redact(l));
      log.error([`${config}: verify failed unexpectedly:`, ...lines]);
      outcome = { kind: "not-run", reason: lines.join(" ") };
    }
    if (outcome.kind === "not-run") {
      outcome = { kind: "not-run", reason: this.redact(outcome.reason) };
      log.warning(`${config}: verify could not run: ${outcome.reason}`);
      return outcome;
    }
    this.verifyErrors ??= 0;
    if (outcome.kind === "nobody") {
      log.info([`${config}: verify: the plan changed nobody's access; nothing to verify`]);
      return outcome;
    }
    const { report, people } = outcome;
    log.info(renderVerifyText(report, styler(false), people).trimEnd());
    const errors = report.findings.filter((f) => f.severity === "error").length;
    this.verifyErrors += errors;
    const warnings = report.findings.length - errors;
    if (errors === 0 && warnings > 0) {
      const listed = people === "names" ? report.findings.map((f) => `${f.subject.name}: ${f.check}`) : countedFindings(report, people).map((f) => `${f.who}: ${f.check}`);
      log.warning(`${config}: verify: ${warnings} warning${warnings === 1 ? "" : "s"}: ${listed.slice(0, 5).join("; ")}${listed.length > 5 ? "; …" : ""} (see the job summary)`);
    }
    // The report names people: with review.people count or off it is not written (the summary counts them).
    if (people !== "names") return outcome;
    const dir = path.join(this.ctx.tempDir, "authentik-aws-gitops");
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${config.replace(/[^A-Za-z0-9._-]+/g, "_")}.verify.json`);
    await writeFile(file, `${escapeUnsafeJson(JSON.stringify(report, null, 2))}\n`);
    this.verifyFiles.push(file);
    return outcome;
  }

  async loadConfig(config: string) {
    // Relative to the working directory (the workspace on a runner), so messages name the file as the repository does.
    const file = path.relative(process.cwd(), path.resolve(this.ctx.workspace, config)) || config;
    const { config: resolved, warnings } = await loadConfigFile(file).catch((error: unknown) => {
      if (error instanceof ConfigError) annotate(error.diagnostics, this.ctx);
      throw error;
    });
    annotate(warnings, this.ctx);
    // Masked as soon as the config is loaded, in every mode (the report reads with it too).
    const scimToken = resolved.scim ? this.ctx.env[resolved.scim.tokenEnv] : undefined;
    if (scimToken) this.mask(scimToken);
    return resolved;
  }

  /** Plans a configuration through the session factory the CLI uses too; the session is kept for apply. */
  async loadPlan(config: string): Promise<Plan> {
    const resolved = await this.loadConfig(config);
    const session = await openSession(resolved, this.engineEnv(), {
      ...(this.inputs.prune !== undefined ? { prune: this.inputs.prune } : {}),
      scimWaitSeconds: this.inputs.scimWaitSeconds,
      ...(this.inputs.rotateScimToken ? { rotateScimToken: true } : {}),
      mask: (secret) => this.mask(secret),
      ...(this.inputs.authentikAuth === "github-oidc" ? { authentikAuth: this.authentikAuth()! } : {}),
    });
    this.sessions.set(config, session);
    return session.plan;
  }

  readonly sessions = new Map<string, PlanSession>();
}


/**
 * Runs `step` for each configuration. A failure of one is recorded (the outcome fails the
 * step at the end; the summary gets the errors, unless the step already wrote that
 * configuration's part) and the next one still runs; `onFailure` adds what the mode
 * does about it (the plan runner replaces the comment).
 */
export async function forEachConfig(
  r: ActionRun,
  step: (config: string) => Promise<void>,
  options: { failedTitle?: string; heading?: (config: string) => string; onFailure?: (config: string, lines: string[]) => Promise<void> } = {},
): Promise<void> {
  const heading = options.heading ?? ((config: string) => `### authentik-aws-gitops: ${code(config)}`);
  for (const config of r.inputs.configs) {
    try {
      await step(config);
    } catch (error) {
      const lines = errorLines(error);
      // Not one of ours: the log gets it whole, for the bug report.
      if (!isReportable(error)) log.error([`${config}: failed unexpectedly:`, ...lines]);
      r.outcomes.push({ config, failed: lines.join("\n") });
      if (!r.summary.some((s) => s.startsWith(heading(config)))) r.summary.push(`${heading(config)}\n\n❌ ${options.failedTitle ?? "Failed."}\n\n${fence(lines)}\n`);
      await options.onFailure?.(config, lines);
    }
  }
}
