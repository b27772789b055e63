/**
 * The bundled Action signing in to authentik with the job's GitHub identity (authentik-auth:
 * github-oidc), run by Node 24 as the runner runs it, against the GitHub emulator's OIDC token
 * service and the authentik emulator set up from the blueprint `permissions --authentik-oidc`
 * prints (created through the API, test/support/blueprint-api.ts). No authentik token is in any
 * run's inputs or environment. A pull request plans as the read-only account of its subject;
 * the push to main without the environment is that read-only side too and cannot write; in the
 * environment it applies, renewing its access token when the apply outlasts it; a token of
 * another repository or branch is refused with what to check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunnerEvent } from "../peers/github/events.js";
import { syntheticSha } from "../peers/github/events.js";
import type { PermissionsReport } from "../../src/permissions/model.js";
import { actionBench, oidcRunnerEnv, REPO, runAction, type ActionResult } from "../support/action.js";
import { applyBlueprint } from "../support/blueprint-api.js";
import { example, startFaultProxy } from "../support/peers.js";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], inputs: { "require-reviewed-plan": "true" } });
const CLIENT_ID = "authentik-aws-gitops-aws";
const account = (context: string, repo = REPO) => `${CLIENT_ID}-repo:${repo}:${context}`;

/**
 * Runs the Action for `event` as a job with `id-token: write` (and `environment`, for a
 * deployment job) signing in with GitHub OIDC: neither the authentik-token input nor
 * AUTHENTIK_TOKEN anywhere.
 */
async function actOidc(event: RunnerEvent, opts: { environment?: string; inputs?: Record<string, string>; env?: NodeJS.ProcessEnv } = {}): Promise<ActionResult & { subject: string | null }> {
  const job = await oidcRunnerEnv(bench.gh, event, { ...(opts.environment ? { environment: opts.environment } : {}), ...(opts.env ? { env: opts.env } : {}) });
  const { "authentik-token": _token, ...inputs } = bench.inputs({ "authentik-auth": "github-oidc", "authentik-client-id": CLIENT_ID, ...opts.inputs });
  const env: NodeJS.ProcessEnv = { ...bench.env(), ...job.env, ...opts.env };
  expect(Object.keys(env).filter((k) => /AUTHENTIK_TOKEN/i.test(k))).toEqual([]);
  const result = await runAction({ workspace: bench.peers.dir, event, inputs, env, apiUrl: bench.gh.url });
  return { ...result, subject: job.subject };
}

const issued = () => bench.peers.authentik.control.issuedTokens();
/** The values the Action masked (its ::add-mask:: lines). */
const masks = (r: ActionResult) => r.stdout.split("\n").filter((l) => l.startsWith("::add-mask::")).map((l) => l.slice("::add-mask::".length).replace(/\r$/, ""));
/** A JWT's jti, if the value is a JWT. */
const jtiOf = (value: string): unknown => {
  try {
    return (JSON.parse(Buffer.from(value.split(".")[1] ?? "", "base64url").toString()) as { jti?: unknown }).jti;
  } catch {
    return undefined;
  }
};
/** The log as shown (the runner consumes ::add-mask:: lines). */
const visible = (r: ActionResult) => r.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::")).join("\n");

beforeAll(async () => {
  const { peers, gh } = await bench.start();
  peers.writeConfig("aws-access.yaml", example("classic-iam.yaml"));
  const { issuer } = await gh.control.oidcIssuer();
  // The blueprint as a user prints it — for the GitHub emulator's issuer; the audience, the Action's and the policy's, is the client id by default.
  const r = await peers.cli(["permissions", "--for", "apply", "-c", "aws-access.yaml", "--format", "json", "--authentik-oidc", REPO, "--authentik-oidc-issuer", issuer]);
  expect(r.code, r.stderr).toBe(0);
  const oidc = (JSON.parse(r.stdout) as PermissionsReport).authentik.oidc!;
  expect(oidc.clientId).toBe(CLIENT_ID);
  await applyBlueprint(peers.ak, oidc.blueprint);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("the Action signs in to authentik with GitHub's OIDC token (authentik-auth: github-oidc)", () => {
  it("plans a pull request as the read-only account of its subject, masking GitHub's token and the access token", async () => {
    const before = (await issued()).length;
    const r = await actOidc(await bench.openPull(7));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.subject).toBe(`repo:${REPO}:pull_request`);
    expect(r.outputs["has-changes"]).toBe("true");
    const comments = await bench.comments(7);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("26 to create");
    const mine = (await issued()).slice(before);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.every((t) => t.username === account("pull_request") && t.scope.includes("goauthentik.io/api"))).toBe(true);
    // Every access token authentik issued to this run, and each GitHub token it exchanged, is masked
    // (the runner hides them everywhere), and nothing shows a JWT.
    const masked = new Set(masks(r));
    expect(mine.map((t) => t.token).filter((t) => !masked.has(t))).toEqual([]);
    const maskedJtis = new Set([...masked].map(jtiOf));
    const exchanged = (await bench.gh.control.idTokens()).slice(-mine.length);
    expect(exchanged.map((t) => t.claims.jti).filter((jti) => !maskedJtis.has(jti as string))).toEqual([]);
    expect(visible(r) + r.summary + comments[0]!.body).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\./);
    for (const secret of masked) expect(visible(r) + r.summary + comments[0]!.body).not.toContain(secret);
  });

  it("on merge_group it validates offline and says so: a queued merge's subject has no account, so it signs in to nothing and asks GitHub for no token", async () => {
    const [tokensBefore, idsBefore] = [(await issued()).length, (await bench.gh.control.idTokens()).length];
    const r = await actOidc(await bench.gh.control.mergeGroupEvent({ repo: REPO, number: 7 }));
    expect(r.stderr).toBe("");
    expect(r.code, visible(r)).toBe(0);
    expect(visible(r)).toContain("::notice title=authentik-aws-gitops%3A plan skipped for the merge queue::");
    expect(visible(r)).toContain("The configuration was validated offline and is valid.");
    expect(r.outputs["has-changes"]).toBe("false");
    expect((await issued()).length).toBe(tokensBefore);
    expect((await bench.gh.control.idTokens()).length).toBe(idsBefore);
    expect(await bench.comments(7)).toHaveLength(1);
  });

  it("on merge, a job outside the environment is the read-only side: its apply is refused by authentik (403) and says whose account it is", async () => {
    const merged = await bench.merge(7);
    const r = await actOidc(merged);
    expect(r.subject).toBe(`repo:${REPO}:ref:refs/heads/main`);
    expect(r.code).toBe(1);
    expect(visible(r)).toContain("HTTP 403");
    expect(visible(r)).toContain(`the service account authentik signs in for the subject repo:${REPO}:ref:refs/heads/main`);
    expect(visible(r)).toContain("a plan job's subject may only read");
    // Nothing of the configuration was written.
    await expect(bench.peers.ak("GET", "/core/applications/aws/")).rejects.toThrow(/404/);
    expect((await issued()).at(-1)!.username).toBe(account("ref:refs/heads/main"));
  });

  it("in the environment aws-apply it applies the reviewed plan, renewing its access token when the apply outlasts it", async () => {
    // 1-second access tokens, and every authentik request 150 ms slower: the apply takes seconds.
    const provider = (await bench.peers.ak<{ results: { pk: number; name: string }[] }>("GET", "/providers/oauth2/?page_size=100")).results.find((p) => p.name === CLIENT_ID)!;
    await bench.peers.ak("PATCH", `/providers/oauth2/${provider.pk}/`, { access_token_validity: "seconds=1" });
    const proxy = await startFaultProxy(bench.peers.authentik.url);
    try {
      await proxy.control.addRule({ action: "delay", path: "^/api/v3/", delayMs: 150, times: 10_000 });
      const before = (await issued()).length;
      // The same merge, run again (attempt 2) in the environment; authentik through the proxy (another authentik-url), the audience still the client id.
      const event = await bench.gh.control.pushEvent({ repo: REPO, before: syntheticSha("before-7"), mergedPull: 7 });
      const r = await actOidc(event, {
        environment: "aws-apply",
        inputs: { "authentik-url": proxy.url },
        env: { GITHUB_RUN_ATTEMPT: "2" },
      });
      expect(r.stderr).toBe("");
      expect(r.code, visible(r)).toBe(0);
      expect(r.subject).toBe(`repo:${REPO}:environment:aws-apply`);
      const mine = (await issued()).slice(before);
      expect(mine.every((t) => t.username === account("environment:aws-apply"))).toBe(true);
      expect(mine.length).toBeGreaterThanOrEqual(3);
      // A fresh GitHub token for each exchange.
      const ids = await bench.gh.control.idTokens();
      expect(new Set(ids.slice(-mine.length).map((t) => t.claims.jti)).size).toBe(mine.length);
      const comments = await bench.comments(7);
      expect(comments.at(-1)!.body).toContain("applied");
      // The verify after the apply signed in the same way (no AUTHENTIK_TOKEN to look for).
      expect(visible(r)).not.toContain("verify could not run");
      expect(comments.at(-1)!.body).toMatch(/\*\*Sign-ins verified/);
    } finally {
      await proxy.stop();
      await bench.peers.ak("PATCH", `/providers/oauth2/${provider.pk}/`, { access_token_validity: "minutes=10" });
    }
    expect((await bench.peers.ak("GET", "/core/applications/aws/")).slug).toBe("aws");
  });

  it("refuses a token of another repository, and of the environment on another branch, saying what to check", async () => {
    await bench.gh.control.addRepo({ owner: "acme", name: "other", ownerType: "Organization" });
    await bench.gh.control.addPullRequest({ repo: "acme/other", number: 3, user: "alice", head: { ref: "change-3", sha: syntheticSha("other-3") } });
    const other = await actOidc(await bench.gh.control.pullRequestEvent({ repo: "acme/other", number: 3, action: "opened" }));
    expect(other.code).toBe(1);
    expect(visible(other)).toContain(`authentik refused GitHub's OIDC token (audience ${CLIENT_ID}) for client id ${CLIENT_ID} (invalid_grant)`);
    expect(visible(other)).toContain("repository acme/other");
    expect(visible(other)).toContain("- the application's policy accepts the claims");
    // The failed plan replaced the comment's plan with the error, on that pull request.
    expect((await bench.gh.control.comments("acme/other", 3)).at(-1)!.body).toContain("invalid_grant");

    const branch = await bench.gh.control.pushEvent({ repo: REPO, before: syntheticSha("f0"), after: syntheticSha("f1"), ref: "refs/heads/feature" });
    const r = await actOidc(branch, { environment: "aws-apply" });
    expect(r.subject).toBe(`repo:${REPO}:environment:aws-apply`);
    expect(r.code).toBe(1);
    expect(visible(r)).toContain("ref refs/heads/feature, environment aws-apply");
    expect(visible(r)).toContain("(invalid_grant)");
  });

  it("says a job needs id-token: write when GitHub gives it no token", async () => {
    const { "authentik-token": _t, ...inputs } = bench.inputs({ "authentik-auth": "github-oidc", "authentik-client-id": CLIENT_ID });
    const r = await runAction({ workspace: bench.peers.dir, event: await bench.openPull(8), inputs, env: bench.env(), apiUrl: bench.gh.url });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("::error::authentik-auth: github-oidc needs GitHub's OIDC token, and this job cannot request one (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set): give the job `permissions: id-token: write`");
  });
});
