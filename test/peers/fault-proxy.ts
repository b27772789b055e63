/**
 * A fault-injecting HTTP proxy in front of any peer (the authentik emulator, the
 * Identity Center shim, moto), for the failures that keep access in place while a
 * tool reports it gone: an answer lost *after* the peer committed the write, a
 * dropped connection, a peer that accepts a request and never answers.
 *
 *   tsx test/peers/fault-proxy.ts --target http://127.0.0.1:PORT [--port N]
 *
 * Rules (added over IPC, see peer-process.ts) match by method and a path regex (and,
 * for AWS JSON protocols, the X-Amz-Target operation) and act `times` times:
 *   - "after-commit": forward, let the peer finish, then answer `status` (default 502)
 *     instead of the peer's answer — the write happened, the client cannot know;
 *   - "drop-after-commit": forward, let the peer finish, then destroy the connection;
 *   - "drop": destroy the connection without forwarding;
 *   - "hang": accept and never answer (until the proxy stops);
 *   - "delay": forward after `delayMs`;
 *   - "answer": do not forward; answer `status` (default 500) with an AWS JSON error body
 *     (`errorType`, default InternalServerException) — a service failing on its side.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { keepIdleConnectionsOpen } from "./emulator-http.js";
import { servePeerControls } from "./peer-process.js";

export interface FaultProxyRule {
  action: "after-commit" | "drop-after-commit" | "drop" | "hang" | "delay" | "answer";
  method?: string;
  /** regex source matched against the request path (query included) */
  path?: string;
  /** AWS JSON protocol operation, from X-Amz-Target (e.g. "CreateAccountAssignment") */
  operation?: string;
  /** regex source matched against the request body (e.g. "Action=ListRoles" for IAM's query protocol) */
  body?: string;
  /** how many matching requests; default 1 */
  times?: number;
  status?: number;
  delayMs?: number;
  /** "answer": the error's __type (AWS JSON protocols) or Code (query protocol) */
  errorType?: string;
}

export interface FaultProxyLogEntry {
  method: string;
  path: string;
  operation?: string;
  /** AWS query protocol action (IAM, STS), from the form body */
  action?: string;
  /** what the proxy did: "forwarded" or the rule's action */
  outcome: string;
  /** the peer's status, when it answered */
  peerStatus?: number;
  /** AWS: the service and access key id of the SigV4 credential scope (Authorization header) */
  service?: string;
  accessKeyId?: string;
  /** AWS: the request's parameters — the JSON body (JSON protocols) or the form fields (query protocol) */
  params?: Record<string, unknown>;
  /** sts AssumeRole: the access key id of the credentials it answered with */
  issuedAccessKeyId?: string;
}

/** The AWS request's parameters, for a log that tells which resources a call named. */
function awsParams(contentType: string | undefined, body: string): Record<string, unknown> | undefined {
  if (body === "") return undefined;
  if ((contentType ?? "").includes("json")) {
    try {
      const parsed = JSON.parse(body) as unknown;
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if ((contentType ?? "").includes("x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(body));
  return undefined;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

export async function startFaultProxy(options: { target: string; port?: number }) {
  const target = new URL(options.target);
  let rules: (FaultProxyRule & { used: number })[] = [];
  const log: FaultProxyLogEntry[] = [];
  const hanging = new Set<ServerResponse>();

  const pick = (req: IncomingMessage, operation: string | undefined, body: string) => {
    for (const rule of rules) {
      if (rule.used >= (rule.times ?? 1)) continue;
      if (rule.method && rule.method.toUpperCase() !== req.method) continue;
      if (rule.path && !new RegExp(rule.path).test(req.url ?? "/")) continue;
      if (rule.operation && rule.operation !== operation) continue;
      if (rule.body && !new RegExp(rule.body).test(body)) continue;
      rule.used += 1;
      return rule;
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      headers["content-length"] = String(body.length);
      const up = httpRequest({ protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
          resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
        });
        res.on("error", reject);
      });
      up.on("error", reject);
      up.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const target = req.headers["x-amz-target"];
        const operation = typeof target === "string" ? target.split(".").pop() : undefined;
        const rule = pick(req, operation, body.toString("utf8"));
        const action = /(?:^|&)Action=([^&]+)/.exec(body.toString("utf8"))?.[1];
        const scope = /Credential=([^/,\s]+)\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? "");
        const params = scope ? awsParams(req.headers["content-type"], body.toString("utf8")) : undefined;
        const entry: FaultProxyLogEntry = {
          method: req.method ?? "GET",
          path: req.url ?? "/",
          ...(operation ? { operation } : {}),
          ...(action ? { action } : {}),
          outcome: rule?.action ?? "forwarded",
          ...(scope ? { accessKeyId: scope[1]!, service: scope[2]! } : {}),
          ...(params ? { params } : {}),
        };
        log.push(entry);
        if (rule?.action === "drop") return void req.socket.destroy();
        if (rule?.action === "hang") return void hanging.add(res);
        if (rule?.action === "answer") {
          const status = rule.status ?? 500;
          const type = rule.errorType ?? (status === 429 ? "ThrottlingException" : "InternalServerException");
          if ((req.headers["content-type"] ?? "").includes("x-www-form-urlencoded")) {
            res.writeHead(status, { "content-type": "text/xml" });
            return void res.end(`<ErrorResponse><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type><Code>${type}</Code><Message>fault proxy</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`);
          }
          res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type });
          return void res.end(JSON.stringify({ __type: type, message: "fault proxy" }));
        }
        if (rule?.action === "delay") await new Promise((r) => setTimeout(r, rule.delayMs ?? 1_000));
        const answer = await forward(req, body);
        entry.peerStatus = answer.status;
        if (entry.service === "sts" && (entry.action === "AssumeRole" || entry.operation === "AssumeRole")) {
          const issued = /"?AccessKeyId"?\s*[:>]\s*"?([A-Z0-9]+)/.exec(answer.body.toString("utf8"));
          if (issued) entry.issuedAccessKeyId = issued[1]!;
        }
        if (rule?.action === "drop-after-commit") return void req.socket.destroy();
        if (rule?.action === "after-commit") {
          const status = rule.status ?? 502;
          res.writeHead(status, { "content-type": "text/html" });
          return void res.end(`<html><body><h1>${status} Bad Gateway</h1></body></html>`);
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })().catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`fault proxy: ${String(error)}`);
      });
    });
  });
  keepIdleConnectionsOpen(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    controls: {
      addRule: (rule: FaultProxyRule) => void rules.push({ ...rule, used: 0 }),
      clearRules: () => void (rules = []),
      /** rules that have not fired as often as asked */
      pendingRules: () => rules.filter((r) => r.used < (r.times ?? 1)).map(({ used: _u, ...r }) => r),
      log: () => log,
      clearLog: () => void log.splice(0),
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
export type FaultProxyControls = Awaited<ReturnType<typeof startFaultProxy>>["controls"];

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { target: { type: "string" }, port: { type: "string", default: "0" } } });
  if (!values.target) {
    console.error("usage: tsx test/peers/fault-proxy.ts --target URL [--port N]");
    process.exit(2);
  }
  const proxy = await startFaultProxy({ target: values.target, port: Number(values.port) });
  console.log(proxy.url);
  servePeerControls({ url: proxy.url }, proxy.controls, proxy.stop);
  const shutdown = () => void proxy.stop().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
