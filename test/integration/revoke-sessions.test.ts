// options.revokeSessions end to end (issue 21, item 2): people sign in to AWS the way they
// do for real — authentik's SAML response (the emulator evaluates the provider's property
// mappings the tool wrote) exchanged at STS AssumeRoleWithSAML — and the AWS shim evaluates
// each later request of their session against the role's policies as AWS documents it
// (test/peers/aws-sessions.ts). The shipped CLI plans and applies in a child process.
//
// First, today's behaviour without the option: the removal a reviewer approved leaves the
// session already issued working. Then with it: the plan names whose sessions end, apply
// ends exactly those (a person who keeps the role through another group keeps theirs), a
// new session of someone still entitled works, the next plan is clean, and once the
// sessions have all run out the entry goes as an expired removal.
import { GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { example, startFaultProxy, startPeers, type Peers } from "../support/peers.js";
import { signInAs, tryAws } from "../support/sessions.js";

const PROD = "111111111111";
const POLICY = "authentik-aws-gitops-ended-sessions";
const ADMIN_PROD = `arn:aws:iam::${PROD}:role/authentik/admin`;

let peers: Peers;
let config: string;
const users: Record<string, number> = {};
let providerPk: number;

/** The example, with engineers holding admin in prod too (alice is in both groups). */
const base = example("classic-iam.yaml").replace("  - group: engineers\n    roles: [readonly]", "  - group: engineers\n    roles: [readonly]\n  - group: engineers\n    roles: [admin]\n    accounts: [prod]");
/** aws-admins keep admin in dev only: bob loses admin in prod, alice keeps it through engineers. */
const removed = (text: string) => text.replace("  - group: aws-admins\n    roles: [admin]", "  - group: aws-admins\n    roles: [admin]\n    accounts: [dev]");
const revoking = (text: string) => text.replace("options:\n  prune: true", "options:\n  prune: true\n  revokeSessions: true");

async function apply(extra: string[] = []) {
  const r = await peers.cli(["apply", "-c", config, "--auto-approve", ...extra]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}
async function planJson(): Promise<Plan> {
  const r = await peers.cli(["plan", "-c", config, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Plan;
}
const signIn = (user: string) => signInAs(peers.authentik, peers.awsEndpoint, { provider: providerPk, user: users[user]!, role: ADMIN_PROD });

beforeAll(async () => {
  expect(base).not.toBe(example("classic-iam.yaml"));
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  const groups = await peers.groupPks();
  for (const [username, memberOf] of [
    ["bob", ["aws-admins"]],
    ["alice", ["aws-admins", "engineers"]],
    ["carol", ["engineers"]],
  ] as const) {
    const u = await peers.ak<{ pk: number }>("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: memberOf.map((g) => groups[g]) });
    users[username] = u.pk;
  }
});

afterAll(() => peers.stopAfterChecks());

describe("without options.revokeSessions (today's behaviour)", () => {
  it("a session issued before the removal outlives it: the approved removal does not take effect", async () => {
    config = peers.writeConfig("aws-access.yaml", base);
    await apply();
    const { results } = await peers.ak<{ results: { pk: number; name: string }[] }>("GET", "/providers/saml/?name=aws");
    providerPk = results.find((p) => p.name === "aws")!.pk;
    const bob = await signIn("bob");
    expect(await tryAws(bob, peers.awsEndpoint)).toEqual({ ok: true });

    config = peers.writeConfig("aws-access.yaml", removed(base));
    await apply();
    // authentik no longer offers bob the role…
    await expect(signIn("bob")).rejects.toThrow(/does not offer/);
    // …but the credentials AWS already issued still work.
    expect(await tryAws(bob, peers.awsEndpoint)).toEqual({ ok: true });
    // Back to where the next test starts.
    config = peers.writeConfig("aws-access.yaml", base);
    await apply();
  });
});

describe("with options.revokeSessions", () => {
  it("the plan names whose sessions end; apply ends exactly those; a new session of someone entitled works; the next plan is clean", async () => {
    config = peers.writeConfig("aws-access.yaml", revoking(base));
    // Turning the option on changes nothing by itself.
    expect((await planJson()).changes).toEqual([]);
    const bob = await signIn("bob");
    const alice = await signIn("alice");
    const carol = await signIn("carol");
    for (const s of [bob, alice, carol]) expect(await tryAws(s, peers.awsEndpoint)).toEqual({ ok: true });

    config = peers.writeConfig("aws-access.yaml", revoking(removed(base)));
    const plan = await planJson();
    // alice keeps admin in prod through engineers: only bob's sessions end.
    expect(plan.sessionsEnded).toEqual([{ person: "bob", session: "bob@example.com", grant: "admin", account: "prod", accountId: PROD }]);
    expect(plan.changes.map((c) => `${c.action} ${c.address}`)).toEqual([
      "delete authentik.policy_binding[aws/admin@prod→group:aws-admins]",
      "create aws.iam.session_revocation[prod:/authentik/admin]",
    ]);
    const text = await peers.cli(["plan", "-c", config, "--no-color"]);
    expect(text.stdout).toContain('x the live sessions of "bob" as role "admin" in prod (111111111111) will be ended (options.revokeSessions)');

    const applied = await apply();
    expect(applied.stdout).toContain("aws.iam.session_revocation[prod:/authentik/admin]");
    // bob's session, issued before: refused by the role's policy, explicitly.
    const refused = await tryAws(bob, peers.awsEndpoint);
    expect(refused).toMatchObject({ ok: false, code: "AccessDenied" });
    expect((refused as { message: string }).message).toContain("with an explicit deny in an identity-based policy");
    // alice and carol keep theirs; a new session of someone still entitled works.
    expect(await tryAws(alice, peers.awsEndpoint)).toEqual({ ok: true });
    expect(await tryAws(carol, peers.awsEndpoint)).toEqual({ ok: true });
    expect(await tryAws(await signIn("alice"), peers.awsEndpoint)).toEqual({ ok: true });
    await expect(signIn("bob")).rejects.toThrow(/does not offer/);

    // What apply wrote: bob's session name under the role's id, issued before the apply (+15 minutes: a SAML response still valid, the rest of the apply).
    const iam = new IAMClient(peers.aws(PROD));
    const doc = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: "admin", PolicyName: POLICY }))).PolicyDocument!));
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0].Condition.StringEquals["aws:userid"]).toEqual([bob.assumedRoleId]);
    const instant = Date.parse(doc.Statement[0].Condition.DateLessThan["aws:TokenIssueTime"]);
    expect(instant).toBeGreaterThan(Date.now() + 13 * 60_000);
    expect(instant).toBeLessThan(Date.now() + 16 * 60_000);

    // Converged: the next plan is clean, and verify finds every remaining sign-in working.
    expect((await planJson()).changes).toEqual([]);
    const verify = await peers.cli(["verify", "-c", config]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it("when AWS refuses the Deny, the access is not removed either: the next plan shows both, and the next apply does both", async () => {
    // Back to bob holding admin in prod, with a fresh session.
    config = peers.writeConfig("aws-access.yaml", revoking(base));
    await apply();
    const iam = new IAMClient(peers.aws(PROD));
    const instantOf = async () => {
      const doc = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: "admin", PolicyName: POLICY }))).PolicyDocument!));
      return Date.parse(doc.Statement[0].Condition.DateLessThan["aws:TokenIssueTime"]);
    };
    const earlier = await instantOf(); // the previous test's entry for bob, still in force
    config = peers.writeConfig("aws-access.yaml", revoking(removed(base)));
    const proxy = await startFaultProxy(peers.awsEndpoint);
    try {
      await proxy.control.addRule({ action: "answer", method: "POST", body: `Action=PutRolePolicy(?=.*PolicyName=${POLICY})`, status: 403, errorType: "AccessDenied" });
      const failed = await peers.cli(["apply", "-c", config, "--auto-approve"], { AWS_ENDPOINT_URL: proxy.url });
      expect(await proxy.control.pendingRules()).toEqual([]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("aws.iam.session_revocation[prod:/authentik/admin]");
    } finally {
      await proxy.stop();
    }
    // The binding that gives bob admin in prod is still there: nothing was taken away without ending his sessions.
    expect((await planJson()).changes.map((c) => `${c.action} ${c.address}`)).toEqual([
      "delete authentik.policy_binding[aws/admin@prod→group:aws-admins]",
      expect.stringMatching(/^(create|update) aws\.iam\.session_revocation\[prod:\/authentik\/admin\]$/),
    ]);
    await apply();
    // bob's entry now reaches past this removal.
    expect(await instantOf()).toBeGreaterThan(earlier);
    expect((await planJson()).changes).toEqual([]);
  });

  it("an entry whose sessions have all run out goes as an expired removal, which apply --only-expired applies", async () => {
    // As if the apply above had been 13 hours ago: admin's longest session (4 h) has run out since.
    const iam = new IAMClient(peers.aws(PROD));
    const roleId = (await signIn("alice")).assumedRoleId.split(":")[0]!;
    const past = new Date(Date.now() - 13 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "admin",
        PolicyName: POLICY,
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "Old", Effect: "Deny", Action: "*", Resource: "*", Condition: { StringEquals: { "aws:userid": [`${roleId}:bob@example.com`] }, DateLessThan: { "aws:TokenIssueTime": past } } }],
        }),
      }),
    );
    const plan = await planJson();
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ action: "delete", address: "aws.iam.session_revocation[prod:/authentik/admin]", expired: { field: "options.revokeSessions" } });
    expect(plan.changes[0]!.reason).toContain("have all run out");
    await apply(["--only-expired"]);
    await expect(iam.send(new GetRolePolicyCommand({ RoleName: "admin", PolicyName: POLICY }))).rejects.toThrow();
    expect((await planJson()).changes).toEqual([]);
  });
});
