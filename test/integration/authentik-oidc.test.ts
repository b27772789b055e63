/**
 * Signing in without an API token, end to end through the shipped CLI against the authentik
 * emulator: the objects the blueprint of `permissions --authentik-oidc` declares, created
 * through the API, with GitHub's JWKS URL pointed at a JWKS this test serves; then plan and
 * apply with a JWT in AUTHENTIK_JWT (what another CI system gives), AUTHENTIK_TOKEN unset.
 * The plan job's subject plans and cannot write; another repository's token is refused; the
 * apply subject applies, and an apply longer than the access token's validity renews it.
 * (The Action, with GitHub's OIDC tokens, is test/action/github-oidc.test.ts.)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PermissionsReport } from "../../src/permissions/model.js";
import { GITHUB_JWKS_URL } from "../../src/permissions/oidc.js";
import type { IssuedToken } from "../peers/authentik/controls.js";
import { applyBlueprint } from "../support/blueprint-api.js";
import { githubClaims, issuer } from "../support/oidc.js";
import { example, startFaultProxy, startPeers, type Peers } from "../support/peers.js";

const REPO = "acme/aws-access";
const CLIENT_ID = "authentik-aws-gitops-aws";
const AUDIENCE = CLIENT_ID; // the policy's audience by default, as the Action's
const PLAN_ACCOUNT = `${CLIENT_ID}-repo:${REPO}:pull_request`;
const APPLY_ACCOUNT = `${CLIENT_ID}-repo:${REPO}:environment:aws-apply`;

const github = issuer();
let peers: Peers;
let jwks: Server;
let config: string;

const jwt = (claims: Record<string, unknown>) => github.sign({ ...claims, aud: AUDIENCE });
const signIn = (token: string): NodeJS.ProcessEnv => ({ AUTHENTIK_TOKEN: "", AUTHENTIK_CLIENT_ID: CLIENT_ID, AUTHENTIK_JWT: token });
const issued = async (): Promise<IssuedToken[]> => peers.authentik.control.issuedTokens();

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  config = peers.writeConfig("aws-access.yaml", example("classic-iam.yaml"));
  // GitHub's keys, served here (the emulator fetches them when the source is created).
  jwks = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(github.jwks));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  const r = await peers.cli(["permissions", "-c", config, "--for", "apply", "--authentik-oidc", REPO, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  const { blueprint } = (JSON.parse(r.stdout) as PermissionsReport).authentik.oidc!;
  await applyBlueprint(peers.ak, blueprint, { [GITHUB_JWKS_URL]: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks` });
}, 600_000);

afterAll(async () => {
  await peers?.stopAfterChecks();
  await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
});

describe("the CLI signs in with a JWT (AUTHENTIK_CLIENT_ID, AUTHENTIK_JWT), no API token", () => {
  it("plans as the plan job's account, and prints neither the JWT nor an access token", async () => {
    const token = jwt(githubClaims(REPO, { pullRequest: true }));
    const r = await peers.cli(["plan", "-c", config], signIn(token));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("to create");
    const tokens = await issued();
    expect(tokens.at(-1)).toMatchObject({ username: PLAN_ACCOUNT, scope: expect.arrayContaining(["goauthentik.io/api"]) as unknown, method: "jwt" });
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(r.stdout + r.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\./);
  });

  it("the plan job's account cannot write: apply is refused with 403 and says whose account it is", async () => {
    const r = await peers.cli(["apply", "-c", config, "--auto-approve"], signIn(jwt(githubClaims(REPO, { pullRequest: true }))));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HTTP 403");
    expect(r.stderr).toContain(`authentik refused the access token of client id ${CLIENT_ID}: the service account authentik signs in for the subject repo:${REPO}:pull_request`);
    // Nothing of the configuration was written in authentik.
    await expect(peers.ak("GET", "/core/applications/aws/")).rejects.toThrow(/404/);
  });

  it("refuses a token of another repository, listing its claims and what to check", async () => {
    const r = await peers.cli(["plan", "-c", config], signIn(jwt(githubClaims("acme/other", { environment: "aws-apply" }))));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: authentik refused the JWT in AUTHENTIK_JWT for client id ${CLIENT_ID} \\(invalid_grant\\)`));
    expect(r.stderr).toContain("repository acme/other");
    expect(r.stderr).toContain("- the application's policy accepts the claims");
    expect(r.stdout).toBe("");
  });

  it("applies as the apply subject's account, renewing the access token when the apply outlasts it", async () => {
    // 1-second access tokens, and every authentik request 150 ms slower: the apply takes several seconds.
    const provider = (await peers.ak<{ results: { pk: number; name: string }[] }>("GET", "/providers/oauth2/?page_size=100")).results.find((p) => p.name === CLIENT_ID)!;
    await peers.ak("PATCH", `/providers/oauth2/${provider.pk}/`, { access_token_validity: "seconds=1" });
    const proxy = await startFaultProxy(peers.authentik.url);
    try {
      await proxy.control.addRule({ action: "delay", path: "^/api/v3/", delayMs: 150, times: 10_000 });
      const before = (await issued()).length;
      const token = jwt(githubClaims(REPO, { environment: "aws-apply" }));
      const started = Date.now();
      const r = await peers.cli(["apply", "-c", config, "--auto-approve"], { ...signIn(token), AUTHENTIK_URL: proxy.url });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const mine = (await issued()).slice(before);
      expect(mine.every((t) => t.username === APPLY_ACCOUNT)).toBe(true);
      // Renewed at 80% of each second: about one token per 0.8 s of the apply, and no request refused.
      expect(Date.now() - started).toBeGreaterThan(2_000);
      expect(mine.length).toBeGreaterThanOrEqual(3);
    } finally {
      await proxy.stop();
      await peers.ak("PATCH", `/providers/oauth2/${provider.pk}/`, { access_token_validity: "minutes=10" });
    }
    // Converged: the plan job's account now sees nothing to do.
    const again = await peers.cli(["plan", "-c", config, "--detailed-exitcode"], signIn(jwt(githubClaims(REPO, { pullRequest: true }))));
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
  });
});
