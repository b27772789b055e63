/**
 * Test harness for moto_server (the AWS emulator), see test/peers/MOTO-NOTES.md.
 *
 *   const moto = await startMoto();
 *   const iam = new IAMClient(awsClientConfig(moto.endpoint));             // account 123456789012
 *   const iam2 = new IAMClient(awsClientConfig(moto.endpoint, "111111111111"));
 *   await resetMoto(moto.endpoint);
 *   await moto.stop();
 *
 * How moto picks the account of a request (moto/core/responses.py,
 * BaseResponse.get_current_account), first match wins:
 *   1. env MOTO_ACCOUNT_ID of the *server* process (pins every request: avoid);
 *   2. request header `x-moto-account-id`;
 *   3. the access key id: keys minted by STS AssumeRole(arn:aws:iam::<acct>:role/<any>)
 *      belong to <acct> (the role need not exist); keys are wiped by a reset;
 *   4. otherwise the default account 123456789012.
 * awsClientConfig(endpoint, accountId) uses (2); the tool under test uses (3)
 * when it assumes `aws.accounts.*.assumeRole`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export const MOTO_DEFAULT_ACCOUNT_ID = "123456789012";
export const MOTO_REGION = "us-east-1";

export interface MotoServer {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  port: number;
  /** Kills moto's whole process group; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Extra environment for moto_server (merged over process.env and the defaults). */
  env?: Record<string, string>;
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const VENV_DIR = join(PROJECT_ROOT, ".venv-moto");
const VENV_BIN = join(VENV_DIR, "bin", "moto_server");
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** Process groups still running, killed synchronously if this process exits. */
const live = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pgid of live) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, cmd);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** moto_server on PATH, else the project-local virtualenv (created on demand). */
let resolved: string | undefined;
export function findMotoServer(): string {
  if (resolved) return resolved;
  const onPath = findOnPath("moto_server");
  // pyenv shims exist for every installed version; make sure this one really runs.
  if (onPath && spawnSync(onPath, ["--help"], { stdio: "ignore", timeout: 30_000 }).status === 0) {
    return (resolved = onPath);
  }
  if (isExecutable(VENV_BIN)) return (resolved = VENV_BIN);

  const hint =
    'moto_server not found. Install moto (>= 5.2) so that `moto_server` is on PATH, e.g. `pip install "moto[server]"`, ' +
    `or make python3 with venv/pip available so the tests can create ${VENV_DIR}.`;
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) {
      const out = `${r.error?.message ?? ""}${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
      throw new Error(`${hint}\nAutomatic install failed at \`${cmd} ${args.join(" ")}\`:\n${out}`);
    }
  };
  if (!existsSync(join(VENV_DIR, "bin", "python"))) run("python3", ["-m", "venv", VENV_DIR]);
  run(join(VENV_DIR, "bin", "python"), ["-m", "pip", "install", "--quiet", "moto[server]"]);
  if (!isExecutable(VENV_BIN)) throw new Error(`${hint}\npip succeeded but ${VENV_BIN} is missing.`);
  return (resolved = VENV_BIN);
}

/** A port the OS considers free right now (moto binds it a moment later; startMoto retries on a race). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        rej(new Error("could not get a free port"));
        return;
      }
      srv.close(() => res(addr.port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    child.once("exit", () => {
      clearTimeout(t);
      res(true);
    });
  });
}

/** process.env minus MOTO_ACCOUNT_ID, which would pin every request to one account (pass it in opts.env if wanted). */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MOTO_ACCOUNT_ID;
  return env;
}

async function launch(bin: string, opts: StartMotoOptions): Promise<MotoServer | "port-race"> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // A tiny sh supervisor: moto dies with the group (stop()), when moto exits, or when this
  // Node process dies in any way (even SIGKILL), because the stdin pipe then reaches EOF.
  const supervisor = [
    '"$0" "$@" </dev/null &',
    "m=$!",
    // explicit <&3: sh gives background jobs /dev/null as stdin otherwise
    'exec 3<&0',
    '{ cat <&3 >/dev/null; kill -TERM "$m" 2>/dev/null; } &',
    'wait "$m"',
    "kill -TERM 0",
  ].join("\n");
  const child = spawn("/bin/sh", ["-c", supervisor, bin, "-H", "127.0.0.1", "-p", String(port)], {
    detached: true, // own process group: stop() kills sh, shims, python and werkzeug threads together
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      ...inheritedEnv(),
      MOTO_IAM_LOAD_MANAGED_POLICIES: "true",
      PYTHONUNBUFFERED: "1",
      ...opts.env,
    },
  });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not start ${bin}`);
  live.add(pgid);
  installExitHook();

  // Never hold the event loop open: a forgotten stop() must not hang the test run (the
  // supervisor still kills moto when this process exits and the stdin pipe closes).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  child.stdin?.on("error", () => {
    /* EPIPE once the group is gone */
  });

  let output = "";
  const collect = (b: Buffer) => {
    output = (output + b.toString("utf8")).slice(-8_000); // keep the tail for error messages
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  child.once("exit", () => {
    exited = true;
    live.delete(pgid);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exited) return;
      try {
        process.kill(-pgid, "SIGTERM");
      } catch {
        /* gone */
      }
      if (!(await waitForExit(child, STOP_GRACE_MS))) {
        try {
          process.kill(-pgid, "SIGKILL");
        } catch {
          /* gone */
        }
        await waitForExit(child, STOP_GRACE_MS);
      }
      // The leader may be gone while children linger: sweep the group once more.
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        /* nothing left */
      }
      live.delete(pgid);
    })());

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      if (/address already in use/i.test(output)) return "port-race";
      throw new Error(
        `moto_server exited during start-up (${child.exitCode ?? child.signalCode}), command: ${bin}:\n${output}`,
      );
    }
    try {
      const r = await fetch(`${endpoint}/moto-api/config`, { signal: AbortSignal.timeout(2_000) });
      const body = await r.text();
      // Make sure it is our moto answering, not whoever won a race for the port.
      if (r.ok && body.includes('"batch"') && !exited) return { endpoint, port, stop };
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

/** Start moto_server on 127.0.0.1 on a free port, with AWS managed policies loaded. */
export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const bin = findMotoServer();
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await launch(bin, opts);
    if (r !== "port-race") return r;
  }
  throw new Error("moto_server: could not bind a free port after 5 attempts");
}

/** Wipe all moto state (every account, service and region). */
export async function resetMoto(endpoint: string): Promise<void> {
  const r = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`moto reset failed: HTTP ${r.status}`);
}

/** Adds `x-moto-account-id` to every request (after signing; moto does not verify signatures). */
class MotoAccountHandler extends NodeHttpHandler {
  private readonly accountId: string;
  constructor(accountId: string) {
    super();
    this.accountId = accountId;
  }
  override handle(...args: Parameters<NodeHttpHandler["handle"]>): ReturnType<NodeHttpHandler["handle"]> {
    args[0].headers["x-moto-account-id"] = this.accountId;
    return super.handle(...args);
  }
}

export interface MotoClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestHandler?: NodeHttpHandler;
}

/**
 * Config for any AWS SDK v3 client talking to moto. Without accountId requests land
 * in moto's default account 123456789012; with it, in that account (x-moto-account-id).
 */
export function awsClientConfig(endpoint: string, accountId?: string): MotoClientConfig {
  const cfg: MotoClientConfig = {
    region: MOTO_REGION,
    endpoint,
    credentials: { accessKeyId: "AKIAMOTOTESTING00000", secretAccessKey: "moto-testing-secret" },
  };
  if (accountId !== undefined) {
    if (!/^\d{12}$/.test(accountId)) throw new Error(`not a 12-digit account id: ${accountId}`);
    cfg.requestHandler = new MotoAccountHandler(accountId);
  }
  return cfg;
}
