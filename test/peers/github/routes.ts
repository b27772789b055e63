// Handlers by operationId. Each gets the validated request and returns a
// result the server validates against the operation's declared response.
import { issueComment, privateUser, pullRequest, pullRequestSimple, type SerializeContext } from "./serialize.js";
import type { GitHubStore, RepoRecord } from "./store.js";

/** GitHub's limit on issue / pull request comment bodies, counted in characters (code points). */
export const COMMENT_BODY_LIMIT = 65536;

export interface Actor {
  token: string;
  login: string;
  type: "User" | "Bot";
  readOnly: boolean;
  /** installation tokens: slug of the App they belong to (GITHUB_TOKEN: github-actions) */
  app?: string;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HandlerContext {
  store: GitHubStore;
  ser: SerializeContext;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  /** undefined: anonymous request */
  actor?: Actor;
  docsUrl: string;
  /** the request URL as received (for Link headers) */
  url: URL;
}

export class GitHubError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${JSON.stringify(body)}`);
  }
}

/** `{message, documentation_url, status}` — GitHub's basic error (status is a string). */
export function basicError(status: number, message: string, docsUrl: string, headers?: Record<string, string>): GitHubError {
  return new GitHubError(status, { message, documentation_url: docsUrl, status: String(status) }, headers);
}

const notFound = (ctx: HandlerContext) => basicError(404, "Not Found", ctx.docsUrl);

function repoOf(ctx: HandlerContext): RepoRecord {
  const repo = ctx.store.repo(`${ctx.params.owner}/${ctx.params.repo}`);
  // Private repositories are invisible (404, not 403) to those who cannot see them.
  if (!repo || (repo.private && !ctx.actor)) throw notFound(ctx);
  return repo;
}

const fullName = (repo: RepoRecord) => `${repo.owner}/${repo.name}`;

/** per_page (default 30, at most 100) / page (default 1) and the Link header GitHub sends. */
function paginate<T>(ctx: HandlerContext, items: T[], repo: RepoRecord): { page: T[]; headers: Record<string, string> } {
  const rawPer = ctx.query.per_page as number | undefined;
  const perPage = rawPer === undefined || rawPer < 1 ? 30 : Math.min(rawPer, 100);
  const page = Math.max(1, (ctx.query.page as number | undefined) ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const headers: Record<string, string> = {};
  if (items.length > perPage) {
    // GitHub's links address the repository by id: /repositories/{id}/…, keeping the client's other query parameters.
    const path = ctx.url.pathname.replace(new RegExp(`^/repos/[^/]+/[^/]+`), `/repositories/${repo.id}`);
    const link = (n: number) => {
      const q = new URLSearchParams(ctx.url.searchParams);
      q.delete("page");
      q.set("page", String(n));
      return `<${ctx.ser.apiUrl}${path}?${q.toString()}>`;
    };
    const rels: string[] = [];
    if (page > 1) rels.push(`${link(Math.min(page - 1, last))}; rel="prev"`);
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) rels.push(`${link(1)}; rel="first"`);
    headers.link = rels.join(", ");
  }
  return { page: slice, headers };
}

function requireWriter(ctx: HandlerContext, acceptedPermissions: string): Actor {
  if (!ctx.actor) throw basicError(401, "Requires authentication", ctx.docsUrl);
  if (ctx.actor.readOnly) {
    throw basicError(403, "Resource not accessible by integration", ctx.docsUrl, { "x-accepted-github-permissions": acceptedPermissions });
  }
  return ctx.actor;
}

function validateCommentBody(ctx: HandlerContext): string {
  const body = ctx.body.body as string;
  const fail = (error: Record<string, unknown>) =>
    new GitHubError(422, { message: "Validation Failed", errors: [{ resource: "IssueComment", ...error }], documentation_url: ctx.docsUrl });
  if (body.trim() === "") throw fail({ code: "missing_field", field: "body" });
  if ([...body].length > COMMENT_BODY_LIMIT) {
    throw fail({ code: "custom", field: "body", message: `body is too long (maximum is ${COMMENT_BODY_LIMIT} characters)` });
  }
  return body;
}

type Handler = (ctx: HandlerContext) => HandlerResult;

export const handlers: Record<string, Handler> = {
  "users/get-authenticated": (ctx) => {
    if (!ctx.actor) throw basicError(401, "Requires authentication", ctx.docsUrl);
    // Installation tokens (GITHUB_TOKEN, GitHub App tokens) act as a bot, not a user; GraphQL's viewer still answers for them.
    if (ctx.actor.type === "Bot") throw basicError(403, "Resource not accessible by integration", ctx.docsUrl);
    return { status: 200, body: privateUser(ctx.ser, ctx.actor.login) };
  },

  "issues/list-comments": (ctx) => {
    const repo = repoOf(ctx);
    const number = Number(ctx.params.issue_number);
    if (!ctx.store.issueExists(fullName(repo), number)) throw notFound(ctx);
    const since = ctx.query.since as string | undefined;
    const all = ctx.store.commentsOn(fullName(repo), number).filter((c) => !since || Date.parse(c.updatedAt) >= Date.parse(since));
    const { page, headers } = paginate(ctx, all, repo);
    return { status: 200, body: page.map((c) => issueComment(ctx.ser, c)), headers };
  },

  "issues/create-comment": (ctx) => {
    const repo = repoOf(ctx);
    const actor = requireWriter(ctx, "issues=write; pull_requests=write");
    const number = Number(ctx.params.issue_number);
    if (!ctx.store.issueExists(fullName(repo), number)) throw notFound(ctx);
    const body = validateCommentBody(ctx);
    const comment = ctx.store.addComment({
      repo: fullName(repo),
      issueNumber: number,
      user: actor.login,
      body,
      ...(actor.app ? { viaApp: actor.app } : {}),
    });
    const wire = issueComment(ctx.ser, comment);
    return { status: 201, body: wire, headers: { location: wire.url as string } };
  },

  "issues/get-comment": (ctx) => {
    const repo = repoOf(ctx);
    const comment = ctx.store.comments.get(Number(ctx.params.comment_id));
    if (!comment || comment.repo.toLowerCase() !== fullName(repo).toLowerCase()) throw notFound(ctx);
    return { status: 200, body: issueComment(ctx.ser, comment) };
  },

  "issues/update-comment": (ctx) => {
    const repo = repoOf(ctx);
    const actor = requireWriter(ctx, "issues=write; pull_requests=write");
    const comment = ctx.store.comments.get(Number(ctx.params.comment_id));
    if (!comment || comment.repo.toLowerCase() !== fullName(repo).toLowerCase()) throw notFound(ctx);
    // A write token may edit any comment of the repository (as GitHub lets collaborators with
    // write access edit others' comments); GraphQL's IssueComment.editor says who did, last.
    comment.body = validateCommentBody(ctx);
    comment.updatedAt = ctx.store.now();
    comment.editor = actor.login;
    return { status: 200, body: issueComment(ctx.ser, comment) };
  },

  "repos/list-pull-requests-associated-with-commit": (ctx) => {
    const repo = repoOf(ctx);
    const pulls = ctx.store.pullsForCommit(fullName(repo), ctx.params.commit_sha!);
    if (!pulls) throw basicError(422, `No commit found for SHA: ${ctx.params.commit_sha}`, ctx.docsUrl);
    const { page, headers } = paginate(ctx, pulls, repo);
    return { status: 200, body: page.map((p) => pullRequestSimple(ctx.ser, p)), headers };
  },

  "pulls/get": (ctx) => {
    const repo = repoOf(ctx);
    const pull = ctx.store.pull(fullName(repo), Number(ctx.params.pull_number));
    if (!pull) throw notFound(ctx);
    return { status: 200, body: pullRequest(ctx.ser, pull) };
  },
};
