/**
 * Peers in processes of their own.
 *
 * A test that runs the authentik emulator, the Identity Center shim or the GitHub
 * emulator in its own event loop keeps whatever it talks to alive and can hide
 * defects that only show when the tool runs on its own (an `unref()`ed timer that
 * a pending request waits on made the real CLI exit 13 with no output, while every
 * in-process test passed). So end-to-end tests start each peer with `startPeerProcess`
 * — a forked Node process running the peer's own command (`test/peers/*\/cli.ts`, the
 * same one `npm run sandbox` uses) — and reach its test controls (seeding, fault
 * injection, request logs) over the IPC channel, never its memory.
 *
 *   const authentik = await startPeerProcess<AuthentikControls>(AUTHENTIK_CLI, ["--token", T]);
 *   authentik.url;                                    // from the peer's "ready" message
 *   await authentik.control.invalidRequests();        // every control returns a promise
 *   await authentik.stop();
 *
 * Child side: a peer's command calls `servePeerControls(info, controls, stop)` once it
 * listens; without an IPC channel (run from a terminal) that does nothing.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";

type AnyFn = (...args: any[]) => unknown;
export type Controls = Record<string, AnyFn>;
/** The controls as the parent sees them: the same methods, answered asynchronously. */
export type Remote<C extends Controls> = { [K in keyof C]: (...args: Parameters<C[K]>) => Promise<Awaited<ReturnType<C[K]>>> };

export interface ReadyInfo {
  /** base URL the peer serves */
  url: string;
  [key: string]: unknown;
}

interface ReadyMessage {
  type: "ready";
  info: ReadyInfo;
}
interface CallMessage {
  type: "call";
  id: number;
  method: string;
  args: unknown[];
}
interface ReplyMessage {
  type: "reply";
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** In the peer's process: answer the parent's control calls; stop and exit when the parent goes. */
export function servePeerControls(info: ReadyInfo, controls: Controls, stop: () => Promise<void>): void {
  if (!process.send) return;
  const send = process.send.bind(process);
  process.on("message", (raw: unknown) => {
    const message = raw as CallMessage;
    if (message?.type !== "call") return;
    const reply = (r: Omit<ReplyMessage, "type" | "id">) => send({ type: "reply", id: message.id, ...r } satisfies ReplyMessage);
    const fn = controls[message.method];
    if (!fn) return reply({ ok: false, error: `no control named ${message.method}` });
    Promise.resolve()
      .then(() => fn(...message.args))
      .then(
        (value) => reply({ ok: true, value: value === undefined ? null : value }),
        (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  // The parent died or let go: nothing would ever stop this peer otherwise.
  process.on("disconnect", () => {
    void stop().finally(() => process.exit(0));
  });
  send({ type: "ready", info } satisfies ReadyMessage);
}

export interface PeerProcess<C extends Controls> {
  url: string;
  info: ReadyInfo;
  pid: number;
  control: Remote<C>;
  /** what the peer printed (stdout and stderr, the tail) */
  output(): string;
  /** Ends the peer (SIGTERM, then SIGKILL) and waits for it. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

const TSX = import.meta.resolve("tsx");

/**
 * Forks `script` (a TypeScript peer command, run through tsx) with `args`, waits for
 * its ready message and returns a handle to it.
 */
export async function startPeerProcess<C extends Controls>(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {},
): Promise<PeerProcess<C>> {
  const child = fork(script, args, {
    execArgv: ["--import", TSX],
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced", // Maps, Sets, Dates and undefined survive the trip
  });
  live.add(child);
  let output = "";
  const collect = (b: Buffer) => (output = (output + b.toString("utf8")).slice(-16_000));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  // Peers print their own bugs; show them where a test author looks.
  child.stderr?.on("data", (b: Buffer) => {
    if (/emulator bug|Error/.test(b.toString("utf8"))) process.stderr.write(`[${path.basename(path.dirname(script))}] ${b}`);
  });

  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      live.delete(child);
      for (const p of pending.values()) p.reject(new Error(`peer ${script} ${exited} during ${p.method}:\n${output}`));
      pending.clear();
      resolve();
    }),
  );

  const info = await new Promise<ReadyInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`peer ${script} not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${output}`)), options.readyTimeoutMs ?? 60_000);
    child.on("message", (raw: unknown) => {
      const message = raw as ReadyMessage | ReplyMessage;
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.info);
      } else if (message.type === "reply") {
        const p = pending.get(message.id);
        if (!p) return;
        pending.delete(message.id);
        if (message.ok) p.resolve(message.value);
        else p.reject(new Error(`peer control ${p.method} failed: ${message.error}`));
      }
    });
    void exitPromise.then(() => {
      clearTimeout(timer);
      reject(new Error(`peer ${script} ${exited} before it was ready:\n${output}`));
    });
  });

  let nextId = 1;
  const call = (method: string, args: unknown[]): Promise<unknown> => {
    if (exited) return Promise.reject(new Error(`peer ${script} ${exited}; cannot call ${method}`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, method });
      child.send({ type: "call", id, method, args } satisfies CallMessage);
    });
  };
  const control = new Proxy({} as Remote<C>, {
    get: (_target, method) => (typeof method === "string" && method !== "then" ? (...args: unknown[]) => call(method, args) : undefined),
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exitPromise;
      clearTimeout(timer);
    })());

  return { url: info.url, info, pid: child.pid!, control, output: () => output, stop };
}

export const PEERS_DIR = import.meta.dirname;
