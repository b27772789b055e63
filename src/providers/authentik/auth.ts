/**
 * How the tool signs in to authentik's API: a long-lived API token (AUTHENTIK_TOKEN), or
 * a short-lived access token that authentik's OAuth2 provider issues for a JWT from a
 * federated issuer (GitHub Actions' OIDC token, another CI system's JWT), so that no
 * long-lived secret has to sit in the CI system.
 *
 * The exchange (authentik/providers/oauth2/views/token.py, 2025.10 to 2026.x):
 * `POST <authentik>/application/o/token/`, form-encoded, grant_type=client_credentials,
 * client_id, client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer,
 * client_assertion=<JWT>, scope. authentik verifies the JWT against the JWKS of the OAuth
 * sources in the provider's jwt_federation_sources (by `kid`; the audience is not
 * checked, the expiry is), evaluates the application's policies with the claims in
 * `request.context["oauth_jwt"]`, signs in the service account `<provider name>-<sub>`
 * and answers `{access_token, token_type, expires_in, scope}`. The scope must be asked
 * for: authentik keeps only requested scopes the provider has a mapping for, and its API
 * accepts an access token only with `goauthentik.io/api`. Every refusal of the JWT is the
 * same `invalid_grant` (the reason is only in authentik's log), so the messages here list
 * what to check, with the JWT's claims (never the JWT or a token).
 */
import { readFile } from "node:fs/promises";
import ky, { HTTPError, TimeoutError } from "ky";
import { fileProblem, UserError } from "../../errors.js";
import { displayUrl, redactUrls } from "../../util/redact-url.js";

/** The scope an access token needs for authentik's API (authentik.common.oauth.constants.SCOPE_AUTHENTIK_API). */
export const API_SCOPE = "goauthentik.io/api";
export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** The name of authentik's own scope mapping for API_SCOPE (blueprints/system/providers-oauth2.yaml). */
export const API_SCOPE_MAPPING = "authentik default OAuth Mapping: authentik API access";

/** Where authentik API requests get their Authorization header. */
export interface AuthentikAuth {
  /** `Bearer …` for the next request (a federated token is renewed first when it is due). */
  authorization(): Promise<string>;
  /** What an HTTP 401/403 of the API means for this way of signing in (never a token). */
  refusedHint(): string;
  /**
   * The API refused a request sent with `used` (401/403): true when that was a token past
   * half its life, now dropped, so the request is worth sending once more with a fresh one —
   * a request sent just before the token's end can arrive after it (a loaded runner, a
   * clock of authentik's running ahead). A refusal of a token well within its life is a
   * missing permission: false, no second try.
   */
  renewAfterRefusal?(used: string): boolean;
}

/** Signing in failed: what to fix, in authentik or in the CI system. Never holds a token. */
export class AuthentikSignInError extends UserError {
  override readonly name = "AuthentikSignInError";
}

/** The long-lived API token (an authentik token with intent API). */
export class StaticTokenAuth implements AuthentikAuth {
  constructor(
    private readonly token: string,
    /** Where the token came from, for messages. */
    private readonly origin = "AUTHENTIK_TOKEN",
  ) {}
  authorization(): Promise<string> {
    return Promise.resolve(`Bearer ${this.token}`);
  }
  refusedHint(): string {
    return `the token in ${this.origin} was refused (wrong token, expired, or missing permissions)`;
  }
}

/** Where the JWT for each exchange comes from. */
export interface JwtSource {
  /** For messages: "GitHub's OIDC token", "the JWT in AUTHENTIK_JWT". */
  readonly name: string;
  /** A JWT for the next exchange: a fresh one each time where the source can make one. */
  get(): Promise<string>;
  /** What to do when the JWT has expired: the source cannot give a newer one. */
  readonly expiredHint?: string;
}

/** The JWT in an environment variable: the same one for every exchange. */
export function envJwt(variable: string, value: string): JwtSource {
  return {
    name: `the JWT in ${variable}`,
    get: () => Promise.resolve(value.trim()),
    expiredHint: `${variable} holds one JWT, which cannot be renewed: for runs longer than its lifetime, write it to a file the CI system keeps fresh and name the file in AUTHENTIK_JWT_FILE instead`,
  };
}

/** The JWT in a file, read again for each exchange (projected service account tokens and the like are rewritten before they expire). */
export function fileJwt(variable: string, file: string): JwtSource {
  return {
    name: `the JWT in the file ${file} (${variable})`,
    get: async () => {
      try {
        return (await readFile(file, "utf8")).trim();
      } catch (error) {
        throw new AuthentikSignInError(`cannot read the JWT from ${file} (${variable}): ${fileProblem(error)}`);
      }
    },
    expiredHint: `the file ${file} still holds an expired JWT: the CI system must write a fresh one before the old one expires`,
  };
}

/** The claims messages show: what authentik verified and what an application's policy usually checks. */
export interface JwtFacts {
  kid?: string;
  alg?: string;
  claims: Record<string, unknown>;
}

/** The header and claims of a JWT, without verifying it (authentik does that). Throws when `jwt` is not a JWT at all. */
export function readJwt(jwt: string, name: string): JwtFacts {
  const parts = jwt.split(".");
  const part = (i: number): Record<string, unknown> | undefined => {
    try {
      const value = JSON.parse(Buffer.from(parts[i]!, "base64url").toString("utf8")) as unknown;
      return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const header = parts.length === 3 ? part(0) : undefined;
  const claims = parts.length === 3 ? part(1) : undefined;
  if (!header || !claims) throw new AuthentikSignInError(`${name} is not a JWT (three base64url parts, header and claims JSON objects)`);
  return {
    ...(typeof header.kid === "string" ? { kid: header.kid } : {}),
    ...(typeof header.alg === "string" ? { alg: header.alg } : {}),
    claims,
  };
}

const CLAIMS_SHOWN = ["iss", "sub", "aud", "repository", "ref", "environment", "job_workflow_ref"] as const;

/** Where the JWKS of the JWT's issuer is, when it is GitHub's (github.com's, an enterprise's own, GitHub Enterprise Server's). */
function githubJwks(iss: unknown): string {
  const github = typeof iss === "string" && /^https:\/\/(?:token\.actions\.githubusercontent\.com(?:\/[^/\s]+)?|[^/\s]+\/_services\/token)$/.test(iss);
  return github ? `for GitHub Actions: oidc_jwks_url ${iss}/.well-known/jwks` : "its oidc_jwks_url is the issuer's JWKS URL";
}

/** The claims an application's policy is likely to check, as `name value` pairs (values cut to 200 characters). */
export function describeClaims(facts: JwtFacts): string {
  const show = (v: unknown) => {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return text.length > 200 ? `${text.slice(0, 199)}…` : text;
  };
  const pairs = CLAIMS_SHOWN.filter((k) => facts.claims[k] !== undefined).map((k) => `${k} ${show(facts.claims[k])}`);
  return pairs.length > 0 ? pairs.join(", ") : "no issuer, subject or repository claim";
}

/**
 * GitHub's two subject formats (changelog 2026-04-23, "Immutable subject claims"): the legacy
 * repo:OWNER/REPO:…, and repo:OWNER@OWNER_ID/REPO@REPO_ID:…, the default for repositories
 * created or renamed from 2026-07-15. The service accounts are named after the subject, so a
 * set-up printed for the other format names no account this token signs in as.
 */
function subjectFormatHint(sub: unknown): string[] {
  if (typeof sub !== "string" || !sub.startsWith("repo:")) return [];
  const immutable = /^repo:[^/:@]+@\d+\/[^/:@]+@\d+:/.test(sub);
  return [
    immutable
      ? "- the subject's format is the one the set-up was printed for: this token's sub is GitHub's immutable format (repo:OWNER@OWNER_ID/REPO@REPO_ID:…, the default for repositories created or renamed from 2026-07-15), printed with `permissions --authentik-oidc OWNER@OWNER_ID/REPO@REPO_ID`; a set-up printed for OWNER/REPO names other accounts"
      : "- the subject's format is the one the set-up was printed for: this token's sub is GitHub's legacy format (repo:OWNER/REPO:…); a repository created or renamed from 2026-07-15, or opted in, carries the immutable one (repo:OWNER@OWNER_ID/REPO@REPO_ID:…), printed with `permissions --authentik-oidc OWNER@OWNER_ID/REPO@REPO_ID`",
  ];
}

export interface FederatedTokenOptions {
  /** authentik's base URL (AUTHENTIK_URL): the token endpoint is `<url>/application/o/token/`. */
  url: string;
  clientId: string;
  /** Where the client id was set, for messages: "AUTHENTIK_CLIENT_ID", "the authentik-client-id input". */
  clientIdSetting: string;
  jwt: JwtSource;
  /** Called with the JWT and each access token, which the output must never show. */
  mask?: (secret: string) => void;
  /** The clock (tests move it). */
  now?: () => number;
  timeoutMs?: number;
  /** Retries of the exchange on 429, 502-504 and lost connections (a second exchange only issues another token). */
  retries?: number;
}

interface Held {
  token: string;
  /** When the exchange that issued it was sent. */
  since: number;
  expiresAt: number;
  renewAt: number;
}

/** Renew at 80% of the access token's validity, measured from when the exchange was sent. */
const RENEW_AT = 0.8;
/** A renewal that failed while the token still has this long left keeps using it. */
const STILL_VALID_MS = 5_000;
/** … and tries again after this long. */
const RETRY_RENEWAL_MS = 10_000;

/**
 * An access token of authentik's OAuth2 provider for a federated JWT: exchanged on first
 * use, kept, and exchanged again (with a fresh JWT) at 80% of its validity, so an apply
 * longer than the validity keeps working. Concurrent requests share one exchange.
 */
export class FederatedTokenAuth implements AuthentikAuth {
  /** Exchanges sent (tests count renewals). */
  exchanges = 0;
  private held: Held | undefined;
  private pending: Promise<Held> | undefined;
  /** The claims of the last JWT exchanged, for refusedHint. */
  private facts: JwtFacts | undefined;
  private readonly now: () => number;
  readonly tokenUrl: string;

  constructor(private readonly options: FederatedTokenOptions) {
    this.now = options.now ?? Date.now;
    this.tokenUrl = `${options.url.replace(/\/+$/, "")}/application/o/token/`;
  }

  async authorization(): Promise<string> {
    const held = this.held;
    if (held && this.now() < held.renewAt) return `Bearer ${held.token}`;
    try {
      this.pending ??= this.exchange().finally(() => {
        this.pending = undefined;
      });
      return `Bearer ${(await this.pending).token}`;
    } catch (error) {
      // The token endpoint failed while the token in hand still works: use it, and try
      // again soon (a short outage of the endpoint does not stop a long apply).
      if (held && this.now() < held.expiresAt - STILL_VALID_MS) {
        held.renewAt = Math.min(this.now() + RETRY_RENEWAL_MS, held.expiresAt - STILL_VALID_MS);
        return `Bearer ${held.token}`;
      }
      throw error;
    }
  }

  renewAfterRefusal(used: string): boolean {
    const held = this.held;
    // Past half its life (by our clock; authentik's may run ahead of it): perhaps expired on
    // the way. Earlier, a refusal is a missing permission, and another token would not help.
    if (!held || used !== `Bearer ${held.token}` || this.now() < (held.since + held.expiresAt) / 2) return false;
    this.held = undefined;
    return true;
  }

  refusedHint(): string {
    const sub = typeof this.facts?.claims.sub === "string" ? this.facts.claims.sub : undefined;
    const who = sub ? `the service account authentik signs in for the subject ${sub} (named "<provider name>-${sub}")` : "the service account authentik signs in for the JWT's subject";
    return `authentik refused the access token of client id ${this.options.clientId}: ${who} lacks the permission this request needs (is it in the group whose role \`permissions --for plan|apply\` lists? a plan job's subject may only read), or the token expired`;
  }

  private async exchange(): Promise<Held> {
    const source = this.options.jwt;
    let jwt: string;
    try {
      jwt = await source.get();
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new AuthentikSignInError(`cannot get ${source.name}: ${redactUrls(error instanceof Error ? error.message : String(error))}`);
    }
    if (!jwt) throw new AuthentikSignInError(`${source.name} is empty`);
    this.options.mask?.(jwt);
    const facts = readJwt(jwt, source.name);
    this.facts = facts;
    // What authentik would refuse with nothing but invalid_grant, said precisely here.
    if (!facts.kid || !facts.alg) {
      throw new AuthentikSignInError(`${source.name} has no ${facts.kid ? "alg" : "kid"} in its header: authentik verifies a JWT only by the key its header names (kid) in a federation source's JWKS`);
    }
    const exp = facts.claims.exp;
    if (typeof exp === "number" && exp * 1000 <= this.now()) {
      throw new AuthentikSignInError(`${source.name} expired at ${new Date(exp * 1000).toISOString()}, and authentik refuses an expired JWT${source.expiredHint ? `: ${source.expiredHint}` : ""}`);
    }

    const sentAt = this.now();
    this.exchanges++;
    let status: number;
    let text: string;
    try {
      const response = await ky.post(this.tokenUrl, {
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: this.options.clientId,
          client_assertion_type: JWT_BEARER,
          client_assertion: jwt,
          scope: API_SCOPE,
        }),
        headers: { Accept: "application/json" },
        timeout: this.options.timeoutMs ?? 30_000,
        retry: { limit: this.options.retries ?? 2, methods: ["post"], statusCodes: [429, 502, 503, 504], backoffLimit: 5_000 },
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (error instanceof HTTPError) {
        status = error.response.status;
        text = await error.response.text().catch(() => "");
      } else {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const why = error instanceof TimeoutError ? "timed out" : redactUrls(cause?.code ?? cause?.message ?? (error as Error).message);
        throw new AuthentikSignInError(`cannot reach authentik's token endpoint ${displayUrl(this.tokenUrl)} (${why}): check authentik's URL (AUTHENTIK_URL, the authentik-url input)`);
      }
    }
    let body: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      /* not JSON: said below */
    }
    if (status < 200 || status >= 300) throw this.refused(status, body, facts);

    const token = body?.access_token;
    const expiresIn = body?.expires_in;
    if (typeof token !== "string" || token === "" || typeof expiresIn !== "number" || !(expiresIn > 0)) {
      throw new AuthentikSignInError(`authentik's token endpoint ${displayUrl(this.tokenUrl)} answered HTTP ${status} without an access token and its validity (access_token, expires_in): is this authentik's URL?`);
    }
    this.options.mask?.(token);
    const scopes = typeof body?.scope === "string" ? body.scope.split(/\s+/).filter(Boolean) : [];
    if (!scopes.includes(API_SCOPE)) {
      throw new AuthentikSignInError(
        `the access token of client id ${this.options.clientId} lacks the scope ${API_SCOPE} (authentik granted ${scopes.length > 0 ? scopes.join(" ") : "no scope"}), and authentik's API accepts no other: add the scope mapping "${API_SCOPE_MAPPING}" to the provider's scopes (property_mappings)`,
      );
    }
    const ttl = expiresIn * 1000;
    this.held = { token, since: sentAt, expiresAt: sentAt + ttl, renewAt: sentAt + ttl * RENEW_AT };
    return this.held;
  }

  /** authentik's refusal, as what to fix. */
  private refused(status: number, body: Record<string, unknown> | undefined, facts: JwtFacts): AuthentikSignInError {
    const error = typeof body?.error === "string" ? body.error : undefined;
    const description = typeof body?.error_description === "string" ? body.error_description : undefined;
    const requestId = typeof body?.request_id === "string" ? ` (its server log says why, under request_id ${body.request_id})` : " (its server log says why)";
    const clientId = this.options.clientId;
    const jwtName = this.options.jwt.name;
    if (error === "invalid_client") {
      return new AuthentikSignInError(
        `authentik has no OAuth2 provider with the client id ${clientId} (invalid_client): set ${this.options.clientIdSetting} to the Client ID of the provider that trusts ${jwtName} (\`permissions --authentik-oidc OWNER/REPO\` prints a blueprint that creates one)`,
      );
    }
    if (error === "invalid_grant") {
      const claims = describeClaims(facts);
      return new AuthentikSignInError(
        [
          `authentik refused ${jwtName} for client id ${clientId} (invalid_grant) without saying why${requestId}. The JWT: key ${facts.kid}, ${claims}. One of these does not hold:`,
          `- a federation source of the provider with client id ${clientId} trusts the key '${facts.kid}': an OAuth source in the provider's jwt_federation_sources ("Federated OIDC Sources") whose JWKS holds it (${githubJwks(facts.claims.iss)}); none does, or its JWKS is stale`,
          `- the application's policy accepts the claims (${claims}): a token of another repository, branch or environment is refused by design`,
          ...subjectFormatHint(facts.claims.sub),
          `- the provider belongs to an application (authentik refuses a provider without one)`,
          `- from authentik 2026.8: the provider's grant_types include client_credentials`,
          ...(typeof facts.claims.exp === "number" ? [`- the JWT has not expired by authentik's clock (it expires at ${new Date(facts.claims.exp * 1000).toISOString()})`] : []),
        ].join("\n"),
      );
    }
    if (error) {
      return new AuthentikSignInError(`authentik's token endpoint refused the exchange for client id ${clientId} with HTTP ${status}: ${error}${description ? ` (${description})` : ""}${requestId}`);
    }
    return new AuthentikSignInError(
      `authentik's token endpoint ${displayUrl(this.tokenUrl)} answered HTTP ${status}${status === 404 ? ": is this authentik's URL (not an application's)?" : ""}`,
    );
  }
}

/**
 * The CLI's way of signing in, from the environment: the API token in AUTHENTIK_TOKEN, or
 * a JWT (AUTHENTIK_JWT, or a file named by AUTHENTIK_JWT_FILE, read again for each
 * exchange) with the OAuth2 provider's AUTHENTIK_CLIENT_ID. Both ways at once is refused:
 * which one a run used would otherwise depend on what the CI system happens to set.
 */
export function authFromEnv(env: NodeJS.ProcessEnv, url: string, options: { mask?: (secret: string) => void } = {}): AuthentikAuth {
  const token = env.AUTHENTIK_TOKEN;
  const clientId = env.AUTHENTIK_CLIENT_ID?.trim();
  const jwtVariables = (["AUTHENTIK_JWT", "AUTHENTIK_JWT_FILE"] as const).filter((v) => env[v]);
  if (token && (jwtVariables.length > 0 || clientId)) {
    const other = [...jwtVariables, ...(clientId ? ["AUTHENTIK_CLIENT_ID"] : [])].join(" and ");
    throw new AuthentikSignInError(`both AUTHENTIK_TOKEN and ${other} are set: sign in one way, with the API token (unset ${other}) or with the JWT (unset AUTHENTIK_TOKEN)`);
  }
  if (jwtVariables.length === 2) throw new AuthentikSignInError("both AUTHENTIK_JWT and AUTHENTIK_JWT_FILE are set: set one (the JWT itself, or a file holding it)");
  const variable = jwtVariables[0];
  if (variable) {
    if (!clientId) throw new AuthentikSignInError(`${variable} is set, but not AUTHENTIK_CLIENT_ID: the Client ID of the authentik OAuth2 provider that trusts the JWT's issuer`);
    const jwt = variable === "AUTHENTIK_JWT" ? envJwt(variable, env[variable]!) : fileJwt(variable, env[variable]!);
    return new FederatedTokenAuth({ url, clientId, clientIdSetting: "AUTHENTIK_CLIENT_ID", jwt, ...(options.mask ? { mask: options.mask } : {}) });
  }
  if (clientId) throw new AuthentikSignInError("AUTHENTIK_CLIENT_ID is set, but no JWT: set AUTHENTIK_JWT (the JWT itself) or AUTHENTIK_JWT_FILE (a file holding it)");
  if (!token) {
    throw new AuthentikSignInError(
      "AUTHENTIK_TOKEN is not set: the authentik API token is read only from this environment variable (or sign in with a JWT: AUTHENTIK_CLIENT_ID with AUTHENTIK_JWT or AUTHENTIK_JWT_FILE)",
    );
  }
  return new StaticTokenAuth(token);
}

/**
 * A way of signing in made on first use: the CLI hands the engine its sign-in before the
 * engine has checked what comes first (the configuration's files, the SCIM token), and a
 * missing variable must still be reported in that order.
 */
export function authOnFirstUse(make: () => AuthentikAuth): AuthentikAuth {
  let made: AuthentikAuth | undefined;
  const get = () => (made ??= make());
  return {
    authorization: async () => get().authorization(),
    refusedHint: () => get().refusedHint(),
  };
}
