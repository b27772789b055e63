/**
 * The bundled Action (dist/index.js) run the way the GitHub runner runs it, and the bench
 * the Action's end-to-end tests share: the peers (moto_server, the authentik emulator,
 * the Identity Center shim if asked), the GitHub emulator, each in a process of its own,
 * and a pull request's life (open, push, merge, run the Action, read the comments).
 *
 *   const bench = actionBench({ groups: ["engineers"], inputs: { mode: "expire" } });
 *   beforeAll(() => bench.start(), 600_000);
 *   afterAll(() => bench.stopAfterChecks());
 *   const r = await bench.act(await bench.openPull(7));
 *
 * Signing in to authentik with the job's GitHub identity (issue 22) instead of a token:
 *
 *   const bench = actionBench({ groups: ["engineers"], oidc: {} });   // start() makes the authentik set-up
 *   const plan = await bench.actWithOidc(await bench.openPull(7));     // subject repo:acme/aws-access:pull_request
 *   const apply = await bench.actWithOidc(await bench.merge(7), { environment: "aws-apply" });
 *   // no AUTHENTIK_TOKEN / authentik-token anywhere; bench.oidc has the client id, the two
 *   // service accounts and their groups; plan.job.subject says who the job was.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { type RunnerEvent, syntheticSha } from "../peers/github/events.js";
import { type GitHubPeer, startGitHubPeer } from "../peers/github/peer.js";
import type { OidcJob } from "../peers/github/oidc.js";
import type { TokenSpec } from "../peers/github/server.js";
import { type GitHubOidcSetup, type GitHubOidcSetupOptions, setUpGitHubOidc } from "./authentik-oidc.js";
import { authentikApi, expectAuthentikClean, startPeers, TOKEN, type PeerOptions, type Peers } from "./peers.js";

export { exchangeGitHubToken, type GitHubOidcSetup, githubPolicyExpression, setUpGitHubOidc } from "./authentik-oidc.js";

/** GITHUB_RUN_ID as runAction sets it (over the event's): the OIDC claims must say the same. */
export const RUNNER_RUN_ID = "4242";

/**
 * What the runner adds to a job's environment for OIDC: ACTIONS_ID_TOKEN_REQUEST_URL and
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN from the GitHub emulator, whose tokens then carry the claims
 * of this job — its event, its `environment`, and `env` over the event's GITHUB_* (as runAction
 * passes them). A fork's pull request gets none (job.env is empty; job.reason says why).
 */
export async function oidcRunnerEnv(gh: GitHubPeer, event: RunnerEvent, opts: { environment?: string; env?: NodeJS.ProcessEnv } = {}): Promise<OidcJob> {
  const env: Record<string, string> = { GITHUB_RUN_ID: RUNNER_RUN_ID };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  return gh.control.oidcJob({ event, env, ...(opts.environment !== undefined ? { environment: opts.environment } : {}) });
}

const root = path.join(import.meta.dirname, "..", "..");
export const DIST = path.join(root, "dist", "index.js");

let node24: string | undefined;
/** Node 24 from the npm registry's `node` package: the runtime action.yml declares (node24). */
export function node24Binary(): string {
  node24 ??= execFileSync("npx", ["-y", "node@24", "-p", "process.execPath"], { encoding: "utf8", timeout: 300_000 }).trim();
  return node24;
}

export interface ActionResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** GITHUB_OUTPUT holds `name<<DELIMITER\nvalue\nDELIMITER` blocks (what @actions/core writes). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
      out[m[1]!] = value.join("\n");
    } else if (lines[i]!.includes("=")) {
      const [k, ...v] = lines[i]!.split("=");
      out[k!] = v.join("=");
    }
  }
  return out;
}

/**
 * Runs the bundled Action the way the GitHub runner does: `node24 dist/index.js`
 * in the workspace, inputs as INPUT_<NAME> (upper-cased, spaces to underscores,
 * dashes kept), the event payload in GITHUB_EVENT_PATH, outputs and the job
 * summary in the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name.
 */
export async function runAction(opts: {
  workspace: string;
  event: RunnerEvent;
  inputs: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  apiUrl: string;
}): Promise<ActionResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "aag-runner-"));
  const eventPath = path.join(dir, "event.json");
  const outputPath = path.join(dir, "output.txt");
  const summaryPath = path.join(dir, "summary.md");
  writeFileSync(eventPath, JSON.stringify(opts.event.payload));
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...opts.event.env,
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_API_URL: opts.apiUrl,
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_RUN_ID: RUNNER_RUN_ID,
    RUNNER_TEMP: dir,
    ...opts.env,
  };
  for (const [name, value] of Object.entries(opts.inputs)) env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  const child = spawn(node24Binary(), [DIST], { cwd: opts.workspace, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  return { code, stdout, stderr, outputs: parseOutputs(readFileSync(outputPath, "utf8")), summary: readFileSync(summaryPath, "utf8") };
}

/** The repository of the Action's tests. */
export const REPO = "acme/aws-access";
/** GITHUB_TOKEN's login. */
export const GITHUB_ACTIONS_BOT = "github-actions[bot]";

export interface ActionBenchOptions {
  /** the authentik groups to create */
  groups: string[];
  /** which peers: e.g. `{ shim: true }` for identity-center */
  peers?: PeerOptions;
  /** the tokens the GitHub emulator knows; default ghs_default, GITHUB_TOKEN (github-actions[bot]) */
  tokens?: Record<string, TokenSpec>;
  /** inputs of every run, over the defaults (config aws-access.yaml, mode auto, github-token ghs_default, authentik-url and -token) */
  inputs?: Record<string, string>;
  /** environment of every run besides the peers' AWS variables, e.g. IDENTITY_CENTER_ENV */
  env?: NodeJS.ProcessEnv;
  /**
   * Make the authentik set-up for GitHub OIDC in start() (setUpGitHubOidc through the API:
   * source trusting the GitHub emulator's JWKS, provider, application with its policy, the plan
   * and apply service accounts with their roles); these options over the defaults.
   */
  oidc?: Partial<Omit<GitHubOidcSetupOptions, "authentikUrl" | "githubUrl">>;
}

export interface RequestSeen {
  method: string;
  path: string;
}

/** The GitHub and authentik requests an Action test makes, and the steps of a pull request's life in REPO. */
export function actionBench(options: ActionBenchOptions) {
  let peers: Peers | undefined;
  let gh: GitHubPeer | undefined;
  let oidcSetup: GitHubOidcSetup | undefined;
  const started = <T>(what: T | undefined): T => {
    if (what === undefined) throw new Error("actionBench: start() first (in beforeAll)");
    return what;
  };
  const bench = {
    /** the peers, once started */
    get peers(): Peers {
      return started(peers);
    },
    /** the GitHub emulator, in a process of its own, once started */
    get gh(): GitHubPeer {
      return started(gh);
    },
    /** For beforeAll (with a long timeout: the first run fetches Node 24). */
    async start(): Promise<{ peers: Peers; gh: GitHubPeer }> {
      node24Binary(); // fetch Node 24 once, before the clock of the first test starts
      const [p, g] = await Promise.allSettled([startPeers(options.groups, options.peers), startGitHubPeer(options.tokens ?? { ghs_default: { login: GITHUB_ACTIONS_BOT, type: "Bot" } })]);
      // Whatever started is kept, for afterAll to stop.
      if (p.status === "fulfilled") peers = p.value;
      if (g.status === "fulfilled") gh = g.value;
      if (p.status === "rejected") throw p.reason;
      if (g.status === "rejected") throw g.reason;
      await bench.gh.control.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
      if (options.oidc) await bench.setUpOidc(options.oidc);
      return { peers: bench.peers, gh: bench.gh };
    },
    /** The authentik set-up for GitHub OIDC (bench.setUpOidc or `oidc` in the options), once made. */
    get oidc(): GitHubOidcSetup {
      if (!oidcSetup) throw new Error("actionBench: no OIDC set-up (pass `oidc` to actionBench, or call setUpOidc)");
      return oidcSetup;
    },
    /** Makes the authentik objects GitHub OIDC needs, through authentik's API (test/support/authentik-oidc.ts). */
    async setUpOidc(extra: Partial<Omit<GitHubOidcSetupOptions, "authentikUrl" | "githubUrl">> = {}): Promise<GitHubOidcSetup> {
      oidcSetup = await setUpGitHubOidc(authentikApi(bench.peers.authentik.url), { authentikUrl: bench.peers.authentik.url, githubUrl: bench.gh.url, repository: REPO, ...extra });
      return oidcSetup;
    },
    /**
     * Runs the bundled Action for `event` signing in to authentik with the job's GitHub identity:
     * the runner's ACTIONS_ID_TOKEN_REQUEST_* for the job (`environment` for a deployment job),
     * inputs `authentik-auth: github-oidc` and `authentik-client-id` (the set-up's), and neither
     * the `authentik-token` input nor AUTHENTIK_TOKEN. `inputs` and `env` go over that.
     */
    async actWithOidc(event: RunnerEvent, opts: { environment?: string; inputs?: Record<string, string>; env?: NodeJS.ProcessEnv } = {}): Promise<ActionResult & { job: OidcJob }> {
      const job = await oidcRunnerEnv(bench.gh, event, opts);
      const { "authentik-token": _token, ...inputs } = bench.inputs({ "authentik-auth": "github-oidc", "authentik-client-id": bench.oidc.clientId, ...opts.inputs });
      const env: NodeJS.ProcessEnv = { ...bench.env(), ...job.env, ...opts.env };
      delete env.AUTHENTIK_TOKEN;
      const result = await runAction({ workspace: bench.peers.dir, event, inputs, env, apiUrl: bench.gh.url });
      return { ...result, job };
    },
    /** The inputs of a run: the defaults, the bench's, then `extra`. */
    inputs(extra: Record<string, string> = {}): Record<string, string> {
      return {
        config: "aws-access.yaml",
        mode: "auto",
        "github-token": "ghs_default",
        "authentik-url": bench.peers.authentik.url,
        "authentik-token": TOKEN,
        ...options.inputs,
        ...extra,
      };
    },
    /** The job's environment: the peers' AWS variables (authentik's come as inputs), and the bench's. */
    env(): NodeJS.ProcessEnv {
      const { AUTHENTIK_TOKEN: _t, AUTHENTIK_URL: _u, ...aws } = bench.peers.env;
      return { ...aws, ...options.env };
    },
    /** Runs the bundled Action for `event`, in the peers' working directory. */
    act(event: RunnerEvent, extraInputs: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Promise<ActionResult> {
      return runAction({ workspace: bench.peers.dir, event, inputs: bench.inputs(extraInputs), env: { ...bench.env(), ...env }, apiUrl: bench.gh.url });
    },
    /** alice opens pull request `number` (from a fork, if asked): the runner's event. */
    async openPull(number: number, head = syntheticSha(`head-${number}`), extra: { fork?: boolean } = {}): Promise<RunnerEvent> {
      await bench.gh.control.addPullRequest({ repo: REPO, number, user: "alice", head: { ref: `change-${number}`, sha: head, ...(extra.fork ? { repo: "mallory/aws-access" } : {}) } });
      return bench.gh.control.pullRequestEvent({ repo: REPO, number, action: "opened" });
    },
    /** A new push to the pull request's branch. */
    async synchronize(number: number, head: string): Promise<RunnerEvent> {
      await bench.gh.control.pushToPull(REPO, number, head);
      return bench.gh.control.pullRequestEvent({ repo: REPO, number, action: "synchronize" });
    },
    /** alice merges the pull request: the push to main that follows. */
    async merge(number: number, mergeCommitSha = syntheticSha(`merge-${number}`), before = syntheticSha(`before-${number}`)): Promise<RunnerEvent> {
      await bench.gh.control.mergePullRequest(REPO, number, { mergeCommitSha, mergedBy: "alice" });
      return bench.gh.control.pushEvent({ repo: REPO, before, mergedPull: number });
    },
    /** A scheduled run of main. */
    schedule(cron: string, sha = syntheticSha("main")): Promise<RunnerEvent> {
      return bench.gh.control.scheduleEvent({ repo: REPO, cron, sha });
    },
    /** The comments on a pull request, oldest first. */
    async comments(number: number): Promise<{ login: string; body: string; id: number; viaApp: string | null }[]> {
      return (await bench.gh.control.comments(REPO, number)).map((c) => ({ id: c.id, body: c.body, login: c.user, viaApp: c.viaApp }));
    },
    /** What the peers were asked while `run` ran (their request logs, in their own processes). */
    async during<T>(run: () => Promise<T>): Promise<{ result: T; github: RequestSeen[]; authentik: RequestSeen[] }> {
      const [ghBefore, akBefore] = [(await bench.gh.control.requests()).length, (await bench.peers.authentik.control.requests()).length];
      const result = await run();
      const github = (await bench.gh.control.requests()).slice(ghBefore).map((r) => ({ method: r.method, path: r.path }));
      const authentik = (await bench.peers.authentik.control.requests()).slice(akBefore).map((r) => ({ method: r.method, path: r.path }));
      return { result, github, authentik };
    },
    /**
     * For afterAll: GitHub and authentik were sent only requests their API descriptions
     * allow, and neither emulator failed; everything stops whatever the checks found.
     * (Checks only what beforeAll got started.)
     */
    async stopAfterChecks(): Promise<void> {
      try {
        if (gh) expect(await gh.control.invalidRequests()).toEqual([]);
        if (gh) expect(await gh.control.emulatorErrors()).toEqual([]);
        if (peers) await expectAuthentikClean(peers.authentik);
      } finally {
        await Promise.all([gh?.stop(), peers?.stop()]);
      }
    },
  };
  return bench;
}

/** The requests that write (not GET or HEAD). */
export const writes = (requests: RequestSeen[]): RequestSeen[] => requests.filter((r) => !["GET", "HEAD"].includes(r.method));
