// The event builders produce payloads that GitHub's webhook description
// accepts, consistent with what the REST emulator serves for the same store.
import { describe, expect, it } from "vitest";
import { mergeGroupEvent, pullRequestEvent, pushEvent, scheduleEvent, validateEventPayload } from "./events.js";
import { GitHubStore } from "./store.js";

const REPO = "acme/aws-access";

function seeded(): GitHubStore {
  const store = new GitHubStore(() => new Date("2026-03-01T12:00:00Z"));
  store.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
  store.addPullRequest({ repo: REPO, number: 7, title: "Give data-eng read-only in prod", user: "alice", head: { ref: "data-eng-ro", sha: "1".repeat(40) } });
  store.addPullRequest({ repo: REPO, number: 8, title: "From a fork", user: "mallory", head: { repo: "mallory/aws-access", ref: "patch-1", sha: "3".repeat(40) } });
  return store;
}

describe("event payloads", () => {
  it("pull_request opened / synchronize validate against the webhook schema", () => {
    const store = seeded();
    for (const action of ["opened", "synchronize", "reopened"] as const) {
      const event = pullRequestEvent({ store, repo: REPO, number: 7, action, before: "9".repeat(40) });
      expect(validateEventPayload(event)).toEqual([]);
      expect(event.payload).toMatchObject({ action, number: 7, repository: { full_name: REPO }, organization: { login: "acme" }, sender: { login: "alice" } });
    }
    const sync = pullRequestEvent({ store, repo: REPO, number: 7, action: "synchronize", before: "9".repeat(40) });
    expect(sync.payload).toMatchObject({ before: "9".repeat(40), after: "1".repeat(40) });
    expect(sync.env).toMatchObject({ GITHUB_EVENT_NAME: "pull_request", GITHUB_REF: "refs/pull/7/merge", GITHUB_HEAD_REF: "data-eng-ro", GITHUB_BASE_REF: "main" });
  });

  it("a fork pull request shows the fork as head.repo", () => {
    const event = pullRequestEvent({ store: seeded(), repo: REPO, number: 8, action: "opened" });
    expect(validateEventPayload(event)).toEqual([]);
    const pr = event.payload.pull_request as any;
    expect(pr.head.repo).toMatchObject({ full_name: "mallory/aws-access", fork: true });
    expect(pr.base.repo).toMatchObject({ full_name: REPO, fork: false });
    expect(pr.head.repo.full_name).not.toBe((event.payload.repository as any).full_name);
  });

  it("push to main after a merge has after = merge commit sha", () => {
    const store = seeded();
    store.mergePullRequest(REPO, 7, { mergeCommitSha: "2".repeat(40), mergedBy: "bob" });
    const event = pushEvent({ store, repo: REPO, before: "0123456789".repeat(4), mergedPull: 7 });
    expect(validateEventPayload(event)).toEqual([]);
    expect(event.payload).toMatchObject({
      ref: "refs/heads/main",
      after: "2".repeat(40),
      head_commit: { id: "2".repeat(40), message: "Merge pull request #7 from acme/data-eng-ro\n\nGive data-eng read-only in prod", committer: { username: "web-flow" } },
      pusher: { name: "bob" },
    });
    expect(event.env).toMatchObject({ GITHUB_EVENT_NAME: "push", GITHUB_SHA: "2".repeat(40), GITHUB_REF: "refs/heads/main", GITHUB_REF_NAME: "main" });
    expect(store.pullsForCommit(REPO, "2".repeat(40))!.map((p) => p.number)).toEqual([7]);
  });

  it("a push without a pull request makes its commit known, with no pulls", () => {
    const store = seeded();
    const event = pushEvent({ store, repo: REPO, before: "0".repeat(40), commits: [{ id: "4".repeat(40), message: "direct push" }] });
    expect(validateEventPayload(event)).toEqual([]);
    expect(store.pullsForCommit(REPO, "4".repeat(40))).toEqual([]);
  });

  it("merge_group checks_requested names the queued merge's head and base, and its commit becomes known", () => {
    const store = seeded();
    const event = mergeGroupEvent({ store, repo: REPO, number: 7, baseSha: "6".repeat(40), headSha: "7".repeat(40) });
    expect(validateEventPayload(event)).toEqual([]);
    expect(event.payload).toMatchObject({
      action: "checks_requested",
      merge_group: {
        head_sha: "7".repeat(40),
        head_ref: `refs/heads/gh-readonly-queue/main/pr-7-${"6".repeat(40)}`,
        base_sha: "6".repeat(40),
        base_ref: "refs/heads/main",
        head_commit: { id: "7".repeat(40), message: "Merge pull request #7 from acme/data-eng-ro\n\nGive data-eng read-only in prod" },
      },
      repository: { full_name: REPO },
      sender: { login: "alice" },
    });
    expect(event.env).toMatchObject({
      GITHUB_EVENT_NAME: "merge_group",
      GITHUB_SHA: "7".repeat(40),
      GITHUB_REF: `refs/heads/gh-readonly-queue/main/pr-7-${"6".repeat(40)}`,
      GITHUB_REF_NAME: `gh-readonly-queue/main/pr-7-${"6".repeat(40)}`,
    });
    // Known, without pull requests until the queue merges the pull request as that commit.
    expect(store.pullsForCommit(REPO, "7".repeat(40))).toEqual([]);
    store.mergePullRequest(REPO, 7, { mergeCommitSha: "7".repeat(40) });
    expect(store.pullsForCommit(REPO, "7".repeat(40))!.map((p) => p.number)).toEqual([7]);
    expect(() => mergeGroupEvent({ store, repo: REPO, number: 7 })).toThrow(/merged/);
  });

  it("schedule carries the cron string and the repository", () => {
    const event = scheduleEvent({ store: seeded(), repo: REPO, cron: "17 3 * * *", sha: "5".repeat(40) });
    expect(validateEventPayload(event)).toEqual([]);
    expect(event.payload).toMatchObject({ schedule: "17 3 * * *", repository: { full_name: REPO } });
    expect(event.payload).not.toHaveProperty("sender");
    expect(event.env).toMatchObject({ GITHUB_EVENT_NAME: "schedule", GITHUB_SHA: "5".repeat(40), GITHUB_REF: "refs/heads/main" });
  });

  it("the validator catches a payload that is not a webhook payload", () => {
    const event = pullRequestEvent({ store: seeded(), repo: REPO, number: 7, action: "opened" });
    const { sender: _sender, ...noSender } = event.payload;
    expect(validateEventPayload({ name: "pull_request", payload: noSender })).toEqual(["(root) must have required property 'sender'"]);
    expect(validateEventPayload({ name: "pull_request", payload: { ...event.payload, number: "7" } })).not.toEqual([]);
  });
});
