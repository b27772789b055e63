// The HTTP plumbing the emulators (authentik, GitHub) share: a server that
// records every request, hands it to the emulator's handler and turns a handler
// crash into a recorded emulator bug and a 500.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * How long every peer server (the authentik and GitHub emulators, the AWS shim, the fault
 * proxy) keeps an idle connection open: well above the time its clients keep an idle socket
 * for the next request (undici's fetch, which the tool's ky client uses: at most what the
 * server's Keep-Alive header says, minus a second or two; Node's http agent: 5 s). With
 * Node's default of 5 s the server could close a socket just as a client sent a request on
 * it ("fetch failed … other side closed", seen under load). PEER_KEEP_ALIVE_TIMEOUT_MS in a
 * peer's environment overrides it (test/peers/keep-alive.test.ts, to show that failure).
 */
export const PEER_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Sets a peer server's keep-alive timeout (and the headers timeout above it, as Node requires). */
export function keepIdleConnectionsOpen(server: Server, env: NodeJS.ProcessEnv = process.env): void {
  const override = Number(env.PEER_KEEP_ALIVE_TIMEOUT_MS);
  const keepAlive = Number.isInteger(override) && override > 0 ? override : PEER_KEEP_ALIVE_TIMEOUT_MS;
  server.keepAliveTimeout = keepAlive;
  server.headersTimeout = keepAlive + 1_000;
}

export interface RecordedRequestBase {
  method: string;
  /** request path as received, e.g. /api/v3/core/groups/ */
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  /** operation of the API description the request matched, if any */
  operationId?: string;
  /** ways the request broke the API description (empty = valid) */
  invalid: string[];
  /** accepted but noteworthy (unknown body fields or query parameters, which the service ignores) */
  warnings: string[];
}

export interface RecordingServer<R extends RecordedRequestBase> {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
  /** every request, in arrival order */
  requests: R[];
  /** requests that broke the API description */
  invalidRequests(): R[];
  /** emulator bugs (invalid responses, handler crashes): a test should expect this to stay empty */
  emulatorErrors: string[];
}

export interface RecordingServerOptions<R extends RecordedRequestBase> {
  /** 0 (default) picks a free port */
  port?: number;
  host?: string;
  /** names the emulator in bug reports, e.g. "GitHub" */
  name: string;
  /** shared with `handle`, which may add to them */
  requests: R[];
  emulatorErrors: string[];
  handle(req: IncomingMessage, res: ServerResponse, record: R, url: URL): Promise<void>;
  /** answers a request whose handling threw (a 500) */
  fail(res: ServerResponse, record: R, message: string): void;
  /** also print emulator bugs to stderr */
  logErrors?: boolean;
  /** runs when `stop()` is called, before the server closes */
  onStop?: () => void;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

export async function startRecordingServer<R extends RecordedRequestBase>(options: RecordingServerOptions<R>): Promise<RecordingServer<R>> {
  const { requests, emulatorErrors } = options;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const base: RecordedRequestBase = { method: req.method ?? "GET", path: url.pathname, query: queryRecord(url.searchParams), status: 0, invalid: [], warnings: [] };
    // Every other member of an emulator's record is optional.
    const record = base as R;
    requests.push(record);
    options.handle(req, res, record, url).catch((err: unknown) => {
      const message = `${options.name} emulator bug on ${record.method} ${record.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
      emulatorErrors.push(message);
      if (options.logErrors) console.error(message);
      if (!res.headersSent) options.fail(res, record, message);
      else res.end();
    });
  });
  keepIdleConnectionsOpen(server);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    requests,
    emulatorErrors,
    invalidRequests: () => requests.filter((r) => r.invalid.length > 0),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        options.onStop?.();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
