import { readFileSync } from "node:fs";
import * as core from "@actions/core";
import type { ActionContext, ActionInputs, ActionMode, AuthentikAuthMode } from "./types.js";

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
  const auth = readAuthInputs();
  if (auth.authentikAuth === "github-oidc" && configs.length > 1) {
    // One client id is one OAuth2 provider, whose accounts hold the permissions `permissions`
    // printed for one configuration: a second configuration would be planned and applied
    // with another's accounts.
    throw new Error(
      `authentik-auth: github-oidc takes one configuration per step (config names ${configs.length}: ${configs.join(", ")}), since authentik-client-id names one OAuth2 provider and its accounts hold one configuration's permissions: run one step per configuration, each with the client id printed for it`,
    );
  }
  return {
    configs,
    mode,
    githubToken: core.getInput("github-token", { required: true }),
    authentikUrl: core.getInput("authentik-url"),
    ...auth,
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

/**
 * How the Action signs in to authentik. Each way has its inputs, and an input of the other
 * way is refused rather than ignored: a workflow that sets both would otherwise sign in
 * in a way its reader cannot tell, and a token left beside github-oidc is the long-lived
 * secret github-oidc exists to remove.
 */
function readAuthInputs(): Pick<ActionInputs, "authentikAuth" | "authentikToken" | "authentikClientId" | "authentikOidcAudience"> {
  const mode = (core.getInput("authentik-auth").trim() || "token") as AuthentikAuthMode;
  if (mode !== "token" && mode !== "github-oidc") throw new Error(`input authentik-auth must be token or github-oidc, not '${mode}'`);
  const token = core.getInput("authentik-token");
  const clientId = core.getInput("authentik-client-id").trim();
  const audience = core.getInput("authentik-oidc-audience").trim();
  if (mode === "github-oidc") {
    if (token) {
      throw new Error(
        "authentik-auth is github-oidc, but authentik-token is set too: remove the authentik-token input (and delete the secret), or set authentik-auth: token to sign in with it",
      );
    }
    if (!clientId) {
      throw new Error(
        "authentik-auth: github-oidc needs authentik-client-id, the Client ID of the authentik OAuth2 provider that trusts GitHub's OIDC tokens (`authentik-aws-gitops permissions --authentik-oidc OWNER/REPO` prints a blueprint that creates it, and its client id)",
      );
    }
    return { authentikAuth: mode, authentikToken: "", authentikClientId: clientId, authentikOidcAudience: audience };
  }
  const oidcInputs = [clientId && "authentik-client-id", audience && "authentik-oidc-audience"].filter(Boolean);
  if (oidcInputs.length > 0) {
    throw new Error(`${oidcInputs.join(" and ")} ${oidcInputs.length > 1 ? "are" : "is"} set, but authentik-auth is token: set authentik-auth: github-oidc to sign in with GitHub's OIDC token, or remove ${oidcInputs.length > 1 ? "them" : "it"}`);
  }
  return { authentikAuth: mode, authentikToken: token, authentikClientId: "", authentikOidcAudience: "" };
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
