// The GitHub emulator's own command, run as a process the way end-to-end tests run it:
// it serves REST and GraphQL, and its controls answer over IPC.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubPeer, startGitHubPeer } from "./peer.js";

const REPO = "acme/aws-access";
let gh: GitHubPeer;

beforeAll(async () => {
  gh = await startGitHubPeer({ ghs_default: { login: "github-actions[bot]" }, ghs_app: { app: { slug: "aws-gitops" } } }, ["--repo", REPO]);
}, 60_000);

afterAll(async () => {
  await gh?.stop();
});

describe("the GitHub emulator as a process", () => {
  it("seeds, serves and reports through its controls", async () => {
    await gh.control.addPullRequest({ repo: REPO, number: 3, user: "alice", head: { ref: "x", sha: "1".repeat(40) } });
    const post = await fetch(`${gh.url}/repos/${REPO}/issues/3/comments`, {
      method: "POST",
      headers: { authorization: "Bearer ghs_app", "content-type": "application/json" },
      body: JSON.stringify({ body: "hello" }),
    });
    expect(post.status).toBe(201);
    const viewer = await fetch(`${gh.url}/graphql`, { method: "POST", headers: { authorization: "Bearer ghs_app" }, body: JSON.stringify({ query: "query { viewer { login } }" }) });
    expect(await viewer.json()).toEqual({ data: { viewer: { login: "aws-gitops[bot]" } } });
    const comments = await gh.control.comments(REPO, 3);
    expect(comments.map((c) => [c.user, c.body, c.viaApp])).toEqual([["aws-gitops[bot]", "hello", "aws-gitops"]]);

    const event = await gh.control.mergeGroupEvent({ repo: REPO, number: 3 });
    expect(event.env.GITHUB_EVENT_NAME).toBe("merge_group");
    expect(event.env.GITHUB_API_URL).toBe(gh.url);
    await expect(gh.control.pullRequestEvent({ repo: REPO, number: 99, action: "opened" })).rejects.toThrow(/acme\/aws-access#99 is not in the store/);

    expect((await gh.control.requests()).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`POST /repos/${REPO}/issues/3/comments 201`, "POST /graphql 200"]);
    expect(await gh.control.invalidRequests()).toEqual([]);
    expect(await gh.control.emulatorErrors()).toEqual([]);
  });
});
