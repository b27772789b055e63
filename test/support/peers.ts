/**
 * The peers of the end-to-end tests (test/integration, test/action, …): moto_server, the
 * AWS shim in front of it, the authentik emulator and the fault proxy, each in a process of
 * its own, and `startPeers`, which starts them and points the environment at them the way
 * a user would. A file starts its peers once, in beforeAll, and stops them in afterAll:
 *
 *   let peers: Peers;
 *   beforeAll(async () => { peers = await startPeers(["engineers"]); });
 *   afterAll(() => peers.stopAfterChecks());
 *
 * Every AWS request goes through the shim (test/peers/aws-shim.ts), which refuses what AWS
 * refuses — requests its API models do not allow, writes over its size and count limits —
 * and supplies what moto lacks for Identity Center; `shim: false` talks to moto directly.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { runCliProcess, type CliRun } from "./run-cli.js";
import type { AuthentikControls } from "../peers/authentik/controls.js";
import type { AwsShimControls } from "../peers/aws-shim-cli.js";
import type { FaultProxyControls } from "../peers/fault-proxy.js";
import { awsClientConfig, startMoto, type MotoServer } from "../peers/moto.js";
import { PEERS_DIR, startPeerProcess, type PeerProcess } from "../peers/peer-process.js";

export const TOKEN = "integration-test-token-0123456789";
const EXAMPLES_DIR = path.join(import.meta.dirname, "..", "..", "examples");

export const AUTHENTIK_CLI = path.join(PEERS_DIR, "authentik", "cli.ts");
export const AWS_SHIM_CLI = path.join(PEERS_DIR, "aws-shim-cli.ts");
export const FAULT_PROXY_CLI = path.join(PEERS_DIR, "fault-proxy.ts");

export type AuthentikPeer = PeerProcess<AuthentikControls>;
export type AwsShimPeer = PeerProcess<AwsShimControls>;
export type FaultProxyPeer = PeerProcess<FaultProxyControls>;

export interface Peers {
  moto: MotoServer;
  /** the AWS shim in front of moto (absent with `shim: false`) */
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
  /** `plan -c file --format json [args]` by the shipped CLI, which must succeed without an error; the plan. */
  planJson(file: string, options?: { args?: string[]; env?: NodeJS.ProcessEnv }): Promise<Plan>;
  writeConfig(name: string, text: string): string;
  /** Copies a file of examples/ (e.g. identity-center-sp-metadata.xml) into the working directory. */
  copyExample(name: string): string;
  /** authentik's groups: name → pk. */
  groupPks(): Promise<Record<string, string>>;
  /** The names of the groups bound to `target` (a pbm_uuid: an application's, an entitlement's), sorted. */
  groupsBoundTo(target: string): Promise<string[]>;
  /** The application entitlement named `name` of the application `appSlug` (default aws). */
  entitlement(name: string, appSlug?: string): Promise<{ pk: string; pbm_uuid: string; name: string; attributes: Record<string, unknown> }>;
  stop(): Promise<void>;
  /**
   * For afterAll: the tool (and the test) sent authentik only requests its schema allows,
   * and the emulator never failed; AWS (the shim) only requests AWS's API models allow; the
   * peers stop whatever the checks found.
   */
  stopAfterChecks(): Promise<void>;
}

export interface PeerOptions {
  /**
   * Put the AWS shim (its own process) in front of moto — default. It checks every AWS
   * request (IAM too) against AWS's API models and limits, and supplies what moto lacks for
   * Identity Center. false: the tool talks to moto directly.
   */
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

/**
 * Starts the fault proxy (test/peers/fault-proxy.ts) as a process of its own, in front of
 * `target`; without rules it forwards everything and logs what it saw.
 */
export function startFaultProxy(target: string): Promise<FaultProxyPeer> {
  return startPeerProcess<FaultProxyControls>(FAULT_PROXY_CLI, ["--target", target]);
}

/** The tool and the test sent the authentik emulator only requests its schema allows, and the emulator never failed. */
export async function expectAuthentikClean(authentik: AuthentikPeer): Promise<void> {
  expect(await authentik.control.invalidRequests()).toEqual([]);
  expect(await authentik.control.emulatorErrors()).toEqual([]);
}

/** The tool and the test sent AWS only requests AWS's API models allow (by "service:Operation", what the shim refused). */
export async function expectAwsClean(shim: AwsShimPeer): Promise<void> {
  expect((await shim.control.stats()).invalid).toEqual({});
}

/** Starts the authentik emulator as a process of its own. */
export function startAuthentikPeer(args: string[] = [], token = TOKEN): Promise<AuthentikPeer> {
  return startPeerProcess<AuthentikControls>(AUTHENTIK_CLI, ["--token", token, ...args]);
}

/**
 * Starts the AWS shim as a process of its own, in front of moto. It checks every request
 * against AWS's API models and limits; its asynchronous Identity Center operations take time
 * (40 ms unless `--async-ms` says otherwise), as AWS's do, and it refuses what AWS refuses
 * while they run.
 */
export function startAwsShimPeer(motoEndpoint: string, args: string[] = []): Promise<AwsShimPeer> {
  return startPeerProcess<AwsShimControls>(AWS_SHIM_CLI, ["--moto", motoEndpoint, ...(args.includes("--async-ms") ? [] : ["--async-ms", "40"]), ...args]);
}

/** The environment that points the tool at the peers, as a user would set it. */
export function peerEnv(awsEndpoint: string, authentikUrl: string, token = TOKEN): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "integration-secret-key",
    AWS_REGION: "us-east-1",
    AUTHENTIK_URL: authentikUrl,
    AUTHENTIK_TOKEN: token,
  };
}

/** Copies a file of examples/ (e.g. identity-center-sp-metadata.xml) into `dir`. */
export function copyExample(name: string, dir: string): string {
  const file = path.join(dir, name);
  copyFileSync(path.join(EXAMPLES_DIR, name), file);
  return file;
}

/**
 * Starts the peers the tool talks to — moto_server for AWS (with the AWS shim in front of
 * it unless `shim: false`) and the authentik emulator — each in a process of its
 * own, and points the environment at them the way a user would (AWS_ENDPOINT_URL,
 * AUTHENTIK_URL, AUTHENTIK_TOKEN). The tool itself runs as `bin/` in a child process.
 */
export async function startPeers(groups: string[], options: PeerOptions = {}): Promise<Peers> {
  const starting = [startMoto(), startAuthentikPeer(options.authentikArgs)] as const;
  let moto: MotoServer, authentik: AuthentikPeer, shim: AwsShimPeer | undefined;
  try {
    [moto, authentik] = await Promise.all(starting);
    shim = options.shim !== false ? await startAwsShimPeer(moto.endpoint, options.shimArgs) : undefined;
    for (const name of groups) await authentikApi(authentik.url)("POST", "/core/groups/", { name });
  } catch (error) {
    // What did start stops: a failed beforeAll leaves no peer behind.
    await Promise.allSettled([...starting.map(async (p) => (await p).stop()), shim?.stop()]);
    throw error;
  }
  const awsEndpoint = shim?.url ?? moto.endpoint;
  const env = peerEnv(awsEndpoint, authentik.url);
  const ak = authentikApi(authentik.url);

  const dir = mkdtempSync(path.join(tmpdir(), "aag-"));
  const cli = (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCliProcess(argv, { ...env, ...extraEnv }, dir);
  const stop = async () => {
    await Promise.all([moto.stop(), authentik.stop(), shim?.stop()]);
  };
  return {
    moto,
    ...(shim ? { shim } : {}),
    authentik,
    awsEndpoint,
    dir,
    env,
    ak,
    aws: (accountId) => awsClientConfig(awsEndpoint, accountId),
    cli,
    async planJson(file, options = {}) {
      const r = await cli(["plan", "-c", file, "--format", "json", ...(options.args ?? [])], options.env);
      expect(r.stderr).not.toContain("error:");
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Plan;
    },
    writeConfig(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    copyExample: (name) => copyExample(name, dir),
    async groupPks() {
      const groups = (await ak<{ results: { pk: string; name: string }[] }>("GET", "/core/groups/?page_size=100&include_users=false")).results;
      return Object.fromEntries(groups.map((g) => [g.name, g.pk]));
    },
    async groupsBoundTo(target) {
      const bindings = (await ak<{ results: { group_obj?: { name: string } }[] }>("GET", `/policies/bindings/?target=${target}&page_size=100`)).results;
      return bindings.map((b) => b.group_obj?.name ?? "?").sort();
    },
    async entitlement(name, appSlug = "aws") {
      const app = await ak("GET", `/core/applications/${appSlug}/`);
      const list = await ak("GET", `/core/application_entitlements/?app=${app.pk}&page_size=100`);
      return list.results.find((e: { name: string }) => e.name === name);
    },
    stop,
    async stopAfterChecks() {
      try {
        await expectAuthentikClean(authentik);
        if (shim) await expectAwsClean(shim);
      } finally {
        await stop();
      }
    },
  };
}

/** The text of a file of examples/. */
export function example(name: string): string {
  return readFileSync(path.join(EXAMPLES_DIR, name), "utf8");
}
