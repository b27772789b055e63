/**
 * options.revokeSessions through the GitHub Action (issue 21, item 2): the pull request's
 * plan comment says whose live sessions the merge ends, and the apply on merge ends them —
 * a session bob signed in with before (authentik's SAML response, AssumeRoleWithSAML at the
 * AWS shim, which evaluates it as AWS does) is refused afterwards, while alice, who keeps
 * the role through another group, keeps hers. The bundled Action runs under Node 24 against
 * the peers, each in a process of its own, as in action.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import { actionBench } from "../support/action.js";
import { example, type Peers } from "../support/peers.js";
import { signInAs, tryAws } from "../support/sessions.js";

const ADMIN_PROD = "arn:aws:iam::111111111111:role/authentik/admin";
let peers: Peers;
const users: Record<string, number> = {};
let providerPk: number;
const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], inputs: { "require-reviewed-plan": "true" } });

/** engineers hold admin in prod too (alice is in both groups); sessions are ended. */
const base = example("classic-iam.yaml")
  .replace("  - group: engineers\n    roles: [readonly]", "  - group: engineers\n    roles: [readonly]\n  - group: engineers\n    roles: [admin]\n    accounts: [prod]")
  .replace("options:\n  prune: true", "options:\n  prune: true\n  revokeSessions: true");
/** aws-admins keep admin in dev only. */
const removed = base.replace("  - group: aws-admins\n    roles: [admin]", "  - group: aws-admins\n    roles: [admin]\n    accounts: [dev]");
const signIn = (user: string) => signInAs(peers.authentik, peers.awsEndpoint, { provider: providerPk, user: users[user]!, role: ADMIN_PROD });

beforeAll(async () => {
  ({ peers } = await bench.start());
  const groups = await peers.groupPks();
  for (const [username, memberOf] of [
    ["bob", ["aws-admins"]],
    ["alice", ["aws-admins", "engineers"]],
  ] as const) {
    users[username] = (await peers.ak<{ pk: number }>("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: memberOf.map((g) => groups[g]) })).pk;
  }
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("options.revokeSessions in the Action", () => {
  it("the plan comment says whose sessions end, and the apply on merge ends them", async () => {
    expect(removed).not.toBe(base);
    peers.writeConfig("aws-access.yaml", base);
    expect((await bench.act(await bench.openPull(70))).code).toBe(0);
    expect((await bench.act(await bench.merge(70, syntheticSha("merge-70")))).code).toBe(0);
    providerPk = (await peers.ak<{ results: { pk: number; name: string }[] }>("GET", "/providers/saml/?name=aws")).results.find((p) => p.name === "aws")!.pk;
    const bob = await signIn("bob");
    const alice = await signIn("alice");
    expect(await tryAws(bob, peers.awsEndpoint)).toEqual({ ok: true });

    peers.writeConfig("aws-access.yaml", removed);
    expect((await bench.act(await bench.openPull(71))).code).toBe(0);
    const [plan] = await bench.comments(71);
    expect(plan!.body).toContain("The live sessions of `bob` as role `admin` in prod (111111111111) will be ended (`options.revokeSessions`).");
    expect(plan!.body).not.toContain("sessions of alice");

    const r = await bench.act(await bench.merge(71, syntheticSha("merge-71")));
    expect(r.code, r.stdout).toBe(0);
    const refused = await tryAws(bob, peers.awsEndpoint);
    expect(refused).toMatchObject({ ok: false, code: "AccessDenied" });
    expect(await tryAws(alice, peers.awsEndpoint)).toEqual({ ok: true });
    const applied = (await bench.comments(71))[1]!.body;
    expect(applied).toContain("| `aws.iam.session_revocation[prod:/authentik/admin]` | create | ✅ done |");
  });
});
