/** What the Action is given: its inputs (action.yml) and the runner's context. */
import type { Severity } from "../domain/plan-types.js";
import type { AccessFormat } from "../report/render.js";

export type ActionMode = "auto" | "plan" | "apply" | "drift" | "expire" | "report";
export type AuthentikAuthMode = "token" | "github-oidc";

export interface ActionInputs {
  configs: string[];
  mode: ActionMode;
  githubToken: string;
  authentikUrl: string;
  /** `token` (empty for github-oidc). */
  authentikToken: string;
  /** How the Action signs in to authentik: the API token, or GitHub's OIDC token exchanged for an access token. */
  authentikAuth: AuthentikAuthMode;
  /** github-oidc: the Client ID of authentik's OAuth2 provider that trusts GitHub's tokens. */
  authentikClientId: string;
  /** github-oidc: the audience of GitHub's token; empty: the client id. */
  authentikOidcAudience: string;
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
