/**
 * `permissions --authentik-oidc OWNER/REPO`: the authentik objects that let the Action sign
 * in with GitHub Actions' OIDC token instead of a stored API token (authentik-auth:
 * github-oidc), as one blueprint. Pure: the configuration and the options in, data out.
 *
 * From authentik's source (authentik/providers/oauth2/views/token.py, 2025.10 to 2026.x):
 * - The OAuth2 provider verifies the JWT against the JWKS (`oidc_jwks`, fetched from
 *   `oidc_jwks_url` on save and refreshed by authentik's update_well_known_jwks task) of
 *   the OAuth sources in its `jwt_federation_sources`, by `kid`; not the audience (the
 *   policy below checks it), but the expiry. `client_type` is checked only for the
 *   authorization_code and refresh_token grants: confidential, with a secret nobody
 *   knows, leaves those closed. From 2026.8 (the providers/oauth2/allowed-grant-types
 *   change) the provider must also list client_credentials in `grant_types`, which is
 *   empty by default; releases before it drop that field unread, as DRF does.
 * - Its application must exist; the application's policies see the claims in
 *   `request.context["oauth_jwt"]`.
 * - The user is the service account `<provider name>-<sub>`, at most 150 characters,
 *   created on first use if missing and kept (groups included) if it exists: so the
 *   accounts are declared here, each in the group holding its phase's role. GitHub's
 *   OpenID Connect claims carry no nickname or preferred_username, which would otherwise
 *   name it (the openidconnect source type's base properties).
 * - The access token carries only requested scopes the provider has a mapping for, and
 *   the API takes it only with `goauthentik.io/api` (authentik's managed mapping
 *   goauthentik.io/providers/oauth2/scope-authentik_api).
 * - GitHub's OIDC issuer is https://token.actions.githubusercontent.com (an enterprise may
 *   have its own, …/<enterprise>; GitHub Enterprise Server's is https://HOST/_services/token),
 *   its JWKS at `<issuer>/.well-known/jwks`.
 * - An OAuth source needs consumer_key and consumer_secret, and, for openidconnect, the
 *   authorization, access token and profile URLs (blank is accepted); this one never signs
 *   anyone in, it only holds GitHub's keys.
 */
import { createHash } from "node:crypto";
import type { ResolvedConfig } from "../config/model.js";
import { pyLiteral } from "../domain/expressions.js";
import { UserError } from "../errors.js";

/** A phase of the tool (model.ts's Phase; model.ts imports this file). */
type Phase = "plan" | "apply";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
/** GitHub's JWKS is at `<issuer>/.well-known/jwks`, for github.com, an enterprise's own issuer (…/<enterprise>) and GitHub Enterprise Server (https://HOST/_services/token) alike. */
export const jwksUrlOf = (issuer: string) => `${issuer}/.well-known/jwks`;
export const GITHUB_JWKS_URL = jwksUrlOf(GITHUB_ISSUER);
/** authentik's managed scope mapping for goauthentik.io/api (blueprints/system/providers-oauth2.yaml). */
export const API_SCOPE_MAPPING_MANAGED = "goauthentik.io/providers/oauth2/scope-authentik_api";
/** authentik's USERNAME_MAX_LENGTH: longer `<provider name>-<sub>` names are cut (Python slices code points). */
const USERNAME_MAX_LENGTH = 150;
/** authentik's Application.slug is a SlugField: at most 50 characters. */
const APPLICATION_SLUG_MAX_LENGTH = 50;
/** The events whose runs may sign in as the apply account: a merge (push), a run by hand, the scheduled expiry. */
const APPLY_EVENTS = ["push", "workflow_dispatch", "schedule"];
/** The provider's access_token_validity: a plan or apply lasts longer than one, and the Action renews its token at 80%. */
const TOKEN_VALIDITY = "minutes=10";
const TOKEN_VALIDITY_WORDS = "10-minute";

export interface OidcOptions {
  /**
   * The repository whose workflows sign in: OWNER/REPO (its tokens carry GitHub's legacy subject
   * repo:OWNER/REPO:…), or OWNER@OWNER_ID/REPO@REPO_ID (GitHub's immutable subject claims,
   * changelog 2026-04-23: the default for repositories created or renamed from 2026-07-15, and
   * those opted in; the policy then also checks repository_owner_id and repository_id).
   */
  repository: string;
  /** The audience the Action requests GitHub's token for (authentik-oidc-audience; default the client id, as the Action's). */
  audience?: string;
  /** The GitHub environment the apply job runs in (default aws-apply). */
  environment?: string;
  /** The default branch, the only one apply may run from (default main). */
  branch?: string;
  /** GitHub's OIDC issuer (default https://token.actions.githubusercontent.com; GitHub Enterprise Server: https://HOST/_services/token). */
  issuer?: string;
  /** The provider's name and client id (default authentik-aws-gitops-<application slug>). */
  clientId?: string;
  /** The workflow file (in .github/workflows) the apply job must be defined in: the policy then checks job_workflow_ref. */
  workflow?: string;
}

/** GitHub's subject formats: repo:OWNER/REPO:… and repo:OWNER@OWNER_ID/REPO@REPO_ID:…. */
export type SubjectFormat = "legacy" | "immutable";

/** The options checked and defaulted. */
export interface ResolvedOidcOptions {
  /** OWNER/REPO (the `repository` claim), whichever the subject format. */
  repository: string;
  subjectFormat: SubjectFormat;
  /** The repository_owner_id and repository_id claims, with the immutable format. */
  ownerId: string | undefined;
  repositoryId: string | undefined;
  audience: string;
  environment: string;
  branch: string;
  issuer: string;
  clientId: string;
  /** The workflow file name, if the apply account is tied to one. */
  workflow: string | undefined;
}

export interface OidcAccount {
  phase: Phase;
  /** GitHub's `sub` of the jobs that sign in as it. */
  subject: string;
  /** Which jobs those are, in words. */
  jobs: string;
  /** `<provider name>-<sub>`, as authentik names it. */
  username: string;
  group: string;
}

export interface AuthentikOidc {
  repository: string;
  /** Which subject the repository's tokens carry, so which the accounts are named after. */
  subjectFormat: SubjectFormat;
  /** With the immutable format: the ids the policy checks. */
  ownerId?: string;
  repositoryId?: string;
  issuer: string;
  jwksUrl: string;
  audience: string;
  environment: string;
  branch: string;
  /** The Action's authentik-client-id (also the provider's name and the application's slug). */
  clientId: string;
  /** access_token_validity, as authentik writes it (minutes=10). */
  accessTokenValidity: string;
  /** The same in words (10-minute). */
  accessTokenValidityWords: string;
  accounts: OidcAccount[];
  /** The blueprint declaring the source, provider, application, policy, roles, groups and accounts. */
  blueprint: string;
  notes: string[];
}

/** The role and group of each phase: the same names as the API-token blueprint's, so the two converge. */
export interface PhaseRole {
  phase: Phase;
  roleName: string;
  permissions: string[];
}

const REPOSITORY = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))(?:@([1-9][0-9]{0,19}))?\/([A-Za-z0-9._-]{1,100}?)(?:@([1-9][0-9]{0,19}))?$/;
const BRANCH = /^[A-Za-z0-9._][A-Za-z0-9._/-]{0,254}$/;

const CLIENT_ID = /^[A-Za-z0-9._-]{1,100}$/;
const WORKFLOW = /^[A-Za-z0-9._-]+\.ya?ml$/;

/** The options checked and defaulted (the client id from the application's slug, the audience from the client id), or a UserError saying what to pass. */
export function resolveOidcOptions(config: ResolvedConfig, options: OidcOptions): ResolvedOidcOptions {
  const m = REPOSITORY.exec(options.repository.trim());
  // Both ids or neither: GitHub's immutable subject carries both.
  if (!m || /^\.\.?$/.test(m[3]!) || (m[2] === undefined) !== (m[4] === undefined)) {
    throw new UserError(
      `--authentik-oidc takes the repository whose workflows sign in as OWNER/REPO (e.g. acme/aws-access; GitHub's legacy subject repo:OWNER/REPO:…) or, for a repository whose tokens carry GitHub's immutable subject (created or renamed from 2026-07-15, or opted in), OWNER@OWNER_ID/REPO@REPO_ID (e.g. acme@1001/aws-access@2002), not '${options.repository}'`,
    );
  }
  const repository = `${m[1]}/${m[3]}`;
  const [ownerId, repositoryId] = [m[2], m[4]];
  const subjectFormat: SubjectFormat = ownerId === undefined ? "legacy" : "immutable";
  const environment = (options.environment ?? "aws-apply").trim();
  if (environment === "" || environment.length > 255 || /[\u0000-\u001f\u007f]/.test(environment)) {
    throw new UserError(`--authentik-oidc-environment must name a GitHub environment (1 to 255 characters, no control characters), not '${options.environment}'`);
  }
  const branch = (options.branch ?? "main").trim().replace(/^refs\/heads\//, "");
  if (!BRANCH.test(branch) || branch.includes("..") || branch.endsWith("/")) throw new UserError(`--authentik-oidc-branch must be a branch name (e.g. main), not '${options.branch}'`);
  const issuer = (options.issuer ?? GITHUB_ISSUER).trim().replace(/\/+$/, "");
  if (!/^https?:\/\/[^/?#@\s]+(?:\/[^?#\s]*)?$/.test(issuer)) throw new UserError(`--authentik-oidc-issuer must be the http(s) URL of GitHub's OIDC issuer (e.g. ${GITHUB_ISSUER}), not '${options.issuer}'`);
  const clientId = (options.clientId ?? `authentik-aws-gitops-${config.authentik.application.slug}`).trim();
  if (!CLIENT_ID.test(clientId)) throw new UserError(`--authentik-oidc-client-id must be 1 to 100 letters, digits, '.', '_' or '-', not '${options.clientId}'`);
  // The Action's default too (authentik-oidc-audience empty: the client id): one value both sides agree on, whatever URL the Action reaches authentik at.
  // Taken as it is, as the Action requests it (no trailing slash removed).
  const audience = (options.audience ?? clientId).trim();
  if (!audience) throw new UserError("--authentik-oidc-audience must not be empty (leave it out: the audience is the client id)");
  let workflow: string | undefined;
  if (options.workflow !== undefined) {
    workflow = options.workflow.trim().replace(/^\.github\/workflows\//, "");
    if (!WORKFLOW.test(workflow)) {
      throw new UserError(`--authentik-oidc-workflow takes the file name of the apply workflow in .github/workflows (e.g. aws-access.yml), not '${options.workflow}'`);
    }
  }
  return { repository, subjectFormat, ownerId, repositoryId, environment, branch, audience, issuer, clientId, workflow };
}

/** YAML double-quoted scalar: JSON's escapes are YAML's. */
const yamlString = (s: string) => JSON.stringify(s);

/** The first `max` code points (authentik cuts the username with a Python slice). */
const codePoints = (s: string, max: number) => Array.from(s).slice(0, max).join("");

/** The expression policy: which claims may sign in at all, and which subject may be the apply account. */
export function claimsPolicy(o: ResolvedOidcOptions, subjects: { plan: string[]; apply: string }): string {
  return `# Written by authentik-aws-gitops (permissions --authentik-oidc): who may sign in through this
# application. authentik evaluates it at its token endpoint with the verified JWT's claims
# (request.context["oauth_jwt"]); the service account is then <provider name>-<sub>, and
# what it may do is its group's role. People signing in have no such claims: refused.
claims = request.context.get("oauth_jwt")
if not isinstance(claims, dict):
    return False
if claims.get("iss") != ${pyLiteral(o.issuer)}:
    return False
# authentik does not check the audience: a token GitHub issued for another service is refused here.
audience = claims.get("aud")
if ${pyLiteral(o.audience)} not in (audience if isinstance(audience, list) else [audience]):
    return False
if claims.get("repository") != ${pyLiteral(o.repository)}:
    return False
${
  o.ownerId !== undefined && o.repositoryId !== undefined
    ? `# The ids, which a repository or owner made again under the same name does not have.
if claims.get("repository_owner_id") != ${pyLiteral(o.ownerId)} or claims.get("repository_id") != ${pyLiteral(o.repositoryId)}:
    return False
`
    : ""
}subject = claims.get("sub")
# Read-only accounts: pull requests, and runs on the default branch outside the environment (drift, report).
if subject in (${subjects.plan.map((s) => pyLiteral(s)).join(", ")}):
    return True
# The account that writes: only the environment, only on the default branch, only a merge, a run
# by hand or the schedule (not a pull_request_target, workflow_run or issue_comment run, which
# may run a pull request's code)${o.workflow ? ", only the apply workflow" : ""}.
if subject == ${pyLiteral(subjects.apply)}:
    if claims.get("environment") != ${pyLiteral(o.environment)} or claims.get("ref") != ${pyLiteral(`refs/heads/${o.branch}`)}:
        return False
    if claims.get("event_name") not in (${APPLY_EVENTS.map((e) => pyLiteral(e)).join(", ")}):
        return False
${o.workflow ? `    return claims.get("job_workflow_ref") == ${pyLiteral(`${o.repository}/.github/workflows/${o.workflow}@refs/heads/${o.branch}`)}\n` : "    return True\n"}return False
`;
}

/** The application's slug: authentik-aws-gitops-<slug>, or, past authentik's 50 characters, its start and a hash of the slug. */
export function applicationSlugOf(slug: string): string {
  const full = `authentik-aws-gitops-${slug}`;
  if (full.length <= APPLICATION_SLUG_MAX_LENGTH) return full;
  const hash = createHash("sha256").update(slug).digest("hex").slice(0, 8);
  return `${full.slice(0, APPLICATION_SLUG_MAX_LENGTH - hash.length - 1)}-${hash}`;
}

/**
 * authentik cuts `<provider name>-<sub>` at 150 characters; the subjects differ first just after
 * their common start (`repo:…:`), so the provider name must leave room for that character.
 */
function sameAccounts(clientId: string, commonStart: string): UserError {
  const room = USERNAME_MAX_LENGTH - 2 - Array.from(commonStart).length;
  return new UserError(
    `--authentik-oidc: authentik names each account <provider name>-<sub> and cuts the name at ${USERNAME_MAX_LENGTH} characters; with the provider name ${clientId} (${Array.from(clientId).length} characters) and subjects starting '${commonStart}', the plan and apply jobs would sign in as the same account. ` +
      (room >= 1
        ? `Pass --authentik-oidc-client-id with a provider name (the client id) of at most ${room} characters.`
        : "This repository's subjects leave no room for a provider name: no set-up can tell its jobs apart."),
  );
}

export function authentikOidc(config: ResolvedConfig, options: OidcOptions, roles: PhaseRole[]): AuthentikOidc {
  const o = resolveOidcOptions(config, options);
  const slug = config.authentik.application.slug;
  const name = o.clientId;
  const applicationSlug = applicationSlugOf(slug);
  const sourceSlug = "authentik-aws-gitops-github-actions";
  // The subject the repository's tokens carry: GitHub's legacy or immutable format.
  const subjectRepo = o.subjectFormat === "immutable" ? `${o.repository.split("/")[0]}@${o.ownerId}/${o.repository.split("/")[1]}@${o.repositoryId}` : o.repository;
  const subject = (context: string) => `repo:${subjectRepo}:${context}`;
  const groupOf = (phase: Phase) => `authentik-aws-gitops ${phase} ${slug}`;
  const account = (phase: Phase, sub: string, jobs: string): OidcAccount => ({ phase, subject: sub, jobs, username: codePoints(`${name}-${sub}`, USERNAME_MAX_LENGTH), group: groupOf(phase) });
  const accounts = [
    account("plan", subject("pull_request"), "plan on pull requests"),
    account("plan", subject(`ref:refs/heads/${o.branch}`), `runs on ${o.branch} outside the environment ${o.environment}: the drift check, the access report`),
    account("apply", subject(`environment:${o.environment}`), `apply and expire, in the environment ${o.environment} on ${o.branch}`),
  ];
  if (new Set(accounts.map((a) => a.username)).size < accounts.length) throw sameAccounts(name, subject(""));
  const policy = claimsPolicy(o, { plan: accounts.filter((a) => a.phase === "plan").map((a) => a.subject), apply: accounts.find((a) => a.phase === "apply")!.subject });

  const lines: string[] = [
    "# yaml-language-server: $schema=https://goauthentik.io/blueprints/schema.json",
    `# authentik-aws-gitops: GitHub Actions of ${o.repository} sign in with their OIDC token (authentik-auth: github-oidc,`,
    `# authentik-client-id: ${name}); no API token. Each job gets a ${TOKEN_VALIDITY_WORDS} access token of the`,
    "# service account named after its subject, which holds its phase's role through its group.",
    "version: 1",
    "metadata:",
    `  name: ${yamlString(`authentik-aws-gitops GitHub OIDC (${slug}, ${o.repository})`)}`,
    "entries:",
    // GitHub's signing keys; it signs no one in (no authorization URL, on no login stage).
    "  - model: authentik_sources_oauth.oauthsource",
    "    id: github-actions",
    "    identifiers:",
    `      slug: ${yamlString(sourceSlug)}`,
    "    attrs:",
    `      name: ${yamlString("GitHub Actions (authentik-aws-gitops)")}`,
    `      slug: ${yamlString(sourceSlug)}`,
    "      provider_type: openidconnect",
    `      consumer_key: ${yamlString("github-actions")}`,
    `      consumer_secret: ${yamlString("unused: this source only holds GitHub's signing keys")}`,
    '      authorization_url: ""',
    '      access_token_url: ""',
    '      profile_url: ""',
    `      oidc_jwks_url: ${yamlString(jwksUrlOf(o.issuer))}`,
    "  - model: authentik_providers_oauth2.oauth2provider",
    "    id: provider",
    "    identifiers:",
    `      name: ${yamlString(name)}`,
    "    attrs:",
    `      name: ${yamlString(name)}`,
    "      client_type: confidential",
    // From 2026.8 a provider accepts only the grants it lists (none by default); older releases drop the field unread.
    "      grant_types:",
    "        - client_credentials",
    `      client_id: ${yamlString(name)}`,
    "      authorization_flow: !Find [authentik_flows.flow, [slug, default-provider-authorization-implicit-consent]]",
    "      invalidation_flow: !Find [authentik_flows.flow, [slug, default-provider-invalidation-flow]]",
    "      redirect_uris: []",
    "      property_mappings:",
    `        - !Find [authentik_providers_oauth2.scopemapping, [managed, ${API_SCOPE_MAPPING_MANAGED}]]`,
    "      jwt_federation_sources:",
    "        - !KeyOf github-actions",
    `      access_token_validity: ${TOKEN_VALIDITY}`,
    "  - model: authentik_core.application",
    "    id: application",
    "    identifiers:",
    `      slug: ${yamlString(applicationSlug)}`,
    "    attrs:",
    `      name: ${yamlString(`authentik-aws-gitops (${slug}, GitHub Actions)`)}`,
    `      slug: ${yamlString(applicationSlug)}`,
    "      provider: !KeyOf provider",
    // Hidden from people's application library.
    "      meta_launch_url: blank://blank",
    // Every policy bound to it must pass (one bound later, by hand, cannot widen the claims policy).
    "      policy_engine_mode: all",
    "  - model: authentik_policies_expression.expressionpolicy",
    "    id: claims",
    "    identifiers:",
    `      name: ${yamlString(`${name} GitHub Actions claims`)}`,
    "    attrs:",
    `      name: ${yamlString(`${name} GitHub Actions claims`)}`,
    "      expression: |",
    ...policy.trimEnd().split("\n").map((line) => (line === "" ? "" : `        ${line}`)),
    "  - model: authentik_policies.policybinding",
    "    identifiers:",
    "      policy: !KeyOf claims",
    "      target: !KeyOf application",
    "    attrs:",
    "      order: 0",
    "      enabled: true",
  ];
  for (const role of roles) {
    lines.push(
      "  - model: authentik_rbac.role",
      `    id: role-${role.phase}`,
      "    identifiers:",
      `      name: ${yamlString(role.roleName)}`,
      "    attrs:",
      `      name: ${yamlString(role.roleName)}`,
      "      permissions:",
      ...role.permissions.map((p) => `        - ${p}`),
      "  - model: authentik_core.group",
      `    id: group-${role.phase}`,
      "    identifiers:",
      `      name: ${yamlString(groupOf(role.phase))}`,
      "    attrs:",
      `      name: ${yamlString(groupOf(role.phase))}`,
      "      roles:",
      `        - !KeyOf role-${role.phase}`,
    );
  }
  for (const a of accounts) {
    lines.push(
      "  - model: authentik_core.user",
      "    identifiers:",
      `      username: ${yamlString(a.username)}`,
      "    attrs:",
      `      username: ${yamlString(a.username)}`,
      `      name: ${yamlString(`authentik-aws-gitops ${a.phase} (${slug}): ${a.jobs}`)}`,
      "      type: service_account",
      // Where authentik moves the account when the JWT signs it in (the source's user path).
      `      path: ${yamlString(`goauthentik.io/sources/${sourceSlug}`)}`,
      "      groups:",
      `        - !KeyOf group-${a.phase}`,
    );
  }
  lines.push("");

  return {
    repository: o.repository,
    subjectFormat: o.subjectFormat,
    ...(o.ownerId !== undefined && o.repositoryId !== undefined ? { ownerId: o.ownerId, repositoryId: o.repositoryId } : {}),
    issuer: o.issuer,
    jwksUrl: jwksUrlOf(o.issuer),
    audience: o.audience,
    environment: o.environment,
    branch: o.branch,
    clientId: name,
    accessTokenValidity: TOKEN_VALIDITY,
    accessTokenValidityWords: TOKEN_VALIDITY_WORDS,
    accounts,
    blueprint: lines.join("\n"),
    notes: [
      ...(accounts.some((a) => Array.from(`${name}-${a.subject}`).length > USERNAME_MAX_LENGTH)
        ? [
            `Some <provider name>-<sub> names are longer than authentik's ${USERNAME_MAX_LENGTH} characters: authentik from 2026.5 cuts them as the blueprint does, releases before it fail to sign such a job in (a database error); a shorter --authentik-oidc-client-id avoids it.`,
          ]
        : []),
      `The workflow: authentik-auth: github-oidc, authentik-client-id: ${name}, authentik-url${o.audience === name ? "" : `, authentik-oidc-audience: ${o.audience}`} (the audience the policy checks${o.audience === name ? " is the client id, the Action's default" : ""}), and the job's permissions: id-token: write; no authentik-token.`,
      `The apply job must run in the GitHub environment ${o.environment}, whose deployment branch rule allows only ${o.branch}: the policy also requires ref refs/heads/${o.branch}, and a ${APPLY_EVENTS.join(", ")} run${o.workflow ? `, of the workflow .github/workflows/${o.workflow}` : " (--authentik-oidc-workflow FILE also ties it to one workflow)"}.`,
      "A merge queue's runs have a subject of their own per queued merge (repo:OWNER/REPO:ref:refs/heads/gh-readonly-queue/…), which no account here is named after: the policy refuses them. Under authentik-auth: github-oidc the Action validates the queued merge offline instead and says so; the apply on the push that follows the merge is signed in as usual.",
      o.subjectFormat === "immutable"
        ? `The accounts are named after GitHub's immutable subjects (repo:${subjectRepo}:…), and the policy checks repository_owner_id ${o.ownerId} and repository_id ${o.repositoryId}: a repository or owner made again under the same name is refused.`
        : `The accounts are named after GitHub's legacy subjects (repo:${o.repository}:…). A repository created or renamed from 2026-07-15 (or opted in) carries the immutable subject repo:OWNER@OWNER_ID/REPO@REPO_ID:… instead: print this with --authentik-oidc OWNER@OWNER_ID/REPO@REPO_ID (the ids: gh api repos/${o.repository} --jq '.owner.id, .id'), which also has the policy check both ids.`,
      "authentik fetches GitHub's keys when the blueprint is applied and refreshes them with its update_well_known_jwks task: authentik must reach token.actions.githubusercontent.com.",
    ],
  };
}
