// The Action's risk output and fail-on-risk input, run as the runner runs the bundle.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { example, startPeers, TOKEN, type Peers } from "../integration/harness.js";
import { type RunnerEvent, syntheticSha } from "../peers/github/events.js";
import { type GitHubPeer, startGitHubPeer } from "../peers/github/peer.js";
import { node24Binary, runAction } from "./runner.js";

const REPO = "acme/aws-access";
let peers: Peers;
let gh: GitHubPeer;

function awsEnv(): NodeJS.ProcessEnv {
  const { AUTHENTIK_TOKEN: _t, AUTHENTIK_URL: _u, ...aws } = peers.env;
  return aws;
}
async function openPull(number: number): Promise<RunnerEvent> {
  await gh.control.addPullRequest({ repo: REPO, number, user: "alice", head: { ref: `change-${number}`, sha: syntheticSha(`head-${number}`) } });
  return gh.control.pullRequestEvent({ repo: REPO, number, action: "opened" });
}
const act = (event: RunnerEvent, extra: Record<string, string> = {}) =>
  runAction({
    workspace: peers.dir,
    event,
    inputs: { config: "aws-access.yaml", mode: "auto", "github-token": "ghs_default", "authentik-url": peers.authentik.url, "authentik-token": TOKEN, ...extra },
    env: awsEnv(),
    apiUrl: gh.url,
  });

beforeAll(async () => {
  node24Binary();
  [peers, gh] = await Promise.all([startPeers(["aws-admins", "engineers", "data-eng"]), startGitHubPeer({ ghs_default: { login: "github-actions[bot]", type: "Bot" } })]);
  await gh.control.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
  // The example grants AdministratorAccess (role admin) to aws-admins: a high risk on a fresh setup.
  peers.writeConfig("aws-access.yaml", example("classic-iam.yaml"));
}, 600_000);

afterAll(async () => {
  await Promise.all([gh?.stop(), peers?.stop()]);
});

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
