import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunnerEvent } from "../peers/github/events.js";

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
    GITHUB_RUN_ID: "4242",
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

/**
 * The steps of a pull request's life, for Action tests: open, push to it, merge it
 * (each returning the runner's event), run the bundled Action for an event, and read
 * the comments back. One repository, one config file (aws-access.yaml) in the workspace.
 */
export function pullRequestLife(opts: {
  repo: string;
  workspace: () => string;
  apiUrl: () => string;
  control: () => import("../peers/github/peer.js").GitHubPeer["control"];
  inputs: () => Record<string, string>;
  env: () => NodeJS.ProcessEnv;
}) {
  const { repo } = opts;
  return {
    act: (event: RunnerEvent, extraInputs: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Promise<ActionResult> =>
      runAction({ workspace: opts.workspace(), event, inputs: { ...opts.inputs(), ...extraInputs }, env: { ...opts.env(), ...env }, apiUrl: opts.apiUrl() }),
    async openPull(number: number, head: string, extra: { fork?: boolean } = {}): Promise<RunnerEvent> {
      await opts.control().addPullRequest({ repo, number, user: "alice", head: { ref: `change-${number}`, sha: head, ...(extra.fork ? { repo: "mallory/aws-access" } : {}) } });
      return opts.control().pullRequestEvent({ repo, number, action: "opened" });
    },
    async synchronize(number: number, head: string): Promise<RunnerEvent> {
      await opts.control().pushToPull(repo, number, head);
      return opts.control().pullRequestEvent({ repo, number, action: "synchronize" });
    },
    async merge(number: number, mergeCommitSha: string, before: string): Promise<RunnerEvent> {
      await opts.control().mergePullRequest(repo, number, { mergeCommitSha, mergedBy: "alice" });
      return opts.control().pushEvent({ repo, before, mergedPull: number });
    },
    async comments(number: number): Promise<{ login: string; body: string; id: number }[]> {
      return (await opts.control().comments(repo, number)).map((c) => ({ id: c.id, body: c.body, login: c.user }));
    },
  };
}
