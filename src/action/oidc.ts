/**
 * authentik-auth: github-oidc — the Action signs in to authentik with the job's own
 * identity: GitHub's OIDC token (core.getIDToken, which the job's `permissions: id-token:
 * write` allows), exchanged at authentik's token endpoint for a short-lived access token
 * of the service account `<provider name>-<sub>` (src/providers/authentik/auth.ts). No
 * authentik secret is stored in GitHub, and a pull request's job, whose `sub` differs
 * from the apply job's, signs in as a different account.
 */
import * as core from "@actions/core";
import { UserError } from "../errors.js";
import { AuthentikSignInError, FederatedTokenAuth, type JwtSource } from "../providers/authentik/auth.js";
import { redactUrls } from "../util/redact-url.js";

/** Refuses a job that cannot ask GitHub for an OIDC token, before anything is read. */
export function requireIdToken(env: NodeJS.ProcessEnv): void {
  const missing = ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"].filter((v) => !env[v]);
  if (missing.length > 0) {
    throw new UserError(
      `authentik-auth: github-oidc needs GitHub's OIDC token, and this job cannot request one (${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set): give the job \`permissions: id-token: write\``,
    );
  }
}

/** GitHub's OIDC token for `audience`, a fresh one for each exchange (GitHub's expire within minutes). */
export function githubIdToken(audience: string, env: NodeJS.ProcessEnv): JwtSource {
  return {
    name: `GitHub's OIDC token (audience ${audience})`,
    async get() {
      requireIdToken(env);
      try {
        return await core.getIDToken(audience);
      } catch (error) {
        // @actions/core says "Error message: Failed to get ID Token. …": the status and GitHub's message.
        const message = (error instanceof Error ? error.message : String(error)).replace(/^Error message:\s*/, "").replace(/\s+/g, " ").trim();
        throw new AuthentikSignInError(`GitHub did not issue an OIDC token for the audience ${audience}: ${redactUrls(message)}`);
      }
    },
  };
}

export interface GithubOidcOptions {
  /** Where the Action reaches authentik (authentik-url): the token endpoint is there. */
  url: string;
  clientId: string;
  /** authentik-oidc-audience; empty: the client id. */
  audience: string;
  env: NodeJS.ProcessEnv;
  /** Masks the JWT and each access token in the log and in what the Action writes to GitHub. */
  mask: (secret: string) => void;
}

/**
 * The audience GitHub's token is requested for: the input, else the client id — the default of
 * `permissions --authentik-oidc` too, and the same whatever URL the Action reaches authentik at.
 * GitHub takes any string (getIDToken sends it URL-encoded; AWS's is sts.amazonaws.com).
 */
export function oidcAudience(audience: string, clientId: string): string {
  return audience || clientId;
}

export function githubOidcAuth(options: GithubOidcOptions): FederatedTokenAuth {
  return new FederatedTokenAuth({
    url: options.url,
    clientId: options.clientId,
    clientIdSetting: "the authentik-client-id input",
    jwt: githubIdToken(oidcAudience(options.audience, options.clientId), options.env),
    mask: options.mask,
  });
}
