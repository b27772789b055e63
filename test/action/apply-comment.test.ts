/**
 * Apply on merge posts a new comment on the merged pull request (a new comment notifies;
 * an edit does not): what was applied, each change's result, the verification, the run —
 * and the plan comment's status line points to it. A re-run of the job updates that
 * comment instead of posting another. The bundled Action runs under Node 24 against the
 * peers, each in a process of its own, as in action.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import { actionBench, GITHUB_ACTIONS_BOT as BOT, REPO } from "../support/action.js";
import { example, startFaultProxy, TOKEN, type Peers } from "../support/peers.js";

const RUN_URL = `https://github.com/${REPO}/actions/runs/4242`;
const applyMarker = (commit: string) => `<!-- authentik-aws-gitops:apply config=aws-access.yaml commit=${commit} -->`;
const commentUrl = (pull: number, id: number) => `https://github.com/${REPO}/pull/${pull}#issuecomment-${id}`;

let peers: Peers;
const baseConfig = example("classic-iam.yaml");
const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], inputs: { "require-reviewed-plan": "true" } });

beforeAll(async () => {
  ({ peers } = await bench.start());
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("the apply comment", () => {
  const merge = syntheticSha("merge-60");

  it("is posted as a new comment on the merged pull request: title, commit and run, counts, each change, the verification, the plan comment", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    expect((await bench.act(await bench.openPull(60))).code).toBe(0);
    const r = await bench.act(await bench.merge(60, merge));
    expect(r.code, r.stdout).toBe(0);

    const comments = await bench.comments(60);
    expect(comments).toHaveLength(2);
    const [plan, applied] = comments as [(typeof comments)[0], (typeof comments)[0]];
    expect(applied.login).toBe(BOT);
    const body = applied.body;
    expect(body.split("\n")[0]).toBe(applyMarker(merge));
    expect(body.split("\n")[1]).toBe("### ✅ authentik-aws-gitops applied `aws-access.yaml`");
    expect(body).toContain(`Commit \`${merge.slice(0, 7)}\` · [run 4242](${RUN_URL}) · the reviewed plan: [plan comment](${commentUrl(60, plan.id)})`);
    expect(body).toMatch(/\*\*26 of 26 changes applied\*\*: 26 created\./);
    expect(body).toContain("**Verified**: authentik and AWS were read again after the apply and match the configuration.");
    expect(body).toContain("| Change | Action | Result |");
    expect(body).toContain("| `aws.iam.role[prod:/authentik/admin]` | create | ✅ done |");
    expect(body.match(/\| ✅ done \|/g)).toHaveLength(26);
    expect(body).not.toContain(TOKEN);
    expect([...body].length).toBeLessThanOrEqual(65_536);

    // The plan comment's status line says applied and links to the apply comment.
    expect(plan.body).toContain("✅ **Applied**");
    expect(plan.body).toContain(`[apply results](${commentUrl(60, applied.id)})`);
    expect(plan.body).toContain(RUN_URL);
  });

  it("a re-run of the same apply job posts no second comment, and the status still points to the first", async () => {
    const before = await bench.comments(60);
    // The same push, run again (GitHub's "Re-run jobs"): the same commit, the same run id.
    const again = await bench.gh.control.pushEvent({ repo: REPO, before: syntheticSha("before-60"), mergedPull: 60 });
    expect(again.env.GITHUB_SHA).toBe(merge);
    const r = await bench.act(again, {}, { GITHUB_RUN_ATTEMPT: "2" });
    expect(r.code, r.stdout).toBe(0);
    const after = await bench.comments(60);
    expect(after).toHaveLength(2);
    expect(after[1]!.id).toBe(before[1]!.id);
    expect(after[1]!.body).toBe(before[1]!.body);
    expect(after[0]!.body).toContain(`[apply results](${commentUrl(60, before[1]!.id)})`);
    expect(r.summary).toContain("Nothing left to apply");
  });

  it("a failed apply posts what was written and what failed, with the error; the re-run that finishes it updates the same comment", async () => {
    const config = baseConfig.replace(
      "mappings:\n",
      '  audit-reader:\n    accounts: "*"\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\nmappings:\n  - { group: engineers, roles: [audit-reader] }\n',
    );
    peers.writeConfig("aws-access.yaml", config);
    expect((await bench.act(await bench.openPull(61))).code).toBe(0);
    const event = await bench.merge(61, syntheticSha("merge-61"));
    // AWS refuses one write, through a proxy in front of moto.
    const proxy = await startFaultProxy(peers.moto.endpoint);
    let failed;
    try {
      await proxy.control.addRule({ action: "answer", method: "POST", body: "Action=AttachRolePolicy(?=.*RoleName=audit-reader)", status: 400, errorType: "NoSuchEntity" });
      failed = await bench.act(event, {}, { AWS_ENDPOINT_URL: proxy.url });
      expect(await proxy.control.pendingRules()).toEqual([]);
    } finally {
      await proxy.stop();
    }
    expect(failed.code).not.toBe(0);

    const comments = await bench.comments(61);
    expect(comments).toHaveLength(2);
    const [plan, apply] = comments as [(typeof comments)[0], (typeof comments)[0]];
    const body = apply.body;
    expect(body.split("\n")[0]).toBe(applyMarker(syntheticSha("merge-61")));
    expect(body.split("\n")[1]).toMatch(/^### ❌ authentik-aws-gitops apply of `aws-access\.yaml` failed part-way$/);
    expect(body).toMatch(/\*\*\d+ of \d+ changes applied\*\*: \d+ created; 1 failed(, \d+ not attempted)?\./);
    expect(body).toMatch(/\| `aws\.iam\.role\[(prod|dev):\/authentik\/audit-reader\]` \| create \| ❌ failed: .*NoSuchEntity.* \|/);
    expect(body).toMatch(/\| ✅ done \|/);
    expect(body).toContain("**Not verified**: the apply stopped at a failure, so nothing was read again");
    // Failures come before what was done.
    expect(body.indexOf("❌ failed")).toBeLessThan(body.indexOf("✅ done"));
    expect(body).not.toContain(TOKEN);
    expect(plan.body).toContain("❌ **Apply failed**");
    expect(plan.body).toContain(`[what was written and what failed](${commentUrl(61, apply.id)})`);

    // Re-run as it was: what is left differs from the reviewed plan, so it is refused; the apply comment stays, and the status links it.
    const refused = await bench.act(event, {}, { GITHUB_RUN_ATTEMPT: "2" });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain("plan-changed");
    const kept = await bench.comments(61);
    expect(kept).toHaveLength(2);
    expect(kept[1]!.body).toBe(body);
    expect(kept[0]!.body).toContain("**Plan changed**");
    expect(kept[0]!.body).toContain(`An earlier attempt of this job: [apply results](${commentUrl(61, apply.id)}).`);

    // The job run again once AWS answers (what is left differs from the reviewed plan, so only without require-reviewed-plan).
    const rerun = await bench.act(event, { "require-reviewed-plan": "false" }, { GITHUB_RUN_ATTEMPT: "3" });
    expect(rerun.code, rerun.stdout).toBe(0);
    const after = await bench.comments(61);
    expect(after).toHaveLength(2);
    expect(after[1]!.id).toBe(apply.id);
    expect(after[1]!.body.split("\n")[1]).toBe("### ✅ authentik-aws-gitops applied `aws-access.yaml`");
    expect(after[1]!.body).toContain(`[run 4242, attempt 3](${RUN_URL})`);
    expect(after[1]!.body).toContain("**Verified**");
    expect(after[0]!.body).toContain(`[apply results](${commentUrl(61, apply.id)})`);
  });
});
