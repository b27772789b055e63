import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliProcess } from "../support/run-cli.js";

/**
 * `npm run sandbox` as a new user meets it: started in one terminal, the commands it
 * prints run in another (the real CLI, its own process), and a signal sent to the process
 * the user started — `kill -INT <pid>` (only that process, not its group: Ctrl-C in the
 * terminal signals the whole group) — stops everything, and the process exits.
 */
const root = path.join(import.meta.dirname, "..", "..");

interface Started {
  child: ChildProcess;
  /** where it was started: the printed commands run from there */
  cwd: string;
  printed: string;
  /** what the user copies: the export lines */
  env: NodeJS.ProcessEnv;
  /** …and the commands */
  commands: string[][];
}
const started: ChildProcess[] = [];
let sandbox: Started;
let copy: string | undefined;

/**
 * A copy of the package, node_modules linked: `npm run sandbox` builds lib/ first, and
 * rewriting this checkout's lib/ would pull it from under the other test files' CLIs.
 */
function packageCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "aag-package-"));
  for (const entry of ["package.json", "tsconfig.json", "tsconfig.build.json", "bin", "examples", "schema", "scripts", "src", "test"]) {
    cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** Starts a sandbox command in a process group of its own (so that a signal to the test's group never reaches it), until it says it is ready. */
async function startSandboxCommand(command: string, args: string[], cwd = root): Promise<Started> {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  started.push(child);
  let printed = "";
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      printed += d;
      if (/stops the sandbox/.test(printed)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`${command} ${args.join(" ")} exited (${code}) before it was ready:\n${printed}\n${stderr}`)));
  });
  const env: NodeJS.ProcessEnv = {};
  for (const m of printed.matchAll(/^ {2}export (\w+)=(\S+)$/gm)) env[m[1]!] = m[2]!;
  const commands = [...printed.matchAll(/^ {2}npx authentik-aws-gitops (.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
  return { child, cwd, printed, env, commands };
}

/** Every process below `pid` (its children, theirs, …), whatever their process group. */
function descendants(pid: number): number[] {
  const table = execFileSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [p, pp] of table) if (pp === parent && !found.includes(p)) (found.push(p), queue.push(p));
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Sends `signal` to the started process alone and checks that it exits, with every process it
 * started, and that nothing listens on the sandbox's ports any more.
 */
async function expectSignalStopsEverything(s: Started, signal: NodeJS.Signals): Promise<void> {
  const below = descendants(s.child.pid!);
  // moto_server, the Identity Center shim and the authentik emulator (and what runs them).
  expect(below.length).toBeGreaterThanOrEqual(3);
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<number | string | null>((resolve) => {
    s.child.once("exit", (code) => resolve(code));
    timer = setTimeout(() => resolve(`still running 30 s after ${signal}`), 30_000);
  });
  process.kill(s.child.pid!, signal);
  expect(await exited).toBe(0);
  clearTimeout(timer);
  // Whatever is still going after the process exited has been left behind.
  const deadline = Date.now() + 5_000;
  while (below.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(below.filter(alive).map((pid) => execFileSync("ps", ["-o", "pid=,args=", "-p", String(pid)], { encoding: "utf8" }).trim())).toEqual([]);
  for (const url of [s.env.AWS_ENDPOINT_URL!, s.env.AUTHENTIK_URL!]) {
    await expect(fetch(url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }
}

beforeAll(async () => {
  // Exactly what the user types (it builds lib/ first: in a copy of the package).
  copy = packageCopy();
  sandbox = await startSandboxCommand("npm", ["run", "sandbox", "--", "--dir", mkdtempSync(path.join(tmpdir(), "aag-sandbox-"))], copy);
}, 300_000);

afterAll(() => {
  // Only if a test failed before stopping it: the whole group it was started in.
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe("npm run sandbox", () => {
  it("prints the environment and the commands, which take both examples to a clean re-plan", async () => {
    const { env, commands, cwd } = sandbox;
    expect(Object.keys(env).sort()).toEqual(["AUTHENTIK_TOKEN", "AUTHENTIK_URL", "AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_SCIM_TOKEN", "AWS_SECRET_ACCESS_KEY"]);
    expect(commands).toHaveLength(6);
    const codes: number[] = [];
    for (const argv of commands) {
      // `apply` asks on a terminal; the test has none, so it answers as --auto-approve would.
      const args = argv[0] === "apply" ? [...argv, "--auto-approve"] : argv;
      const r = await runCliProcess(args, env, cwd);
      if (r.code !== 0 && !(argv[0] === "plan" && r.code === 2)) throw new Error(`${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      codes.push(r.code);
    }
    // plan (changes, exit 0 without --detailed-exitcode), apply, plan --detailed-exitcode: clean.
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("stops everything it started, and exits, on SIGINT sent to npm's process alone (`kill -INT <pid>`)", async () => {
    await expectSignalStopsEverything(sandbox, "SIGINT");
  });
});

describe("node --import tsx scripts/sandbox.ts (one process)", () => {
  it("stops everything it started, and exits, on SIGTERM sent to its process alone", async () => {
    const direct = await startSandboxCommand(process.execPath, ["--import", "tsx", path.join(root, "scripts", "sandbox.ts"), "--dir", mkdtempSync(path.join(tmpdir(), "aag-sandbox-"))]);
    expect(direct.printed).toContain(`kill ${direct.child.pid}`);
    await expectSignalStopsEverything(direct, "SIGTERM");
  }, 120_000);
});
