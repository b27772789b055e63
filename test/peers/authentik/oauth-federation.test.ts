// The authentik emulator's OAuth2 client_credentials grant with a federated JWT (issue 22):
// a GitHub Actions OIDC token from the GitHub emulator exchanged at /application/o/token/ for
// an access token that calls the API as the service account `<provider>-<sub>`, with that
// account's roles. Both emulators in-process (their own unit tests); the set-up is made with
// plain API calls (test/support/authentik-oidc.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oidcRunnerEnv, RUNNER_RUN_ID } from "../../support/action.js";
import { exchangeGitHubToken, type GitHubOidcSetup, setUpGitHubOidc } from "../../support/authentik-oidc.js";
import { loadConfigFile } from "../../../src/config/load-config.js";
import { permissionsReport } from "../../../src/permissions/model.js";
import { applyBlueprint } from "../../support/blueprint-api.js";
import { authentikApi, startAuthentikPeer } from "../../support/peers.js";
import { startGitHubPeer } from "../github/peer.js";
import { decodeUnverified } from "../jwt.js";
import { pullRequestEvent, pushEvent, syntheticSha } from "../github/events.js";
import { type GitHubEmulator, startGitHubEmulator } from "../github/server.js";
import { authentikControls } from "./controls.js";
import { type AuthentikEmulator, startAuthentikEmulator } from "./server.js";

const TOKEN = "federation-test-token";
const REPO = "acme/aws-access";
const INVALID_GRANT =
  "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client";
const PERMISSION_DENIED = { detail: "You do not have permission to perform this action." };

let gh: GitHubEmulator;

/** GitHub's side: a repository, a pull request, and a job per kind with its request token. */
function jobs(github: GitHubEmulator) {
  const pr = pullRequestEvent({ store: github.store, apiUrl: github.url, repo: REPO, number: 7, action: "opened" });
  const merge = () => {
    github.store.mergePullRequest(REPO, 7, { mergeCommitSha: syntheticSha("merge-7"), mergedBy: "alice" });
    return pushEvent({ store: github.store, apiUrl: github.url, repo: REPO, before: syntheticSha("before-7"), mergedPull: 7 });
  };
  return { pr, merge };
}

async function idToken(job: { env: Record<string, string> }, audience?: string): Promise<string> {
  const url = `${job.env.ACTIONS_ID_TOKEN_REQUEST_URL}${audience ? `&audience=${encodeURIComponent(audience)}` : ""}`;
  const r = await fetch(url, { headers: { authorization: `Bearer ${job.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { value: string }).value;
}

function bearer(emu: AuthentikEmulator, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${emu.url}/api/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
}

beforeAll(async () => {
  gh = await startGitHubEmulator({ tokens: { ghs_default: { login: "github-actions[bot]" } } });
  gh.store.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
  gh.store.addRepo({ owner: "mallory", name: "aws-access" });
  gh.store.addPullRequest({ repo: REPO, number: 7, user: "alice", head: { ref: "change-7", sha: syntheticSha("head-7") } });
});

afterAll(async () => {
  await gh?.stop();
});

describe("client_credentials with a GitHub Actions JWT (2026.8.3)", () => {
  let ak: AuthentikEmulator;
  let setup: GitHubOidcSetup;
  let planJob: { env: Record<string, string>; subject: string | null };
  let applyJob: { env: Record<string, string>; subject: string | null };
  const control = () => authentikControls(ak);

  beforeAll(async () => {
    ak = await startAuthentikEmulator({ token: TOKEN });
    setup = await setUpGitHubOidc(authentikApi(ak.url, TOKEN), { authentikUrl: ak.url, githubUrl: gh.url, repository: REPO });
    const { pr, merge } = jobs(gh);
    planJob = gh.oidc.job({ event: pr }, gh.url);
    applyJob = gh.oidc.job({ event: merge(), environment: "aws-apply" }, gh.url);
  });
  afterAll(async () => {
    await ak?.stop();
  });

  it("the set-up made through the API: the source holds GitHub's JWKS, the provider trusts it", async () => {
    const api = authentikApi(ak.url, TOKEN);
    const source = await api("GET", `/sources/oauth/${setup.source.slug}/`);
    expect(source.oidc_jwks).toEqual(gh.oidc.jwks());
    expect(source.oidc_jwks_url).toBe(`${gh.url}/.well-known/jwks`);
    // GitHub's discovery document has no authorization/token/userinfo endpoint and no PKCE methods:
    // authentik stores "" for each (2026.5 on: pkce "none").
    expect([source.authorization_url, source.access_token_url, source.profile_url]).toEqual(["", "", ""]);
    expect(source.pkce).toBe("none");
    const provider = await api("GET", `/providers/oauth2/${setup.provider.pk}/`);
    expect(provider).toMatchObject({ client_id: setup.clientId, jwt_federation_sources: [setup.source.pk], grant_types: ["client_credentials"], access_token_validity: "minutes=10" });
    const scope = await api("GET", `/propertymappings/provider/scope/${provider.property_mappings[0]}/`);
    expect(scope).toMatchObject({ managed: "goauthentik.io/providers/oauth2/scope-authentik_api", scope_name: "goauthentik.io/api" });
    expect(planJob.subject).toBe("repo:acme/aws-access:pull_request");
    expect(applyJob.subject).toBe("repo:acme/aws-access:environment:aws-apply");
    expect(setup.plan.username).toBe(`${setup.provider.name}-repo:acme/aws-access:pull_request`);
  });

  it("a pull request's JWT gets an access token that reads the API as the plan account, and may not write", async () => {
    const jwt = await idToken(planJob, setup.audience);
    const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.headers.get("cache-control")).toBe("no-store");
    expect(got.body).toEqual({ access_token: expect.any(String), token_type: "Bearer", scope: "goauthentik.io/api", expires_in: 600, id_token: expect.any(String) });
    const claims = decodeUnverified(got.body.access_token!).payload;
    expect(claims).toMatchObject({ iss: `${ak.url}/application/o/${setup.application.slug}/`, aud: setup.clientId, azp: setup.clientId, scope: "goauthentik.io/api" });
    expect(decodeUnverified(got.body.access_token!).header.alg).toBe("HS256");

    const as = bearer(ak, got.body.access_token!);
    const apps = await as("GET", "/core/applications/?superuser_full_list=true");
    expect(apps.status).toBe(200);
    expect((await as("GET", "/core/groups/?page_size=100")).status).toBe(200);
    expect(ak.requests.at(-1)!.identity).toEqual({ via: "jwt", username: setup.plan.username });
    // The plan identity holds view permissions only: a write is refused.
    const write = await as("POST", "/core/groups/", { name: "plan-made-this" });
    expect(write).toEqual({ status: 403, body: PERMISSION_DENIED });
    expect(ak.requests.at(-1)!.missingPermissions).toEqual(["authentik_core.add_group"]);
    const del = await as("DELETE", `/core/groups/${setup.apply.group.pk}/`);
    expect(del.status).toBe(403);
  });

  it("the environment's JWT gets the apply account, which may write", async () => {
    const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: await idToken(applyJob, setup.audience) });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    const as = bearer(ak, got.body.access_token!);
    const made = await as("POST", "/core/groups/", { name: "apply-made-this" });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(ak.requests.at(-1)!.identity).toEqual({ via: "jwt", username: setup.apply.username });
  });

  it("keeps a service account made beforehand: same pk and groups, updated as update_or_create does, no expiry", async () => {
    await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: await idToken(planJob) });
    const user = [...ak.store.users.values()].find((u) => u.username === setup.plan.username)!;
    expect(user.pk).toBe(setup.plan.userPk);
    expect(user.groups).toEqual([setup.plan.group.pk]);
    expect(user).toMatchObject({ type: "service_account", path: `goauthentik.io/sources/${setup.source.slug}`, name: `Autogenerated user from application ${setup.application.slug.replace(/-ci$/, "")} CI (client credentials JWT)` });
    expect(user.attributes).toEqual({ "goauthentik.io/user/generated": true });
    expect(user.last_login).not.toBeNull();
    expect(control().tokenRequests().at(-1)).toMatchObject({ status: 200, username: setup.plan.username, userCreated: false });
  });

  it("an application's slug is at most 50 characters (Application.slug is a SlugField), as a blueprint's would be refused", async () => {
    const api = authentikApi(ak.url, TOKEN);
    const tooLong = await fetch(`${ak.url}/api/v3/core/applications/`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Long", slug: "s".repeat(51) }),
    });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({ slug: ["Ensure this field has no more than 50 characters."] });
    const fits = await api("POST", "/core/applications/", { name: "Fits", slug: "s".repeat(50) });
    expect(fits.slug).toBe("s".repeat(50));
    await api("DELETE", `/core/applications/${"s".repeat(50)}/`);
  });

  it("the audience is not checked", async () => {
    const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: await idToken(planJob, "https://somewhere.else.example") });
    expect(got.status).toBe(200);
  });

  it("refuses a JWT from a key the source does not hold, a forged signature, an expired JWT — invalid_grant, as authentik says it", async () => {
    const requestToken = planJob.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!;
    const now = Math.floor(Date.now() / 1000);
    const cases = {
      "unknown kid": gh.oidc.mint({ requestToken, key: "unknown" }),
      "bad signature": gh.oidc.mint({ requestToken, key: "forged" }),
      expired: gh.oidc.mint({ requestToken, issuedAt: now - 900 }),
      "not yet valid": gh.oidc.mint({ requestToken, issuedAt: now + 120 }),
      "not a JWT": "not-a-jwt",
    };
    const reasons: Record<string, string> = {};
    for (const [what, jwt] of Object.entries(cases)) {
      const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt });
      expect(got.status, what).toBe(400);
      expect(got.body, what).toEqual({ error: "invalid_grant", error_description: INVALID_GRANT, request_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
      reasons[what] = control().tokenRequests().at(-1)!.reason;
    }
    expect(reasons["unknown kid"]).toMatch(/no federation source's JWKS has the key .*; No token could be verified/);
    expect(reasons["bad signature"]).toMatch(/Signature verification failed/);
    expect(reasons.expired).toMatch(/Signature has expired/);
    expect(reasons["not yet valid"]).toMatch(/not yet valid \(iat\)/);
    expect(reasons["not a JWT"]).toMatch(/failed to parse JWT for kid lookup/);
  });

  it("the application's policy sees the JWT's claims: another repository's token is refused", async () => {
    const theirs = gh.oidc.jobClaims({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "opened" }) });
    const jwt = gh.oidc.mint({ claims: { ...theirs, repository: "mallory/aws-access", repository_owner: "mallory", sub: "repo:mallory/aws-access:pull_request" } });
    const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt });
    expect(got.status).toBe(400);
    expect(got.body.error).toBe("invalid_grant");
    const record = control().tokenRequests().at(-1)!;
    expect(record.policy).toEqual({ passing: false, messages: ["the token is for another repository: mallory/aws-access"] });
    expect(record.reason).toMatch(/User not authenticated for application/);
    // A push without the apply environment (sub ref:refs/heads/main) is refused too: no account was made for it.
    const push = gh.oidc.job({ event: pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha("b"), after: syntheticSha("a") }) }, gh.url);
    expect((await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: await idToken(push) })).status).toBe(400);
    expect([...ak.store.users.values()].some((u) => u.username.endsWith(":ref:refs/heads/main"))).toBe(false);
  });

  it("an unknown client id is invalid_client; a token asked without goauthentik.io/api cannot call the API", async () => {
    const jwt = await idToken(planJob);
    const unknown = await exchangeGitHubToken(setup.tokenUrl, { clientId: "nobody", jwt });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe("invalid_client");
    const noScope = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt, scope: null });
    expect(noScope.status).toBe(200);
    expect(noScope.body.scope).toBe("");
    expect(await bearer(ak, noScope.body.access_token!)("GET", "/core/groups/")).toEqual({ status: 403, body: { detail: "Token invalid/expired" } });
    // A scope the provider has no mapping for is dropped.
    const other = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt, scope: "openid goauthentik.io/api" });
    expect(other.body.scope).toBe("goauthentik.io/api");
  });

  it("a provider without the goauthentik.io/api scope mapping issues tokens the API refuses", async () => {
    const other = await setUpGitHubOidc(authentikApi(ak.url, TOKEN), { authentikUrl: ak.url, githubUrl: gh.url, repository: REPO, name: "noscope", withoutApiScope: true });
    const got = await exchangeGitHubToken(other.tokenUrl, { clientId: other.clientId, jwt: await idToken(planJob) });
    expect(got.status).toBe(200);
    expect(got.body.scope).toBe("");
    expect((await bearer(ak, got.body.access_token!)("GET", "/core/groups/")).status).toBe(403);
  });

  it("the access token expires after access_token_validity (the emulator's clock moved on)", async () => {
    const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: await idToken(planJob) });
    const as = bearer(ak, got.body.access_token!);
    expect((await as("GET", "/core/groups/")).status).toBe(200);
    const issued = control().issuedTokens().at(-1)!;
    expect(issued).toMatchObject({ username: setup.plan.username, scope: ["goauthentik.io/api"], expired: false, method: "jwt" });
    expect(Date.parse(issued.expires) - Date.parse(issued.issued)).toBe(600_000);
    control().clock({ advanceSeconds: 601 });
    try {
      expect(await as("GET", "/core/groups/")).toEqual({ status: 403, body: { detail: "Token invalid/expired" } });
      expect(control().issuedTokens().at(-1)!.expired).toBe(true);
    } finally {
      control().clock({ set: 0 });
    }
  });

  it("creates the service account on first use (with the JWT's exp as its expiry) and keeps it after — from 2026.5 a second sign-in resets its attributes, expiry included", async () => {
    const api = authentikApi(ak.url, TOKEN);
    // An application without bindings lets any verified JWT through.
    const open = await api("POST", "/providers/oauth2/", {
      name: "open-github-actions",
      authorization_flow: (await api("GET", "/flows/instances/?slug=default-provider-authorization-implicit-consent")).results[0].pk,
      invalidation_flow: (await api("GET", "/flows/instances/?slug=default-provider-invalidation-flow")).results[0].pk,
      client_id: "open",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      property_mappings: [(await api("GET", "/propertymappings/provider/scope/?scope_name=goauthentik.io/api")).results[0].pk],
      jwt_federation_sources: [setup.source.pk],
    });
    await api("POST", "/core/applications/", { name: "Open", slug: "open", provider: open.pk });
    const push = gh.oidc.job({ event: pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha("c"), after: syntheticSha("d"), ref: "refs/heads/feature" }) }, gh.url);
    const jwt = await idToken(push);
    const exp = decodeUnverified(jwt).payload.exp as number;
    const first = await exchangeGitHubToken(setup.tokenUrl, { clientId: "open", jwt });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const username = "open-github-actions-repo:acme/aws-access:ref:refs/heads/feature";
    const made = (await api("GET", `/core/users/?username=${encodeURIComponent(username)}`)).results;
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      type: "service_account",
      path: `goauthentik.io/sources/${setup.source.slug}`,
      name: "Autogenerated user from application Open (client credentials JWT)",
      attributes: { "goauthentik.io/user/generated": true, "goauthentik.io/user/expires": exp },
      groups: [],
    });
    expect(control().tokenRequests().at(-1)!.userCreated).toBe(true);
    // It holds no role: it can authenticate but not read groups.
    expect((await bearer(ak, first.body.access_token!)("GET", "/core/groups/")).status).toBe(403);
    expect(control().cleanTemporaryUsers()).toEqual([]);
    await exchangeGitHubToken(setup.tokenUrl, { clientId: "open", jwt });
    expect(control().tokenRequests().at(-1)!.userCreated).toBe(false);
    const kept = (await api("GET", `/core/users/?username=${encodeURIComponent(username)}`)).results[0];
    expect(kept.pk).toBe(made[0].pk);
    // 2026.5's update_or_create sets attributes to what the source's mappings give ({}), then
    // marks it generated; the expiry is only set on creation: it is gone, the account stays.
    expect(kept.attributes).toEqual({ "goauthentik.io/user/generated": true });
    control().clock({ advanceSeconds: 400 });
    try {
      expect(control().cleanTemporaryUsers()).toEqual([]);
    } finally {
      control().clock({ set: 0 });
    }
  });

  it("a rotated GitHub key is unknown until authentik's JWKS refresh task reads it again", async () => {
    gh.oidc.rotate(true);
    const jwt = await idToken(planJob);
    expect((await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt })).status).toBe(400);
    expect((await control().refreshJwks()).find((r) => r.slug === setup.source.slug)).toEqual({ slug: setup.source.slug, updated: true });
    expect((await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt })).status).toBe(200);
  });

  it("answered every API request within the schema", () => {
    expect(ak.invalidRequests()).toEqual([]);
    expect(ak.emulatorErrors).toEqual([]);
    expect(gh.emulatorErrors).toEqual([]);
  });
});

const RELEASES = ["2025.10.4", "2025.12.6", "2026.2.0", "2026.5.6", "2026.8.3"];
const at = (version: string, minor: string) => version.localeCompare(minor, undefined, { numeric: true }) >= 0;

describe.each(RELEASES)("authentik %s", (version) => {
  let ak: AuthentikEmulator;
  let setup: GitHubOidcSetup;
  const control = () => authentikControls(ak);
  const api = () => authentikApi(ak.url, TOKEN);

  beforeAll(async () => {
    ak = await startAuthentikEmulator({ token: TOKEN, version });
    setup = await setUpGitHubOidc(api(), { authentikUrl: ak.url, githubUrl: gh.url, repository: REPO });
  });
  afterAll(async () => {
    await ak?.stop();
  });

  it("the set-up works: plan reads and may not write, apply writes; pkce and grant_types as the release has them", async () => {
    const { pr, merge } = jobs(gh);
    const plan = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: await idToken(gh.oidc.job({ event: pr }, gh.url)) });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    const asPlan = bearer(ak, plan.body.access_token!);
    expect((await asPlan("GET", "/core/users/?page_size=100")).status).toBe(200);
    expect(await asPlan("POST", "/core/groups/", { name: `plan-${version}` })).toEqual({ status: 403, body: PERMISSION_DENIED });
    const push = gh.store.pull(REPO, 7)!.merged ? pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha("e"), mergedPull: 7 }) : merge();
    const applyJwt = await idToken(gh.oidc.job({ event: push, environment: "aws-apply" }, gh.url));
    const apply = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: applyJwt });
    expect(apply.status, JSON.stringify(apply.body)).toBe(200);
    expect((await bearer(ak, apply.body.access_token!)("POST", "/core/groups/", { name: `apply-${version}` })).status).toBe(201);

    const source = await api()("GET", `/sources/oauth/${setup.source.slug}/`);
    // Up to 2026.2 the well-known document's (absent) code_challenge_methods_supported is copied as "".
    expect(source.pkce).toBe(at(version, "2026.5") ? "none" : "");
    const provider = await api()("GET", `/providers/oauth2/${setup.provider.pk}/`);
    expect("grant_types" in provider).toBe(at(version, "2026.8"));
    if (at(version, "2026.8")) {
      // A provider without client_credentials in grant_types refuses the grant.
      await api()("PATCH", `/providers/oauth2/${setup.provider.pk}/`, { grant_types: ["authorization_code"] });
      const refused = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt: applyJwt });
      expect(refused.body.error).toBe("invalid_grant");
      expect(control().tokenRequests().at(-1)!.reason).toMatch(/Invalid grant_type for provider/);
      await api()("PATCH", `/providers/oauth2/${setup.provider.pk}/`, { grant_types: ["client_credentials"] });
    }
    expect(ak.invalidRequests()).toEqual([]);
    expect(ak.emulatorErrors).toEqual([]);
  });

  it("an account the endpoint created expires with the JWT up to 2026.2 (clean_temporary_users deletes it); from 2026.5 a second sign-in clears the expiry", async () => {
    const open = await api()("POST", "/providers/oauth2/", {
      name: `open-${version}`,
      authorization_flow: (await api()("GET", "/flows/instances/?slug=default-provider-authorization-implicit-consent")).results[0].pk,
      invalidation_flow: (await api()("GET", "/flows/instances/?slug=default-provider-invalidation-flow")).results[0].pk,
      client_id: `open-${version}`,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      jwt_federation_sources: [setup.source.pk],
    });
    await api()("POST", "/core/applications/", { name: "Open", slug: `open-${version.replace(/\./g, "-")}`, provider: open.pk });
    const job = gh.oidc.job({ event: pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha("f"), after: syntheticSha("g"), ref: "refs/heads/feature" }) }, gh.url);
    const jwt = await idToken(job);
    for (let i = 0; i < 2; i++) expect((await exchangeGitHubToken(setup.tokenUrl, { clientId: `open-${version}`, jwt })).status).toBe(200);
    const username = `open-${version}-repo:acme/aws-access:ref:refs/heads/feature`;
    control().clock({ advanceSeconds: 400 });
    try {
      expect(control().cleanTemporaryUsers()).toEqual(at(version, "2026.5") ? [] : [username]);
    } finally {
      control().clock({ set: 0 });
    }
  });

  it("a username longer than 150 characters: a database error (500) up to 2026.2, cut to 150 from 2026.5", async () => {
    const claims = gh.oidc.jobClaims({ event: pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "opened" }), environment: "e".repeat(140) });
    const jwt = gh.oidc.mint({ claims });
    // The set-up's policy admits only the apply environment: a provider whose application has no bindings.
    const open = await api()("POST", "/providers/oauth2/", {
      name: `long-${version}`,
      authorization_flow: (await api()("GET", "/flows/instances/?slug=default-provider-authorization-implicit-consent")).results[0].pk,
      invalidation_flow: (await api()("GET", "/flows/instances/?slug=default-provider-invalidation-flow")).results[0].pk,
      client_id: `long-${version}`,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      jwt_federation_sources: [setup.source.pk],
    });
    await api()("POST", "/core/applications/", { name: "Long", slug: `long-${version.replace(/\./g, "-")}`, provider: open.pk });
    const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: `long-${version}`, jwt });
    if (at(version, "2026.5")) {
      expect(got.status).toBe(200);
      expect(control().tokenRequests().at(-1)!.username).toHaveLength(150);
    } else {
      expect(got.status).toBe(500);
    }
  });
});

describe("the printed blueprint for a repository with GitHub's immutable subject claims", () => {
  it("names the accounts the emulator's tokens sign in as (repo:OWNER@OWNER_ID/REPO@REPO_ID:…); the legacy set-up names none of them", async () => {
    gh.store.addRepo({ owner: "acme", name: "immutable", ownerType: "Organization", immutableSubject: true });
    const repo = gh.store.repo("acme/immutable")!;
    const ownerId = gh.store.user("acme")!.id;
    const { config } = await loadConfigFile(new URL("../../../examples/classic-iam.yaml", import.meta.url).pathname);
    const print = (repository: string) =>
      permissionsReport(config, { phase: "apply", prune: true, oidc: { repository, issuer: gh.url } }).authentik.oidc!;
    for (const [repository, signsIn] of [[`acme@${ownerId}/immutable@${repo.id}`, true], ["acme/immutable", false]] as const) {
      const ak = await startAuthentikEmulator({ token: TOKEN });
      try {
        const oidc = print(repository);
        await applyBlueprint(authentikApi(ak.url, TOKEN), oidc.blueprint);
        const push = pushEvent({ store: gh.store, apiUrl: gh.url, repo: "acme/immutable", before: syntheticSha("i0"), after: syntheticSha("i1") });
        const job = gh.oidc.job({ event: push, environment: "aws-apply" }, gh.url);
        expect(job.subject).toBe(`repo:acme@${ownerId}/immutable@${repo.id}:environment:aws-apply`);
        const got = await exchangeGitHubToken(`${ak.url}/application/o/token/`, { clientId: oidc.clientId, jwt: await idToken(job, oidc.audience) });
        if (signsIn) {
          expect(got.status, JSON.stringify(got.body)).toBe(200);
          const apply = oidc.accounts.find((a) => a.phase === "apply")!;
          expect(authentikControls(ak).tokenRequests().at(-1)!.username).toBe(apply.username);
          // It holds its group's role: it reads the API.
          expect((await bearer(ak, got.body.access_token!)("GET", "/core/groups/")).status).toBe(200);
        } else {
          // The legacy set-up's policy names other subjects: refused, as authentik refuses (invalid_grant).
          expect(got.status).toBe(400);
          expect(got.body.error).toBe("invalid_grant");
        }
      } finally {
        await ak.stop();
      }
    }
  });
});

describe("as processes, the way the Action's tests run them (test/support/action.ts)", () => {
  it("the authentik peer fetches the GitHub peer's JWKS; a job's token, asked as the runner lets it, signs in", async () => {
    const [akPeer, ghPeer] = await Promise.all([startAuthentikPeer([], TOKEN), startGitHubPeer({ ghs_default: { login: "github-actions[bot]" } })]);
    try {
      await ghPeer.control.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
      await ghPeer.control.addPullRequest({ repo: REPO, number: 3, user: "alice", head: { ref: "x", sha: syntheticSha("x") } });
      const setup = await setUpGitHubOidc(authentikApi(akPeer.url, TOKEN), { authentikUrl: akPeer.url, githubUrl: ghPeer.url, repository: REPO });
      const job = await oidcRunnerEnv(ghPeer, await ghPeer.control.pullRequestEvent({ repo: REPO, number: 3, action: "opened" }));
      expect(job.claims?.run_id).toBe(RUNNER_RUN_ID);
      const jwt = await idToken(job, setup.audience);
      const got = await exchangeGitHubToken(setup.tokenUrl, { clientId: setup.clientId, jwt });
      expect(got.status, JSON.stringify(got.body)).toBe(200);
      const r = await fetch(`${akPeer.url}/api/v3/core/groups/`, { headers: { authorization: `Bearer ${got.body.access_token}` } });
      expect(r.status).toBe(200);
      expect((await akPeer.control.issuedTokens()).map((t) => t.username)).toEqual([setup.plan.username]);
      expect(await akPeer.control.invalidRequests()).toEqual([]);
      expect(await akPeer.control.emulatorErrors()).toEqual([]);
    } finally {
      await Promise.all([akPeer.stop(), ghPeer.stop()]);
    }
  });
});
