// The GitHub emulator's Actions OIDC token service (oidc.ts): the runner's
// ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN, answered the way @actions/core's getIDToken expects,
// RS256 JWTs verifiable with the JWKS it serves, GitHub's claims per job kind.
import { createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeUnverified, verifyWithJwk } from "../jwt.js";
import { githubControls } from "./controls.js";
import { pullRequestEvent, pushEvent, syntheticSha } from "./events.js";
import { type GitHubEmulator, startGitHubEmulator } from "./server.js";

const REPO = "acme/aws-access";
let gh: GitHubEmulator;

async function requestToken(env: Record<string, string>, audience?: string, token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN): Promise<{ status: number; body: any }> {
  const url = `${env.ACTIONS_ID_TOKEN_REQUEST_URL}${audience === undefined ? "" : `&audience=${encodeURIComponent(audience)}`}`;
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
  return { status: r.status, body: await r.json() };
}

/** Verifies with the JWKS the emulator serves, as a relying party does. */
async function verified(jwt: string): Promise<Record<string, unknown>> {
  const jwks = (await (await fetch(`${gh.url}/.well-known/jwks`)).json()) as { keys: Record<string, unknown>[] };
  const { header } = decodeUnverified(jwt);
  const key = jwks.keys.find((k) => k.kid === header.kid);
  if (!key) throw new Error(`no key ${String(header.kid)}`);
  const [h, p, sig] = jwt.split(".");
  expect(verify("sha256", Buffer.from(`${h}.${p}`), createPublicKey({ key: key as any, format: "jwk" }), Buffer.from(sig!, "base64url"))).toBe(true);
  return verifyWithJwk(jwt, key, "RS256", Date.now() / 1000);
}

beforeAll(async () => {
  gh = await startGitHubEmulator({ tokens: { ghs_default: { login: "github-actions[bot]" } } });
  gh.store.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization", private: true });
  gh.store.addPullRequest({ repo: REPO, number: 7, user: "alice", head: { ref: "change-7", sha: syntheticSha("head-7") } });
  gh.store.addPullRequest({ repo: REPO, number: 8, user: "mallory", head: { ref: "evil", sha: syntheticSha("head-8"), repo: "mallory/aws-access" } });
});

afterAll(async () => {
  await gh?.stop();
});

describe("Actions OIDC tokens", () => {
  const control = () => githubControls(gh);

  it("serves a discovery document and a JWKS at the issuer, which is the emulator's URL", async () => {
    const config = (await (await fetch(`${gh.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({ issuer: gh.url, jwks_uri: `${gh.url}/.well-known/jwks`, response_types_supported: ["id_token"], id_token_signing_alg_values_supported: ["RS256"], scopes_supported: ["openid"] });
    // Like token.actions.githubusercontent.com: no authorization, token or userinfo endpoint.
    expect(config).not.toHaveProperty("authorization_endpoint");
    expect(config.claims_supported).toEqual(expect.arrayContaining(["sub", "repository", "environment", "job_workflow_ref", "ref", "event_name"]));
    const jwks = (await (await fetch(`${gh.url}/.well-known/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: expect.any(String), n: expect.any(String), e: "AQAB" });
    expect(control().oidcIssuer()).toMatchObject({ issuer: gh.url, jwks });
  });

  it("a pull request's job: subject repo:OWNER/REPO:pull_request, GitHub's claims, valid five minutes", async () => {
    const event = pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "opened" });
    const job = control().oidcJob({ event, env: { GITHUB_RUN_ID: "4242" } });
    expect(job.subject).toBe("repo:acme/aws-access:pull_request");
    expect(Object.keys(job.env).sort()).toEqual(["ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"]);
    expect(job.env.ACTIONS_ID_TOKEN_REQUEST_URL).toMatch(/\/_apis\/distributedtask\/hubs\/Actions\/plans\/[0-9a-f-]+\/jobs\/[0-9a-f-]+\/idtoken\?api-version=2\.0$/);
    const r = await requestToken(job.env, "https://authentik.example");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ count: r.body.value.length, value: expect.any(String) });
    const { header } = decodeUnverified(r.body.value);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT", kid: expect.any(String) });
    const claims = await verified(r.body.value);
    const alice = gh.store.user("alice")!;
    const repo = gh.store.repo(REPO)!;
    expect(claims).toEqual({
      jti: expect.any(String),
      sub: "repo:acme/aws-access:pull_request",
      aud: "https://authentik.example",
      ref: "refs/pull/7/merge",
      sha: event.env.GITHUB_SHA,
      repository: REPO,
      repository_owner: "acme",
      actor_id: String(alice.id),
      repository_visibility: "private",
      repository_id: String(repo.id),
      repository_owner_id: String(gh.store.user("acme")!.id),
      run_id: "4242",
      run_number: "1",
      run_attempt: "1",
      runner_environment: "github-hosted",
      actor: "alice",
      workflow: "aws-access",
      head_ref: "change-7",
      base_ref: "main",
      event_name: "pull_request",
      ref_protected: "false",
      ref_type: "branch",
      workflow_ref: "acme/aws-access/.github/workflows/aws-access.yml@refs/pull/7/merge",
      workflow_sha: event.env.GITHUB_SHA,
      job_workflow_ref: "acme/aws-access/.github/workflows/aws-access.yml@refs/pull/7/merge",
      job_workflow_sha: event.env.GITHUB_SHA,
      iss: gh.url,
      nbf: (claims.iat as number) - 600,
      exp: (claims.iat as number) + 300,
      iat: expect.any(Number),
    });
    expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(5);
    // Without an audience GitHub uses the owner's URL.
    expect((await verified((await requestToken(job.env)).body.value)).aud).toBe("https://github.com/acme");
  });

  it("a push's job: repo:OWNER/REPO:ref:refs/heads/main; with an environment: repo:OWNER/REPO:environment:NAME and the environment claim", async () => {
    const event = pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha("b"), after: syntheticSha("a") });
    const plain = control().oidcJob({ event });
    expect(plain.subject).toBe("repo:acme/aws-access:ref:refs/heads/main");
    const plainClaims = await verified((await requestToken(plain.env)).body.value);
    expect(plainClaims).toMatchObject({ event_name: "push", ref: "refs/heads/main", sha: syntheticSha("a"), head_ref: "", base_ref: "" });
    expect(plainClaims).not.toHaveProperty("environment");
    const deploy = control().oidcJob({ event, environment: "aws-apply", refProtected: true });
    expect(deploy.subject).toBe("repo:acme/aws-access:environment:aws-apply");
    const claims = await verified((await requestToken(deploy.env, "authentik")).body.value);
    expect(claims).toMatchObject({ sub: "repo:acme/aws-access:environment:aws-apply", environment: "aws-apply", ref: "refs/heads/main", ref_protected: "true" });
    expect(Object.keys(claims).slice(0, 4)).toEqual(["jti", "sub", "environment", "aud"]);
    // An environment names the subject whatever the event (a pull request's job in an environment).
    const prEnv = control().oidcJob({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "opened" }), environment: "preview" });
    expect(prEnv.subject).toBe("repo:acme/aws-access:environment:preview");
  });

  it("a repository with immutable subject claims: repo:OWNER@OWNER_ID/REPO@REPO_ID:… for every job kind", async () => {
    gh.store.addRepo({ owner: "acme", name: "fresh", ownerType: "Organization", immutableSubject: true });
    gh.store.addPullRequest({ repo: "acme/fresh", number: 1, user: "alice", head: { ref: "change-1", sha: syntheticSha("fresh-1") } });
    const repo = gh.store.repo("acme/fresh")!;
    const owner = gh.store.user("acme")!;
    const prefix = `repo:acme@${owner.id}/fresh@${repo.id}`;
    const pr = control().oidcJob({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: "acme/fresh", number: 1, action: "opened" }) });
    expect(pr.subject).toBe(`${prefix}:pull_request`);
    const claims = await verified((await requestToken(pr.env, "x")).body.value);
    expect(claims).toMatchObject({ sub: `${prefix}:pull_request`, repository: "acme/fresh", repository_id: String(repo.id), repository_owner_id: String(owner.id) });
    const push = pushEvent({ store: gh.store, apiUrl: gh.url, repo: "acme/fresh", before: syntheticSha("f0"), after: syntheticSha("f1") });
    expect(control().oidcJob({ event: push }).subject).toBe(`${prefix}:ref:refs/heads/main`);
    expect(control().oidcJob({ event: push, environment: "aws-apply" }).subject).toBe(`${prefix}:environment:aws-apply`);
    // Other repositories keep the legacy format.
    expect(control().oidcJob({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "opened" }) }).subject).toBe("repo:acme/aws-access:pull_request");
  });

  it("a fork's pull request gets no token; a request without the job's token is refused", async () => {
    const fork = control().oidcJob({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 8, action: "opened" }) });
    expect(fork).toMatchObject({ env: {}, subject: null, reason: expect.stringMatching(/fork/) });
    const job = control().oidcJob({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "opened" }) });
    expect((await requestToken(job.env, "x", "not-the-token")).status).toBe(401);
    expect(gh.requests.at(-1)!.invalid).toEqual(["ID token request without a job's ACTIONS_ID_TOKEN_REQUEST_TOKEN"]);
  });

  it("@actions/core's getIDToken gets a token from the runner's variables", async () => {
    const job = control().oidcJob({ event: pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha("c"), after: syntheticSha("d") }), environment: "aws-apply" });
    const core = await import("@actions/core");
    const saved = { url: process.env.ACTIONS_ID_TOKEN_REQUEST_URL, token: process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN };
    Object.assign(process.env, job.env);
    try {
      const jwt = await core.getIDToken("https://authentik.example/");
      expect(await verified(jwt)).toMatchObject({ aud: "https://authentik.example/", sub: "repo:acme/aws-access:environment:aws-apply" });
    } finally {
      for (const [k, v] of [["ACTIONS_ID_TOKEN_REQUEST_URL", saved.url], ["ACTIONS_ID_TOKEN_REQUEST_TOKEN", saved.token]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("mints test tokens: expired, signed by an unknown key, forged under the served kid; rotates the key", async () => {
    const job = control().oidcJob({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "opened" }) });
    const jobToken = job.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!;
    const expired = control().mintIdToken({ requestToken: jobToken, issuedAt: Math.floor(Date.now() / 1000) - 900 });
    await expect(verified(expired)).rejects.toThrow(/Signature has expired/);
    await expect(verified(control().mintIdToken({ requestToken: jobToken, key: "unknown" }))).rejects.toThrow(/no key/);
    await expect(verified(control().mintIdToken({ requestToken: jobToken, key: "forged" }))).rejects.toThrow();
    const before = control().oidcIssuer().jwks.keys[0]!.kid;
    const { kid, served } = control().rotateOidcKey(true);
    expect(served).toEqual([before, kid]);
    const fresh = (await requestToken(job.env)).body.value as string;
    expect(decodeUnverified(fresh).header.kid).toBe(kid);
    expect(await verified(fresh)).toMatchObject({ sub: "repo:acme/aws-access:pull_request" });
    expect(control().rotateOidcKey(false).served).toHaveLength(1);
    expect(control().idTokens().length).toBeGreaterThan(3);
  });

  it("answered within GitHub's description otherwise", () => {
    expect(gh.invalidRequests().map((r) => r.invalid)).toEqual([["ID token request without a job's ACTIONS_ID_TOKEN_REQUEST_TOKEN"]]);
    expect(gh.emulatorErrors).toEqual([]);
  });
});
