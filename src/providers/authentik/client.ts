import ky, { HTTPError, TimeoutError, type KyInstance } from "ky";
import { UserError } from "../../errors.js";
import { type AuthentikAuth, AuthentikSignInError, StaticTokenAuth } from "./auth.js";
import { collectPages } from "../../util/paging.js";
import { displayUrl, redactUrls } from "../../util/redact-url.js";

/**
 * A failed authentik API call. Carries the method, path, status and authentik's
 * validation body (`{field: [msgs]}`) — never the token, which lives only in the
 * request headers.
 */
export class AuthentikApiError extends UserError {
  override readonly name = "AuthentikApiError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
    hint?: string,
  ) {
    super(`authentik ${method} ${path} failed with HTTP ${status}${describeBody(body)}${hint ? `: ${hint}` : ""}`);
  }
}

/** No answer (connection refused or dropped, timeout): a write may or may not have happened. */
export class AuthentikTransportError extends UserError {
  override readonly name = "AuthentikTransportError";
  constructor(
    readonly method: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Whether a failed write may still have been committed by authentik (its answer was lost). */
export function mayHaveBeenCommitted(error: unknown): boolean {
  if (error instanceof AuthentikTransportError) return true;
  return error instanceof AuthentikApiError && (error.status >= 500 || error.status === 408);
}

function describeBody(body: unknown): string {
  if (body === null || body === undefined || body === "") return "";
  if (typeof body === "string") return `: ${body.slice(0, 300)}`;
  if (typeof body === "object") {
    const parts = Object.entries(body as Record<string, unknown>).map(
      ([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : typeof v === "string" ? v : JSON.stringify(v)}`,
    );
    return `: ${parts.join("; ").slice(0, 500)}`;
  }
  return "";
}

/*
 * authentik's JSON is snake_case; the model types of @goauthentik/api (used
 * type-only, as the project requires) are camelCase. Only top-level keys are
 * converted: nested values such as `attributes` hold user data whose keys must
 * stay exactly as written.
 */
const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
function mapTopLevelKeys(value: unknown, f: (k: string) => string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [f(k), v]));
}
export const fromApi = <T>(value: unknown): T => mapTopLevelKeys(value, camel) as T;
export const toApi = (value: unknown): unknown => mapTopLevelKeys(value, snake);

export interface Paginated<T> {
  pagination: { next: number; count: number; current: number; total_pages: number };
  results: T[];
}

export interface AuthentikClientOptions {
  url: string;
  /** How requests sign in (auth.ts): an API token, or a federated access token renewed as it nears expiry. */
  auth?: AuthentikAuth;
  /** Shorthand for `auth: new StaticTokenAuth(token)`. */
  token?: string;
  /** Retries for 429/5xx on idempotent requests (and 429 on any). */
  retries?: number;
  timeoutMs?: number;
  /** Called once per HTTP request (for progress and request counting in benchmarks). */
  onRequest?: (method: string, path: string) => void;
}

/** Thin typed wrapper over authentik's /api/v3 (ky does retries, timeouts and JSON). */
export class AuthentikClient {
  /** The base URL as messages show it: without user name, password or query (see displayUrl). */
  readonly baseUrl: string;
  private readonly http: KyInstance;
  private readonly auth: AuthentikAuth;
  requestCount = 0;

  constructor(options: AuthentikClientOptions) {
    const base = options.url.replace(/\/+$/, "");
    this.baseUrl = displayUrl(base);
    if (!options.auth && options.token === undefined) throw new Error("AuthentikClient: auth or token is required");
    const auth: AuthentikAuth = options.auth ?? new StaticTokenAuth(options.token!);
    this.auth = auth;
    this.http = ky.create({
      prefixUrl: `${base}/api/v3`,
      headers: { Accept: "application/json" },
      timeout: options.timeoutMs ?? 30_000,
      retry: {
        limit: options.retries ?? 4,
        methods: ["get", "put", "patch", "delete", "head", "options", "post"],
        statusCodes: [408, 429, 500, 502, 503, 504],
        afterStatusCodes: [413, 429, 503],
        backoffLimit: 10_000,
        // Signing in failed (auth.ts): resending the request would only repeat the exchange.
        shouldRetry: ({ error }) => (error instanceof AuthentikSignInError ? false : undefined),
      },
      hooks: {
        beforeRequest: [
          // Asked for each request, retries included: a federated token is renewed as it nears expiry.
          async (request) => {
            request.headers.set("Authorization", await auth.authorization());
          },
          (request) => {
            this.requestCount++;
            options.onRequest?.(request.method, new URL(request.url).pathname);
          },
        ],
        afterResponse: [
          // A federated token that ran out while the request was on its way: once more, with a
          // fresh one (auth.renewAfterRefusal says when). authentik refused before doing
          // anything, so even a POST is safe to send again.
          async (request, _options, response) => {
            if ((response.status !== 401 && response.status !== 403) || !auth.renewAfterRefusal?.(request.headers.get("Authorization") ?? "")) return undefined;
            request.headers.set("Authorization", await auth.authorization());
            this.requestCount++;
            options.onRequest?.(request.method, new URL(request.url).pathname);
            return ky(request, { retry: 0, timeout: options.timeoutMs ?? 30_000, throwHttpErrors: false });
          },
        ],
      },
    });
  }

  private async call<T>(
    method: "get" | "post" | "put" | "patch" | "delete",
    path: string,
    body?: unknown,
    searchParams?: Record<string, string | number> | URLSearchParams,
  ): Promise<T> {
    const relative = path.replace(/^\/+/, "");
    try {
      const response = await this.http(relative, {
        method,
        ...(body === undefined ? {} : { json: body }),
        ...(searchParams ? { searchParams } : {}),
        // POST is not idempotent: only a 429 (refused before anything was done) is safe to
        // resend. ky merges a per-request `retry` into the instance's (status code lists
        // are concatenated), so the decision is made here, for every error, explicitly.
        // A create that may have been committed is re-read by the caller (createOnce).
        ...(method === "post" ? { retry: { shouldRetry: ({ error }) => error instanceof HTTPError && error.response.status === 429 } } : {}),
      });
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    } catch (error) {
      // Signing in failed before the request was sent: its message says what to fix.
      if (error instanceof AuthentikSignInError) throw error;
      if (error instanceof HTTPError) {
        const text = await error.response.text().catch(() => "");
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        const status = error.response.status;
        const hint = status === 403 || status === 401 ? this.auth.refusedHint() : undefined;
        throw new AuthentikApiError(method.toUpperCase(), `/api/v3/${relative}`, status, parsed, hint);
      }
      if (error instanceof TimeoutError) {
        throw new AuthentikTransportError(method.toUpperCase(), `/api/v3/${relative}`, `authentik ${method.toUpperCase()} /api/v3/${relative} timed out`);
      }
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new AuthentikTransportError(
        method.toUpperCase(),
        `/api/v3/${relative}`,
        `cannot reach authentik at ${this.baseUrl} (${cause?.code ?? redactUrls((error as Error).message)}); check authentik.url or AUTHENTIK_URL`,
      );
    }
  }

  /** Raw JSON, keys as authentik sends them. */
  getRaw<T>(path: string, searchParams?: Record<string, string | number> | URLSearchParams): Promise<T> {
    return this.call<T>("get", path, undefined, searchParams);
  }
  async get<T>(path: string, searchParams?: Record<string, string | number> | URLSearchParams): Promise<T> {
    return fromApi<T>(await this.call<unknown>("get", path, undefined, searchParams));
  }
  async post<T>(path: string, body: object): Promise<T> {
    return fromApi<T>(await this.call<unknown>("post", path, toApi(body)));
  }
  async put<T>(path: string, body: object): Promise<T> {
    return fromApi<T>(await this.call<unknown>("put", path, toApi(body)));
  }
  async patch<T>(path: string, body: object): Promise<T> {
    return fromApi<T>(await this.call<unknown>("patch", path, toApi(body)));
  }
  delete(path: string): Promise<void> {
    return this.call<void>("delete", path);
  }

  /**
   * Every item of a paged list. authentik signals the last page with `next: 0`
   * (not null); the guard stops a pager that never ends.
   */
  async list<T>(path: string, searchParams: Record<string, string | number | string[]> = {}): Promise<T[]> {
    return collectPages<T, number>(`authentik GET ${path}`, async (page = 1) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(searchParams)) {
        for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item)); // arrays explode: ?k=a&k=b
      }
      params.set("page", String(page));
      params.set("page_size", "100");
      const body = await this.getRaw<Paginated<unknown>>(path, params);
      return { items: body.results.map((r) => fromApi<T>(r)), next: body.pagination?.next };
    });
  }

  /** GET that turns 404 into undefined. */
  async find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof AuthentikApiError && error.status === 404) return undefined;
      throw error;
    }
  }
}
