// GitHub Actions' OIDC provider, standing in for https://token.actions.githubusercontent.com:
// the emulator's own URL is the issuer, its JWKS is served at /.well-known/jwks and its
// discovery document at /.well-known/openid-configuration, and a job asks for a token the way
// the runner lets it (@actions/core getIDToken, lib/oidc-utils.js):
//
//   GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=<aud>     Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>
//   → 200 {"count": <length>, "value": "<JWT>"}
//
// The JWT is RS256-signed (header typ, alg, kid) and carries GitHub's claims (docs.github.com,
// "OpenID Connect reference" → "OIDC token claims", and the example token there): jti, sub,
// environment (only for a job with an environment), aud, ref, sha, repository,
// repository_owner, actor_id, repository_visibility, repository_id, repository_owner_id,
// run_id, run_number, run_attempt, runner_environment, actor, workflow, head_ref, base_ref,
// event_name, ref_protected, ref_type, workflow_ref, workflow_sha, job_workflow_ref,
// job_workflow_sha, iss, nbf, exp, iat. The subject by job kind:
//   repo:OWNER/REPO:environment:NAME    a job with an environment (whatever the event)
//   repo:OWNER/REPO:pull_request        a pull_request event's job without environment
//   repo:OWNER/REPO:ref:<ref>           any other job (e.g. refs/heads/main on push)
// For a repository with immutable subject claims (changelog 2026-04-23; the default for
// repositories created or renamed from 2026-07-15, and those an admin opts in; docs "OpenID
// Connect" → "Immutable subject claims"), OWNER/REPO in the subject is
// OWNER@OWNER_ID/REPO@REPO_ID (the repository_owner_id and repository_id claims), e.g.
// repo:octocat@123456/my-repo@456789:ref:refs/heads/main; the other claims are unchanged.
// Times as in the documented example: nbf = iat − 600 s, exp = iat + 300 s (five minutes).
// aud defaults to the owner's URL (https://github.com/OWNER). A pull request from a fork gets
// no id-token permission: the runner sets no ACTIONS_ID_TOKEN_REQUEST_* for it.
// Not modelled: x5t/x5c (no certificate behind the key), custom subject templates
// (include_claim_keys), enterprise claims, check_run_id.
import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from "node:crypto";
import { publicJwk, signJwt } from "../jwt.js";
import type { RunnerEvent } from "./events.js";
import type { GitHubStore } from "./store.js";

export const ID_TOKEN_PATH = /^\/_apis\/distributedtask\/hubs\/Actions\/plans\/([0-9a-f-]+)\/jobs\/([0-9a-f-]+)\/idtoken$/;

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

/** What a job's token says, less what each token request sets (aud, jti, times). */
export type JobClaims = Record<string, string>;

export interface OidcJobOptions {
  /** the runner's event for the job (its env is the job's GITHUB_* context) */
  event: RunnerEvent;
  /** the job's environment, as the runner runs it (GITHUB_RUN_ID and the like override the event's) */
  env?: Record<string, string | undefined>;
  /** `environment:` of the job, if any: the subject names it and the `environment` claim appears */
  environment?: string;
  /** the reusable workflow the job is defined in (job_workflow_ref); default the workflow itself */
  jobWorkflowRef?: string;
  /** whether the ref is protected (ref_protected); default false */
  refProtected?: boolean;
}

export interface OidcJob {
  /** what the runner sets in the job's environment; empty for a fork's pull request */
  env: Record<string, string>;
  /** the token's subject, or null when the job gets no token */
  subject: string | null;
  claims: JobClaims | null;
  /** why the job gets no token */
  reason?: string;
}

export interface IssuedIdToken {
  at: string;
  audience: string;
  subject: string;
  kid: string;
  claims: Record<string, unknown>;
}

export interface MintOptions {
  /** the job's request token (from oidcJob), or claims given outright */
  requestToken?: string;
  claims?: Record<string, unknown>;
  audience?: string;
  /** iat in Unix seconds (default: now on the emulator's clock) */
  issuedAt?: number;
  /** exp − iat (default 300) */
  lifetimeSeconds?: number;
  /** "current" (default): the key the JWKS serves; "unknown": a key it never served, with a kid of its own; "forged": a key it never served, under the served kid */
  key?: "current" | "unknown" | "forged";
  /** override the header's kid */
  kid?: string;
}

function newKey(): SigningKey {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomUUID();
  return { kid, privateKey, jwk: publicJwk(privateKey, { kid, alg: "RS256", use: "sig" }) };
}

export class GitHubOidc {
  /** the keys the JWKS serves, newest last; tokens are signed with the newest */
  private readonly keys: SigningKey[] = [newKey()];
  private readonly jobs = new Map<string, JobClaims>();
  readonly issued: IssuedIdToken[] = [];
  /** the key pair tokens "signed by someone else" use (MintOptions.key) */
  private readonly stranger = newKey();

  constructor(
    private readonly store: GitHubStore,
    /** the issuer: the emulator's URL, known once it listens */
    private readonly issuerUrl: () => string,
    private readonly serverUrl: string,
    private readonly nowMs: () => number = () => Date.now(),
  ) {}

  get issuer(): string {
    return this.issuerUrl().replace(/\/$/, "");
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: this.keys.map((k) => ({ ...k.jwk })) };
  }

  /** The discovery document, shaped like token.actions.githubusercontent.com's. */
  openidConfiguration(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/.well-known/jwks`,
      subject_types_supported: ["public", "pairwise"],
      response_types_supported: ["id_token"],
      claims_supported: [
        "sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository", "repository_id", "repository_owner", "repository_owner_id",
        "enterprise", "enterprise_id", "run_id", "run_number", "run_attempt", "actor", "actor_id", "workflow", "workflow_ref", "workflow_sha",
        "head_ref", "base_ref", "event_name", "ref_type", "ref_protected", "environment", "environment_node_id", "job_workflow_ref",
        "job_workflow_sha", "repository_visibility", "runner_environment", "issuer_scope",
      ],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
    };
  }

  /** A new signing key: served from now on and used for new tokens; `keepOld` keeps serving the previous ones. */
  rotate(keepOld = true): { kid: string; served: string[] } {
    const key = newKey();
    if (!keepOld) this.keys.splice(0);
    this.keys.push(key);
    return { kid: key.kid, served: this.keys.map((k) => k.kid) };
  }

  /** The claims a job's tokens carry, from its event and environment (see the header). */
  jobClaims(opts: OidcJobOptions): JobClaims {
    const env = { ...opts.event.env, ...(opts.env ?? {}) } as Record<string, string | undefined>;
    const fullName = env.GITHUB_REPOSITORY;
    if (!fullName) throw new Error("oidcJob: the event's env names no GITHUB_REPOSITORY");
    const repo = this.store.repo(fullName);
    if (!repo) throw new Error(`oidcJob: repository ${fullName} is not in the store`);
    const owner = this.store.user(repo.owner)!;
    const actorLogin = env.GITHUB_ACTOR ?? repo.owner;
    const actor = this.store.user(actorLogin) ?? this.store.addUser({ login: actorLogin });
    const eventName = env.GITHUB_EVENT_NAME ?? opts.event.name;
    const ref = env.GITHUB_REF ?? `refs/heads/${repo.defaultBranch}`;
    const sha = env.GITHUB_SHA ?? "";
    const repoName = `${repo.owner}/${repo.name}`;
    const workflowRef = env.GITHUB_WORKFLOW_REF ?? `${repoName}/.github/workflows/aws-access.yml@${ref}`;
    const workflowSha = env.GITHUB_WORKFLOW_SHA ?? sha;
    const subjectRepo = repo.immutableSubject ? `${repo.owner}@${owner.id}/${repo.name}@${repo.id}` : repoName;
    const sub =
      opts.environment !== undefined ? `repo:${subjectRepo}:environment:${opts.environment}` : eventName === "pull_request" ? `repo:${subjectRepo}:pull_request` : `repo:${subjectRepo}:ref:${ref}`;
    const claims: JobClaims = { sub };
    if (opts.environment !== undefined) claims.environment = opts.environment;
    Object.assign(claims, {
      ref,
      sha,
      repository: repoName,
      repository_owner: repo.owner,
      actor_id: String(actor.id),
      repository_visibility: repo.private ? "private" : "public",
      repository_id: String(repo.id),
      repository_owner_id: String(owner.id),
      run_id: env.GITHUB_RUN_ID ?? "1",
      run_number: env.GITHUB_RUN_NUMBER ?? "1",
      run_attempt: env.GITHUB_RUN_ATTEMPT ?? "1",
      runner_environment: "github-hosted",
      actor: actorLogin,
      workflow: env.GITHUB_WORKFLOW ?? "aws-access",
      head_ref: env.GITHUB_HEAD_REF ?? "",
      base_ref: env.GITHUB_BASE_REF ?? "",
      event_name: eventName,
      ref_protected: opts.refProtected ? "true" : "false",
      ref_type: env.GITHUB_REF_TYPE ?? "branch",
      workflow_ref: workflowRef,
      workflow_sha: workflowSha,
      job_workflow_ref: opts.jobWorkflowRef ?? workflowRef,
      job_workflow_sha: workflowSha,
    });
    return claims;
  }

  /** Registers a job: the runner's ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN for it (none for a fork's pull request). */
  job(opts: OidcJobOptions, apiUrl: string): OidcJob {
    const pr = opts.event.payload.pull_request as { head?: { repo?: { full_name?: string } } } | undefined;
    const base = (opts.event.payload.repository as { full_name?: string } | undefined)?.full_name;
    if (opts.event.name === "pull_request" && pr?.head?.repo?.full_name && pr.head.repo.full_name !== base) {
      return { env: {}, subject: null, claims: null, reason: "a pull request from a fork gets no id-token permission: the runner sets no ACTIONS_ID_TOKEN_REQUEST_URL" };
    }
    const claims = this.jobClaims(opts);
    const token = randomBytes(32).toString("base64url");
    this.jobs.set(token, claims);
    const url = `${apiUrl.replace(/\/$/, "")}/_apis/distributedtask/hubs/Actions/plans/${randomUUID()}/jobs/${randomUUID()}/idtoken?api-version=2.0`;
    return { env: { ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: token }, subject: claims.sub!, claims };
  }

  /** The job a request token belongs to. */
  jobOf(requestToken: string): JobClaims | undefined {
    return this.jobs.get(requestToken);
  }

  /** A signed token for a job (or for claims given outright), as the token service issues it, or altered for a test. */
  mint(opts: MintOptions): string {
    let base: Record<string, unknown> | undefined = opts.claims;
    if (opts.requestToken !== undefined) {
      base = this.jobs.get(opts.requestToken);
      if (!base) throw new Error("mint: no job has that request token");
    }
    if (!base) throw new Error("mint: give a requestToken or claims");
    const iat = opts.issuedAt ?? Math.floor(this.nowMs() / 1000);
    const repoOwner = typeof base.repository_owner === "string" ? base.repository_owner : "";
    const audience = opts.audience ?? `${this.serverUrl.replace(/\/$/, "")}/${repoOwner}`;
    const { sub, environment, ...rest } = base;
    const claims: Record<string, unknown> = { jti: randomUUID(), sub, ...(environment !== undefined ? { environment } : {}), aud: audience, ...rest };
    Object.assign(claims, { iss: this.issuer, nbf: iat - 600, exp: iat + (opts.lifetimeSeconds ?? 300), iat });
    const current = this.keys[this.keys.length - 1]!;
    const key = opts.key === "unknown" || opts.key === "forged" ? this.stranger : current;
    const kid = opts.kid ?? (opts.key === "unknown" ? this.stranger.kid : current.kid);
    const jwt = signJwt(claims, key.privateKey, "RS256", { typ: "JWT", kid });
    this.issued.push({ at: new Date(this.nowMs()).toISOString(), audience, subject: String(sub), kid, claims });
    return jwt;
  }
}
