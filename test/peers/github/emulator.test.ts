// Behaviour tests for the GitHub REST emulator: the GitHub facts the Action
// relies on (DESIGN.md) hold here, and every response the emulator sends passes
// its own validation against GitHub's description (emulatorErrors stays empty).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { COMMENT_BODY_LIMIT } from "./routes.js";
import { type GitHubEmulator, startGitHubEmulator } from "./server.js";

const ACTIONS_TOKEN = "ghs_actions";
const FORK_TOKEN = "ghs_fork_readonly";
const PAT = "ghp_alice";
const APP_TOKEN = "ghs_app_installation";
const REPO = "acme/aws-access";
const HEAD_SHA = "1111111111111111111111111111111111111111";
const MERGE_SHA = "2222222222222222222222222222222222222222";

let emu: GitHubEmulator;

interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

async function api<T = any>(method: string, pathOrUrl: string, body?: unknown, opts: { token?: string | null; raw?: string; scheme?: string } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" };
  const token = opts.token === undefined ? ACTIONS_TOKEN : opts.token;
  if (token !== null) headers.authorization = `${opts.scheme ?? "Bearer"} ${token}`;
  const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers["content-type"] = "application/json; charset=utf-8";
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${emu.url}${pathOrUrl}`;
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

function nextLink(headers: Headers): string | undefined {
  return /<([^>]+)>;\s*rel="next"/.exec(headers.get("link") ?? "")?.[1];
}

beforeAll(async () => {
  emu = await startGitHubEmulator({
    tokens: {
      [ACTIONS_TOKEN]: { login: "github-actions[bot]", type: "Bot" },
      [FORK_TOKEN]: { login: "github-actions[bot]", type: "Bot", readOnly: true },
      [PAT]: { login: "alice" },
      [APP_TOKEN]: { app: { slug: "aws-gitops", id: 987654, name: "AWS GitOps", owner: "acme" } },
    },
  });
  emu.store.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
  emu.store.addPullRequest({ repo: REPO, number: 7, title: "Give data-eng read-only in prod", user: "alice", head: { ref: "data-eng-ro", sha: HEAD_SHA } });
  emu.store.addPullRequest({ repo: REPO, number: 8, title: "From a fork", user: "mallory", head: { repo: "mallory/aws-access", ref: "patch-1", sha: "3".repeat(40) } });
});

afterEach(() => {
  const errors = emu.emulatorErrors.splice(0);
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await emu?.stop();
});

describe("authentication", () => {
  it("rejects an unknown token with 401 Bad credentials", async () => {
    const r = await api("GET", `/repos/${REPO}/pulls/7`, undefined, { token: "nope" });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
  });

  it("accepts `token <t>` as well as `Bearer <t>`", async () => {
    expect((await api("GET", `/repos/${REPO}/pulls/7`, undefined, { scheme: "token" })).status).toBe(200);
    expect((await api("GET", `/repos/${REPO}/pulls/7`, undefined, { scheme: "Bearer" })).status).toBe(200);
  });

  it("anonymous requests may read public repositories only", async () => {
    expect((await api("GET", `/repos/${REPO}/pulls/7`, undefined, { token: null })).status).toBe(200);
    expect((await api("POST", `/repos/${REPO}/issues/7/comments`, { body: "x" }, { token: null })).status).toBe(401);
    emu.store.addRepo({ owner: "acme", name: "secret", private: true });
    emu.store.addPullRequest({ repo: "acme/secret", head: { ref: "x", sha: "6".repeat(40) } });
    expect((await api("GET", "/repos/acme/secret/pulls/1", undefined, { token: null })).status).toBe(404);
    expect((await api("GET", "/repos/acme/secret/pulls/1")).status).toBe(200);
  });

  it("GET /user works for a personal token but not for GITHUB_TOKEN", async () => {
    const user = await api("GET", "/user", undefined, { token: PAT });
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ login: "alice", type: "User" });
    const bot = await api("GET", "/user");
    expect(bot.status).toBe(403);
    expect(bot.body).toEqual({
      message: "Resource not accessible by integration",
      documentation_url: "https://docs.github.com/rest/users/users#get-the-authenticated-user",
      status: "403",
    });
    const anonymous = await api("GET", "/user", undefined, { token: null });
    expect(anonymous.status).toBe(401);
  });
});

describe("GitHub App installation tokens", () => {
  it("comment as <slug>[bot], type Bot, naming the App in performed_via_github_app", async () => {
    const created = await api("POST", `/repos/${REPO}/issues/7/comments`, { body: "from the app" }, { token: APP_TOKEN });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      login: "aws-gitops[bot]",
      type: "Bot",
      html_url: "https://github.com/apps/aws-gitops",
      avatar_url: "https://avatars.githubusercontent.com/in/987654?v=4",
    });
    expect(created.body.performed_via_github_app).toMatchObject({ id: 987654, slug: "aws-gitops", name: "AWS GitOps", owner: { login: "acme" } });
    expect(emu.store.comments.get(created.body.id)?.viaApp).toBe("aws-gitops");
  });

  it("GET /user refuses them as it refuses GITHUB_TOKEN", async () => {
    const r = await api("GET", "/user", undefined, { token: APP_TOKEN });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe("Resource not accessible by integration");
  });
});

describe("GraphQL: viewer { login }", () => {
  const gql = (body: unknown, token: string | null = ACTIONS_TOKEN) => api("POST", "/graphql", body, { token });

  it("answers every token type with its own login", async () => {
    for (const [token, login] of [
      [PAT, "alice"],
      [ACTIONS_TOKEN, "github-actions[bot]"],
      [APP_TOKEN, "aws-gitops[bot]"],
      [FORK_TOKEN, "github-actions[bot]"],
    ] as const) {
      const r = await gql({ query: "query { viewer { login } }" }, token);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ data: { viewer: { login } } });
    }
    // the same query in other spellings
    for (const query of ["{ viewer { login } }", "query WhoAmI {\n  viewer {\n    login\n  }\n}\n", "query { viewer { login, } } # me"]) {
      expect((await gql({ query, variables: {} })).body).toEqual({ data: { viewer: { login: "github-actions[bot]" } } });
    }
  });

  it("needs a token, and a known one", async () => {
    const anonymous = await gql({ query: "query { viewer { login } }" }, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.message).toBe("This endpoint requires you to be authenticated.");
    expect((await gql({ query: "query { viewer { login } }" }, "nope")).status).toBe(401);
  });

  it("flags a request GitHub cannot read and a query that does not parse", async () => {
    const before = emu.invalidRequests().length;
    const noQuery = await gql({ q: "query { viewer { login } }" });
    expect(noQuery.body.errors[0].message).toBe("A query attribute must be specified and must be a string.");
    const unbalanced = await gql({ query: "query { viewer { login }" });
    expect(unbalanced.status).toBe(200);
    expect(unbalanced.body).toEqual({ errors: [{ message: "Unexpected end of document" }] });
    const stray = await gql({ query: "query { viewer { login } } }" });
    expect(stray.body.errors[0]).toMatchObject({ message: 'Parse error on "}" (RCURLY) at [1, 28]', locations: [{ line: 1, column: 28 }] });
    expect((await api("POST", "/graphql", undefined, { raw: "{nope" })).status).toBe(400);
    expect((await api("GET", "/graphql")).status).toBe(404);
    expect(emu.invalidRequests().slice(before).map((r) => r.invalid[0])).toEqual([
      "body has no string `query`",
      "query does not parse: Unexpected end of document",
      'query does not parse: Parse error on "}" (RCURLY) at [1, 28]',
      "body is not JSON",
      "GitHub's GraphQL API is POST /graphql, not GET",
    ]);
  });

  it("refuses any other query as a gap of the emulator, not with a made-up answer", async () => {
    const r = await gql({ query: "query { viewer { login id } }" });
    expect(r.status).toBe(200);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors[0].message).toContain("answers only `query { viewer { login } }`");
    const gaps = emu.emulatorErrors.splice(0);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toContain("POST /graphql is not emulated for this query");
  });
});

describe("issue comments", () => {
  it("creates, reads, updates and lists a comment as github-actions[bot]", async () => {
    const created = await api("POST", `/repos/${REPO}/issues/7/comments`, { body: "<!-- marker -->\nplan v1" });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(created.body.url);
    expect(created.body).toMatchObject({
      body: "<!-- marker -->\nplan v1",
      user: { login: "github-actions[bot]", id: 41898282, type: "Bot", node_id: "MDM6Qm90NDE4OTgyODI=", html_url: "https://github.com/apps/github-actions" },
      html_url: `https://github.com/${REPO}/pull/7#issuecomment-${created.body.id}`,
      issue_url: `${emu.url}/repos/${REPO}/issues/7`,
      performed_via_github_app: { id: 15368, slug: "github-actions" },
    });
    const id = created.body.id as number;

    const got = await api("GET", `/repos/${REPO}/issues/comments/${id}`);
    expect(got.body).toEqual(created.body);

    const updated = await api("PATCH", `/repos/${REPO}/issues/comments/${id}`, { body: "<!-- marker -->\nplan v2" });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, body: "<!-- marker -->\nplan v2" });

    const list = await api("GET", `/repos/${REPO}/issues/7/comments`);
    expect(list.status).toBe(200);
    expect(list.body.map((c: any) => c.body)).toContain("<!-- marker -->\nplan v2");
    expect(emu.store.commentsOn(REPO, 7).find((c) => c.id === id)?.body).toBe("<!-- marker -->\nplan v2");
  });

  it("pages with per_page/page and a Link header whose next URL can be followed", async () => {
    const number = emu.store.addIssue(REPO);
    for (let i = 1; i <= 7; i++) emu.store.addComment({ repo: REPO, issueNumber: number, user: i % 2 ? "alice" : "bob", body: `comment ${i}` });
    const bodies: string[] = [];
    let url: string | undefined = `/repos/${REPO}/issues/${number}/comments?per_page=3`;
    const links: string[] = [];
    while (url) {
      const r: Reply = await api("GET", url);
      expect(r.status).toBe(200);
      bodies.push(...r.body.map((c: any) => c.body));
      links.push(r.headers.get("link") ?? "");
      url = nextLink(r.headers);
    }
    expect(bodies).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `comment ${i}`));
    const repoId = emu.store.repo(REPO)!.id;
    expect(links[0]).toBe(
      `<${emu.url}/repositories/${repoId}/issues/${number}/comments?per_page=3&page=2>; rel="next", <${emu.url}/repositories/${repoId}/issues/${number}/comments?per_page=3&page=3>; rel="last"`,
    );
    expect(links[2]).toContain('rel="prev"');
    expect(links[2]).not.toContain('rel="next"');
    // default page size 30, at most 100
    const all = await api("GET", `/repos/${REPO}/issues/${number}/comments?per_page=500`);
    expect(all.body).toHaveLength(7);
    expect(all.headers.get("link")).toBeNull();
  });

  it(`rejects bodies over ${COMMENT_BODY_LIMIT} characters with GitHub's 422`, async () => {
    const ok = await api("POST", `/repos/${REPO}/issues/7/comments`, { body: "x".repeat(COMMENT_BODY_LIMIT) });
    expect(ok.status).toBe(201);
    const tooLong = await api("POST", `/repos/${REPO}/issues/7/comments`, { body: "x".repeat(COMMENT_BODY_LIMIT + 1) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body).toMatchObject({
      message: "Validation Failed",
      errors: [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }],
    });
    const patch = await api("PATCH", `/repos/${REPO}/issues/comments/${ok.body.id}`, { body: "y".repeat(COMMENT_BODY_LIMIT + 1) });
    expect(patch.status).toBe(422);
    // characters, not UTF-16 units: 65,536 emoji are accepted
    const emoji = await api("POST", `/repos/${REPO}/issues/7/comments`, { body: "🙂".repeat(COMMENT_BODY_LIMIT) });
    expect(emoji.status).toBe(201);
  });

  it("a read-only (fork) token can read but every write is 403", async () => {
    const list = await api("GET", `/repos/${REPO}/issues/8/comments`, undefined, { token: FORK_TOKEN });
    expect(list.status).toBe(200);
    const before = emu.store.comments.size;
    const post = await api("POST", `/repos/${REPO}/issues/8/comments`, { body: "plan" }, { token: FORK_TOKEN });
    expect(post.status).toBe(403);
    expect(post.body).toMatchObject({ message: "Resource not accessible by integration" });
    expect(post.headers.get("x-accepted-github-permissions")).toBe("issues=write; pull_requests=write");
    const existing = emu.store.addComment({ repo: REPO, issueNumber: 8, user: "github-actions[bot]", body: "old" });
    const patch = await api("PATCH", `/repos/${REPO}/issues/comments/${existing.id}`, { body: "new" }, { token: FORK_TOKEN });
    expect(patch.status).toBe(403);
    expect(emu.store.comments.size).toBe(before + 1);
    expect(emu.store.comments.get(existing.id)?.body).toBe("old");
  });

  it("404s for unknown issues, comments and repositories", async () => {
    expect((await api("GET", `/repos/${REPO}/issues/999/comments`)).status).toBe(404);
    expect((await api("GET", `/repos/${REPO}/issues/comments/1`)).status).toBe(404);
    const r = await api("GET", "/repos/acme/nope/pulls/1");
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: "Not Found", documentation_url: "https://docs.github.com/rest/pulls/pulls#get-a-pull-request", status: "404" });
  });
});

describe("pull requests and commits", () => {
  it("GET /pulls/{n} describes head and base, including a fork head", async () => {
    const pr = await api("GET", `/repos/${REPO}/pulls/8`);
    expect(pr.status).toBe(200);
    expect(pr.body).toMatchObject({
      number: 8,
      state: "open",
      merged: false,
      user: { login: "mallory" },
      head: { ref: "patch-1", label: "mallory:patch-1", repo: { full_name: "mallory/aws-access", fork: true } },
      base: { ref: "main", repo: { full_name: REPO, fork: false } },
    });
  });

  it("finds the pull request merged as a commit", async () => {
    emu.store.mergePullRequest(REPO, 7, { mergeCommitSha: MERGE_SHA, mergedBy: "alice" });
    const r = await api("GET", `/repos/${REPO}/commits/${MERGE_SHA}/pulls`);
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(1);
    expect(r.body[0]).toMatchObject({ number: 7, state: "closed", merge_commit_sha: MERGE_SHA });
    expect(r.body[0].merged_at).toEqual(expect.any(String));
    // the full pull request says who merged it
    const pr = await api("GET", `/repos/${REPO}/pulls/7`);
    expect(pr.body).toMatchObject({ merged: true, merged_by: { login: "alice" }, merge_commit_sha: MERGE_SHA });
    // a commit pushed to main without a pull request: known, no pulls
    emu.store.addCommit(REPO, "4".repeat(40));
    expect((await api("GET", `/repos/${REPO}/commits/${"4".repeat(40)}/pulls`)).body).toEqual([]);
    // an unknown commit
    const unknown = await api("GET", `/repos/${REPO}/commits/${"5".repeat(40)}/pulls`);
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toBe(`No commit found for SHA: ${"5".repeat(40)}`);
  });
});

describe("validation against GitHub's description", () => {
  it("flags and answers 422 a request body that violates the description", async () => {
    const before = emu.invalidRequests().length;
    const missing = await api("POST", `/repos/${REPO}/issues/7/comments`, { text: "wrong field" });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe('Invalid request.\n\n"body" wasn\'t supplied.');
    const wrongType = await api("PATCH", `/repos/${REPO}/issues/comments/1`, { body: 42 });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.message).toBe("Invalid request.\n\nFor 'properties/body', 42 is not a string.");
    const invalid = emu.invalidRequests().slice(before);
    expect(invalid.map((r) => r.operationId)).toEqual(["issues/create-comment", "issues/update-comment"]);
    expect(invalid[0]!.warnings).toContain("unknown body field ignored: text");
  });

  it("flags a query parameter of the wrong type, unparsable JSON, and paths GitHub does not have", async () => {
    const before = emu.invalidRequests().length;
    expect((await api("GET", `/repos/${REPO}/issues/7/comments?per_page=lots`)).status).toBe(422);
    const bad = await api("POST", `/repos/${REPO}/issues/7/comments`, undefined, { raw: "{not json" });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("Problems parsing JSON");
    expect((await api("GET", `/repos/${REPO}/pulls/seven`)).status).toBe(404);
    expect((await api("GET", `/repos/${REPO}/no-such-thing`)).status).toBe(404);
    expect(emu.invalidRequests().slice(before)).toHaveLength(4);
  });

  it("valid traffic is not flagged", async () => {
    const before = emu.requests.length;
    await api("GET", `/repos/${REPO}/pulls/7`);
    await api("GET", `/repos/${REPO}/issues/7/comments?per_page=100&page=1`);
    expect(emu.requests.slice(before).every((r) => r.invalid.length === 0 && r.status === 200)).toBe(true);
  });
});
