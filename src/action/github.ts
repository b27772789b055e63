import ky, { HTTPError, type KyInstance } from "ky";
import { UserError } from "../errors.js";
import { collectPages } from "../util/paging.js";

/** The few GitHub calls the Action makes (REST, and GraphQL for the token's login), through ky. Errors carry status and GitHub's message. */
export class GitHubApiError extends UserError {
  override readonly name = "GitHubApiError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly githubMessage: string,
  ) {
    super(`GitHub ${method} ${path} failed with HTTP ${status}: ${githubMessage}`);
  }
}

/** GitHub's `message` from an error answer, or its text. */
async function githubMessage(error: HTTPError): Promise<string> {
  const text = await error.response.text().catch(() => "");
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

export interface IssueComment {
  id: number;
  /** GraphQL's id of the comment (for what REST does not say, such as who edited it). */
  node_id: string;
  body?: string;
  html_url: string;
  user: { login: string; type?: string } | null;
}

export interface PullRequest {
  number: number;
  html_url: string;
  merged_at: string | null;
  merge_commit_sha: string | null;
  state: string;
  base: { ref: string };
}

function graphqlErrors(payload: { errors?: { message?: string }[] }): string {
  return (payload.errors ?? []).map((e) => e.message ?? JSON.stringify(e)).join("; ");
}

/** One account under REST's and GraphQL's spellings: `github-actions[bot]` (REST, viewer) is `github-actions` (GraphQL's actors). */
export function sameLogin(a: string, b: string): boolean {
  const norm = (login: string) => login.toLowerCase().replace(/\[bot\]$/, "");
  return norm(a) === norm(b);
}

/**
 * GitHub's GraphQL endpoint for a REST base: the runner says it (GITHUB_GRAPHQL_URL);
 * otherwise api.github.com/graphql, or /api/graphql next to GitHub Enterprise Server's /api/v3.
 */
export function graphqlUrlFor(apiUrl: string, env: NodeJS.ProcessEnv = {}): string {
  if (env.GITHUB_GRAPHQL_URL) return env.GITHUB_GRAPHQL_URL;
  const base = apiUrl.replace(/\/+$/, "");
  return /\/api\/v3$/.test(base) ? base.replace(/\/v3$/, "/graphql") : `${base}/graphql`;
}

export class GitHubClient {
  private readonly http: KyInstance;
  private readonly graphqlHttp: KyInstance;
  constructor(
    readonly apiUrl: string,
    token: string,
    readonly graphqlUrl = graphqlUrlFor(apiUrl),
  ) {
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" };
    this.http = ky.create({
      prefixUrl: apiUrl.replace(/\/+$/, ""),
      headers,
      timeout: 30_000,
      retry: { limit: 3, methods: ["get"], statusCodes: [429, 500, 502, 503, 504] },
    });
    // Only read-only queries go there, so a POST may be retried like a GET.
    this.graphqlHttp = ky.create({ headers, timeout: 30_000, retry: { limit: 3, methods: ["post"], statusCodes: [429, 500, 502, 503, 504] } });
  }

  private async call<T>(method: "get" | "post" | "patch", path: string, json?: unknown): Promise<{ body: T; link: string | null }> {
    try {
      const response = await this.http(path.replace(/^\/+/, ""), { method, ...(json === undefined ? {} : { json }) });
      return { body: (await response.json()) as T, link: response.headers.get("link") };
    } catch (error) {
      if (error instanceof HTTPError) {
        throw new GitHubApiError(method.toUpperCase(), path, error.response.status, await githubMessage(error));
      }
      throw error;
    }
  }

  /**
   * The login the token comments as. REST `GET /user` refuses installation tokens
   * (GITHUB_TOKEN and GitHub App tokens alike: 403 "Resource not accessible by
   * integration"); GraphQL's `viewer` answers for every kind: `github-actions[bot]`,
   * `<app-slug>[bot]`, or the user's login — the same login REST shows as a comment's author.
   */
  async viewerLogin(): Promise<string> {
    const payload = await this.graphql<{ viewer?: { login?: unknown } | null }>("query { viewer { login } }");
    const login = payload.data?.viewer?.login;
    if (typeof login === "string" && login !== "") return login;
    throw new GitHubApiError("POST", this.graphqlUrl, 200, `viewer { login }: ${graphqlErrors(payload) || "no viewer login in the answer"}`);
  }

  /**
   * Who last edited a comment (null: nobody since it was written). REST does not say, and
   * GitHub lets anyone with write access to the repository edit another's comment. GraphQL
   * gives a bot's login without REST's `[bot]` (see sameLogin).
   */
  async commentEditor(nodeId: string): Promise<string | null> {
    const payload = await this.graphql<{ node?: { editor?: { login?: unknown } | null } | null }>(
      "query($id: ID!) { node(id: $id) { ... on IssueComment { editor { login } } } }",
      { id: nodeId },
    );
    const node = payload.data?.node;
    if (!node) throw new GitHubApiError("POST", this.graphqlUrl, 200, `node(id) { editor }: ${graphqlErrors(payload) || "no such comment"}`);
    const login = node.editor?.login;
    return typeof login === "string" ? login : null;
  }

  private async graphql<T>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T | null; errors?: { message?: string }[] }> {
    try {
      return await this.graphqlHttp.post(this.graphqlUrl, { json: { query, ...(variables ? { variables } : {}) } }).json();
    } catch (error) {
      if (error instanceof HTTPError) {
        throw new GitHubApiError("POST", this.graphqlUrl, error.response.status, await githubMessage(error));
      }
      throw error;
    }
  }

  listComments(repo: string, issue: number): Promise<IssueComment[]> {
    return collectPages<IssueComment, string>(`GitHub comments of ${repo}#${issue}`, async (next) => {
      const { body, link } = await this.callPage<IssueComment[]>(next ?? `repos/${repo}/issues/${issue}/comments?per_page=100`);
      // GitHub's own next link (it may use another URL form than ours): follow it verbatim.
      return { items: body, next: /<([^>]+)>;\s*rel="next"/.exec(link ?? "")?.[1] };
    });
  }

  private async callPage<T>(path: string): Promise<{ body: T; link: string | null }> {
    if (!/^https?:\/\//.test(path)) return this.call<T>("get", path);
    const base = this.apiUrl.replace(/\/+$/, "");
    if (!path.startsWith(`${base}/`)) throw new Error(`refusing to follow a pagination link outside ${base}: ${path}`);
    return this.call<T>("get", path.slice(base.length + 1));
  }

  async createComment(repo: string, issue: number, body: string): Promise<IssueComment> {
    return (await this.call<IssueComment>("post", `repos/${repo}/issues/${issue}/comments`, { body })).body;
  }

  async updateComment(repo: string, id: number, body: string): Promise<IssueComment> {
    return (await this.call<IssueComment>("patch", `repos/${repo}/issues/comments/${id}`, { body })).body;
  }

  async pullsForCommit(repo: string, sha: string): Promise<PullRequest[]> {
    return (await this.call<PullRequest[]>("get", `repos/${repo}/commits/${sha}/pulls?per_page=100`)).body;
  }
}
