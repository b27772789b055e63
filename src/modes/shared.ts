import type { ResolvedConfig } from "../config/model.js";
import type { ApplyResult, ProgressEvent } from "../apply/executor.js";
import { UserError } from "../errors.js";
import type { Plan } from "../domain/plan-types.js";
import { type AuthentikAuth, authFromEnv } from "../providers/authentik/auth.js";
import { AuthentikClient } from "../providers/authentik/client.js";
import type { AwsRetryPolicy } from "../providers/aws/retry-policy.js";

export interface EngineOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides options.prune of the config. */
  prune?: boolean;
  /** Overrides options.allowDeleteAll of the config. */
  allowDeleteAll?: boolean;
  /** Bound on concurrent reads and writes per system. */
  concurrency?: number;
  /** identity-center: how long apply waits for SCIM to provision a group into the Identity Store. */
  scimWaitSeconds?: number;
  /** identity-center: polling of asynchronous AWS operations (tests shorten it). */
  pollMs?: number;
  /** identity-center: write the SCIM token from the environment to authentik's SCIM provider. */
  rotateScimToken?: boolean;
  /** After an apply, read everything again and fail unless it converged (default true). */
  verify?: boolean;
  /** The clock mappings[].expires is compared with (default: the time of the plan). */
  now?: Date;
  /** How AWS calls are retried (default: AwsRetryPolicy.fromEnv), one for the plan, its apply and the read after it. */
  awsRetry?: AwsRetryPolicy;
  /** How to sign in to authentik (default: from env, see authentikConnection). */
  authentikAuth?: AuthentikAuth;
}

/** A plan together with the connections and ids needed to apply it. */
export interface PlanSession {
  config: ResolvedConfig;
  plan: Plan;
  apply(options?: { onProgress?: (event: ProgressEvent) => void }): Promise<ApplyResult>;
  /** Requests made so far, per system (for benchmarks and the summary). */
  requestCounts(): { authentik: number; aws: number };
}

/** Where authentik is: AUTHENTIK_URL, else authentik.url of the configuration. */
export function authentikUrl(config: ResolvedConfig, env: NodeJS.ProcessEnv): string {
  const url = env.AUTHENTIK_URL || config.authentik.url;
  if (!url) throw new UserError("no authentik URL: set authentik.url in the configuration or the AUTHENTIK_URL environment variable");
  return url;
}

/**
 * Where authentik is and how to sign in: `auth` when the caller has one (the Action's
 * GitHub OIDC sign-in, the CLI's, shared by every command of a run), else from the
 * environment (AUTHENTIK_TOKEN, or a JWT: src/providers/authentik/auth.ts).
 */
export function authentikConnection(config: ResolvedConfig, env: NodeJS.ProcessEnv, auth?: AuthentikAuth): { url: string; auth: AuthentikAuth } {
  const url = authentikUrl(config, env);
  return { url, auth: auth ?? authFromEnv(env, url) };
}

export function authentikClient(config: ResolvedConfig, env: NodeJS.ProcessEnv, auth?: AuthentikAuth): { client: AuthentikClient; url: string } {
  const connection = authentikConnection(config, env, auth);
  return { client: new AuthentikClient(connection), url: connection.url };
}

/** Warnings about how this run is set up rather than about the configuration's content. */
export function runWarnings(config: ResolvedConfig, options: EngineOptions): string[] {
  const out: string[] = [];
  if (!config.authentik.url) {
    out.push(
      "authentik.url is not set: the launch URL, the SAML issuer and the console steps follow the AUTHENTIK_URL of each run, so runs that reach authentik by different URLs plan differently; set authentik.url to authentik's public URL",
    );
  }
  if (options.rotateScimToken) {
    out.push("--rotate-scim-token is on: the SCIM provider is rewritten (and authentik starts a full sync) on every apply while it stays on; use it for the one change that rotates the token");
  }
  return out;
}

export function toolInfo(version: string): Plan["tool"] {
  return { name: "authentik-aws-gitops", version };
}
