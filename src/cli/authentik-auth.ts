/**
 * The CLI's sign-in to authentik: from its environment (AUTHENTIK_TOKEN, or
 * AUTHENTIK_CLIENT_ID with AUTHENTIK_JWT or AUTHENTIK_JWT_FILE; src/providers/authentik/auth.ts),
 * one per run and authentik URL, so the commands of one run (apply, then `--verify`) share
 * the access token a JWT was exchanged for; every JWT and access token it handles is
 * masked in the output.
 */
import type { ResolvedConfig } from "../config/model.js";
import { authentikUrl } from "../modes/shared.js";
import { type AuthentikAuth, authFromEnv, authOnFirstUse } from "../providers/authentik/auth.js";
import type { Output } from "./io.js";

const made = new WeakMap<Output, Map<string, AuthentikAuth>>();

/** The run's sign-in at `url`. */
export function cliAuthAt(o: Output, url: string): AuthentikAuth {
  let byUrl = made.get(o);
  if (!byUrl) made.set(o, (byUrl = new Map()));
  let auth = byUrl.get(url);
  if (!auth) byUrl.set(url, (auth = authFromEnv(o.io.env, url, { mask: (secret) => o.io.addSecret?.(secret) })));
  return auth;
}

/** The run's sign-in for a configuration (at AUTHENTIK_URL, else its authentik.url), made on first use. */
export function cliAuthentikAuth(o: Output, config: ResolvedConfig): AuthentikAuth {
  return authOnFirstUse(() => cliAuthAt(o, authentikUrl(config, o.io.env)));
}
