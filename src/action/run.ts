/**
 * The Action's dispatch: which runner this event calls (one per mode, src/action/runners/),
 * and the outputs and job summary every planning runner leaves. Everything the runners
 * share is in action-run.ts.
 */
import * as core from "@actions/core";
import type { Severity } from "../domain/plan-types.js";
import { UserError } from "../errors.js";
import { highestRisk, severityRank } from "../plan/risks.js";
import { escapeUnsafe } from "../util/safe-text.js";
import { ActionRun } from "./action-run.js";
import { log } from "./log.js";
import { requireIdToken } from "./oidc.js";
import { applyOnMerge } from "./runners/apply.js";
import { drift } from "./runners/drift.js";
import { expire } from "./runners/expire.js";
import { offlineValidation } from "./runners/fork.js";
import { planOnPullRequest } from "./runners/plan.js";
import { accessReports } from "./runners/report.js";
import { writeJobSummary } from "./summary.js";
import type { ActionContext, ActionInputs, ActionMode } from "./types.js";

export type { ActionContext, ActionInputs, ActionMode } from "./types.js";

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

function isForkPullRequest(ctx: ActionContext): boolean {
  const pr = ctx.event.pull_request;
  if (!pr) return false;
  return pr.head?.repo == null || pr.head.repo.full_name !== pr.base?.repo?.full_name;
}

const RUNNERS = { plan: planOnPullRequest, apply: applyOnMerge, expire, drift } as const;

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
  if (inputs.authentikAuth === "github-oidc" && ctx.env.AUTHENTIK_TOKEN) {
    // The long-lived secret github-oidc exists to remove: refused rather than left unused.
    throw new UserError("authentik-auth is github-oidc, but the step's environment sets AUTHENTIK_TOKEN: remove it (and delete the secret), or set authentik-auth: token to sign in with it");
  }
  if (inputs.authentikAuth === "token") {
    // The CLI's sign-in with a JWT (authFromEnv) would take over from the token input, or
    // meet it, and its access tokens would not be masked: refused as github-oidc refuses
    // AUTHENTIK_TOKEN, so the step signs in only the way its inputs say.
    const jwtVariables = (["AUTHENTIK_JWT", "AUTHENTIK_JWT_FILE", "AUTHENTIK_CLIENT_ID"] as const).filter((v) => ctx.env[v]);
    if (jwtVariables.length > 0) {
      throw new UserError(
        `authentik-auth is token, but the step's environment sets ${jwtVariables.join(" and ")} (the CLI's sign-in with a JWT): remove ${jwtVariables.length > 1 ? "them" : "it"}, or set authentik-auth: github-oidc to sign in with GitHub's OIDC token`,
      );
    }
  }
  const mode = effectiveMode(inputs, ctx);
  // A fork's pull request gets no secrets, and no OIDC token unless a private repository
  // sends it write tokens: it is validated offline (with github-oidc, always). A merge
  // queue's run has a subject of its own per queued merge (…:ref:refs/heads/gh-readonly-queue/…),
  // which no account can be named after in advance: with github-oidc, validated offline too.
  const offline =
    mode !== "plan" ? undefined : isForkPullRequest(ctx) && !inputs.authentikToken ? "fork" : ctx.eventName === "merge_group" && inputs.authentikAuth === "github-oidc" ? "merge-queue" : undefined;
  log.info([`authentik-aws-gitops: ${mode} for ${inputs.configs.join(", ")}${offline ? ", offline" : inputs.authentikAuth === "github-oidc" ? " (signing in to authentik with GitHub's OIDC token)" : ""}`]);
  // The SCIM token a config names is masked as soon as that config is loaded.
  const r = new ActionRun(inputs, ctx);
  if (offline) return offlineValidation(r, offline);
  if (inputs.authentikAuth === "github-oidc") requireIdToken(ctx.env);
  if (mode === "report") return accessReports(r);
  await RUNNERS[mode](r);

  const planned = r.outcomes.filter((o) => o.plan);
  const hasChanges = planned.some((o) => o.plan!.changes.length > 0);
  core.setOutput("has-changes", hasChanges ? "true" : "false");
  core.setOutput("plan-hash", planned.map((o) => o.plan!.hash).join("\n"));
  core.setOutput("plan-json", planned.map((o) => o.planFile).join("\n"));
  core.setOutput("plan-markdown", r.markdownFiles.join("\n"));
  const risk = planned.map((o) => highestRisk(o.plan!.risks)).reduce<Severity | "none">((a, b) => (severityRank(b) < severityRank(a) ? b : a), "none");
  core.setOutput("risk", risk);
  // verify (after an apply, in drift): how many sign-ins do not work, and each report as JSON.
  if (r.verifyErrors !== undefined) core.setOutput("verify-findings", String(r.verifyErrors));
  if (r.verifyFiles.length > 0) core.setOutput("verify-json", r.verifyFiles.join("\n"));
  core.setOutput(
    "summary",
    r.outcomes
      .map((o) => escapeUnsafe(o.plan ? `${o.config}: ${o.plan.summary.create} to create, ${o.plan.summary.update} to update, ${o.plan.summary.delete} to delete` : `${o.config}: failed`))
      .join("\n"),
  );
  await writeJobSummary(r.summary, "the full plans are in the `plan-json` output");
  const failures = r.outcomes.filter((o) => o.failed);
  // Only the plan check fails: after a merge, the reviewed plan is applied as approved.
  if (inputs.failOnRisk && mode === "plan" && risk !== "none" && severityRank(risk) <= severityRank(inputs.failOnRisk)) {
    const which = planned.filter((o) => o.plan!.risks.some((x) => severityRank(x.severity) <= severityRank(inputs.failOnRisk!))).map((o) => o.config);
    failures.push({ config: which.join(", "), failed: `the plan has a ${risk} risk (fail-on-risk: ${inputs.failOnRisk}); see RISKS in the plan comment` });
  }
  if (failures.length) log.fail(failures.map((f) => `${f.config}: ${f.failed}`).join("\n"));
}
