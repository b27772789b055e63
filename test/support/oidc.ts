/**
 * For the unit tests of signing in with a JWT (src/providers/authentik/auth.ts): an issuer
 * that signs JWTs (RS256, with a kid, its JWKS public) and a small stand-in for authentik's
 * token endpoint and API that answers as authentik/providers/oauth2/views/token.py does:
 * the provider by client_id (else 400 invalid_client), the assertion type, the JWT verified
 * by kid against the JWKS of the provider's federation sources (audience not checked,
 * expiry checked), the provider's application and its policy over the claims, the
 * requested scopes cut to the provider's scope mappings, every refusal of the JWT the same
 * 400 invalid_grant with authentik's description; the API (`/api/v3/`) accepts an access
 * token only unexpired and with `goauthentik.io/api`, else 403 "Token invalid/expired".
 * The end-to-end tests use the authentik emulator (test/peers/authentik/) instead.
 */
import { createSign, createVerify, generateKeyPairSync, randomBytes, type JsonWebKey } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Issuer {
  iss: string;
  kid: string;
  jwks: { keys: JsonWebKey[] };
  /** A signed JWT with these claims (iat, nbf and exp 5 minutes on added unless given). */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
}

export function issuer(iss = "https://token.actions.githubusercontent.com", kid = `kid-${randomBytes(4).toString("hex")}`): Issuer {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } as JsonWebKey;
  return {
    iss,
    kid,
    jwks: { keys: [jwk] },
    sign(claims, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const input = `${part({ alg: "RS256", typ: "JWT", kid, ...header })}.${part({ iss, iat: now, nbf: now, exp: now + 300, ...claims })}`;
      return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
    },
  };
}

/** GitHub's claims for a job of `repository`: a pull request's, or one in an environment on a branch. */
export function githubClaims(repository: string, job: { pullRequest: true } | { environment: string; ref?: string } | { ref: string }): Record<string, unknown> {
  if ("pullRequest" in job) return { sub: `repo:${repository}:pull_request`, repository, ref: "refs/pull/7/merge", event_name: "pull_request", aud: "https://authentik.test" };
  if ("environment" in job) {
    const ref = job.ref ?? "refs/heads/main";
    return { sub: `repo:${repository}:environment:${job.environment}`, repository, ref, environment: job.environment, event_name: "push", aud: "https://authentik.test" };
  }
  return { sub: `repo:${repository}:ref:${job.ref}`, repository, ref: job.ref, event_name: "schedule", aud: "https://authentik.test" };
}

export interface FakeProvider {
  name: string;
  clientId: string;
  /** The JWKS of its federation sources. */
  sources: { keys: JsonWebKey[] }[];
  /** The scope names of its scope mappings. */
  scopes: string[];
  /** Seconds (access_token_validity). */
  validity: number;
  /** false: the provider has no application. */
  application?: boolean;
  /** The application's policy over the verified claims (default: everyone passes). */
  policy?: (claims: Record<string, unknown>) => boolean;
  /** Which service accounts may write (`<provider name>-<sub>`); the rest only read. */
  writers?: string[];
}

export interface TokenRequest {
  form: Record<string, string>;
}

export interface FakeAuthentik {
  url: string;
  /** Every token request, as sent. */
  tokenRequests: TokenRequest[];
  /** Every access token issued. */
  issued: string[];
  /** Every API request and the user it ran as. */
  apiRequests: { method: string; path: string; user: string }[];
  /** The token endpoint answers 503 while this is true. */
  tokenEndpointDown: boolean;
  close(): Promise<void>;
}

const DESCRIPTIONS: Record<string, string> = {
  invalid_client: "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)",
  invalid_grant:
    "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client",
  unsupported_grant_type: "The authorization grant type is not supported by the authorization server",
};

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The claims of a JWT one of the sources' keys signed (by kid, as authentik looks it up), else undefined. */
function verify(jwt: string, sources: { keys: JsonWebKey[] }[]): Record<string, unknown> | undefined {
  const [h, p, s] = jwt.split(".");
  if (!h || !p || !s) return undefined;
  let header: { kid?: string; alg?: string };
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString()) as typeof header;
  } catch {
    return undefined;
  }
  if (!header.kid || !header.alg) return undefined;
  for (const key of sources.flatMap((source) => source.keys)) {
    if (key.kid !== header.kid) continue;
    const ok = createVerify("RSA-SHA256").update(`${h}.${p}`).verify({ key: key as never, format: "jwk" }, Buffer.from(s, "base64url"));
    if (ok) return JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
  }
  return undefined;
}

/** Starts the stand-in on a loopback port; the test's own event loop answers it (callers never block on it). */
export async function fakeAuthentik(providers: FakeProvider[]): Promise<FakeAuthentik> {
  const tokens = new Map<string, { user: string; expires: number; scopes: string[]; provider: FakeProvider }>();
  const state: Omit<FakeAuthentik, "url" | "close"> = { tokenRequests: [], issued: [], apiRequests: [], tokenEndpointDown: false };
  const server: Server = createServer((req, res) => {
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const fail = (error: string) => send(400, { error, error_description: DESCRIPTIONS[error], request_id: randomBytes(8).toString("hex") });
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/application/o/token/" && req.method === "POST") {
        const form = Object.fromEntries(new URLSearchParams(await body(req)));
        state.tokenRequests.push({ form });
        if (state.tokenEndpointDown) return send(503, { detail: "down" });
        const provider = providers.find((p) => p.clientId === form.client_id);
        if (!provider) return fail("invalid_client");
        if (form.grant_type !== "client_credentials") return fail("unsupported_grant_type");
        if (form.client_assertion_type !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") return fail("invalid_grant");
        const claims = verify(form.client_assertion ?? "", provider.sources);
        if (!claims) return fail("invalid_grant");
        if (typeof claims.exp === "number" && Date.now() / 1000 >= claims.exp) return fail("invalid_grant");
        if (provider.application === false) return fail("invalid_grant");
        if (provider.policy && !provider.policy(claims)) return fail("invalid_grant");
        const scopes = (form.scope ?? "").split(" ").filter((s) => provider.scopes.includes(s));
        const token = randomBytes(24).toString("hex");
        tokens.set(token, { user: `${provider.name}-${String(claims.sub)}`, expires: Date.now() + provider.validity * 1000, scopes, provider });
        state.issued.push(token);
        return send(200, { access_token: token, token_type: "Bearer", scope: scopes.join(" "), expires_in: provider.validity, id_token: "x.y.z" });
      }
      if (url.pathname.startsWith("/api/v3/")) {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
        const held = bearer ? tokens.get(bearer) : undefined;
        if (!held || held.expires <= Date.now() || !held.scopes.includes("goauthentik.io/api")) return send(403, { detail: "Token invalid/expired" });
        state.apiRequests.push({ method: req.method ?? "GET", path: url.pathname, user: held.user });
        if (req.method !== "GET" && !(held.provider.writers ?? []).includes(held.user)) return send(403, { detail: "You do not have permission to perform this action." });
        if (url.pathname === "/api/v3/admin/version/") return send(200, { version_current: "2026.2.0" });
        return send(req.method === "POST" ? 201 : 200, { pk: 1 });
      }
      send(404, { detail: "Not found." });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
