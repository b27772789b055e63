/**
 * A working "GitHub Actions signs in to authentik" set-up, made through authentik's API the
 * way an admin (or an imported blueprint) would make it — plain API calls, no emulator
 * controls — and the token exchange a job performs, for tests:
 *
 *   const ak = authentikApi(peers.authentik.url);                 // test/support/peers.ts
 *   const oidc = await setUpGitHubOidc(ak, { authentikUrl: peers.authentik.url, githubUrl: gh.url, repository: "acme/aws-access" });
 *   // oidc.clientId, oidc.plan.subject ("repo:acme/aws-access:pull_request"),
 *   // oidc.apply.subject ("repo:acme/aws-access:environment:aws-apply"), oidc.tokenUrl …
 *   const jwt = await gh.control.mintIdToken({ requestToken, audience: oidc.audience });
 *   const got = await exchangeGitHubToken(oidc.tokenUrl, { clientId: oidc.clientId, jwt });
 *   // got.status 200, got.body.access_token: Authorization: Bearer <access_token>
 *
 * What it creates (each named after `name`, default "aws-gitops"):
 *   * an OAuth source (openidconnect) whose oidc_well_known_url is the GitHub emulator's
 *     discovery document (authentik fetches it and the JWKS behind it), or whose
 *     oidc_jwks_url is given directly (`jwks: "url"`);
 *   * an OAuth2 provider trusting that source (jwt_federation_sources), with the managed
 *     `goauthentik.io/api` scope mapping, access_token_validity as given (default
 *     "minutes=10"), grant_types ["client_credentials"] (read by 2026.8, dropped by older
 *     releases as an unknown field);
 *   * an application for it, bound to an expression policy that admits a JWT of `repository`
 *     only, and of that only a pull_request job (plan) or a job in the apply environment
 *     (`applyEnvironment`, default "aws-apply") — or on `applyRef` when that is given instead;
 *   * two roles, two groups holding them and the two service accounts `<provider>-<sub>`
 *     (type service_account) in those groups: the plan account's role holds `planPermissions`
 *     (default: every view_ permission the emulator models), the apply account's
 *     `applyPermissions` (default: every permission it models).
 */
import { KNOWN_PERMISSIONS } from "../peers/authentik/permissions.js";

export type AuthentikApi = <T = any>(method: string, apiPath: string, body?: unknown) => Promise<T>;

export interface GitHubOidcSetupOptions {
  /** authentik's base URL (the token endpoint and the audience derive from it) */
  authentikUrl: string;
  /** the GitHub emulator's URL: the issuer whose JWKS the source trusts */
  githubUrl: string;
  /** OWNER/REPO whose jobs may sign in */
  repository: string;
  /** names the objects (provider, application slug, groups, roles); default "aws-gitops" */
  name?: string;
  /** the OAuth2 provider's client id; default `<name>-github-actions` */
  clientId?: string;
  /** access_token_validity; default "minutes=10" */
  accessTokenValidity?: string;
  /** the apply job's environment (its subject names it); default "aws-apply" */
  applyEnvironment?: string;
  /** instead of an environment, the apply job's ref (e.g. "refs/heads/main"): subject repo:…:ref:<ref> */
  applyRef?: string;
  /** how the source learns GitHub's keys: its well-known document (default) or the JWKS URL */
  jwks?: "well-known" | "url";
  /** the plan role's permissions; default every view_ permission the emulator models */
  planPermissions?: string[];
  /** the apply role's permissions; default every permission the emulator models */
  applyPermissions?: string[];
  /** leave out the goauthentik.io/api scope mapping (a provider whose tokens cannot call the API) */
  withoutApiScope?: boolean;
}

export interface OidcIdentity {
  /** the JWT subject GitHub gives the job */
  subject: string;
  /** the service account `<provider name>-<subject>` */
  username: string;
  userPk: number;
  group: { pk: string; name: string };
  role: { pk: string; name: string };
}

export interface GitHubOidcSetup {
  clientId: string;
  /** POST here (form-encoded) to exchange a GitHub JWT: <authentik>/application/o/token/ */
  tokenUrl: string;
  /** what the job should ask GitHub for as audience (authentik does not check it): the authentik URL */
  audience: string;
  scope: string;
  provider: { pk: number; name: string };
  source: { pk: string; slug: string };
  application: { pk: string; slug: string };
  policy: { pk: string; name: string; expression: string };
  plan: OidcIdentity;
  apply: OidcIdentity;
}

/** Python string literal for a value put into a policy expression (JSON strings are valid Python). */
const py = (s: string) => JSON.stringify(s);

/** The policy the set-up binds: the repository, then a pull_request job (plan) or the apply environment / ref. */
export function githubPolicyExpression(repository: string, apply: { environment: string } | { ref: string }): string {
  const applyCheck =
    "environment" in apply
      ? `if claims.get("environment") == ${py(apply.environment)}:\n    return True\nak_message("only the " + ${py(apply.environment)} + " environment may apply")\nreturn False\n`
      : `if claims.get("ref") == ${py(apply.ref)} and claims.get("event_name") != "pull_request":\n    return True\nak_message("only " + ${py(apply.ref)} + " may apply")\nreturn False\n`;
  return [
    `claims = request.context.get("oauth_jwt") or {}`,
    `if claims.get("repository") != ${py(repository)}:`,
    `    ak_message("the token is for another repository: " + str(claims.get("repository")))`,
    `    return False`,
    `if claims.get("event_name") == "pull_request" and "environment" not in claims:`,
    `    return True`,
    applyCheck,
  ].join("\n");
}

/** Creates the objects described in the header through authentik's API. */
export async function setUpGitHubOidc(ak: AuthentikApi, options: GitHubOidcSetupOptions): Promise<GitHubOidcSetup> {
  const authentikUrl = options.authentikUrl.replace(/\/$/, "");
  const name = options.name ?? "aws-gitops";
  const providerName = `${name}-github-actions`;
  const clientId = options.clientId ?? providerName;
  const github = options.githubUrl.replace(/\/$/, "");
  const applyEnvironment = options.applyEnvironment ?? "aws-apply";
  const apply = options.applyRef ? { ref: options.applyRef } : { environment: applyEnvironment };

  const flow = async (slug: string) => (await ak<{ results: { pk: string }[] }>("GET", `/flows/instances/?slug=${slug}`)).results[0]!.pk;
  const sourceSlug = `${name}-github-actions`;
  const source = await ak<{ pk: string; slug: string }>("POST", "/sources/oauth/", {
    name: `GitHub Actions (${name})`,
    slug: sourceSlug,
    provider_type: "openidconnect",
    consumer_key: "github-actions",
    consumer_secret: "unused: tokens are verified with the JWKS",
    ...(options.jwks === "url"
      ? { oidc_jwks_url: `${github}/.well-known/jwks`, authorization_url: "", access_token_url: "", profile_url: "" }
      : { oidc_well_known_url: `${github}/.well-known/openid-configuration` }),
  });
  const apiScope = (await ak<{ results: { pk: string }[] }>("GET", "/propertymappings/provider/scope/?managed=goauthentik.io/providers/oauth2/scope-authentik_api")).results[0];
  if (!apiScope) throw new Error("setUpGitHubOidc: no managed goauthentik.io/api scope mapping");
  const provider = await ak<{ pk: number; name: string }>("POST", "/providers/oauth2/", {
    name: providerName,
    authorization_flow: await flow("default-provider-authorization-implicit-consent"),
    invalidation_flow: await flow("default-provider-invalidation-flow"),
    client_type: "confidential",
    client_id: clientId,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    property_mappings: options.withoutApiScope ? [] : [apiScope.pk],
    jwt_federation_sources: [source.pk],
    access_token_validity: options.accessTokenValidity ?? "minutes=10",
  });
  const appSlug = `${name}-ci`;
  const application = await ak<{ pk: string; slug: string }>("POST", "/core/applications/", { name: `${name} CI`, slug: appSlug, provider: provider.pk });
  const expression = githubPolicyExpression(options.repository, apply);
  const policy = await ak<{ pk: string; name: string }>("POST", "/policies/expression/", { name: `${name}: GitHub Actions of ${options.repository}`, expression });
  await ak("POST", "/policies/bindings/", { target: application.pk, policy: policy.pk, order: 0 });

  const viewAll = [...KNOWN_PERMISSIONS].filter((p) => p.split(".")[1]!.startsWith("view_")).sort();
  const identity = async (kind: "plan" | "apply", subject: string, permissions: string[]): Promise<OidcIdentity> => {
    const role = await ak<{ pk: string; name: string }>("POST", "/rbac/roles/", { name: `${name} ${kind}` });
    await ak("POST", `/rbac/permissions/assigned_by_roles/${role.pk}/assign/`, { permissions });
    const group = await ak<{ pk: string; name: string }>("POST", "/core/groups/", { name: `${name} ${kind}`, roles: [role.pk] });
    const username = `${providerName}-${subject}`;
    const user = await ak<{ pk: number }>("POST", "/core/users/", {
      username,
      name: `GitHub Actions ${kind} (${subject})`,
      type: "service_account",
      path: `goauthentik.io/sources/${sourceSlug}`,
      groups: [group.pk],
    });
    return { subject, username, userPk: user.pk, group: { pk: group.pk, name: group.name }, role: { pk: role.pk, name: role.name } };
  };
  const planSubject = `repo:${options.repository}:pull_request`;
  const applySubject = "environment" in apply ? `repo:${options.repository}:environment:${apply.environment}` : `repo:${options.repository}:ref:${apply.ref}`;
  const plan = await identity("plan", planSubject, options.planPermissions ?? viewAll);
  const applyIdentity = await identity("apply", applySubject, options.applyPermissions ?? [...KNOWN_PERMISSIONS].sort());
  return {
    clientId,
    tokenUrl: `${authentikUrl}/application/o/token/`,
    audience: authentikUrl,
    scope: "goauthentik.io/api",
    provider: { pk: provider.pk, name: provider.name },
    source: { pk: source.pk, slug: source.slug },
    application: { pk: application.pk, slug: application.slug },
    policy: { pk: policy.pk, name: policy.name, expression },
    plan,
    apply: applyIdentity,
  };
}

export interface TokenExchange {
  status: number;
  body: { access_token?: string; token_type?: string; expires_in?: number; scope?: string; id_token?: string; error?: string; error_description?: string; request_id?: string };
  headers: Headers;
}

/**
 * The client_credentials request with the JWT as client assertion, as a job (or the Action)
 * sends it: form-encoded, client_id, scope (default goauthentik.io/api; `null` sends none).
 */
export async function exchangeGitHubToken(tokenUrl: string, opts: { clientId: string; jwt: string; scope?: string | null; grantType?: string }): Promise<TokenExchange> {
  const form = new URLSearchParams({
    grant_type: opts.grantType ?? "client_credentials",
    client_id: opts.clientId,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: opts.jwt,
  });
  if (opts.scope !== null) form.set("scope", opts.scope ?? "goauthentik.io/api");
  const response = await fetch(tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}
