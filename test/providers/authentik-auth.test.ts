/**
 * Signing in to authentik with a JWT (src/providers/authentik/auth.ts) against a stand-in
 * of authentik's token endpoint (test/support/oidc.ts): the exchange as authentik takes it,
 * renewal before expiry with a fresh JWT, one exchange for concurrent requests, each
 * refusal as what to fix — and never a JWT or an access token in a message.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthentikSignInError, authFromEnv, FederatedTokenAuth, type JwtSource, StaticTokenAuth } from "../../src/providers/authentik/auth.js";
import { AuthentikApiError, AuthentikClient } from "../../src/providers/authentik/client.js";
import { fakeAuthentik, type FakeAuthentik, githubClaims, issuer } from "../support/oidc.js";

const REPO = "acme/aws-access";
const github = issuer();
const stranger = issuer("https://token.actions.githubusercontent.com", "kid-of-another-issuer");

let authentik: FakeAuthentik;
beforeAll(async () => {
  authentik = await fakeAuthentik([
    {
      name: "authentik-aws-gitops-aws",
      clientId: "aws-gitops",
      sources: [github.jwks],
      scopes: ["openid", "goauthentik.io/api"],
      validity: 600,
      policy: (c) => c.repository === REPO,
      writers: [`authentik-aws-gitops-aws-repo:${REPO}:environment:aws-apply`],
    },
    { name: "short", clientId: "short-lived", sources: [github.jwks], scopes: ["goauthentik.io/api"], validity: 1 },
    { name: "no-api-scope", clientId: "no-api-scope", sources: [github.jwks], scopes: ["openid"], validity: 600 },
    { name: "no-app", clientId: "no-app", sources: [github.jwks], scopes: ["goauthentik.io/api"], validity: 600, application: false },
  ]);
});
afterAll(() => authentik?.close());

/** A JWT source that signs a new JWT for each exchange, and remembers them all. */
function minted(claims: Record<string, unknown>, by = github): JwtSource & { all: string[] } {
  const all: string[] = [];
  return {
    name: "GitHub's OIDC token (audience https://authentik.test)",
    all,
    get: async () => {
      // A distinct jti per JWT, as GitHub's carry, so each exchange's JWT differs.
      const jwt = by.sign({ ...claims, jti: `${all.length}-${Math.random()}` });
      all.push(jwt);
      return jwt;
    },
  };
}

function federated(clientId: string, jwt: JwtSource, extra: Partial<ConstructorParameters<typeof FederatedTokenAuth>[0]> = {}) {
  const masked: string[] = [];
  const auth = new FederatedTokenAuth({ url: `${authentik.url}/`, clientId, clientIdSetting: "AUTHENTIK_CLIENT_ID", jwt, mask: (s) => masked.push(s), retries: 0, ...extra });
  return { auth, masked };
}

/** Every secret of the test so far must be absent from `text`. */
function expectNoSecret(text: string, jwts: string[]): void {
  for (const secret of [...jwts, ...authentik.issued]) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT part (base64url of '{"')
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function refusal(auth: FederatedTokenAuth): Promise<AuthentikSignInError> {
  const error = await auth.authorization().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthentikSignInError);
  return error as AuthentikSignInError;
}

describe("exchanging a JWT for an access token", () => {
  it("posts authentik's client_credentials form with the JWT as client assertion and the API scope, and signs requests with the access token", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const { auth, masked } = federated("aws-gitops", jwt);
    const before = authentik.tokenRequests.length;
    const client = new AuthentikClient({ url: authentik.url, auth });
    await client.getRaw("admin/version/");
    const request = authentik.tokenRequests.slice(before);
    expect(request).toHaveLength(1);
    expect(request[0]!.form).toEqual({
      grant_type: "client_credentials",
      client_id: "aws-gitops",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: jwt.all[0],
      scope: "goauthentik.io/api",
    });
    expect(authentik.apiRequests.at(-1)).toEqual({ method: "GET", path: "/api/v3/admin/version/", user: `authentik-aws-gitops-aws-repo:${REPO}:pull_request` });
    // The JWT and the access token are handed to the mask (the Action's setSecret) as they are met.
    expect(masked).toEqual([jwt.all[0], authentik.issued.at(-1)]);
    // Kept: the next requests exchange nothing.
    await client.getRaw("admin/version/");
    await client.getRaw("admin/version/");
    expect(auth.exchanges).toBe(1);
  });

  it("renews at 80% of the validity, with a fresh JWT", async () => {
    let now = 1_000_000;
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const { auth } = federated("aws-gitops", jwt, { now: () => now });
    const first = await auth.authorization();
    now += 479_000; // 600 s validity: 80% is 480 s
    expect(await auth.authorization()).toBe(first);
    expect(auth.exchanges).toBe(1);
    now += 2_000;
    const second = await auth.authorization();
    expect(second).not.toBe(first);
    expect(auth.exchanges).toBe(2);
    expect(jwt.all).toHaveLength(2);
    expect(jwt.all[1]).not.toBe(jwt.all[0]);
    expect(authentik.tokenRequests.at(-1)!.form.client_assertion).toBe(jwt.all[1]);
  });

  it("concurrent requests share one exchange", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const { auth } = federated("aws-gitops", jwt);
    const client = new AuthentikClient({ url: authentik.url, auth });
    await Promise.all(Array.from({ length: 8 }, () => client.getRaw("admin/version/")));
    expect(auth.exchanges).toBe(1);
  });

  it("a run longer than the access token's validity keeps working (1 s tokens over 2.5 s of requests)", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const { auth } = federated("short-lived", jwt);
    const client = new AuthentikClient({ url: authentik.url, auth, retries: 0 });
    for (let i = 0; i < 10; i++) {
      await client.getRaw("admin/version/");
      await new Promise((r) => setTimeout(r, 250));
    }
    // Renewed at 0.8 s each time: about three exchanges, and no request refused.
    expect(auth.exchanges).toBeGreaterThanOrEqual(3);
    expect(new Set(jwt.all).size).toBe(jwt.all.length);
  });

  it("a token that ran out on its way: the request is sent once more with a fresh one", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    // Time passes slower for us than for authentik (as a loaded runner's requests arrive late):
    // our renewal at 80% of 1 s comes after authentik's 1 s, and requests in between are refused.
    const start = Date.now();
    const { auth } = federated("short-lived", jwt, { now: () => start + (Date.now() - start) * 0.7 });
    const client = new AuthentikClient({ url: authentik.url, auth, retries: 0 });
    for (let i = 0; i < 12; i++) {
      await client.getRaw("admin/version/");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(auth.exchanges).toBeGreaterThanOrEqual(2);
  });

  it("a refusal of a token early in its life is a missing permission: no second exchange, no second try", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const { auth } = federated("aws-gitops", jwt);
    const client = new AuthentikClient({ url: authentik.url, auth, retries: 0 });
    await client.getRaw("admin/version/");
    const sent = authentik.apiRequests.length;
    await expect(client.post("core/groups/", { name: "x" })).rejects.toBeInstanceOf(AuthentikApiError);
    expect(auth.exchanges).toBe(1);
    expect(authentik.apiRequests.length - sent).toBe(1);
  });

  it("keeps the token in hand when a renewal fails while it is still valid, and tries again later", async () => {
    let now = 2_000_000;
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const { auth } = federated("aws-gitops", jwt, { now: () => now });
    const first = await auth.authorization();
    now += 500_000; // due for renewal, 100 s left
    authentik.tokenEndpointDown = true;
    try {
      expect(await auth.authorization()).toBe(first);
      // Not again at once: the next attempt waits a little.
      expect(await auth.authorization()).toBe(first);
      expect(auth.exchanges).toBe(2);
      now += 95_000; // 5 s left: no longer worth keeping
      expect((await refusal(auth)).message).toMatch(/answered HTTP 503/);
    } finally {
      authentik.tokenEndpointDown = false;
    }
    now += 1_000;
    expect(await auth.authorization()).not.toBe(first);
  });

  it("reads a JWT file again for each exchange (a CI system rewrites it before it expires)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aag-jwt-"));
    const file = path.join(dir, "token");
    const jwts = [github.sign(githubClaims(REPO, { pullRequest: true })), github.sign({ ...githubClaims(REPO, { pullRequest: true }), jti: "2" })];
    writeFileSync(file, `${jwts[0]}\n`);
    const auth = authFromEnv({ AUTHENTIK_CLIENT_ID: "short-lived", AUTHENTIK_JWT_FILE: file }, authentik.url);
    await auth.authorization();
    expect(authentik.tokenRequests.at(-1)!.form.client_assertion).toBe(jwts[0]);
    writeFileSync(file, jwts[1]!);
    await new Promise((r) => setTimeout(r, 850)); // 1 s tokens: due at 0.8 s
    await auth.authorization();
    expect(authentik.tokenRequests.at(-1)!.form.client_assertion).toBe(jwts[1]);
  });
});

describe("what a refusal says to fix (and never a token)", () => {
  it("an unknown client id", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const e = await refusal(federated("nobody", jwt).auth);
    expect(e.message).toBe(
      "authentik has no OAuth2 provider with the client id nobody (invalid_client): set AUTHENTIK_CLIENT_ID to the Client ID of the provider that trusts GitHub's OIDC token (audience https://authentik.test) (`permissions --authentik-oidc OWNER/REPO` prints a blueprint that creates one)",
    );
    expectNoSecret(e.message, jwt.all);
  });

  it("a key no federation source of the provider trusts", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }), stranger);
    const e = await refusal(federated("aws-gitops", jwt).auth);
    expect(e.message).toMatch(/^authentik refused GitHub's OIDC token \(audience https:\/\/authentik\.test\) for client id aws-gitops \(invalid_grant\) without saying why \(its server log says why, under request_id [0-9a-f]+\)\. The JWT: key kid-of-another-issuer, iss https:\/\/token\.actions\.githubusercontent\.com, sub repo:acme\/aws-access:pull_request, aud https:\/\/authentik\.test, repository acme\/aws-access, ref refs\/pull\/7\/merge\. One of these does not hold:\n/);
    expect(e.message).toContain("- a federation source of the provider with client id aws-gitops trusts the key 'kid-of-another-issuer': an OAuth source in the provider's jwt_federation_sources");
    expect(e.message).toContain("oidc_jwks_url https://token.actions.githubusercontent.com/.well-known/jwks");
    // The subject's format: the accounts and the policy must be made for the one this repository's tokens carry.
    expect(e.message).toContain(
      "- the subject's format is the one the set-up was printed for: this token's sub is GitHub's legacy format (repo:OWNER/REPO:…); a repository created or renamed from 2026-07-15, or opted in, carries the immutable one (repo:OWNER@OWNER_ID/REPO@REPO_ID:…), printed with `permissions --authentik-oidc OWNER@OWNER_ID/REPO@REPO_ID`",
    );
    expectNoSecret(e.message, jwt.all);
  });

  it("claims the application's policy refuses (another repository)", async () => {
    const jwt = minted(githubClaims("acme/other", { environment: "aws-apply" }));
    const e = await refusal(federated("aws-gitops", jwt).auth);
    expect(e.message).toContain(
      "- the application's policy accepts the claims (iss https://token.actions.githubusercontent.com, sub repo:acme/other:environment:aws-apply, aud https://authentik.test, repository acme/other, ref refs/heads/main, environment aws-apply): a token of another repository, branch or environment is refused by design",
    );
    expectNoSecret(e.message, jwt.all);
  });

  it("a provider without application", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const e = await refusal(federated("no-app", jwt).auth);
    expect(e.message).toContain("- the provider belongs to an application");
  });

  it("an access token without the API scope", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const { auth, masked } = federated("no-api-scope", jwt);
    const e = await refusal(auth);
    expect(e.message).toBe(
      'the access token of client id no-api-scope lacks the scope goauthentik.io/api (authentik granted no scope), and authentik\'s API accepts no other: add the scope mapping "authentik default OAuth Mapping: authentik API access" to the provider\'s scopes (property_mappings)',
    );
    // Masked all the same: it was issued.
    expect(masked).toHaveLength(2);
    expectNoSecret(e.message, jwt.all);
  });

  it("an expired JWT, before asking authentik", async () => {
    const expired = github.sign({ ...githubClaims(REPO, { pullRequest: true }), exp: 1_700_000_000 });
    const before = authentik.tokenRequests.length;
    const e = await refusal(authFromEnv({ AUTHENTIK_CLIENT_ID: "aws-gitops", AUTHENTIK_JWT: expired }, authentik.url) as FederatedTokenAuth);
    expect(e.message).toBe(
      "the JWT in AUTHENTIK_JWT expired at 2023-11-14T22:13:20.000Z, and authentik refuses an expired JWT: AUTHENTIK_JWT holds one JWT, which cannot be renewed: for runs longer than its lifetime, write it to a file the CI system keeps fresh and name the file in AUTHENTIK_JWT_FILE instead",
    );
    expect(authentik.tokenRequests.length).toBe(before);
  });

  it("a JWT without kid, and something that is no JWT", async () => {
    const noKid = github.sign(githubClaims(REPO, { pullRequest: true }), { kid: undefined });
    expect((await refusal(authFromEnv({ AUTHENTIK_CLIENT_ID: "c", AUTHENTIK_JWT: noKid }, authentik.url) as FederatedTokenAuth)).message).toBe(
      "the JWT in AUTHENTIK_JWT has no kid in its header: authentik verifies a JWT only by the key its header names (kid) in a federation source's JWKS",
    );
    const e = await refusal(authFromEnv({ AUTHENTIK_CLIENT_ID: "c", AUTHENTIK_JWT: "not-a-jwt-secret-value" }, authentik.url) as FederatedTokenAuth);
    expect(e.message).toBe("the JWT in AUTHENTIK_JWT is not a JWT (three base64url parts, header and claims JSON objects)");
  });

  it("a token endpoint that cannot be reached, or is not authentik's", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const port = await closedPort();
    const closed = new FederatedTokenAuth({ url: `http://127.0.0.1:${port}`, clientId: "c", clientIdSetting: "AUTHENTIK_CLIENT_ID", jwt, retries: 0 });
    expect((await refusal(closed)).message).toBe(
      `cannot reach authentik's token endpoint http://127.0.0.1:${port}/application/o/token/ (ECONNREFUSED): check authentik's URL (AUTHENTIK_URL, the authentik-url input)`,
    );
    const withPassword = new FederatedTokenAuth({ url: "http://user:s3cr3t@127.0.0.1:9", clientId: "c", clientIdSetting: "AUTHENTIK_CLIENT_ID", jwt, retries: 0 });
    expect((await refusal(withPassword)).message).not.toContain("s3cr3t");
    const elsewhere = new FederatedTokenAuth({ url: `${authentik.url}/some/app`, clientId: "c", clientIdSetting: "AUTHENTIK_CLIENT_ID", jwt, retries: 0 });
    expect((await refusal(elsewhere)).message).toBe(`authentik's token endpoint ${authentik.url}/some/app/application/o/token/ answered HTTP 404: is this authentik's URL (not an application's)?`);
  });

  it("the API refusing a write to the plan job's account names the subject, not a token", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }));
    const client = new AuthentikClient({ url: authentik.url, auth: federated("aws-gitops", jwt).auth });
    const e = (await client.post("core/applications/", { name: "x" }).catch((error: unknown) => error)) as AuthentikApiError;
    expect(e).toBeInstanceOf(AuthentikApiError);
    expect(e.status).toBe(403);
    expect(e.message).toBe(
      'authentik POST /api/v3/core/applications/ failed with HTTP 403: detail: You do not have permission to perform this action.: authentik refused the access token of client id aws-gitops: the service account authentik signs in for the subject repo:acme/aws-access:pull_request (named "<provider name>-repo:acme/aws-access:pull_request") lacks the permission this request needs (is it in the group whose role `permissions --for plan|apply` lists? a plan job\'s subject may only read), or the token expired',
    );
    expectNoSecret(e.message, jwt.all);
    // The apply job's subject may.
    const apply = new AuthentikClient({ url: authentik.url, auth: federated("aws-gitops", minted(githubClaims(REPO, { environment: "aws-apply" }))).auth });
    await expect(apply.post("core/applications/", { name: "x" })).resolves.toEqual({ pk: 1 });
  });

  it("a sign-in failure is not retried as if the request had failed", async () => {
    const jwt = minted(githubClaims(REPO, { pullRequest: true }), stranger);
    const { auth } = federated("aws-gitops", jwt);
    const client = new AuthentikClient({ url: authentik.url, auth, retries: 4 });
    await expect(client.getRaw("admin/version/")).rejects.toBeInstanceOf(AuthentikSignInError);
    expect(auth.exchanges).toBe(1);
  });
});

describe("which way the CLI signs in, from its environment", () => {
  const url = "https://authentik.test";
  const refused = (env: NodeJS.ProcessEnv) => {
    try {
      authFromEnv(env, url);
    } catch (error) {
      expect(error).toBeInstanceOf(AuthentikSignInError);
      return (error as Error).message;
    }
    throw new Error("not refused");
  };

  it("an API token, or a JWT with the client id", () => {
    expect(authFromEnv({ AUTHENTIK_TOKEN: "t" }, url)).toBeInstanceOf(StaticTokenAuth);
    expect(authFromEnv({ AUTHENTIK_CLIENT_ID: "c", AUTHENTIK_JWT: "j" }, url)).toBeInstanceOf(FederatedTokenAuth);
    expect(authFromEnv({ AUTHENTIK_CLIENT_ID: "c", AUTHENTIK_JWT_FILE: "/f", AUTHENTIK_TOKEN: "" }, url)).toBeInstanceOf(FederatedTokenAuth);
  });

  it("refuses both ways at once, and half of one", () => {
    expect(refused({ AUTHENTIK_TOKEN: "t", AUTHENTIK_JWT: "j", AUTHENTIK_CLIENT_ID: "c" })).toBe(
      "both AUTHENTIK_TOKEN and AUTHENTIK_JWT and AUTHENTIK_CLIENT_ID are set: sign in one way, with the API token (unset AUTHENTIK_JWT and AUTHENTIK_CLIENT_ID) or with the JWT (unset AUTHENTIK_TOKEN)",
    );
    expect(refused({ AUTHENTIK_TOKEN: "t", AUTHENTIK_CLIENT_ID: "c" })).toMatch(/^both AUTHENTIK_TOKEN and AUTHENTIK_CLIENT_ID are set/);
    expect(refused({ AUTHENTIK_JWT: "j", AUTHENTIK_JWT_FILE: "/f", AUTHENTIK_CLIENT_ID: "c" })).toBe("both AUTHENTIK_JWT and AUTHENTIK_JWT_FILE are set: set one (the JWT itself, or a file holding it)");
    expect(refused({ AUTHENTIK_JWT: "j" })).toBe("AUTHENTIK_JWT is set, but not AUTHENTIK_CLIENT_ID: the Client ID of the authentik OAuth2 provider that trusts the JWT's issuer");
    expect(refused({ AUTHENTIK_CLIENT_ID: "c" })).toBe("AUTHENTIK_CLIENT_ID is set, but no JWT: set AUTHENTIK_JWT (the JWT itself) or AUTHENTIK_JWT_FILE (a file holding it)");
    expect(refused({})).toMatch(/^AUTHENTIK_TOKEN is not set: the authentik API token is read only from this environment variable \(or sign in with a JWT/);
  });
});
