// HTTP emulator of the parts of GitHub's REST API the Action uses.
//
// Each request: `/repositories/{id}/…` (the form GitHub's Link headers use)
// rewritten to `/repos/{owner}/{repo}/…` → route by the path templates of
// GitHub's description → token check (401 "Bad credentials") → path, query and
// body validated against the operation (a violation is answered 422 "Invalid
// request." like GitHub, 400 for unparsable JSON, and recorded) → handler →
// response validated against the operation's declared response for that status.
// A response that breaks the description is an emulator bug: 500, recorded in
// `emulatorErrors`; so is a call to an operation the emulator does not implement.
// `POST /graphql` is not REST: it answers the one query a token asks to learn its
// own login (`viewer { login }`, see graphql.ts).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, type RecordedRequestBase, type RecordingServer, startRecordingServer } from "../emulator-http.js";
import { matchRoute } from "../openapi-index.js";
import { handleGraphql } from "./graphql.js";
import { GitHubOidc, ID_TOKEN_PATH } from "./oidc.js";
import { type GitHubOperation, loadGitHubSpec } from "./openapi.js";
import { type Actor, basicError, GitHubError, type HandlerContext, type HandlerResult, handlers } from "./routes.js";
import { legacyNodeId, type SerializeContext } from "./serialize.js";
import { GitHubStore } from "./store.js";
import { GitHubValidator } from "./validator.js";

export interface TokenSpec {
  /**
   * Account the token acts as. Omitted with `app`: `<app slug>[bot]`. A `…[bot]` login
   * without `app` is an installation token of the App of that slug (GITHUB_TOKEN:
   * `github-actions[bot]`, the GitHub Actions app).
   */
  login?: string;
  /** "Bot" for installation tokens (GITHUB_TOKEN is github-actions[bot]); default User, or Bot for a `…[bot]` login */
  type?: "Bot" | "User";
  /** fork pull requests get a read-only GITHUB_TOKEN: every write answers 403 */
  readOnly?: boolean;
  /**
   * A GitHub App installation token (e.g. from actions/create-github-app-token): acts as
   * `<slug>[bot]` (type Bot), and what it writes names the App in `performed_via_github_app`.
   */
  app?: { slug: string; id?: number; name?: string; owner?: string };
}

/** The actor a token spec describes, registering its App (and bot account) in the store. */
export function tokenActor(store: GitHubStore, token: string, t: TokenSpec): Actor {
  const login = t.login ?? (t.app ? `${t.app.slug}[bot]` : undefined);
  if (!login) throw new Error(`token ${token.slice(0, 4)}…: needs a login or an app`);
  const type = t.type ?? (t.app || login.endsWith("[bot]") ? "Bot" : "User");
  let app: string | undefined;
  if (type === "Bot") {
    const slug = t.app?.slug ?? login.replace(/\[bot\]$/, "");
    if (login !== `${slug}[bot]`) throw new Error(`token ${token.slice(0, 4)}…: an installation token of App ${slug} acts as ${slug}[bot], not ${login}`);
    app = store.addApp({ slug, ...(t.app?.id !== undefined ? { id: t.app.id } : {}), ...(t.app?.name ? { name: t.app.name } : {}), ...(t.app?.owner ? { owner: t.app.owner } : {}) }).slug;
  }
  store.addUser({ login, type });
  return { token, login, type, readOnly: t.readOnly ?? false, ...(app ? { app } : {}) };
}

export interface GitHubEmulatorOptions {
  /** 0 (default) picks a free port */
  port?: number;
  host?: string;
  tokens: Record<string, TokenSpec>;
  /** web base in html_url fields (default https://github.com) */
  serverUrl?: string;
  /** clock for created_at / updated_at (default: real time) */
  clock?: () => Date;
}

/** `path` is as received (before the /repositories/{id} rewrite). */
export interface RecordedRequest extends RecordedRequestBase {
  /** login of the token's account; undefined for anonymous or unknown tokens */
  login?: string;
  /** parsed JSON body, if any */
  body?: unknown;
}

/** `emulatorErrors` also lists gaps: operations the emulator does not implement. */
export interface GitHubEmulator extends RecordingServer<RecordedRequest> {
  /** API base, e.g. http://127.0.0.1:PORT — use it as GITHUB_API_URL */
  url: string;
  store: GitHubStore;
  /** the Actions OIDC token service (oidc.ts): issuer = url, JWKS at url/.well-known/jwks */
  oidc: GitHubOidc;
}

const GENERIC_DOCS = "https://docs.github.com/rest";

export async function startGitHubEmulator(options: GitHubEmulatorOptions): Promise<GitHubEmulator> {
  const spec = loadGitHubSpec();
  const validator = new GitHubValidator(spec);
  const store = new GitHubStore(options.clock);
  const tokens = new Map<string, Actor>();
  for (const [token, t] of Object.entries(options.tokens)) tokens.set(token, tokenActor(store, token, t));
  const requests: RecordedRequest[] = [];
  const emulatorErrors: string[] = [];
  const serverUrl = (options.serverUrl ?? "https://github.com").replace(/\/$/, "");
  let apiUrl = "";
  const oidc = new GitHubOidc(store, () => apiUrl, serverUrl, () => (options.clock ? options.clock().getTime() : Date.now()));
  let remaining = 5000;
  const resetAt = Math.floor(Date.now() / 1000) + 3600;

  const send = (res: ServerResponse, record: RecordedRequest, result: HandlerResult) => {
    record.status = result.status;
    remaining = Math.max(0, remaining - 1);
    const headers: Record<string, string> = {
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": randomUUID().toUpperCase().slice(0, 23),
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(resetAt),
      "x-ratelimit-used": String(5000 - remaining),
      "x-ratelimit-resource": "core",
      ...(result.headers ?? {}),
    };
    let payload: string | undefined;
    if (result.body !== undefined) {
      headers["content-type"] = "application/json; charset=utf-8";
      payload = JSON.stringify(result.body);
    }
    res.writeHead(result.status, headers);
    res.end(payload);
  };

  /** Who the Authorization header names: undefined without one, "bad" for a token the emulator does not know. */
  const authenticate = (req: IncomingMessage): Actor | undefined | "bad" => {
    const auth = req.headers.authorization;
    if (auth === undefined) return undefined;
    const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(auth);
    return (m ? tokens.get(m[1]!) : undefined) ?? "bad";
  };

  const graphql = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest, method: string) => {
    record.operationId = "graphql";
    const actor = authenticate(req);
    if (actor === "bad") return send(res, record, { status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/graphql", status: "401" } });
    if (actor) record.login = actor.login;
    const raw = method === "POST" ? await readBody(req) : "";
    try {
      record.body = JSON.parse(raw);
    } catch {
      /* handleGraphql says so */
    }
    const outcome = handleGraphql(method, raw, actor, {
      commentByNodeId: (id) => {
        const comment = [...store.comments.values()].find((c) => legacyNodeId("IssueComment", c.id) === id);
        return comment && { editor: comment.editor, editorIsBot: comment.editor !== null && store.user(comment.editor)?.type === "Bot" };
      },
    });
    if (outcome.invalid) record.invalid.push(outcome.invalid);
    if (outcome.gap) emulatorErrors.push(`POST /graphql is not emulated for this query: ${outcome.gap}`);
    record.warnings.push(...(outcome.warnings ?? []));
    send(res, record, outcome.result);
  };

  /**
   * The Actions OIDC token service (oidc.ts) on the same server: its discovery document and JWKS
   * (anonymous GETs), and the runner's ID token endpoint (the job's request token as Bearer,
   * `api-version=2.0`, optional `audience`).
   */
  const oidcRequest = (req: IncomingMessage, res: ServerResponse, record: RecordedRequest, method: string, url: URL) => {
    const json = (status: number, body: unknown) => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    if (method !== "GET") {
      record.invalid.push(`${method} ${url.pathname}: the OIDC endpoints answer GET only`);
      return json(405, { message: "Method Not Allowed" });
    }
    if (url.pathname === "/.well-known/jwks") {
      record.operationId = "oidc/jwks";
      return json(200, oidc.jwks());
    }
    if (url.pathname === "/.well-known/openid-configuration") {
      record.operationId = "oidc/openid-configuration";
      return json(200, oidc.openidConfiguration());
    }
    record.operationId = "oidc/idtoken";
    const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    const job = m ? oidc.jobOf(m[1]!) : undefined;
    if (!job) {
      record.invalid.push("ID token request without a job's ACTIONS_ID_TOKEN_REQUEST_TOKEN");
      return json(401, { message: "Unauthorized" });
    }
    if (url.searchParams.get("api-version") !== "2.0") record.warnings.push(`ID token request with api-version=${url.searchParams.get("api-version")} (the runner's URL carries 2.0)`);
    const audience = url.searchParams.get("audience") ?? undefined;
    const value = oidc.mint({ requestToken: m![1]!, ...(audience !== undefined ? { audience } : {}) });
    return json(200, { count: value.length, value });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest, url: URL) => {
    let op: GitHubOperation | undefined;
    /** Answers through the same response check as handlers, once an operation is known. */
    const respond = (result: HandlerResult) => {
      const problems = op ? validator.checkResponse(op, result.status, result.body === undefined ? undefined : "application/json", result.body) : [];
      if (problems.length > 0) {
        throw new Error(`response to ${op!.operationId} (${result.status}) breaks GitHub's description: ${problems.join("; ")}\nbody: ${JSON.stringify(result.body).slice(0, 2000)}`);
      }
      send(res, record, result);
    };
    const reject = (status: number, body: Record<string, unknown>, problem: string) => {
      record.invalid.push(problem);
      respond({ status, body });
    };
    const method = req.method ?? "GET";
    let path = url.pathname;
    if (path === "/graphql") return graphql(req, res, record, method);
    if (path === "/.well-known/jwks" || path === "/.well-known/openid-configuration" || ID_TOKEN_PATH.test(path)) return oidcRequest(req, res, record, method, url);
    const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(path);
    if (byId) {
      const repo = store.repoById(Number(byId[1]));
      if (!repo) return send(res, record, { status: 404, body: { message: "Not Found", documentation_url: GENERIC_DOCS, status: "404" } });
      path = `/repos/${repo.owner}/${repo.name}${byId[2] ?? ""}`;
    }
    const route = matchRoute(spec, method, path);
    if (route.kind !== "operation") {
      // GitHub answers unknown paths and unsupported methods alike with 404.
      return reject(404, { message: "Not Found", documentation_url: GENERIC_DOCS, status: "404" }, route.kind === "not-found" ? `no operation in GitHub's description for ${method} ${path}` : `${method} not in GitHub's description for ${path} (allowed: ${route.allowed.join(", ")})`);
    }
    op = route.operation;
    record.operationId = op.operationId;

    const authenticated = authenticate(req);
    if (authenticated === "bad") return respond({ status: 401, body: { message: "Bad credentials", documentation_url: GENERIC_DOCS, status: "401" } });
    const actor = authenticated;
    if (actor) record.login = actor.login;

    const pathProblems = validator.checkPathParams(op, route.pathParams);
    if (pathProblems.length > 0) return reject(404, { message: "Not Found", documentation_url: op.docsUrl, status: "404" }, pathProblems.join("; "));

    let body: unknown;
    let hasBody = false;
    if (["POST", "PUT", "PATCH", "DELETE"].includes(method)) {
      const raw = await readBody(req);
      if (raw.trim() !== "") {
        try {
          body = JSON.parse(raw);
          hasBody = true;
          record.body = body;
        } catch {
          return reject(400, { message: "Problems parsing JSON", documentation_url: op.docsUrl, status: "400" }, "body is not JSON");
        }
        const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
        if (contentType !== "application/json") record.warnings.push(`content-type ${contentType || "(none)"}: GitHub parses the body as JSON anyway`);
      }
    }
    const check = validator.checkRequest(op, url.searchParams, body, hasBody);
    for (const f of check.unknownFields) record.warnings.push(`unknown body field ignored: ${f}`);
    for (const q of check.unknownQueryParams) record.warnings.push(`unknown query parameter ignored: ${q}`);
    if (check.errors) {
      // No `status` member: GitHub's validation-error schema (declared for most 422s) has none.
      return reject(422, { message: check.message, documentation_url: op.docsUrl }, `request does not match ${op.operationId}: ${JSON.stringify(check.errors)}`);
    }

    const handler = handlers[op.operationId];
    if (!handler) {
      emulatorErrors.push(`${method} ${path} (${op.operationId}) is not emulated`);
      return respond({ status: 501, body: { message: `${op.operationId} is not emulated`, documentation_url: op.docsUrl, status: "501" } });
    }
    const ser: SerializeContext = { store, apiUrl, serverUrl };
    const ctx: HandlerContext = {
      store,
      ser,
      params: route.pathParams,
      query: check.query,
      body: body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {},
      actor,
      docsUrl: op.docsUrl,
      url: new URL(`${path}${url.search}`, apiUrl),
    };
    let result: HandlerResult;
    try {
      result = handler(ctx);
    } catch (err) {
      if (!(err instanceof GitHubError)) throw err;
      result = { status: err.status, body: err.body, headers: err.headers };
    }
    respond(result);
  };

  const server = await startRecordingServer({
    port: options.port,
    host: options.host,
    name: "GitHub",
    requests,
    emulatorErrors,
    handle,
    fail: (res, record, message) => send(res, record, { status: 500, body: basicError(500, message, GENERIC_DOCS).body }),
  });
  apiUrl = server.url;
  return { ...server, store, oidc };
}
