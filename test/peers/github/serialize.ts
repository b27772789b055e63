// Wire shapes of the REST objects the emulator returns, field for field as in
// GitHub's description (the server validates every response against it, with
// unknown fields forbidden). The same builders feed the event payloads
// (events.ts), whose pull_request and repository objects GitHub builds from the
// same serializers.
import { type AppRecord, type CommentRecord, GitHubStore, type PullRecord, type RepoRecord, type UserRecord } from "./store.js";

export interface SerializeContext {
  store: GitHubStore;
  /** REST base, e.g. https://api.github.com or the emulator's url */
  apiUrl: string;
  /** web base, e.g. https://github.com */
  serverUrl: string;
}

type Obj = Record<string, unknown>;

/** GitHub's legacy global node ids: base64("0<len>:<Type><id>"), e.g. MDQ6VXNlcjE= for User 1. */
export function legacyNodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

function botSlug(user: UserRecord): string | undefined {
  return user.type === "Bot" ? user.login.replace(/\[bot\]$/, "") : undefined;
}

export function simpleUser(ctx: SerializeContext, login: string): Obj {
  const user = ctx.store.user(login) ?? ctx.store.addUser({ login });
  const api = `${ctx.apiUrl}/users/${encodeURIComponent(user.login)}`;
  const slug = botSlug(user);
  // An App's bot account wears the App's avatar.
  const app = user.type === "Bot" ? ctx.store.appOfBot(user.login) : undefined;
  return {
    login: user.login,
    id: user.id,
    node_id: legacyNodeId(user.type, user.id),
    avatar_url: app ? `https://avatars.githubusercontent.com/in/${app.id}?v=4` : `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: slug ? `${ctx.serverUrl}/apps/${slug}` : `${ctx.serverUrl}/${user.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    user_view_type: "public",
    site_admin: false,
  };
}

/** GET /user for a personal token: the private view of the account. */
export function privateUser(ctx: SerializeContext, login: string): Obj {
  const user = ctx.store.user(login)!;
  return {
    ...simpleUser(ctx, login),
    user_view_type: "private",
    name: user.name,
    company: null,
    blog: "",
    location: null,
    email: user.email,
    notification_email: user.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: [...ctx.store.repos.values()].filter((r) => r.owner.toLowerCase() === user.login.toLowerCase() && !r.private).length,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: user.createdAt,
    updated_at: user.createdAt,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { collaborators: 0, name: "free", space: 976562499, private_repos: 10000 },
  };
}

/** A GitHub App, as `performed_via_github_app` on what its installation tokens write (GITHUB_TOKEN: the GitHub Actions app). */
export function githubApp(ctx: SerializeContext, app: AppRecord): Obj {
  return {
    id: app.id,
    slug: app.slug,
    node_id: legacyNodeId("App", app.id),
    client_id: app.clientId,
    owner: simpleUser(ctx, app.owner),
    name: app.name,
    description: app.description,
    external_url: app.externalUrl,
    html_url: `${ctx.serverUrl}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.updatedAt,
    permissions: app.permissions,
    events: app.events,
  };
}

/** The `repository` schema (what pull requests embed as head.repo / base.repo). */
export function repository(ctx: SerializeContext, repo: RepoRecord): Obj {
  const fullName = GitHubStore.fullName(repo);
  const api = `${ctx.apiUrl}/repos/${fullName}`;
  const html = `${ctx.serverUrl}/${fullName}`;
  const host = new URL(ctx.serverUrl).host;
  const openIssues = [...ctx.store.pulls.values()].filter((p) => p.repo === fullName && p.state === "open").length;
  return {
    id: repo.id,
    node_id: legacyNodeId("Repository", repo.id),
    name: repo.name,
    full_name: fullName,
    private: repo.private,
    owner: simpleUser(ctx, repo.owner),
    html_url: html,
    description: repo.description,
    fork: repo.parent !== undefined,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
    pushed_at: repo.pushedAt,
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 120,
    stargazers_count: 0,
    watchers_count: 0,
    language: "TypeScript",
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? "private" : "public",
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: repo.defaultBranch,
  };
}

function pullCommon(ctx: SerializeContext, pull: PullRecord): Obj {
  const api = `${ctx.apiUrl}/repos/${pull.repo}`;
  const html = `${ctx.serverUrl}/${pull.repo}/pull/${pull.number}`;
  const baseRepo = ctx.store.repo(pull.repo)!;
  const headRepo = ctx.store.repo(pull.head.repo)!;
  const side = (repo: RepoRecord, ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: simpleUser(ctx, repo.owner),
    repo: repository(ctx, repo),
  });
  return {
    url: `${api}/pulls/${pull.number}`,
    id: pull.id,
    node_id: legacyNodeId("PullRequest", pull.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: pull.locked,
    title: pull.title,
    user: simpleUser(ctx, pull.user),
    body: pull.body,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    draft: pull.draft,
    commits_url: `${api}/pulls/${pull.number}/commits`,
    review_comments_url: `${api}/pulls/${pull.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${pull.head.sha}`,
    head: side(headRepo, pull.head.ref, pull.head.sha),
    base: side(baseRepo, pull.base.ref, pull.base.sha),
    _links: {
      self: { href: `${api}/pulls/${pull.number}` },
      html: { href: html },
      issue: { href: `${api}/issues/${pull.number}` },
      comments: { href: `${api}/issues/${pull.number}/comments` },
      review_comments: { href: `${api}/pulls/${pull.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${pull.number}/commits` },
      statuses: { href: `${api}/statuses/${pull.head.sha}` },
    },
    author_association: pull.user.toLowerCase() === baseRepo.owner.toLowerCase() ? "OWNER" : "CONTRIBUTOR",
    auto_merge: null,
    active_lock_reason: null,
  };
}

/** `pull-request-simple` (list endpoints, e.g. commits/{sha}/pulls). */
export function pullRequestSimple(ctx: SerializeContext, pull: PullRecord): Obj {
  return pullCommon(ctx, pull);
}

/** `pull-request` (GET /repos/{owner}/{repo}/pulls/{pull_number}, and the pull_request event). */
export function pullRequest(ctx: SerializeContext, pull: PullRecord): Obj {
  return {
    ...pullCommon(ctx, pull),
    merged: pull.merged,
    // GitHub computes mergeability in the background: null until it has, and after a merge.
    mergeable: pull.state === "open" ? true : null,
    rebaseable: pull.state === "open" ? true : null,
    mergeable_state: pull.state === "open" ? "clean" : "unknown",
    merged_by: pull.mergedBy ? simpleUser(ctx, pull.mergedBy) : null,
    comments: ctx.store.commentsOn(pull.repo, pull.number).length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: pull.commits,
    additions: pull.additions,
    deletions: pull.deletions,
    changed_files: pull.changedFiles,
  };
}

export function issueComment(ctx: SerializeContext, comment: CommentRecord): Obj {
  const api = `${ctx.apiUrl}/repos/${comment.repo}`;
  const kind = ctx.store.pull(comment.repo, comment.issueNumber) ? "pull" : "issues";
  return {
    id: comment.id,
    node_id: legacyNodeId("IssueComment", comment.id),
    url: `${api}/issues/comments/${comment.id}`,
    html_url: `${ctx.serverUrl}/${comment.repo}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: simpleUser(ctx, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${api}/issues/${comment.issueNumber}`,
    author_association: comment.authorAssociation,
    performed_via_github_app: comment.viaApp && ctx.store.app(comment.viaApp) ? githubApp(ctx, ctx.store.app(comment.viaApp)!) : null,
    reactions: {
      url: `${api}/issues/comments/${comment.id}/reactions`,
      total_count: 0,
      "+1": 0,
      "-1": 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0,
    },
  };
}
