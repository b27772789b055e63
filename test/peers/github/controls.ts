// What a test may ask of the GitHub emulator running in another process (see
// ../peer-process.ts): seed and change its state the way GitHub's own users would
// (repositories, pull requests, comments by others, merges, pushes to a pull
// request's branch), read back what the Action wrote, build the runner's event
// payloads from that state (checked against GitHub's webhook description before they
// are handed out), and read the request log and emulator bugs.
import {
  type EventOptions,
  mergeGroupEvent,
  pullRequestEvent,
  pushEvent,
  type RunnerEvent,
  scheduleEvent,
  validateEventPayload,
} from "./events.js";
import type { IssuedIdToken, MintOptions, OidcJob, OidcJobOptions } from "./oidc.js";
import type { GitHubEmulator, RecordedRequest } from "./server.js";
import type { AddCommentInput, AddPullInput, AddRepoInput, CommentRecord, PullRecord } from "./store.js";

/** The event builders' options without what the emulator fills in (its store, API and web URLs). */
type Built<F extends (opts: any) => RunnerEvent> = Omit<Parameters<F>[0], keyof EventOptions>;

export function githubControls(emulator: GitHubEmulator, serverUrl = "https://github.com") {
  const { store } = emulator;
  const base: EventOptions = { store, apiUrl: emulator.url, serverUrl };
  const checked = (event: RunnerEvent): RunnerEvent => {
    const problems = validateEventPayload(event);
    if (problems.length > 0) throw new Error(`${event.name} payload breaks GitHub's webhook description: ${problems.join("; ")}`);
    return event;
  };
  const requirePull = (repo: string, number: number): PullRecord => {
    const pull = store.pull(repo, number);
    if (!pull) throw new Error(`${repo}#${number} does not exist`);
    return pull;
  };
  return {
    addRepo: (input: AddRepoInput) => {
      store.addRepo(input);
    },
    addPullRequest: (input: AddPullInput): PullRecord => store.addPullRequest(input),
    /** A push to the pull request's branch: new head sha (associated with the pull request, as GitHub does). */
    pushToPull: (repo: string, number: number, headSha: string): PullRecord => {
      const pull = requirePull(repo, number);
      pull.head.sha = headSha;
      pull.updatedAt = store.now();
      store.linkCommit(pull.repo, headSha, number);
      return pull;
    },
    /** A comment someone else writes (the Action's own come through the API). */
    addComment: (input: AddCommentInput): CommentRecord => store.addComment(input),
    /** Someone with write access edits a comment (GitHub lets collaborators edit others' comments). */
    editComment: (id: number, user: string, body: string): CommentRecord => {
      const comment = store.comments.get(id);
      if (!comment) throw new Error(`no comment ${id}`);
      store.addUser({ login: user });
      comment.body = body;
      comment.updatedAt = store.now();
      comment.editor = user;
      return comment;
    },
    addCommit: (repo: string, sha: string, pulls: number[] = []) => store.addCommit(repo, sha, pulls),
    mergePullRequest: (repo: string, number: number, opts: { mergeCommitSha: string; mergedBy?: string }): PullRecord => store.mergePullRequest(repo, number, opts),
    pull: (repo: string, number: number): PullRecord | undefined => store.pull(repo, number),
    /** Comments on an issue or pull request, oldest first. */
    comments: (repo: string, number: number): CommentRecord[] => store.commentsOn(repo, number),

    pullRequestEvent: (opts: Built<typeof pullRequestEvent>) => checked(pullRequestEvent({ ...base, ...opts })),
    pushEvent: (opts: Built<typeof pushEvent>) => checked(pushEvent({ ...base, ...opts })),
    scheduleEvent: (opts: Built<typeof scheduleEvent>) => checked(scheduleEvent({ ...base, ...opts })),
    mergeGroupEvent: (opts: Built<typeof mergeGroupEvent>) => checked(mergeGroupEvent({ ...base, ...opts })),

    /**
     * The runner's OIDC set-up for a job running `event` (with `env` over the event's GITHUB_*,
     * as the runner passes them, and the job's `environment`): the ACTIONS_ID_TOKEN_REQUEST_URL
     * and _TOKEN it sets, the subject and claims its tokens carry. A fork's pull request gets none.
     */
    oidcJob: (opts: OidcJobOptions): OidcJob => emulator.oidc.job(opts, emulator.url),
    /** A token minted directly, as a job's (requestToken) or from claims, possibly expired, from an unknown key or forged (MintOptions). */
    mintIdToken: (opts: MintOptions): string => emulator.oidc.mint(opts),
    /** Rotates the OIDC signing key (keepOld: the JWKS keeps serving the old key too; default true). */
    rotateOidcKey: (keepOld = true): { kid: string; served: string[] } => emulator.oidc.rotate(keepOld),
    /** The issuer, discovery and JWKS URLs, and the JWKS served now. */
    oidcIssuer: () => ({ issuer: emulator.oidc.issuer, openidConfiguration: `${emulator.oidc.issuer}/.well-known/openid-configuration`, jwksUri: `${emulator.oidc.issuer}/.well-known/jwks`, jwks: emulator.oidc.jwks() }),
    /** Every ID token issued, oldest first. */
    idTokens: (): IssuedIdToken[] => emulator.oidc.issued,

    requests: (): RecordedRequest[] => emulator.requests,
    invalidRequests: (): RecordedRequest[] => emulator.invalidRequests(),
    emulatorErrors: (): string[] => emulator.emulatorErrors,
  };
}
export type GitHubControls = ReturnType<typeof githubControls>;
