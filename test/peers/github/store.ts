// In-memory state of the emulated GitHub: users, repositories, pull requests
// (which are issues too, sharing the repository's number sequence), issue
// comments and the commit → pull request associations. Tests seed it directly
// and assert on it after the Action ran.

export type UserType = "User" | "Bot" | "Organization";

export interface UserRecord {
  login: string;
  id: number;
  type: UserType;
  name: string | null;
  email: string | null;
  createdAt: string;
}

export interface RepoRecord {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  /** full name of the parent when this repository is a fork */
  parent?: string;
  description: string | null;
  /** OIDC tokens carry the immutable subject format (AddRepoInput.immutableSubject) */
  immutableSubject: boolean;
  createdAt: string;
  pushedAt: string;
  updatedAt: string;
  /** next issue / pull request number */
  nextNumber: number;
  /** issue numbers that are plain issues (pull requests live in `pulls`) */
  issues: Set<number>;
}

export interface PullRecord {
  id: number;
  /** base repository full name */
  repo: string;
  number: number;
  title: string;
  body: string | null;
  user: string;
  state: "open" | "closed";
  draft: boolean;
  locked: boolean;
  head: { repo: string; ref: string; sha: string };
  base: { ref: string; sha: string };
  merged: boolean;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
}

export interface CommentRecord {
  id: number;
  repo: string;
  issueNumber: number;
  body: string;
  user: string;
  authorAssociation: AuthorAssociation;
  /** slug of the GitHub App whose installation token wrote the comment (GITHUB_TOKEN: github-actions), else null */
  viaApp: string | null;
  createdAt: string;
  updatedAt: string;
  /** login of whoever edited the body last (GraphQL's IssueComment.editor); null while never edited */
  editor: string | null;
}

export type AuthorAssociation = "COLLABORATOR" | "CONTRIBUTOR" | "FIRST_TIMER" | "FIRST_TIME_CONTRIBUTOR" | "MANNEQUIN" | "MEMBER" | "NONE" | "OWNER";

/** GitHub's Actions bot, as it appears on comments made with GITHUB_TOKEN. */
export const GITHUB_ACTIONS_BOT = { login: "github-actions[bot]", id: 41898282, type: "Bot" as const };
/** The GitHub Actions app (performed_via_github_app on comments written with GITHUB_TOKEN). */
export const GITHUB_ACTIONS_APP_ID = 15368;

/**
 * A GitHub App. Its installation tokens (GITHUB_TOKEN is one, of the GitHub Actions
 * app) act as the bot account `<slug>[bot]`, and what they write names the App in
 * `performed_via_github_app`.
 */
export interface AppRecord {
  id: number;
  slug: string;
  name: string;
  /** login of the account that owns the App */
  owner: string;
  description: string | null;
  externalUrl: string;
  clientId: string;
  createdAt: string;
  updatedAt: string;
  permissions: Record<string, string>;
  events: string[];
}

export interface AddAppInput {
  slug: string;
  id?: number;
  name?: string;
  /** owner account (created as an Organization if missing); default the owner of the first repository, else "github" */
  owner?: string;
  description?: string | null;
  /** id of the bot user `<slug>[bot]` */
  botUserId?: number;
  permissions?: Record<string, string>;
  events?: string[];
}

/** GitHub's timestamp format: ISO 8601, seconds precision, Z. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const key = (s: string) => s.toLowerCase();

export interface AddRepoInput {
  owner: string;
  name: string;
  id?: number;
  private?: boolean;
  defaultBranch?: string;
  /** "owner/name" of the parent: makes this repository a fork */
  parent?: string;
  description?: string | null;
  /** its Actions OIDC tokens carry GitHub's immutable subject (repo:OWNER@OWNER_ID/REPO@REPO_ID:…): the default for repositories created or renamed from 2026-07-15, or opted in */
  immutableSubject?: boolean;
  /** type of the owner account when it has to be created (default User) */
  ownerType?: "User" | "Organization";
}

export interface AddPullInput {
  /** base repository "owner/name" (created if missing) */
  repo: string;
  number?: number;
  title?: string;
  body?: string | null;
  /** author login (created if missing) */
  user?: string;
  /** head repo "owner/name" defaults to the base repo; a different one is created as a fork of it */
  head: { repo?: string; ref: string; sha: string };
  base?: { ref?: string; sha?: string };
  state?: "open" | "closed";
  draft?: boolean;
  merged?: boolean;
  mergeCommitSha?: string;
  mergedBy?: string;
  commits?: number;
  additions?: number;
  deletions?: number;
  changedFiles?: number;
}

export interface AddCommentInput {
  repo: string;
  issueNumber: number;
  user: string;
  body: string;
  authorAssociation?: AuthorAssociation;
  createdAt?: Date;
}

export class GitHubStore {
  readonly users = new Map<string, UserRecord>();
  readonly repos = new Map<string, RepoRecord>();
  /** key: "owner/name#number" (lower-cased repo) */
  readonly pulls = new Map<string, PullRecord>();
  readonly comments = new Map<number, CommentRecord>();
  /** key: "owner/name@sha" (lower-cased repo) → pull request numbers, in association order */
  readonly commitPulls = new Map<string, number[]>();
  /** key: App slug (lower-cased) */
  readonly apps = new Map<string, AppRecord>();
  private nextUserId = 100_001;
  private nextRepoId = 700_000_001;
  private nextPullId = 1_900_000_001;
  private nextCommentId = 2_400_000_001;
  private nextAppId = 1_100_001;

  constructor(private readonly clock: () => Date = () => new Date()) {
    this.addUser({ login: "github", id: 9919, type: "Organization" });
    this.addApp({
      slug: "github-actions",
      id: GITHUB_ACTIONS_APP_ID,
      name: "GitHub Actions",
      owner: "github",
      description: "Automate your workflow from idea to production",
      botUserId: GITHUB_ACTIONS_BOT.id,
      permissions: { contents: "write", issues: "write", metadata: "read", pull_requests: "write", statuses: "write", checks: "write" },
      events: ["check_run", "check_suite", "issue_comment", "issues", "pull_request", "push", "workflow_dispatch", "workflow_run"],
    });
    const actions = this.apps.get("github-actions")!;
    Object.assign(actions, { externalUrl: "https://help.github.com/en/actions", clientId: "Iv1.05c79e9ad1f6bdfa", createdAt: "2018-07-30T09:30:17Z", updatedAt: "2024-04-10T20:33:16Z" });
  }

  now(): string {
    return isoSeconds(this.clock());
  }

  // ---- users ----
  addUser(input: { login: string; id?: number; type?: UserType; name?: string | null; email?: string | null }): UserRecord {
    const existing = this.users.get(key(input.login));
    if (existing) return existing;
    const user: UserRecord = {
      login: input.login,
      id: input.id ?? this.nextUserId++,
      type: input.type ?? (input.login.endsWith("[bot]") ? "Bot" : "User"),
      name: input.name ?? null,
      email: input.email ?? null,
      createdAt: "2020-01-01T00:00:00Z",
    };
    this.users.set(key(user.login), user);
    return user;
  }

  user(login: string): UserRecord | undefined {
    return this.users.get(key(login));
  }

  // ---- GitHub Apps ----
  /** Registers a GitHub App and its bot account `<slug>[bot]` (type Bot). Idempotent per slug. */
  addApp(input: AddAppInput): AppRecord {
    const existing = this.apps.get(key(input.slug));
    if (existing) return existing;
    const owner = input.owner ?? [...this.repos.values()][0]?.owner ?? "github";
    this.addUser({ login: owner, type: "Organization" });
    const id = input.id ?? this.nextAppId++;
    const now = this.now();
    const app: AppRecord = {
      id,
      slug: input.slug,
      name: input.name ?? input.slug,
      owner,
      description: input.description ?? null,
      externalUrl: `https://github.com/${owner}`,
      clientId: `Iv23li${id.toString(36).padStart(14, "0")}`,
      createdAt: now,
      updatedAt: now,
      permissions: input.permissions ?? { issues: "write", metadata: "read", pull_requests: "write" },
      events: input.events ?? [],
    };
    this.apps.set(key(app.slug), app);
    this.addUser({ login: `${app.slug}[bot]`, type: "Bot", ...(input.botUserId !== undefined ? { id: input.botUserId } : {}) });
    return app;
  }

  app(slug: string): AppRecord | undefined {
    return this.apps.get(key(slug));
  }

  /** The App whose bot account `login` is (`<slug>[bot]`), if any. */
  appOfBot(login: string): AppRecord | undefined {
    const m = /^(.+)\[bot\]$/i.exec(login);
    return m ? this.app(m[1]!) : undefined;
  }

  // ---- repositories ----
  addRepo(input: AddRepoInput): RepoRecord {
    const fullName = `${input.owner}/${input.name}`;
    const existing = this.repos.get(key(fullName));
    if (existing) return existing;
    this.addUser({ login: input.owner, type: input.ownerType ?? "User" });
    const now = this.now();
    const repo: RepoRecord = {
      id: input.id ?? this.nextRepoId++,
      owner: input.owner,
      name: input.name,
      private: input.private ?? false,
      defaultBranch: input.defaultBranch ?? "main",
      parent: input.parent,
      description: input.description ?? null,
      immutableSubject: input.immutableSubject ?? false,
      createdAt: now,
      pushedAt: now,
      updatedAt: now,
      nextNumber: 1,
      issues: new Set(),
    };
    this.repos.set(key(fullName), repo);
    return repo;
  }

  repo(fullName: string): RepoRecord | undefined {
    return this.repos.get(key(fullName));
  }

  repoById(id: number): RepoRecord | undefined {
    return [...this.repos.values()].find((r) => r.id === id);
  }

  private requireRepo(fullName: string): RepoRecord {
    const [owner, name] = fullName.split("/");
    if (!owner || !name) throw new Error(`repository must be "owner/name", got ${JSON.stringify(fullName)}`);
    return this.repo(fullName) ?? this.addRepo({ owner, name });
  }

  static fullName(repo: RepoRecord): string {
    return `${repo.owner}/${repo.name}`;
  }

  /** A plain issue (only its number matters here: comments can be posted on it). */
  addIssue(repoFullName: string): number {
    const repo = this.requireRepo(repoFullName);
    const number = repo.nextNumber++;
    repo.issues.add(number);
    return number;
  }

  // ---- pull requests ----
  addPullRequest(input: AddPullInput): PullRecord {
    const repo = this.requireRepo(input.repo);
    const base = GitHubStore.fullName(repo);
    const number = input.number ?? repo.nextNumber;
    if (this.pull(base, number) || repo.issues.has(number)) throw new Error(`${base}#${number} already exists`);
    repo.nextNumber = Math.max(repo.nextNumber, number + 1);
    const headRepoName = input.head.repo ?? base;
    if (!this.repo(headRepoName)) {
      const [owner, name] = headRepoName.split("/");
      this.addRepo({ owner: owner!, name: name!, parent: base, defaultBranch: repo.defaultBranch });
    }
    const author = input.user ?? repo.owner;
    this.addUser({ login: author });
    const now = this.now();
    const merged = input.merged ?? false;
    if (merged && !input.mergeCommitSha) throw new Error("a merged pull request needs mergeCommitSha");
    const pull: PullRecord = {
      id: this.nextPullId++,
      repo: base,
      number,
      title: input.title ?? `Pull request ${number}`,
      body: input.body === undefined ? null : input.body,
      user: author,
      state: merged ? "closed" : (input.state ?? "open"),
      draft: input.draft ?? false,
      locked: false,
      head: { repo: GitHubStore.fullName(this.repo(headRepoName)!), ref: input.head.ref, sha: input.head.sha },
      base: { ref: input.base?.ref ?? repo.defaultBranch, sha: input.base?.sha ?? "0".repeat(40) },
      merged,
      mergedAt: merged ? now : null,
      mergedBy: merged ? (input.mergedBy ?? repo.owner) : null,
      mergeCommitSha: input.mergeCommitSha ?? null,
      closedAt: merged || input.state === "closed" ? now : null,
      createdAt: now,
      updatedAt: now,
      commits: input.commits ?? 1,
      additions: input.additions ?? 1,
      deletions: input.deletions ?? 0,
      changedFiles: input.changedFiles ?? 1,
    };
    if (pull.mergedBy) this.addUser({ login: pull.mergedBy });
    this.pulls.set(`${key(base)}#${number}`, pull);
    // GitHub associates a pull request with its head commit and, once merged, with the merge commit.
    this.linkCommit(base, pull.head.sha, number);
    if (pull.mergeCommitSha) this.linkCommit(base, pull.mergeCommitSha, number);
    return pull;
  }

  pull(repoFullName: string, number: number): PullRecord | undefined {
    return this.pulls.get(`${key(repoFullName)}#${number}`);
  }

  /** Merge an open pull request as `mergeCommitSha` (what happens before the push event to main). */
  mergePullRequest(repoFullName: string, number: number, opts: { mergeCommitSha: string; mergedBy?: string }): PullRecord {
    const pull = this.pull(repoFullName, number);
    if (!pull) throw new Error(`${repoFullName}#${number} does not exist`);
    const now = this.now();
    Object.assign(pull, {
      merged: true,
      state: "closed",
      mergedAt: now,
      closedAt: now,
      updatedAt: now,
      mergeCommitSha: opts.mergeCommitSha,
      mergedBy: opts.mergedBy ?? this.repo(repoFullName)!.owner,
    });
    this.addUser({ login: pull.mergedBy! });
    this.linkCommit(pull.repo, opts.mergeCommitSha, number);
    return pull;
  }

  /** Make `sha` known to the repository (optionally associated with pull requests). */
  addCommit(repoFullName: string, sha: string, pulls: number[] = []): void {
    const repo = this.requireRepo(repoFullName);
    const k = `${key(GitHubStore.fullName(repo))}@${sha}`;
    if (!this.commitPulls.has(k)) this.commitPulls.set(k, []);
    for (const n of pulls) this.linkCommit(repoFullName, sha, n);
  }

  linkCommit(repoFullName: string, sha: string, number: number): void {
    const k = `${key(repoFullName)}@${sha}`;
    const list = this.commitPulls.get(k) ?? [];
    if (!list.includes(number)) list.push(number);
    this.commitPulls.set(k, list);
  }

  /** Pull requests associated with a commit; undefined when the repository does not know the commit. */
  pullsForCommit(repoFullName: string, shaOrPrefix: string): PullRecord[] | undefined {
    const prefix = `${key(repoFullName)}@`;
    let numbers = this.commitPulls.get(prefix + shaOrPrefix);
    if (!numbers && /^[0-9a-f]{7,39}$/i.test(shaOrPrefix)) {
      const hits = [...this.commitPulls.entries()].filter(([k]) => k.startsWith(prefix + shaOrPrefix.toLowerCase()));
      if (hits.length === 1) numbers = hits[0]![1];
    }
    return numbers?.map((n) => this.pull(repoFullName, n)).filter((p): p is PullRecord => p !== undefined);
  }

  // ---- comments ----
  issueExists(repoFullName: string, number: number): boolean {
    return this.pull(repoFullName, number) !== undefined || (this.repo(repoFullName)?.issues.has(number) ?? false);
  }

  /** `viaApp`: slug of the App whose installation token writes the comment. */
  addComment(input: AddCommentInput & { viaApp?: string }): CommentRecord {
    const repo = this.requireRepo(input.repo);
    const fullName = GitHubStore.fullName(repo);
    if (!this.issueExists(fullName, input.issueNumber)) throw new Error(`${fullName}#${input.issueNumber} does not exist`);
    const user = this.addUser({ login: input.user });
    const at = input.createdAt ? isoSeconds(input.createdAt) : this.now();
    const comment: CommentRecord = {
      id: this.nextCommentId++,
      repo: fullName,
      issueNumber: input.issueNumber,
      body: input.body,
      user: user.login,
      authorAssociation: input.authorAssociation ?? (key(user.login) === key(repo.owner) ? "OWNER" : "NONE"),
      viaApp: input.viaApp ?? null,
      createdAt: at,
      updatedAt: at,
      editor: null,
    };
    this.comments.set(comment.id, comment);
    return comment;
  }

  /** Comments on one issue / pull request, oldest first (GitHub's order). */
  commentsOn(repoFullName: string, issueNumber: number): CommentRecord[] {
    return [...this.comments.values()].filter((c) => key(c.repo) === key(repoFullName) && c.issueNumber === issueNumber).sort((a, b) => a.id - b.id);
  }
}
