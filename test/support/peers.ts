import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCliProcess, type CliRun } from "../support/run-cli.js";
import type { AuthentikControls } from "../peers/authentik/controls.js";
import type { AwsShimControls } from "../peers/aws-shim-cli.js";
import { awsClientConfig, startMoto, type MotoServer } from "../peers/moto.js";
import { PEERS_DIR, startPeerProcess, type PeerProcess } from "../peers/peer-process.js";

export const TOKEN = "integration-test-token-0123456789";

export const AUTHENTIK_CLI = path.join(PEERS_DIR, "authentik", "cli.ts");
export const AWS_SHIM_CLI = path.join(PEERS_DIR, "aws-shim-cli.ts");

export type AuthentikPeer = PeerProcess<AuthentikControls>;
export type AwsShimPeer = PeerProcess<AwsShimControls>;

export interface Peers {
  moto: MotoServer;
  /** the Identity Center shim in front of moto, when started with `shim: true` */
  shim?: AwsShimPeer;
  authentik: AuthentikPeer;
  /** where AWS calls go: the shim when there is one, else moto */
  awsEndpoint: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** authentik API as a test client (not the tool's code). */
  ak<T = any>(method: string, apiPath: string, body?: unknown): Promise<T>;
  /** AWS SDK client config for one account, through the shim when there is one. */
  aws(accountId: string): ReturnType<typeof awsClientConfig>;
  /** The shipped CLI (bin/), as a child process. */
  cli(argv: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliRun>;
  writeConfig(name: string, text: string): string;
  stop(): Promise<void>;
}

export interface PeerOptions {
  /** start the Identity Center shim (its own process) in front of moto */
  shim?: boolean;
  /** extra arguments for the authentik emulator's command, e.g. ["--version", "2025.10.4"] */
  authentikArgs?: string[];
  /** extra arguments for the shim's command */
  shimArgs?: string[];
}

/** authentik's API as a test client (not the tool's code). */
export function authentikApi(url: string, token = TOKEN) {
  return async <T = any>(method: string, apiPath: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}/api/v3${apiPath}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
}

/** Starts the authentik emulator as a process of its own. */
export function startAuthentikPeer(args: string[] = [], token = TOKEN): Promise<AuthentikPeer> {
  return startPeerProcess<AuthentikControls>(AUTHENTIK_CLI, ["--token", token, ...args]);
}

/**
 * Starts the Identity Center shim as a process of its own, in front of moto. Its
 * asynchronous operations take time (40 ms unless `--async-ms` says otherwise), as
 * AWS's do, and it refuses what AWS refuses while they run.
 */
export function startAwsShimPeer(motoEndpoint: string, args: string[] = []): Promise<AwsShimPeer> {
  return startPeerProcess<AwsShimControls>(AWS_SHIM_CLI, ["--moto", motoEndpoint, ...(args.includes("--async-ms") ? [] : ["--async-ms", "40"]), ...args]);
}

/**
 * Starts the peers the tool talks to — moto_server for AWS (with the Identity Center
 * shim in front of it, if asked) and the authentik emulator — each in a process of its
 * own, and points the environment at them the way a user would (AWS_ENDPOINT_URL,
 * AUTHENTIK_URL, AUTHENTIK_TOKEN). The tool itself runs as `bin/` in a child process.
 */
export async function startPeers(groups: string[], options: PeerOptions = {}): Promise<Peers> {
  const [moto, authentik] = await Promise.all([startMoto(), startAuthentikPeer(options.authentikArgs)]);
  const shim = options.shim ? await startAwsShimPeer(moto.endpoint, options.shimArgs) : undefined;
  const awsEndpoint = shim?.url ?? moto.endpoint;
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "integration-secret-key",
    AWS_REGION: "us-east-1",
    AUTHENTIK_URL: authentik.url,
    AUTHENTIK_TOKEN: TOKEN,
  };

  const ak = authentikApi(authentik.url);
  for (const name of groups) await ak("POST", "/core/groups/", { name });

  const dir = mkdtempSync(path.join(tmpdir(), "aag-"));
  return {
    moto,
    ...(shim ? { shim } : {}),
    authentik,
    awsEndpoint,
    dir,
    env,
    ak,
    aws: (accountId) => awsClientConfig(awsEndpoint, accountId),
    cli: (argv, extraEnv = {}) => runCliProcess(argv, { ...env, ...extraEnv }, dir),
    writeConfig(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    async stop() {
      await Promise.all([moto.stop(), authentik.stop(), shim?.stop()]);
    },
  };
}

export function example(name: string): string {
  return readFileSync(path.join(import.meta.dirname, "..", "..", "examples", name), "utf8");
}
