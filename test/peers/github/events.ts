// Event payloads as the runner writes them to GITHUB_EVENT_PATH, plus the
// GITHUB_* context variables that go with them.
//
// `pull_request` and `push` payloads are webhook payloads: their shapes come
// from GitHub's webhook description (`@octokit/openapi-webhooks`, pinned), and
// `validateEventPayload` checks a payload against it with ajv (OpenAPI 3.1 =
// JSON Schema 2020-12). The objects inside (pull_request, repository, users) are
// built by the same serializers as the REST emulator, from the same store, so
// ids, shas and URLs agree between the event and the API.
//
// `merge_group` (checks_requested) is what a merge queue sends to run the required
// checks on the queued merge: GITHUB_SHA is `merge_group.head_sha` (the commit the
// queue built on top of the base branch) and GITHUB_REF `merge_group.head_ref`,
// `refs/heads/gh-readonly-queue/<base branch>/pr-<number>-<base sha>`. Once the
// checks pass, the queue moves the base branch to that commit: the push event that
// follows has `after` = head_sha, and the pull request is merged as that commit.
//
// `schedule` is not a webhook, so there is no schema: the runner's payload is
// `{ schedule: "<cron>" }`, and since 2022 also the repository (and the
// organization, for an organization's repository) and the workflow file path.
// It has no sender and no commit: an Action should take the repository and sha
// from GITHUB_REPOSITORY / GITHUB_SHA (the default branch head) instead.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { legacyNodeId, pullRequest, repository, type SerializeContext, simpleUser } from "./serialize.js";
import type { GitHubStore, PullRecord, RepoRecord } from "./store.js";

type Obj = Record<string, unknown>;

export interface EventOptions {
  store: GitHubStore;
  /** default https://api.github.com — pass the emulator's url to match what it serves */
  apiUrl?: string;
  /** default https://github.com */
  serverUrl?: string;
}

export interface RunnerEvent {
  /** GITHUB_EVENT_NAME */
  name: "pull_request" | "push" | "schedule" | "merge_group";
  /** contents of GITHUB_EVENT_PATH */
  payload: Obj;
  /** GITHUB_* variables the runner sets for this event (without GITHUB_EVENT_PATH, GITHUB_OUTPUT, …) */
  env: Record<string, string>;
}

function ser(opts: EventOptions): SerializeContext {
  return { store: opts.store, apiUrl: (opts.apiUrl ?? "https://api.github.com").replace(/\/$/, ""), serverUrl: (opts.serverUrl ?? "https://github.com").replace(/\/$/, "") };
}

function repoOrThrow(store: GitHubStore, fullName: string): RepoRecord {
  const repo = store.repo(fullName);
  if (!repo) throw new Error(`repository ${fullName} is not in the store`);
  return repo;
}

function organization(ctx: SerializeContext, repo: RepoRecord): Obj | undefined {
  const owner = ctx.store.user(repo.owner);
  if (owner?.type !== "Organization") return undefined;
  const api = `${ctx.apiUrl}/orgs/${owner.login}`;
  return {
    login: owner.login,
    id: owner.id,
    node_id: legacyNodeId("Organization", owner.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${owner.id}?v=4`,
    description: null,
  };
}

/**
 * GITHUB_WORKFLOW_REF / GITHUB_WORKFLOW_SHA as the runner sets them: the workflow file at the
 * ref and commit the run uses (here always .github/workflows/aws-access.yml).
 */
function workflowEnv(repo: RepoRecord, ref: string, sha: string): Record<string, string> {
  return { GITHUB_WORKFLOW_REF: `${repo.owner}/${repo.name}/.github/workflows/aws-access.yml@${ref}`, GITHUB_WORKFLOW_SHA: sha };
}

function baseEnv(ctx: SerializeContext, repo: RepoRecord, actor: string): Record<string, string> {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_REPOSITORY: fullName,
    GITHUB_REPOSITORY_OWNER: repo.owner,
    GITHUB_REPOSITORY_ID: String(repo.id),
    GITHUB_ACTOR: actor,
    GITHUB_TRIGGERING_ACTOR: actor,
    GITHUB_API_URL: ctx.apiUrl,
    GITHUB_SERVER_URL: ctx.serverUrl,
    GITHUB_GRAPHQL_URL: `${ctx.apiUrl}/graphql`,
    GITHUB_WORKFLOW: "aws-access",
    GITHUB_RUN_ID: "9000000001",
    GITHUB_RUN_NUMBER: "1",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_JOB: "plan",
  };
}

/**
 * `pull_request` (opened / synchronize / reopened) for a pull request in the store.
 * For a fork, `pull_request.head.repo.fork` is true and its full_name differs from
 * `repository.full_name` — the runner then hands out a read-only token and no secrets.
 * GITHUB_SHA / GITHUB_REF are the test merge commit refs/pull/N/merge.
 */
export function pullRequestEvent(
  opts: EventOptions & { repo: string; number: number; action: "opened" | "synchronize" | "reopened"; before?: string; sender?: string; mergeRefSha?: string },
): RunnerEvent {
  const ctx = ser(opts);
  const pull = opts.store.pull(opts.repo, opts.number);
  if (!pull) throw new Error(`${opts.repo}#${opts.number} is not in the store`);
  const repo = repoOrThrow(opts.store, pull.repo);
  const sender = opts.sender ?? pull.user;
  const payload: Obj = { action: opts.action, number: pull.number };
  if (opts.action === "synchronize") {
    payload.before = opts.before ?? "0".repeat(40);
    payload.after = pull.head.sha;
  }
  payload.pull_request = pullRequest(ctx, pull);
  payload.repository = repository(ctx, repo);
  const org = organization(ctx, repo);
  if (org) payload.organization = org;
  payload.sender = simpleUser(ctx, sender);
  return {
    name: "pull_request",
    payload,
    env: {
      ...baseEnv(ctx, repo, sender),
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_SHA: opts.mergeRefSha ?? syntheticSha(`merge:${pull.repo}#${pull.number}:${pull.head.sha}`),
      ...workflowEnv(repo, `refs/pull/${pull.number}/merge`, opts.mergeRefSha ?? syntheticSha(`merge:${pull.repo}#${pull.number}:${pull.head.sha}`)),
      GITHUB_REF: `refs/pull/${pull.number}/merge`,
      GITHUB_REF_NAME: `${pull.number}/merge`,
      GITHUB_REF_TYPE: "branch",
      GITHUB_HEAD_REF: pull.head.ref,
      GITHUB_BASE_REF: pull.base.ref,
    },
  };
}

export interface PushCommit {
  id: string;
  message: string;
  author?: { name: string; email: string; username?: string };
  committer?: { name: string; email: string; username?: string };
  added?: string[];
  removed?: string[];
  modified?: string[];
}

/**
 * `push` to a branch (default: the default branch). With `mergedPull`, the head
 * commit is that pull request's merge commit (`after` = its merge_commit_sha),
 * worded and committed as GitHub's merge button does (committer "GitHub",
 * username web-flow).
 */
export function pushEvent(
  opts: EventOptions & { repo: string; before: string; after?: string; ref?: string; mergedPull?: number; commits?: PushCommit[]; pusher?: string },
): RunnerEvent {
  const ctx = ser(opts);
  const repo = repoOrThrow(opts.store, opts.repo);
  const fullName = `${repo.owner}/${repo.name}`;
  const ref = opts.ref ?? `refs/heads/${repo.defaultBranch}`;
  let commits = opts.commits ?? [];
  let pull: PullRecord | undefined;
  if (opts.mergedPull !== undefined) {
    pull = opts.store.pull(fullName, opts.mergedPull);
    if (!pull?.merged || !pull.mergeCommitSha) throw new Error(`${fullName}#${opts.mergedPull} is not merged (store.mergePullRequest first)`);
    if (commits.length === 0) {
      const author = opts.store.user(pull.mergedBy!)!;
      commits = [
        {
          id: pull.mergeCommitSha,
          message: `Merge pull request #${pull.number} from ${opts.store.repo(pull.head.repo)!.owner}/${pull.head.ref}\n\n${pull.title}`,
          author: { name: author.name ?? author.login, email: `${author.id}+${author.login}@users.noreply.github.com`, username: author.login },
          committer: { name: "GitHub", email: "noreply@github.com", username: "web-flow" },
          modified: ["aws-access.yaml"],
        },
      ];
    }
  }
  const after = opts.after ?? pull?.mergeCommitSha ?? commits.at(-1)?.id;
  if (!after) throw new Error("pushEvent needs `after`, `mergedPull` or `commits`");
  if (pull === undefined && opts.store.pullsForCommit(fullName, after) === undefined) opts.store.addCommit(fullName, after);
  const pusherLogin = opts.pusher ?? pull?.mergedBy ?? repo.owner;
  const pusher = opts.store.addUser({ login: pusherLogin });
  const now = opts.store.now();
  const wireCommits = commits.map((c) => {
    const author = c.author ?? { name: pusher.login, email: `${pusher.id}+${pusher.login}@users.noreply.github.com`, username: pusher.login };
    return {
      id: c.id,
      tree_id: syntheticSha(`tree:${c.id}`),
      distinct: true,
      message: c.message,
      timestamp: now.replace(/Z$/, "+00:00"),
      url: `${ctx.serverUrl}/${fullName}/commit/${c.id}`,
      author,
      committer: c.committer ?? author,
      added: c.added ?? [],
      removed: c.removed ?? [],
      modified: c.modified ?? [],
    };
  });
  // In push payloads the repository is the older "push" shape: unix timestamps,
  // owner with name/email, `stargazers`, `master_branch`.
  const rest = repository(ctx, repo);
  const ownerUser = opts.store.user(repo.owner)!;
  const pushRepository: Obj = {
    ...rest,
    owner: { ...(rest.owner as Obj), name: ownerUser.login, email: ownerUser.email },
    created_at: Math.floor(Date.parse(repo.createdAt) / 1000),
    pushed_at: Math.floor(Date.parse(now) / 1000),
    stargazers: 0,
    master_branch: repo.defaultBranch,
  };
  if (ownerUser.type === "Organization") pushRepository.organization = ownerUser.login;
  const payload: Obj = {
    ref,
    before: opts.before,
    after,
    repository: pushRepository,
    pusher: { name: pusher.login, email: `${pusher.id}+${pusher.login}@users.noreply.github.com` },
  };
  const org = organization(ctx, repo);
  if (org) payload.organization = org;
  Object.assign(payload, {
    sender: simpleUser(ctx, pusher.login),
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${ctx.serverUrl}/${fullName}/compare/${opts.before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: wireCommits,
    head_commit: wireCommits.at(-1) ?? null,
  });
  return {
    name: "push",
    payload,
    env: {
      ...baseEnv(ctx, repo, pusher.login),
      GITHUB_EVENT_NAME: "push",
      GITHUB_SHA: after,
      ...workflowEnv(repo, ref, after),
      GITHUB_REF: ref,
      GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags)\//, ""),
      GITHUB_REF_TYPE: ref.startsWith("refs/tags/") ? "tag" : "branch",
      GITHUB_HEAD_REF: "",
      GITHUB_BASE_REF: "",
    },
  };
}

/**
 * `merge_group` / `checks_requested` for an open pull request in the store that a merge
 * queue has taken up: the group's head commit `headSha` (made known to the repository,
 * without pull requests until `store.mergePullRequest(…, {mergeCommitSha: headSha})`)
 * sits on `baseSha` of the pull request's base branch.
 */
export function mergeGroupEvent(
  opts: EventOptions & { repo: string; number: number; headSha?: string; baseSha?: string; sender?: string },
): RunnerEvent {
  const ctx = ser(opts);
  const pull = opts.store.pull(opts.repo, opts.number);
  if (!pull) throw new Error(`${opts.repo}#${opts.number} is not in the store`);
  if (pull.state !== "open") throw new Error(`${opts.repo}#${opts.number} is ${pull.merged ? "merged" : "closed"}; a merge queue takes up open pull requests`);
  const repo = repoOrThrow(opts.store, pull.repo);
  const fullName = `${repo.owner}/${repo.name}`;
  const baseSha = opts.baseSha ?? (/^0+$/.test(pull.base.sha) ? syntheticSha(`base:${fullName}:${pull.base.ref}`) : pull.base.sha);
  const headSha = opts.headSha ?? syntheticSha(`queue:${fullName}#${pull.number}:${pull.head.sha}:${baseSha}`);
  const branch = `gh-readonly-queue/${pull.base.ref}/pr-${pull.number}-${baseSha}`;
  if (opts.store.pullsForCommit(fullName, headSha) === undefined) opts.store.addCommit(fullName, headSha);
  const sender = opts.store.addUser({ login: opts.sender ?? pull.user });
  const author = opts.store.user(pull.user)!;
  const now = opts.store.now();
  const payload: Obj = {
    action: "checks_requested",
    merge_group: {
      head_sha: headSha,
      head_ref: `refs/heads/${branch}`,
      base_sha: baseSha,
      base_ref: `refs/heads/${pull.base.ref}`,
      head_commit: {
        id: headSha,
        tree_id: syntheticSha(`tree:${headSha}`),
        message: `Merge pull request #${pull.number} from ${opts.store.repo(pull.head.repo)!.owner}/${pull.head.ref}\n\n${pull.title}`,
        timestamp: now,
        author: { name: author.name ?? author.login, email: `${author.id}+${author.login}@users.noreply.github.com` },
        committer: { name: "GitHub", email: "noreply@github.com" },
      },
    },
    repository: repository(ctx, repo),
  };
  const org = organization(ctx, repo);
  if (org) payload.organization = org;
  payload.sender = simpleUser(ctx, sender.login);
  return {
    name: "merge_group",
    payload,
    env: {
      ...baseEnv(ctx, repo, sender.login),
      GITHUB_EVENT_NAME: "merge_group",
      GITHUB_SHA: headSha,
      ...workflowEnv(repo, `refs/heads/${branch}`, headSha),
      GITHUB_REF: `refs/heads/${branch}`,
      GITHUB_REF_NAME: branch,
      GITHUB_REF_TYPE: "branch",
      GITHUB_HEAD_REF: "",
      GITHUB_BASE_REF: "",
    },
  };
}

/** `schedule`: `{schedule, repository, organization?, workflow}`; GITHUB_SHA is the default branch head. */
export function scheduleEvent(opts: EventOptions & { repo: string; cron: string; sha: string; workflow?: string }): RunnerEvent {
  const ctx = ser(opts);
  const repo = repoOrThrow(opts.store, opts.repo);
  const payload: Obj = { schedule: opts.cron, repository: repository(ctx, repo) };
  const org = organization(ctx, repo);
  if (org) payload.organization = org;
  payload.workflow = opts.workflow ?? ".github/workflows/aws-access.yml";
  // GITHUB_ACTOR of a scheduled run is whoever last changed the cron line; the repository owner stands in.
  return {
    name: "schedule",
    payload,
    env: {
      ...baseEnv(ctx, repo, repo.owner),
      GITHUB_EVENT_NAME: "schedule",
      GITHUB_SHA: opts.sha,
      ...workflowEnv(repo, `refs/heads/${repo.defaultBranch}`, opts.sha),
      GITHUB_REF: `refs/heads/${repo.defaultBranch}`,
      GITHUB_REF_NAME: repo.defaultBranch,
      GITHUB_REF_TYPE: "branch",
      GITHUB_HEAD_REF: "",
      GITHUB_BASE_REF: "",
    },
  };
}

/** A deterministic 40-hex sha for objects the tests do not name (merge refs, trees). */
export function syntheticSha(seed: string): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 40; round++) {
    for (const ch of `${seed}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 40);
}

// ---- validation against GitHub's webhook description ----

const require = createRequire(import.meta.url);
type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;
const WEBHOOKS_ID = "https://github-webhooks.invalid/api.github.com.json";

let webhooks: { ajv: Ajv2020; compiled: Map<string, ValidateFunction>; names: Set<string> } | undefined;

function webhookValidator() {
  if (webhooks) return webhooks;
  const doc = JSON.parse(readFileSync(require.resolve("@octokit/openapi-webhooks/generated/api.github.com.json"), "utf8")) as {
    webhooks: Record<string, unknown>;
    components: Record<string, unknown>;
  };
  const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat("uri-template", (v: string) => !/\s/.test(v));
  ajv.addSchema({ $id: WEBHOOKS_ID, components: doc.components }, WEBHOOKS_ID);
  webhooks = { ajv, compiled: new Map(), names: new Set(Object.keys(doc.webhooks)) };
  return webhooks;
}

/**
 * Problems of `payload` against the webhook schema for `name`/`action`
 * (e.g. "pull_request"/"opened" → webhook-pull-request-opened). Empty = valid.
 * `schedule` has no schema: only its `schedule` string is checked.
 */
export function validateEventPayload(event: Pick<RunnerEvent, "name" | "payload">): string[] {
  if (event.name === "schedule") return typeof event.payload.schedule === "string" ? [] : ["schedule payload needs a `schedule` string"];
  const v = webhookValidator();
  const action = typeof event.payload.action === "string" ? event.payload.action : undefined;
  const key = [event.name, action].filter(Boolean).join("-").replace(/_/g, "-");
  if (!v.names.has(key)) return [`no webhook named ${key} in GitHub's webhook description`];
  let fn = v.compiled.get(key);
  if (!fn) {
    fn = v.ajv.compile({ $ref: `${WEBHOOKS_ID}#/components/schemas/webhook-${key}` });
    v.compiled.set(key, fn);
  }
  if (fn(event.payload)) return [];
  return (fn.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}`);
}
