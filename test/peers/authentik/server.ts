// HTTP emulator of authentik's /api/v3 for tests and local demos, playing one
// release (release.ts: 2025.10 to 2026.8; default 2026.8.3).
//
// Each request: route by the release's schema.yml path templates → token check
// (403 like authentik) → RBAC permissions (permissions.ts) → request validated
// against the operation (query, body); body fields the release does not have are
// dropped, as Django REST Framework drops them, before the handler sees the body
// → handler → response validated against the release's declared response. A
// request that breaks the schema is answered 400 in authentik's shape and
// recorded as invalid; a response that breaks the schema is an emulator bug and
// becomes a loud 500 (and lands in `emulatorErrors`).
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, type RecordedRequestBase, type RecordingServer, startRecordingServer } from "../emulator-http.js";
import { matchRoute } from "../openapi-index.js";
import type { Collation } from "./collation.js";
import { ApiError } from "./http-errors.js";
import { loadSpec } from "./openapi.js";
import { OpenApiValidator } from "./openapi-validator.js";
import { handleTokenRequest, SCOPE_AUTHENTIK_API, TOKEN_PATH, type TokenRequestRecord } from "./oauth-token.js";
import { PERMISSION_DENIED, type Principal, principalHasPermission, principalIsSuperuser, requiredPermissions, SUPERUSER_ONLY } from "./permissions.js";
import { ExpressionEngine } from "./python.js";
import { type Minor, type Release, resolveRelease } from "./release.js";
import type { EmulatorOptions, HandlerContext, HandlerResult } from "./routes/common.js";
import { handlers } from "./routes/index.js";
import { ADMIN_USERNAME, seed } from "./seed.js";
import { Store } from "./store.js";

export const API_PREFIX = "/api/v3";
export const DEFAULT_VERSION = "2026.8.3";

/**
 * `path` is the full request path (/api/v3/…); `warnings` also carry known
 * pitfalls besides unknown body fields / query params (authentik ignores them).
 */
export type RecordedRequest = RecordedRequestBase & {
  /**
   * The RBAC permissions the request needed (permissions.ts, plus those a handler checks,
   * e.g. view_user for the user a mapping test names); absent on anonymous operations.
   */
  permissions?: string[];
  /** Permissions it needed that the token's user lacked (it was answered 403). */
  missingPermissions?: string[];
  /** Refused because only a superuser may do it (permissions.ts SUPERUSER_ONLY). */
  superuserOnly?: boolean;
  /** who the request authenticated as: the API token, or an OAuth2 access token (`jwt`) of a user */
  identity?: { via: "api_token" | "jwt"; username?: string };
};

export interface StartOptions {
  /** 0 (default) picks a free port */
  port?: number;
  host?: string;
  /** the API token the emulator accepts as `Authorization: Bearer <token>` */
  token: string;
  /**
   * The authentik release to play (default 2026.8.3): GET /admin/version/ reports it,
   * and its minor's schema.yml and behaviour apply (release.ts).
   */
  version?: string;
  /** Database collation for name-ordered lists and SCIM mapping merge order (default "ci", collation.ts). */
  collation?: Collation;
  /** Overrides the release's answer for metadata without an application (EmulatorOptions). */
  metadataWithoutApplication?: EmulatorOptions["metadataWithoutApplication"];
}

export interface AuthentikEmulator extends RecordingServer<RecordedRequest> {
  /** e.g. http://127.0.0.1:PORT (the API lives under /api/v3) */
  url: string;
  /** direct access to the emulated state, for seeding and assertions */
  store: Store;
  release: Release;
  /** python3-backed evaluation of property-mapping expressions (also used by controls) */
  expressions: ExpressionEngine;
  /** every request to the OAuth2 token endpoint, with why it was refused or who got a token */
  tokenRequests: TokenRequestRecord[];
}

/** Validators compile schemas lazily and keep no request state: one per release and process. */
const validators = new Map<Minor, OpenApiValidator>();

/** Serialises mutations: async handlers (python compile) must not interleave check-then-write. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export async function startAuthentikEmulator(options: StartOptions): Promise<AuthentikEmulator> {
  if (!options.token) throw new Error("startAuthentikEmulator: a token is required");
  const release = resolveRelease(options.version ?? DEFAULT_VERSION);
  const spec = loadSpec(release.minor);
  let validator = validators.get(release.minor);
  if (!validator) validators.set(release.minor, (validator = new OpenApiValidator(spec)));
  const store = new Store(release, options.collation ?? "ci");
  for (const m of ((spec.document.components.schemas.ModelEnum as { enum?: string[] } | undefined)?.enum ?? [])) store.modelNames.add(m);
  seed(store);
  const emulatorOptions: EmulatorOptions = {
    version: release.version,
    // {"metadata": ""} up to 2026.2, Http404 from 2026.5 (see the handler).
    metadataWithoutApplication: options.metadataWithoutApplication ?? (release.atLeast("2026.5") ? "404" : "empty"),
  };
  const requests: RecordedRequest[] = [];
  const emulatorErrors: string[] = [];
  const mutex = new Mutex();
  const expressions = new ExpressionEngine();
  const tokenRequests: TokenRequestRecord[] = [];

  /**
   * TokenAuthentication.bearer_auth (authentik/api/authentication.py@version/2025.10.4 …
   * @2026.5.0-rc1): an API token (here: the one configured), else an OAuth2 access token whose
   * scope string contains goauthentik.io/api (`_scope__icontains`, then the parsed scopes must
   * hold it exactly) and has not expired — up to 2026.2 `filter_not_expired` deletes an expired
   * one as it looks, from 2026.5 the default manager hides it until clean_expired_models runs;
   * its user must be active. Anything else: AuthenticationFailed("Token invalid/expired"), 403.
   */
  const authenticate = (credentials: string): Principal | undefined => {
    if (credentials === options.token) return { via: "api_token", user: [...store.users.values()].find((u) => u.username === ADMIN_USERNAME) };
    const token = store.accessTokens.get(credentials);
    if (!token || !token.scope.join(" ").toLowerCase().includes(SCOPE_AUTHENTIK_API)) return undefined;
    if (token.expires < store.now()) {
      if (!release.atLeast("2026.5")) store.accessTokens.delete(credentials);
      return undefined;
    }
    if (!token.scope.includes(SCOPE_AUTHENTIK_API)) return undefined;
    const user = store.users.get(token.user);
    if (!user || !user.is_active) return undefined;
    return { via: "jwt", user, token };
  };

  const send = (res: ServerResponse, record: RecordedRequest, result: HandlerResult) => {
    record.status = result.status;
    const headers: Record<string, string> = { ...(result.headers ?? {}) };
    let payload: string | undefined;
    if (result.body !== undefined) {
      headers["content-type"] = result.contentType ?? "application/json";
      payload = typeof result.body === "string" && result.contentType && result.contentType !== "application/json" ? result.body : JSON.stringify(result.body);
    }
    res.writeHead(result.status, headers);
    res.end(payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest, url: URL) => {
    const reject = (status: number, body: Record<string, unknown>, problem: string) => {
      record.invalid.push(problem);
      send(res, record, { status, body });
    };
    if (url.pathname === TOKEN_PATH) {
      // The OAuth2 token endpoint is a Django view outside the API (no schema.yml operation).
      record.operationId = "oauth2_token";
      const raw = req.method === "POST" ? await readBody(req) : "";
      const result = await mutex.run(() =>
        handleTokenRequest({ store, ser: { store, baseUrl: `http://${req.headers.host ?? "localhost"}` }, expressions, warn: (m) => record.warnings.push(m) }, req, raw, tokenRequests),
      );
      if (result.gap) emulatorErrors.push(`POST ${TOKEN_PATH}: ${result.gap}`);
      record.status = result.status;
      const headers: Record<string, string> = { ...result.headers };
      if (result.body !== undefined) headers["content-type"] = "application/json";
      res.writeHead(result.status, headers);
      res.end(result.body === undefined ? undefined : JSON.stringify(result.body));
      return;
    }
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) return reject(404, { detail: "Not found." }, `path outside ${API_PREFIX}/`);
    const apiPath = url.pathname.slice(API_PREFIX.length);
    if (!apiPath.endsWith("/")) {
      // Django's APPEND_SLASH redirects GETs; authentik's API paths all end in "/".
      if (req.method === "GET") {
        record.invalid.push("missing trailing slash");
        return send(res, record, { status: 301, headers: { location: `${url.pathname}/${url.search}` } });
      }
      return reject(404, { detail: "Not found." }, "missing trailing slash");
    }
    const route = matchRoute(spec, req.method ?? "GET", apiPath);
    if (route.kind === "not-found") return reject(404, { detail: "Not found." }, `no operation in schema.yml for ${apiPath}`);
    if (route.kind === "method-not-allowed") return reject(405, { detail: `Method "${req.method}" not allowed.` }, `method not in schema.yml (allowed: ${route.allowed.join(", ")})`);
    const op = route.operation;
    record.operationId = op.operationId;

    // authentik (DRF) authenticates before permissions: a wrong token fails even on AllowAny views.
    const auth = req.headers.authorization;
    let principal: Principal | undefined;
    if (auth !== undefined || !op.anonymousAllowed) {
      const match = /^Bearer\s+(.+)$/i.exec(auth ?? "");
      if (!match) return send(res, record, { status: 403, body: { detail: "Authentication credentials were not provided." } });
      principal = authenticate(match[1]!.trim());
      if (!principal) return send(res, record, { status: 403, body: { detail: "Token invalid/expired" } });
      record.identity = { via: principal.via, ...(principal.user ? { username: principal.user.username } : {}) };
    }
    const isSuperuser = () => principal !== undefined && principalIsSuperuser(store, principal);
    const hasPermission = (codename: string) => principal !== undefined && principalHasPermission(store, principal, codename);

    // DRF checks permissions (has_permission, then get_object()'s ObjectFilter) before it parses the body.
    if (!op.anonymousAllowed) {
      const needed = requiredPermissions(op.operationId);
      record.permissions = [...needed];
      const superuserOnly = SUPERUSER_ONLY[op.operationId];
      if (superuserOnly && !isSuperuser()) {
        record.superuserOnly = true;
        record.warnings.push(`refused: the token's user is no superuser (${superuserOnly.why})`);
        return send(res, record, superuserOnly.status((minor) => release.atLeast(minor)));
      }
      const missing = needed.filter((p) => !hasPermission(p));
      if (missing.length > 0) {
        record.missingPermissions = missing;
        record.warnings.push(`permission denied: ${missing.join(", ")}`);
        return send(res, record, { status: 403, body: PERMISSION_DENIED });
      }
    }

    const pathProblems = validator!.checkPathParams(op, route.pathParams);
    if (pathProblems.length > 0) return reject(404, { detail: "Not found." }, pathProblems.join("; "));

    let body: unknown;
    let hasBody = false;
    if (["POST", "PUT", "PATCH"].includes(op.method)) {
      const raw = await readBody(req);
      if (raw.trim() !== "") {
        const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
        if (contentType !== "application/json") {
          return reject(415, { detail: `Unsupported media type "${contentType}" in request.` }, `content type ${contentType || "(none)"}`);
        }
        try {
          body = JSON.parse(raw);
          hasBody = true;
        } catch (err) {
          return reject(400, { detail: `JSON parse error - ${(err as Error).message}` }, "body is not JSON");
        }
      }
    }
    const check = validator!.checkRequest(op, url.searchParams, body, hasBody);
    for (const f of check.unknownFields) record.warnings.push(`unknown body field ignored: ${f}`);
    for (const q of check.unknownQueryParams) record.warnings.push(`unknown query parameter ignored: ${q}`);
    if (check.errors) {
      record.invalid.push(`request does not match ${op.operationId}: ${JSON.stringify(check.errors)}`);
      return send(res, record, { status: 400, body: check.errors });
    }

    const handler = handlers[op.operationId];
    if (!handler) return reject(501, { detail: `${op.operationId} is not emulated` }, `${op.operationId} is not emulated`);
    // A field the release's serializer lacks is dropped before anything reads the body.
    const bodyObject = body && typeof body === "object" && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
    for (const f of check.unknownFields) delete bodyObject[f];
    const ctx: HandlerContext = {
      store,
      ser: { store, baseUrl: `http://${req.headers.host ?? "localhost"}` },
      options: emulatorOptions,
      expressions,
      params: route.pathParams,
      method: op.method,
      query: check.query,
      body: bodyObject,
      sent: new Set(Object.keys(bodyObject)),
      ...(principal?.user ? { user: principal.user } : {}),
      isSuperuser,
      warn: (m) => record.warnings.push(m),
      requirePermission: (codename) => {
        record.permissions = [...(record.permissions ?? []), codename];
        if (hasPermission(codename)) return;
        record.missingPermissions = [...(record.missingPermissions ?? []), codename];
        record.warnings.push(`permission denied: ${codename}`);
        throw new ApiError(403, PERMISSION_DENIED);
      },
    };

    let result: HandlerResult;
    try {
      const run = async () => handler(ctx);
      result = op.method === "GET" ? await run() : await mutex.run(run);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      result = { status: err.status, body: err.body };
    }
    const problems = validator!.checkResponse(op, result.status, result.body === undefined ? undefined : (result.contentType ?? "application/json"), result.body);
    if (problems.length > 0) throw new Error(`response to ${op.operationId} (${result.status}) breaks schema.yml: ${problems.join("; ")}\nbody: ${JSON.stringify(result.body).slice(0, 2000)}`);
    send(res, record, result);
  };

  const server = await startRecordingServer({
    port: options.port,
    host: options.host,
    name: "authentik",
    requests,
    emulatorErrors,
    handle,
    fail: (res, record, message) => send(res, record, { status: 500, body: { detail: message } }),
    logErrors: true,
    onStop: () => expressions.close(),
  });
  return { ...server, store, release, expressions, tokenRequests };
}
