// Store records → the JSON authentik's serializers return, in the shape of the
// release the emulator plays (ctx.store.release): the store keeps one shape, the
// wire differs per release. Every output is validated against that release's
// schema.yml by the server (with additionalProperties: false), so a field here
// that the release does not publish, or one it requires and lacks, fails loudly.
// Fields that only exist from some release on are spread in with `since(...)`;
// the release each comes from is what the pinned schemas say (release.ts).
import { since } from "./release.js";
import { userUid } from "./seed.js";
import type {
  ApplicationRec,
  BindingRec,
  EntitlementRec,
  FlowRec,
  GroupRec,
  KeypairRec,
  MappingRec,
  OAuth2ProviderRec,
  OAuthSourceRec,
  PolicyRec,
  ProviderRec,
  RoleRec,
  SamlProviderRec,
  ScheduleRec,
  ScimProviderRec,
  Store,
  UserRec,
} from "./store.js";

export type Wire = Record<string, unknown>;

export interface SerializeContext {
  store: Store;
  /** scheme://host as the client addressed us: authentik builds absolute URLs from the request. */
  baseUrl: string;
}

/** authentik's Group.num_pk: the first 5 decimal digits of the UUID as an integer. */
export function groupNumPk(pk: string): number {
  return Number(BigInt(`0x${pk.replace(/-/g, "")}`).toString().slice(0, 5));
}

/** 2025.10's one `parent` (FK) and its name; the store keeps a list of at most one there. */
function parentFields(store: Store, g: GroupRec): Wire {
  const parent = g.parents[0] ?? null;
  return { parent, parent_name: parent ? (store.groups.get(parent)?.name ?? null) : null };
}

export function partialGroup(ctx: SerializeContext, g: GroupRec): Wire {
  return {
    pk: g.pk,
    num_pk: groupNumPk(g.pk),
    name: g.name,
    is_superuser: g.is_superuser,
    ...(ctx.store.release.groupParents === "parent" ? parentFields(ctx.store, g) : {}),
    attributes: g.attributes,
  };
}

function relatedGroup(g: GroupRec): Wire {
  return { pk: g.pk, name: g.name, is_superuser: g.is_superuser, attributes: g.attributes, group_uuid: g.pk };
}

export function partialUser(ctx: SerializeContext, u: UserRec): Wire {
  return {
    pk: u.pk,
    username: u.username,
    name: u.name,
    is_active: u.is_active,
    last_login: u.last_login,
    email: u.email,
    attributes: u.attributes,
    uid: userUid(ctx.store, u.pk),
  };
}

export function role(r: RoleRec): Wire {
  return { pk: r.pk, name: r.name };
}

function rolesOf(store: Store, pks: string[]): Wire[] {
  return pks.map((pk) => store.roles.get(pk)).filter((r): r is RoleRec => r !== undefined).map(role);
}

function ancestors(store: Store, g: GroupRec): GroupRec[] {
  const seen = new Set<string>();
  const queue = [...g.parents];
  const out: GroupRec[] = [];
  while (queue.length > 0) {
    const pk = queue.shift()!;
    if (seen.has(pk)) continue;
    seen.add(pk);
    const parent = store.groups.get(pk);
    if (!parent) continue;
    out.push(parent);
    queue.push(...parent.parents);
  }
  return out;
}

export interface GroupIncludes {
  include_users?: boolean;
  include_children?: boolean;
  include_parents?: boolean;
  include_inherited_roles?: boolean;
}

export function group(ctx: SerializeContext, g: GroupRec, inc: GroupIncludes = {}): Wire {
  const { store } = ctx;
  const children = store.groupChildren(g.pk);
  if (store.release.groupParents === "parent") {
    // GroupSerializer@version/2025.10.4: parent, parent_name, writable children.
    return {
      pk: g.pk,
      num_pk: groupNumPk(g.pk),
      name: g.name,
      is_superuser: g.is_superuser,
      ...parentFields(store, g),
      users: store.groupMembers(g.pk).map((u) => u.pk),
      users_obj: inc.include_users === false ? null : store.groupMembers(g.pk).map((u) => partialUser(ctx, u)),
      attributes: g.attributes,
      roles: g.roles,
      roles_obj: rolesOf(store, g.roles),
      children: children.map((c) => c.pk),
      children_obj: inc.include_children ? children.map(relatedGroup) : null,
    };
  }
  return {
    pk: g.pk,
    num_pk: groupNumPk(g.pk),
    name: g.name,
    is_superuser: g.is_superuser,
    parents: g.parents,
    parents_obj: inc.include_parents ? g.parents.map((p) => store.groups.get(p)).filter((x) => x !== undefined).map(relatedGroup) : null,
    users: store.groupMembers(g.pk).map((u) => u.pk),
    // include_users defaults to true in authentik's GroupViewSet.
    users_obj: inc.include_users === false ? null : store.groupMembers(g.pk).map((u) => partialUser(ctx, u)),
    attributes: g.attributes,
    roles: g.roles,
    roles_obj: rolesOf(store, g.roles),
    // Group.all_roles() less its own: the roles of its ancestors.
    inherited_roles_obj: inc.include_inherited_roles ? rolesOf(store, [...new Set(ancestors(store, g).flatMap((a) => a.roles))].filter((r) => !g.roles.includes(r))) : null,
    children: children.map((c) => c.pk),
    children_obj: inc.include_children ? children.map(relatedGroup) : null,
  };
}

/** Initials avatar as a data URI (authentik's default avatar mode includes "initials"). */
function avatar(u: UserRec): string {
  const initials = (u.name || u.username)
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0]!.toUpperCase())
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text x="50%" y="50%">${initials.replace(/[<&>]/g, "")}</text></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

export function user(ctx: SerializeContext, u: UserRec, inc: { include_groups?: boolean; include_roles?: boolean } = {}): Wire {
  return {
    pk: u.pk,
    username: u.username,
    name: u.name,
    is_active: u.is_active,
    last_login: u.last_login,
    date_joined: u.date_joined,
    is_superuser: ctx.store.isSuperuser(u),
    groups: u.groups,
    groups_obj:
      inc.include_groups === false
        ? null
        : u.groups
            .map((g) => ctx.store.groups.get(g))
            .filter((g) => g !== undefined)
            .map((g) => partialGroup(ctx, g)),
    ...since(ctx.store.release, "2025.12", { roles: u.roles, roles_obj: inc.include_roles === false ? null : rolesOf(ctx.store, u.roles) }),
    email: u.email,
    avatar: avatar(u),
    attributes: u.attributes,
    uid: userUid(ctx.store, u.pk),
    path: u.path,
    type: u.type,
    uuid: u.uuid,
    password_change_date: u.password_change_date,
    last_updated: u.last_updated,
  };
}

// component and verbose names from each model (authentik/providers/<kind>/models.py@version/2026.2.2).
const PROVIDER_META = {
  saml: { component: "ak-provider-saml-form", verbose_name: "SAML Provider", verbose_name_plural: "SAML Providers", meta_model_name: "authentik_providers_saml.samlprovider" },
  scim: { component: "ak-provider-scim-form", verbose_name: "SCIM Provider", verbose_name_plural: "SCIM Providers", meta_model_name: "authentik_providers_scim.scimprovider" },
  oauth2: { component: "ak-provider-oauth2-form", verbose_name: "OAuth2/OpenID Provider", verbose_name_plural: "OAuth2/OpenID Providers", meta_model_name: "authentik_providers_oauth2.oauth2provider" },
  ldap: { component: "ak-provider-ldap-form", verbose_name: "LDAP Provider", verbose_name_plural: "LDAP Providers", meta_model_name: "authentik_providers_ldap.ldapprovider" },
  proxy: { component: "ak-provider-proxy-form", verbose_name: "Proxy Provider", verbose_name_plural: "Proxy Providers", meta_model_name: "authentik_providers_proxy.proxyprovider" },
} as const;

/** The generic Provider serializer (used by /providers/all/ and Application.provider_obj). */
export function provider(ctx: SerializeContext, p: ProviderRec): Wire {
  const app = ctx.store.applicationOfProvider(p.pk);
  const backchannel = p.backchannel_application ? ctx.store.applications.get(p.backchannel_application) : undefined;
  return {
    pk: p.pk,
    name: p.name,
    authentication_flow: p.authentication_flow,
    authorization_flow: p.authorization_flow,
    invalidation_flow: p.invalidation_flow,
    property_mappings: p.property_mappings,
    component: PROVIDER_META[p.kind].component,
    assigned_application_slug: app?.slug ?? null,
    assigned_application_name: app?.name ?? null,
    assigned_backchannel_application_slug: backchannel?.slug ?? null,
    assigned_backchannel_application_name: backchannel?.name ?? null,
    verbose_name: PROVIDER_META[p.kind].verbose_name,
    verbose_name_plural: PROVIDER_META[p.kind].verbose_name_plural,
    meta_model_name: PROVIDER_META[p.kind].meta_model_name,
  };
}

export const DEFAULT_ISSUER = "authentik";

/**
 * The issuer (metadata entityID, assertion Issuer) a SAML provider uses.
 *   * before 2026.5: the `issuer` field itself, default "authentik"
 *     (MetadataProcessor: entityID = self.provider.issuer, processors/metadata.py@version/2026.2.2);
 *   * from 2026.5: `issuer_override` when set, else the application's base URL
 *     `<scheme://host>/application/saml/<slug>/` as the request reached authentik
 *     (_get_issuer_value / get_url_issuer, processors/metadata.py and api/providers.py
 *     @generate-issuer-api); "authentik" in url_issuer without an application.
 * The store keeps the value in `issuer_override` in every release.
 */
export function samlIssuer(ctx: SerializeContext, p: SamlProviderRec): string {
  if (ctx.store.release.samlIssuerField === "issuer") return p.issuer_override;
  const app = ctx.store.applicationOfProvider(p.pk);
  return p.issuer_override || (app ? `${ctx.baseUrl}/application/saml/${app.slug}/` : DEFAULT_ISSUER);
}

export function samlUrls(ctx: SerializeContext, p: SamlProviderRec) {
  const app = ctx.store.applicationOfProvider(p.pk);
  const appBase = app ? `${ctx.baseUrl}/application/saml/${app.slug}` : undefined;
  const at = (suffix: string) => (appBase ? `${appBase}/${suffix}` : "-");
  return {
    url_download_metadata: appBase ? `${appBase}/metadata/` : `${ctx.baseUrl}/api/v3/providers/saml/${p.pk}/metadata/?download`,
    // url_issuer, url_unified(_init): from 2026.5 (SAMLProviderSerializer in the 2026.5.6 schema).
    ...since(ctx.store.release, "2026.5", { url_issuer: samlIssuer(ctx, p), url_unified: at(""), url_unified_init: at("init/") }),
    url_sso_post: at("sso/binding/post/"),
    url_sso_redirect: at("sso/binding/redirect/"),
    url_sso_init: at("sso/binding/init/"),
    url_slo_post: at("slo/binding/post/"),
    url_slo_redirect: at("slo/binding/redirect/"),
  };
}

export function samlProvider(ctx: SerializeContext, p: SamlProviderRec): Wire {
  return {
    ...provider(ctx, p),
    acs_url: p.acs_url,
    sls_url: p.sls_url,
    audience: p.audience,
    [ctx.store.release.samlIssuerField]: p.issuer_override,
    assertion_valid_not_before: p.assertion_valid_not_before,
    assertion_valid_not_on_or_after: p.assertion_valid_not_on_or_after,
    session_valid_not_on_or_after: p.session_valid_not_on_or_after,
    name_id_mapping: p.name_id_mapping,
    authn_context_class_ref_mapping: p.authn_context_class_ref_mapping,
    digest_algorithm: p.digest_algorithm,
    signature_algorithm: p.signature_algorithm,
    signing_kp: p.signing_kp,
    verification_kp: p.verification_kp,
    encryption_kp: p.encryption_kp,
    sign_assertion: p.sign_assertion,
    sign_response: p.sign_response,
    sign_logout_request: p.sign_logout_request,
    ...since(ctx.store.release, "2026.5", { sign_logout_response: p.sign_logout_response }),
    sp_binding: p.sp_binding,
    sls_binding: p.sls_binding,
    logout_method: p.logout_method,
    default_relay_state: p.default_relay_state,
    default_name_id_policy: p.default_name_id_policy,
    ...samlUrls(ctx, p),
  };
}

export function scimProvider(ctx: SerializeContext, p: ScimProviderRec): Wire {
  const backchannel = p.backchannel_application ? ctx.store.applications.get(p.backchannel_application) : undefined;
  const release = ctx.store.release;
  return {
    pk: p.pk,
    name: p.name,
    property_mappings: p.property_mappings,
    property_mappings_group: p.property_mappings_group,
    component: PROVIDER_META.scim.component,
    assigned_backchannel_application_slug: backchannel?.slug ?? null,
    assigned_backchannel_application_name: backchannel?.name ?? null,
    verbose_name: PROVIDER_META.scim.verbose_name,
    verbose_name_plural: PROVIDER_META.scim.verbose_name_plural,
    meta_model_name: PROVIDER_META.scim.meta_model_name,
    url: p.url,
    verify_certificates: p.verify_certificates,
    // Up to 2026.5 the token is an ordinary field: SCIMProviderSerializer lists "token"
    // with `extra_kwargs = {}` (authentik/providers/scim/api/providers.py@version/2025.10.4,
    // @version/2026.2.2, @2026.5.0-rc1), so every read returns the secret. Only the
    // 2026.8 schema makes it writeOnly.
    ...(release.atLeast("2026.8") ? {} : { token: p.token }),
    auth_mode: p.auth_mode,
    auth_oauth: p.auth_oauth,
    auth_oauth_params: p.auth_oauth_params,
    ...since(release, "2026.5", { auth_oauth_token_last_updated: null, auth_oauth_token_expires: null, auth_oauth_url_callback: null, auth_oauth_url_start: null }),
    compatibility_mode: p.compatibility_mode,
    ...since(release, "2025.12", { service_provider_config_cache_timeout: p.service_provider_config_cache_timeout }),
    exclude_users_service_account: p.exclude_users_service_account,
    // filter_group: one group or null (FK) up to 2025.12; group_filters (M2M) from 2026.2.
    ...(release.scimGroupFilter === "filter_group" ? { filter_group: p.group_filters[0] ?? null } : {}),
    ...since(release, "2025.12", { sync_page_size: p.sync_page_size, sync_page_timeout: p.sync_page_timeout }),
    ...since(release, "2026.8", { discovery_enabled: p.discovery_enabled }),
    ...(release.scimGroupFilter === "group_filters" ? { group_filters: p.group_filters } : {}),
    dry_run: p.dry_run,
  };
}

export function application(ctx: SerializeContext, a: ApplicationRec): Wire {
  const { store } = ctx;
  const prov = a.provider !== null ? store.providers.get(a.provider) : undefined;
  const backchannel = store.backchannelProvidersOf(a.pbm_uuid);
  // SAMLProvider.launch_url is the (relative) IdP-initiated URL.
  const launch = a.meta_launch_url || (prov?.kind === "saml" ? `/application/saml/${a.slug}/sso/binding/init/` : null);
  const release = store.release;
  return {
    pk: a.pbm_uuid,
    // pbm_uuid: only in the 2026.8 schema (pk is the same value).
    ...since(release, "2026.8", { pbm_uuid: a.pbm_uuid }),
    name: a.name,
    slug: a.slug,
    provider: a.provider,
    provider_obj: prov ? provider(ctx, prov) : null,
    backchannel_providers: backchannel.map((p) => p.pk),
    backchannel_providers_obj: backchannel.map((p) => provider(ctx, p)),
    launch_url: launch,
    open_in_new_tab: a.open_in_new_tab,
    meta_launch_url: a.meta_launch_url,
    // 2025.10: meta_icon is the read-only icon URL (Application.get_meta_icon, None
    // without an icon, authentik/core/models.py@version/2025.10.4); from 2025.12 it is
    // the stored value and the URL moved to meta_icon_url.
    ...(release.atLeast("2025.12") ? { meta_icon: a.meta_icon, meta_icon_url: a.meta_icon || null, meta_icon_themed_urls: null } : { meta_icon: a.meta_icon || null }),
    meta_description: a.meta_description,
    meta_publisher: a.meta_publisher,
    policy_engine_mode: a.policy_engine_mode,
    group: a.group,
    ...since(release, "2026.5", { meta_hide: a.meta_hide }),
  };
}

export function entitlement(e: EntitlementRec): Wire {
  return { pbm_uuid: e.pbm_uuid, name: e.name, app: e.app, attributes: e.attributes };
}

export function binding(ctx: SerializeContext, b: BindingRec): Wire {
  const g = b.group ? ctx.store.groups.get(b.group) : undefined;
  const u = b.user !== null ? ctx.store.users.get(b.user) : undefined;
  return {
    pk: b.pk,
    policy: b.policy,
    group: b.group,
    user: b.user,
    policy_obj: b.policy !== null && ctx.store.policies.has(b.policy) ? policy(ctx, ctx.store.policies.get(b.policy)!) : null,
    group_obj: g ? partialGroup(ctx, g) : null,
    user_obj: u ? partialUser(ctx, u) : null,
    target: b.target,
    negate: b.negate,
    enabled: b.enabled,
    order: b.order,
    timeout: b.timeout,
    failure_result: b.failure_result,
    ...since(ctx.store.release, "2026.8", { expires: null, expiring: false }),
  };
}

const MAPPING_META = {
  saml: { component: "ak-property-mapping-provider-saml-form", verbose_name: "SAML Provider Property Mapping", verbose_name_plural: "SAML Provider Property Mappings", meta_model_name: "authentik_providers_saml.samlpropertymapping" },
  scim: { component: "ak-property-mapping-provider-scim-form", verbose_name: "SCIM Provider Mapping", verbose_name_plural: "SCIM Provider Mappings", meta_model_name: "authentik_providers_scim.scimmapping" },
  scope: { component: "ak-property-mapping-provider-scope-form", verbose_name: "Scope Mapping", verbose_name_plural: "Scope Mappings", meta_model_name: "authentik_providers_oauth2.scopemapping" },
} as const;

/** The base PropertyMapping serializer (/propertymappings/all/ and the SCIM one). */
export function mapping(m: MappingRec): Wire {
  return {
    pk: m.pk,
    managed: m.managed,
    name: m.name,
    expression: m.expression,
    ...MAPPING_META[m.kind],
  };
}

export function samlMapping(m: MappingRec): Wire {
  return { ...mapping(m), saml_name: m.saml_name ?? "", friendly_name: m.friendly_name ?? null };
}

/** ScopeMappingSerializer (authentik/providers/oauth2/api/scopes.py): the mapping plus scope_name and description. */
export function scopeMapping(m: MappingRec): Wire {
  return { ...mapping(m), scope_name: m.scope_name ?? "", description: m.description ?? "" };
}

/** PolicySerializer + ExpressionPolicySerializer (authentik/policies/api/policies.py, expression/api.py). */
export function policy(ctx: SerializeContext, p: PolicyRec, withExpression = false): Wire {
  return {
    pk: p.pk,
    name: p.name,
    execution_logging: p.execution_logging,
    component: "ak-policy-expression-form",
    verbose_name: "Expression Policy",
    verbose_name_plural: "Expression Policies",
    meta_model_name: "authentik_policies_expression.expressionpolicy",
    // PolicySerializer.get_bound_to: the number of bindings using the policy.
    bound_to: [...ctx.store.bindings.values()].filter((b) => b.policy === p.pk).length,
    ...(withExpression ? { expression: p.expression } : {}),
  };
}

/**
 * OAuth2ProviderSerializer (authentik/providers/oauth2/api/providers.py@version/2026.2.2): the
 * generic provider fields, then the OAuth2 ones; `grant_types` only in 2026.8 (its schema;
 * the field comes from the providers/oauth2/allowed-grant-types branch), `redirect_uri_type`
 * in each redirect URI from 2026.5.
 */
export function oauth2Provider(ctx: SerializeContext, p: OAuth2ProviderRec): Wire {
  const release = ctx.store.release;
  return {
    ...provider(ctx, p),
    client_type: p.client_type,
    ...since(release, "2026.8", { grant_types: p.grant_types }),
    client_id: p.client_id,
    client_secret: p.client_secret,
    access_code_validity: p.access_code_validity,
    access_token_validity: p.access_token_validity,
    refresh_token_validity: p.refresh_token_validity,
    refresh_token_threshold: p.refresh_token_threshold,
    include_claims_in_id_token: p.include_claims_in_id_token,
    signing_key: p.signing_key,
    encryption_key: p.encryption_key,
    redirect_uris: p.redirect_uris.map((r) => (release.atLeast("2026.5") ? { matching_mode: r.matching_mode, url: r.url, redirect_uri_type: r.redirect_uri_type ?? "authorization" } : { matching_mode: r.matching_mode, url: r.url })),
    logout_uri: p.logout_uri,
    logout_method: p.logout_method,
    sub_mode: p.sub_mode,
    issuer_mode: p.issuer_mode,
    jwt_federation_sources: p.jwt_federation_sources,
    jwt_federation_providers: p.jwt_federation_providers,
  };
}

/** The OpenID Connect source type (authentik/sources/oauth/types/oidc.py): every URL customizable, none preset. */
const OIDC_SOURCE_TYPE = {
  name: "openidconnect",
  verbose_name: "OpenID Connect",
  urls_customizable: true,
  request_token_url: null,
  authorization_url: null,
  access_token_url: null,
  profile_url: null,
  oidc_well_known_url: null,
  oidc_jwks_url: null,
};

/** The static icon of a source type (SourceType.icon_url: static("authentik/sources/<name>.svg")). */
export function sourceTypeIcon(providerType: string): string {
  return `/static/authentik/sources/${providerType}.svg`;
}

/**
 * OAuthSourceSerializer (authentik/sources/oauth/api/source.py + core/api/sources.py):
 *   * 2025.10: `icon` is read-only, the icon URL (OAuthSource.icon_url: the uploaded icon, else
 *     the source type's static icon); no `promoted`;
 *   * from 2025.12: `promoted`, `icon` (the stored file name, "" by default), `icon_url`,
 *     `icon_themed_urls` (null without a themed icon).
 * `consumer_secret` is write-only. `pkce` is returned as stored, which up to 2026.2 can be a
 * value outside its enum (see routes/sources.ts and openapi.ts).
 */
export function oauthSource(ctx: SerializeContext, s: OAuthSourceRec): Wire {
  const release = ctx.store.release;
  const iconUrl = s.icon || sourceTypeIcon(s.provider_type);
  return {
    pk: s.pbm_uuid,
    name: s.name,
    slug: s.slug,
    enabled: s.enabled,
    ...since(release, "2025.12", { promoted: s.promoted }),
    authentication_flow: s.authentication_flow,
    enrollment_flow: s.enrollment_flow,
    user_property_mappings: s.user_property_mappings,
    group_property_mappings: s.group_property_mappings,
    component: "ak-source-oauth-form",
    verbose_name: "OAuth Source",
    verbose_name_plural: "OAuth Sources",
    meta_model_name: "authentik_sources_oauth.oauthsource",
    policy_engine_mode: s.policy_engine_mode,
    user_matching_mode: s.user_matching_mode,
    managed: null,
    user_path_template: s.user_path_template,
    ...(release.atLeast("2025.12") ? { icon: s.icon, icon_url: iconUrl, icon_themed_urls: null } : { icon: iconUrl }),
    group_matching_mode: s.group_matching_mode,
    provider_type: s.provider_type,
    request_token_url: s.request_token_url,
    authorization_url: s.authorization_url,
    access_token_url: s.access_token_url,
    profile_url: s.profile_url,
    pkce: s.pkce,
    consumer_key: s.consumer_key,
    callback_url: `${ctx.baseUrl}/source/oauth/callback/${s.slug}/`,
    additional_scopes: s.additional_scopes,
    type: { ...OIDC_SOURCE_TYPE },
    oidc_well_known_url: s.oidc_well_known_url,
    oidc_jwks_url: s.oidc_jwks_url,
    oidc_jwks: s.oidc_jwks,
    authorization_code_auth_method: s.authorization_code_auth_method,
  };
}

const DEFAULT_FLOW_BACKGROUND = "/static/dist/assets/images/flow_background.jpg";

export function flow(ctx: SerializeContext, f: FlowRec): Wire {
  return {
    pk: f.pk,
    policybindingmodel_ptr_id: f.pbm_uuid,
    name: f.name,
    slug: f.slug,
    title: f.title,
    designation: f.designation,
    // 2025.10: background = ReadOnlyField(source="background_url") (flows/api/flows.py@version/2025.10.4).
    ...(ctx.store.release.atLeast("2025.12")
      ? { background: f.background, background_url: f.background || DEFAULT_FLOW_BACKGROUND, background_themed_urls: null }
      : { background: f.background || DEFAULT_FLOW_BACKGROUND }),
    stages: [],
    policies: [],
    cache_count: 0,
    policy_engine_mode: f.policy_engine_mode,
    compatibility_mode: f.compatibility_mode,
    export_url: `/api/v3/flows/instances/${f.slug}/export/`,
    layout: f.layout,
    denied_action: f.denied_action,
    authentication: f.authentication,
  };
}

export function keypair(ctx: SerializeContext, k: KeypairRec, includeDetails = true): Wire {
  if (!ctx.store.release.atLeast("2025.12")) {
    // CertificateKeyPairSerializer@version/2025.10.4: private_key_type (the private key's
    // class name: "rsa", "ec", ...), and ?include_details=false nulls the derived fields.
    const details = (v: string | null) => (includeDetails ? v : null);
    return {
      pk: k.pk,
      name: k.name,
      fingerprint_sha256: details(k.fingerprint_sha256),
      fingerprint_sha1: details(k.fingerprint_sha1),
      cert_expiry: details(k.cert_expiry),
      cert_subject: details(k.cert_subject),
      private_key_available: k.key_data !== "",
      private_key_type: k.key_data !== "" ? details(k.key_type) : null,
      certificate_download_url: `${ctx.baseUrl}/api/v3/crypto/certificatekeypairs/${k.pk}/view_certificate/?download`,
      private_key_download_url: `${ctx.baseUrl}/api/v3/crypto/certificatekeypairs/${k.pk}/view_private_key/?download`,
      managed: k.managed,
    };
  }
  return {
    pk: k.pk,
    name: k.name,
    fingerprint_sha256: k.fingerprint_sha256,
    fingerprint_sha1: k.fingerprint_sha1,
    cert_expiry: k.cert_expiry,
    cert_subject: k.cert_subject,
    private_key_available: k.key_data !== "",
    key_type: k.key_type,
    certificate_download_url: `${ctx.baseUrl}/api/v3/crypto/certificatekeypairs/${k.pk}/view_certificate/?download`,
    private_key_download_url: `${ctx.baseUrl}/api/v3/crypto/certificatekeypairs/${k.pk}/view_private_key/?download`,
    managed: k.managed,
  };
}

export function schedule(ctx: SerializeContext, s: ScheduleRec): Wire {
  const scim = s.rel_obj_id !== null ? ctx.store.providers.get(Number(s.rel_obj_id)) : undefined;
  const lastStatus = scim?.kind === "scim" ? (scim.sync.last_sync_status ?? null) : null;
  return {
    id: s.id,
    identifier: s.identifier,
    uid: s.uid,
    actor_name: s.actor_name,
    rel_obj_app_label: s.rel_obj_app_label,
    rel_obj_model: s.rel_obj_model,
    rel_obj_id: s.rel_obj_id,
    crontab: s.crontab,
    paused: s.paused,
    next_run: new Date(Date.now() + 3_600_000).toISOString(),
    description: s.description,
    last_task_status: lastStatus,
  };
}
