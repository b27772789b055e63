// The Action's risk output and fail-on-risk input, run as the runner runs the bundle.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitHubPeer } from "../peers/github/peer.js";
import { actionBench, REPO } from "../support/action.js";
import { example, type Peers } from "../support/peers.js";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"] });
const { act, openPull } = bench;
let peers: Peers;
let gh: GitHubPeer;

beforeAll(async () => {
  ({ peers, gh } = await bench.start());
  // The example grants AdministratorAccess (role admin) to aws-admins: a high risk on a fresh setup.
  peers.writeConfig("aws-access.yaml", example("classic-iam.yaml"));
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("the Action and risks", () => {
  it("outputs the highest risk, puts RISKS in the comment, and fails the check with fail-on-risk", async () => {
    const quiet = await act(await openPull(1));
    expect(quiet.code).toBe(0);
    expect(quiet.outputs.risk).toBe("high");
    const body = (await gh.control.comments(REPO, 1))[0]!.body;
    expect(body.indexOf("Risks")).toBeGreaterThan(0);
    expect(body.indexOf("Risks")).toBeLessThan(body.indexOf("Access changes"));

    const strict = await act(await openPull(2), { "fail-on-risk": "high" });
    expect(strict.code).not.toBe(0);
    expect(strict.outputs.risk).toBe("high");
    expect(strict.stdout + strict.stderr).toMatch(/high risk \(fail-on-risk: high\)/);
    // The comment is still posted: reviewers see why.
    expect((await gh.control.comments(REPO, 2))[0]!.body).toContain("admin-equivalent");
  });
});
