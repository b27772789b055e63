/**
 * The one way the CLI and the GitHub Action open a plan session for a configuration:
 * the same engine options from the same environment (how often Identity Center's
 * asynchronous operations are polled, AUTHENTIK_AWS_GITOPS_POLL_MS, which tests shorten),
 * the same way of signing in to authentik (an API token, or a federated JWT exchanged for
 * an access token: src/providers/authentik/auth.ts), and the SCIM token the
 * configuration names masked in each one's output.
 */
import type { ResolvedConfig } from "./config/model.js";
import { createPlan, type PlanSession } from "./engine.js";
import type { AuthentikAuth } from "./providers/authentik/auth.js";

export interface SessionOptions {
  /** Overrides options.prune of the configuration. */
  prune?: boolean;
  /** Overrides options.allowDeleteAll of the configuration. */
  allowDeleteAll?: boolean;
  /** identity-center: how long apply waits for SCIM to provision a group. */
  scimWaitSeconds?: number;
  /** identity-center: write the SCIM token from the environment to authentik again. */
  rotateScimToken?: boolean;
  /** Called with each secret of this run the output must never show (the SCIM token the configuration names). */
  mask?: (secret: string) => void;
  /**
   * How to sign in to authentik: the Action's GitHub OIDC sign-in, or the CLI's from its
   * environment (one per run, so a plan and the verify after its apply share the token).
   * Default: from `env` (AUTHENTIK_TOKEN, or AUTHENTIK_CLIENT_ID with AUTHENTIK_JWT or AUTHENTIK_JWT_FILE).
   */
  authentikAuth?: AuthentikAuth;
}

export function openSession(config: ResolvedConfig, env: NodeJS.ProcessEnv, options: SessionOptions = {}): Promise<PlanSession> {
  const scimToken = config.scim ? env[config.scim.tokenEnv] : undefined;
  if (scimToken) options.mask?.(scimToken);
  const pollMs = Number(env.AUTHENTIK_AWS_GITOPS_POLL_MS);
  return createPlan(config, {
    env,
    ...(pollMs > 0 ? { pollMs } : {}),
    ...(options.prune !== undefined ? { prune: options.prune } : {}),
    ...(options.allowDeleteAll ? { allowDeleteAll: true } : {}),
    ...(options.scimWaitSeconds !== undefined ? { scimWaitSeconds: options.scimWaitSeconds } : {}),
    ...(options.rotateScimToken ? { rotateScimToken: true } : {}),
    ...(options.authentikAuth ? { authentikAuth: options.authentikAuth } : {}),
  });
}
