import { readFileSync } from "node:fs";
import * as core from "@actions/core";
import type { ActionContext, ActionInputs, ActionMode } from "./types.js";

/** The Action's inputs (action.yml), validated. */
export function readInputs(): ActionInputs {
  const configs = core
    .getMultilineInput("config", { required: true })
    .flatMap((line) => line.split(","))
    .map((c) => c.trim())
    .filter(Boolean);
  const mode = (core.getInput("mode") || "auto") as ActionMode;
  if (!["auto", "plan", "apply", "drift", "expire", "report"].includes(mode)) throw new Error(`input mode must be auto, plan, apply, drift, expire or report, not '${mode}'`);
  const reportFormat = (core.getInput("report-format").trim().toLowerCase() || "markdown") as ActionInputs["reportFormat"];
  if (!["markdown", "csv", "json"].includes(reportFormat)) throw new Error(`input report-format must be markdown, csv or json, not '${reportFormat}'`);
  const prune = core.getInput("prune");
  const wait = Number(core.getInput("scim-wait-seconds") || "300");
  const failOnRisk = core.getInput("fail-on-risk").trim().toLowerCase();
  if (!["", "none", "high", "medium", "low"].includes(failOnRisk)) throw new Error(`input fail-on-risk must be high, medium, low or none, not '${failOnRisk}'`);
  return {
    configs,
    mode,
    githubToken: core.getInput("github-token", { required: true }),
    authentikUrl: core.getInput("authentik-url"),
    authentikToken: core.getInput("authentik-token"),
    prune: prune === "" ? undefined : core.getBooleanInput("prune"),
    requireReviewedPlan: core.getInput("require-reviewed-plan") === "" ? true : core.getBooleanInput("require-reviewed-plan"),
    commentOnNoChanges: core.getInput("comment-on-no-changes") === "" ? false : core.getBooleanInput("comment-on-no-changes"),
    botLogin: core.getInput("bot-login") || undefined,
    scimWaitSeconds: Number.isFinite(wait) && wait >= 0 ? wait : 300,
    rotateScimToken: core.getInput("rotate-scim-token") === "" ? false : core.getBooleanInput("rotate-scim-token"),
    reportFormat,
    ...(failOnRisk === "" || failOnRisk === "none" ? {} : { failOnRisk: failOnRisk as "high" | "medium" | "low" }),
  };
}

/** What the runner tells every action through its environment. */
export function readContext(env: NodeJS.ProcessEnv = process.env): ActionContext {
  const eventPath = env.GITHUB_EVENT_PATH;
  const event = eventPath ? (JSON.parse(readFileSync(eventPath, "utf8")) as Record<string, unknown>) : {};
  return {
    eventName: env.GITHUB_EVENT_NAME ?? "",
    event,
    repository: env.GITHUB_REPOSITORY ?? "",
    sha: env.GITHUB_SHA ?? "",
    ref: env.GITHUB_REF ?? "",
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    serverUrl: env.GITHUB_SERVER_URL ?? "https://github.com",
    runId: env.GITHUB_RUN_ID ?? "0",
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    tempDir: env.RUNNER_TEMP ?? process.cwd(),
    env,
  };
}
