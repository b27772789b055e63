/**
 * Every peer server keeps an idle connection open longer than its clients do.
 *
 * The clients (undici's fetch, which the tool's ky client uses, and Node's http agent)
 * keep a socket for the next request. Node's server closes an idle one after 5 s by
 * default: a request sent on a socket the server has just closed fails with "fetch
 * failed … other side closed" — seen in "fresh install seed" on a loaded machine, where
 * the client's event loop was too busy to notice the close in time.
 *
 * Reproduced here: one request, then the client's event loop is blocked (as under load)
 * for longer than Node's default keep-alive timeout, then the next request goes out on
 * the same socket before the client can see whether it was closed. The peers run in
 * processes of their own, so they keep time while this one is blocked. Two clients: a raw
 * socket (deterministic: it answers only if the server kept the connection) and fetch (the
 * failure as the tool met it).
 */
import { connect, type Socket } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEER_KEEP_ALIVE_TIMEOUT_MS } from "./emulator-http.js";
import { PEERS_DIR, startPeerProcess, type PeerProcess } from "./peer-process.js";

/** Node's default server.keepAliveTimeout: what the peers had before. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5_000;
const TOKEN = "keep-alive-test-token";

interface Peer {
  name: string;
  process: PeerProcess<any>;
  /** a request it answers 200 */
  path: string;
}
const peers: Peer[] = [];
const started: PeerProcess<any>[] = [];

const start = async (script: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  const peer = await startPeerProcess<any>(path.join(PEERS_DIR, script), args, { env });
  started.push(peer);
  return peer;
};

/** What a loaded machine does to a client: nothing of its event loop runs for `ms`. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy, as under load
  }
}

/** A request whose answer is read to the end, so that its socket goes back to fetch's pool. */
async function fetchStatus(url: string): Promise<number> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
  await response.arrayBuffer();
  return response.status;
}

/**
 * One keep-alive connection, held by hand: `send` writes a GET on it at once (whatever
 * the server did meanwhile) and resolves with the status line of the answer, or rejects
 * if the server closed the connection instead of answering.
 */
async function rawConnection(url: string): Promise<{ send(requestPath: string): Promise<string>; close(): void }> {
  const { hostname, port } = new URL(url);
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.once("error", reject);
  });
  let received = "";
  let closed: string | undefined;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on("data", (d: Buffer) => {
    received += d.toString("latin1");
    wake();
  });
  socket.on("end", () => {
    closed = "the server closed the connection (other side closed)";
    wake();
  });
  socket.on("error", (e) => {
    closed = `connection error: ${e.message}`;
    wake();
  });
  /** The whole of one answer (chunked or with a content-length), taken off `received`. */
  const takeAnswer = (): string | undefined => {
    const head = received.indexOf("\r\n\r\n");
    if (head < 0) return undefined;
    const headers = received.slice(0, head);
    let end: number;
    const length = /\r\ncontent-length: *(\d+)/i.exec(headers);
    if (length) end = head + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding: *chunked/i.test(headers)) {
      const last = received.indexOf("\r\n0\r\n\r\n", head);
      end = last < 0 ? Infinity : last + 7;
    } else end = head + 4;
    if (received.length < end) return undefined;
    const answer = received.slice(0, end);
    received = received.slice(end);
    return answer;
  };
  return {
    async send(requestPath) {
      socket.write(`GET ${requestPath} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
      for (;;) {
        const answer = takeAnswer();
        if (answer) return answer.slice(0, answer.indexOf("\r\n"));
        if (closed) throw new Error(closed);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    close: () => socket.destroy(),
  };
}

beforeAll(async () => {
  const authentik = await start("authentik/cli.ts", ["--token", TOKEN]);
  const [github, shim, proxy] = await Promise.all([
    start("github/cli.ts", ["--tokens", JSON.stringify({ [TOKEN]: { login: "alice" } })]),
    // The shim passes what is not Identity Center through to its upstream (moto in the tests).
    start("aws-shim-cli.ts", ["--moto", authentik.url]),
    start("fault-proxy.ts", ["--target", authentik.url]),
  ]);
  peers.push(
    { name: "authentik emulator", process: authentik, path: "/api/v3/admin/version/" },
    { name: "GitHub emulator", process: github, path: "/user" },
    { name: "AWS shim", process: shim, path: "/api/v3/admin/version/" },
    { name: "fault proxy", process: proxy, path: "/api/v3/admin/version/" },
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
});

describe("peer servers and the clients' idle sockets", () => {
  it(`every peer keeps an idle connection ${PEER_KEEP_ALIVE_TIMEOUT_MS / 1000} s: a request after a gap longer than Node's default keep-alive timeout gets its answer on the same socket`, async () => {
    const raw = await Promise.all(peers.map((p) => rawConnection(p.process.url)));
    try {
      for (const [i, p] of peers.entries()) {
        expect(await raw[i]!.send(p.path), p.name).toBe("HTTP/1.1 200 OK");
        expect(await fetchStatus(p.process.url + p.path), p.name).toBe(200);
      }
      // Node's server closes an idle socket between 5 and 6 s (its timers are coarse).
      blockEventLoop(NODE_DEFAULT_KEEP_ALIVE_MS + 2_000);
      // Sent before this process reads anything the servers did meanwhile.
      const settled = await Promise.allSettled([...peers.map((p, i) => raw[i]!.send(p.path)), ...peers.map((p) => fetchStatus(p.process.url + p.path))]);
      const outcome = settled.map((r, i) => {
        const who = `${peers[i % peers.length]!.name} (${i < peers.length ? "raw socket" : "fetch"})`;
        return r.status === "fulfilled" ? `${who}: ${r.value}` : `${who}: ${String(r.reason)} ${String((r.reason as Error).cause ?? "")}`.trim();
      });
      expect(outcome).toEqual([...peers.map((p) => `${p.name} (raw socket): HTTP/1.1 200 OK`), ...peers.map((p) => `${p.name} (fetch): 200`)]);
    } finally {
      for (const r of raw) r.close();
    }
  });

  it("the check above fails where a peer closes idle connections sooner than the gap (a keep-alive timeout shortened to 1 s)", async () => {
    const short = await start("fault-proxy.ts", ["--target", peers[0]!.process.url], { PEER_KEEP_ALIVE_TIMEOUT_MS: "1000" });
    const raw = await rawConnection(short.url);
    try {
      expect(await raw.send("/api/v3/admin/version/")).toBe("HTTP/1.1 200 OK");
      blockEventLoop(2_500);
      await expect(raw.send("/api/v3/admin/version/")).rejects.toThrow(/other side closed|ECONNRESET|EPIPE/);
    } finally {
      raw.close();
      await short.stop();
    }
  });
});
