// In-memory state of the emulated authentik, with the relations and on_delete
// behaviour of authentik's Django models (see the comments on each delete).
// Records use authentik's wire field names so serializers stay thin.
import { randomUUID } from "node:crypto";
import { comparator, type Collation, type Compare } from "./collation.js";
import { type Release, resolveRelease } from "./release.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Attributes = { [k: string]: Json };

export interface FlowRec {
  pk: string; // flow_uuid
  pbm_uuid: string; // policybindingmodel_ptr_id: flows are PolicyBindingModels too
  name: string;
  slug: string;
  title: string;
  designation: string;
  authentication: string;
  layout: string;
  denied_action: string;
  policy_engine_mode: string;
  compatibility_mode: boolean;
  background: string;
}

export interface KeypairRec {
  pk: string;
  name: string;
  certificate_data: string;
  key_data: string;
  managed: string | null;
  fingerprint_sha256: string | null;
  fingerprint_sha1: string | null;
  cert_expiry: string | null;
  cert_subject: string | null;
  key_type: string | null;
}

export interface GroupRec {
  pk: string;
  name: string;
  is_superuser: boolean;
  parents: string[];
  attributes: Attributes;
  roles: string[];
}

export interface UserRec {
  pk: number;
  uuid: string;
  username: string;
  name: string;
  email: string;
  is_active: boolean;
  attributes: Attributes;
  path: string;
  type: string;
  groups: string[];
  roles: string[];
  last_login: string | null;
  date_joined: string;
  password_change_date: string;
  last_updated: string;
}

export interface ApplicationRec {
  pbm_uuid: string;
  name: string;
  slug: string;
  provider: number | null;
  open_in_new_tab: boolean;
  meta_launch_url: string;
  meta_icon: string;
  meta_description: string;
  meta_publisher: string;
  policy_engine_mode: string;
  group: string;
  meta_hide: boolean;
}

export interface EntitlementRec {
  pbm_uuid: string;
  name: string;
  app: string;
  attributes: Attributes;
}

export interface BindingRec {
  pk: string;
  policy: string | null;
  group: string | null;
  user: number | null;
  target: string;
  negate: boolean;
  enabled: boolean;
  order: number;
  timeout: number;
  failure_result: boolean;
}

interface ProviderBase {
  pk: number;
  name: string;
  authentication_flow: string | null;
  authorization_flow: string | null;
  invalidation_flow: string | null;
  property_mappings: string[];
  /** Provider.backchannel_application FK (reverse: Application.backchannel_providers) */
  backchannel_application: string | null;
}

export interface SamlProviderRec extends ProviderBase {
  kind: "saml";
  acs_url: string;
  sls_url: string;
  audience: string;
  issuer_override: string;
  assertion_valid_not_before: string;
  assertion_valid_not_on_or_after: string;
  session_valid_not_on_or_after: string;
  name_id_mapping: string | null;
  authn_context_class_ref_mapping: string | null;
  digest_algorithm: string;
  signature_algorithm: string;
  signing_kp: string | null;
  verification_kp: string | null;
  encryption_kp: string | null;
  sign_assertion: boolean;
  sign_response: boolean;
  sign_logout_request: boolean;
  sign_logout_response: boolean;
  sp_binding: string;
  sls_binding: string;
  logout_method: string;
  default_relay_state: string;
  default_name_id_policy: string;
}

export interface SyncState {
  is_running: boolean;
  last_successful_sync?: string;
  last_sync_status?: string;
}

export interface ScimProviderRec extends ProviderBase {
  kind: "scim";
  property_mappings_group: string[];
  url: string;
  verify_certificates: boolean;
  token: string;
  auth_mode: string;
  auth_oauth: string | null;
  auth_oauth_params: Attributes;
  compatibility_mode: string;
  service_provider_config_cache_timeout: string;
  exclude_users_service_account: boolean;
  sync_page_size: number;
  sync_page_timeout: string;
  discovery_enabled: boolean;
  group_filters: string[];
  dry_run: boolean;
  sync: SyncState;
  /** How many full syncs were triggered (each save of the provider triggers one). */
  syncTriggers: number;
  /** What each triggered full sync pushed (usernames, group names), in order. */
  syncs: ScimPush[];
  /**
   * The memberships the provider's target holds as its syncs left them: pushed group name →
   * usernames (see Store.scimSyncMembers). Absent until a sync pushed a group.
   */
  remoteMembers?: Map<string, Set<string>>;
}

export interface ScimPush {
  users: string[];
  groups: string[];
}

/**
 * Providers of types the emulator has no API for (only /providers/all/ shows
 * them): they exist so that provider names clash across types as in authentik.
 */
export interface OtherProviderRec extends ProviderBase {
  kind: "ldap" | "proxy";
}

/** OAuth2Provider (authentik/providers/oauth2/models.py): what the client_credentials JWT flow needs, every field the API shows. */
export interface OAuth2ProviderRec extends ProviderBase {
  kind: "oauth2";
  client_type: string;
  /** from 2026.8: the grant types the token endpoint accepts for this provider */
  grant_types: string[];
  client_id: string;
  client_secret: string;
  access_code_validity: string;
  access_token_validity: string;
  refresh_token_validity: string;
  refresh_token_threshold: string;
  include_claims_in_id_token: boolean;
  signing_key: string | null;
  encryption_key: string | null;
  redirect_uris: Array<{ matching_mode: string; url: string; redirect_uri_type?: string }>;
  logout_uri: string;
  logout_method: string;
  sub_mode: string;
  issuer_mode: string;
  /** OAuthSource pbm_uuids (M2M): JWTs signed by their JWKS authenticate */
  jwt_federation_sources: string[];
  /** OAuth2Provider pks (M2M): access tokens they issued authenticate */
  jwt_federation_providers: number[];
}

export type ProviderRec = SamlProviderRec | ScimProviderRec | OAuth2ProviderRec | OtherProviderRec;

/** OAuthSource (authentik/sources/oauth/models.py + core Source): a PolicyBindingModel, pk = pbm_uuid. */
export interface OAuthSourceRec {
  pbm_uuid: string;
  name: string;
  slug: string;
  enabled: boolean;
  promoted: boolean;
  authentication_flow: string | null;
  enrollment_flow: string | null;
  user_property_mappings: string[];
  group_property_mappings: string[];
  policy_engine_mode: string;
  user_matching_mode: string;
  user_path_template: string;
  icon: string;
  group_matching_mode: string;
  provider_type: string;
  request_token_url: string | null;
  authorization_url: string | null;
  access_token_url: string | null;
  profile_url: string | null;
  pkce: string;
  consumer_key: string;
  consumer_secret: string;
  additional_scopes: string;
  oidc_well_known_url: string;
  oidc_jwks_url: string;
  oidc_jwks: Attributes;
  authorization_code_auth_method: string;
}

/** ExpressionPolicy (authentik/policies/expression/models.py); `name` is unique across every policy type (Policy.name). */
export interface PolicyRec {
  pk: string; // policy_uuid
  kind: "expression";
  name: string;
  execution_logging: boolean;
  expression: string;
}

/** authentik_rbac.Role with the permissions assigned to it (global, and per object). */
export interface RoleRec {
  pk: string;
  name: string;
  /** global (model) permissions, "app_label.codename" */
  permissions: Set<string>;
  /** object permissions: what the emulator records but does not enforce (see permissions.ts) */
  objectPermissions: Array<{ codename: string; model: string; object_pk: string }>;
}

/**
 * AccessToken (authentik/providers/oauth2/models.py): the JWT handed to the client is the
 * token itself; the API looks it up by value (authentik/api/authentication.py).
 */
export interface AccessTokenRec {
  id: number;
  token: string;
  provider: number;
  user: number;
  scope: string[];
  /** ms since the epoch, on the emulator's clock */
  expires: number;
  issued: number;
  revoked: boolean;
  /** the access token's claims (IDToken.to_access_token) */
  claims: Record<string, unknown>;
  /** how it was obtained: "jwt" (client_assertion), "client_secret" */
  method: string;
}

/** LDAP and SCIM providers are BackchannelProviders (authentik/providers/{ldap,scim}/models.py@version/2025.10.4). */
export function isBackchannel(p: ProviderRec): boolean {
  return p.kind === "scim" || p.kind === "ldap";
}

export interface MappingRec {
  pk: string;
  /** "scope": OAuth2 ScopeMapping (scope_name, description) */
  kind: "saml" | "scim" | "scope";
  managed: string | null;
  name: string;
  expression: string;
  saml_name?: string;
  friendly_name?: string | null;
  scope_name?: string;
  description?: string;
}

export interface ScheduleRec {
  id: string;
  uid: string;
  identifier: string | null;
  actor_name: string;
  rel_obj_app_label: string;
  rel_obj_model: string;
  rel_obj_id: string | null;
  crontab: string;
  paused: boolean;
  description: string | null;
}

export type PbmTarget =
  | { kind: "application"; rec: ApplicationRec }
  | { kind: "entitlement"; rec: EntitlementRec }
  | { kind: "flow"; rec: FlowRec }
  | { kind: "source"; rec: OAuthSourceRec };

export class Store {
  readonly flows = new Map<string, FlowRec>();
  readonly keypairs = new Map<string, KeypairRec>();
  readonly groups = new Map<string, GroupRec>();
  readonly users = new Map<number, UserRec>();
  readonly applications = new Map<string, ApplicationRec>(); // by pbm_uuid
  readonly entitlements = new Map<string, EntitlementRec>();
  readonly bindings = new Map<string, BindingRec>();
  readonly providers = new Map<number, ProviderRec>();
  readonly mappings = new Map<string, MappingRec>();
  readonly schedules = new Map<string, ScheduleRec>();
  readonly sources = new Map<string, OAuthSourceRec>(); // by pbm_uuid
  readonly policies = new Map<string, PolicyRec>();
  readonly roles = new Map<string, RoleRec>();
  /** issued OAuth2 access tokens, by token value */
  readonly accessTokens = new Map<string, AccessTokenRec>();
  /** "app_label.model" of every model the release's schema names (ModelEnum): what permissions can exist. */
  readonly modelNames = new Set<string>();
  /** Added to the real time wherever the emulator reads the clock (controls.clock): expires tokens without waiting. */
  clockOffsetMs = 0;
  /** Random per emulator, like authentik's install id: feeds user.uid. */
  readonly installId = randomUUID();
  /** Permissions the token's user lacks (see denyPermission in controls.ts). */
  readonly deniedPermissions = new Set<string>();
  /**
   * How the SCIM sync misbehaves for a membership, as authentik's users report it does
   * ("group\u0000username"): `drop` — the sync never sends (and takes away) that member of
   * that group; `keep` — once sent, the sync never removes the member, although authentik did.
   */
  readonly scimQuirks = { drop: new Set<string>(), keep: new Set<string>() };
  /**
   * What the token's user holds (controls.tokenUser): null (the default) is akadmin, a
   * superuser; a set is a user who is no superuser and holds exactly these permissions
   * (through a role), less deniedPermissions.
   */
  grantedPermissions: Set<string> | null = null;
  /** The database collation's order of text (collation.ts). */
  readonly compare: Compare;
  private nextUserPk = 1;
  private nextProviderPk = 1;
  private nextAccessTokenId = 1;

  constructor(
    readonly release: Release = resolveRelease("2026.8.3"),
    readonly collation: Collation = "ci",
  ) {
    this.compare = comparator(collation);
  }

  /** Records ordered by a text field, as `ORDER BY <field>` under the database collation. */
  sortBy<T>(items: Iterable<T>, key: (item: T) => string): T[] {
    return [...items].sort((a, b) => this.compare(key(a), key(b)));
  }

  allocUserPk(): number {
    return this.nextUserPk++;
  }
  allocProviderPk(): number {
    return this.nextProviderPk++;
  }
  allocAccessTokenId(): number {
    return this.nextAccessTokenId++;
  }

  /** The emulator's clock (ms since the epoch): real time plus the offset a test set. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  // ---- lookups -------------------------------------------------------------

  applicationBySlug(slug: string): ApplicationRec | undefined {
    for (const app of this.applications.values()) if (app.slug === slug) return app;
    return undefined;
  }

  /** Application.provider is a OneToOneField: at most one application per provider. */
  applicationOfProvider(providerPk: number): ApplicationRec | undefined {
    for (const app of this.applications.values()) if (app.provider === providerPk) return app;
    return undefined;
  }

  backchannelProvidersOf(appPbm: string): ProviderRec[] {
    return [...this.providers.values()].filter((p) => p.backchannel_application === appPbm).sort((a, b) => a.pk - b.pk);
  }

  flowBySlug(slug: string): FlowRec | undefined {
    for (const f of this.flows.values()) if (f.slug === slug) return f;
    return undefined;
  }

  /** Any PolicyBindingModel a binding may target (authentik resolves subclasses by pk). */
  pbmTarget(uuid: string): PbmTarget | undefined {
    const app = this.applications.get(uuid);
    if (app) return { kind: "application", rec: app };
    const ent = this.entitlements.get(uuid);
    if (ent) return { kind: "entitlement", rec: ent };
    for (const flow of this.flows.values()) if (flow.pbm_uuid === uuid || flow.pk === uuid) return { kind: "flow", rec: flow };
    const source = this.sources.get(uuid);
    if (source) return { kind: "source", rec: source };
    return undefined;
  }

  sourceBySlug(slug: string): OAuthSourceRec | undefined {
    for (const s of this.sources.values()) if (s.slug === slug) return s;
    return undefined;
  }

  /**
   * The roles a user holds, whose permissions they have:
   *   * 2025.10 (authentik/rbac/signals.py@version/2025.10.4): a Role is a Django group kept in
   *     sync with the members of the authentik groups it is assigned to (rbac_group_users_m2m
   *     adds a user to the roles of the groups they join): the roles of the user's *direct*
   *     groups. (Members of child groups are added only when a role is assigned to the parent,
   *     not when they join later; the emulator leaves that moment out.)
   *   * from 2025.12 (ak-guardian; User.all_roles(), authentik/core/models.py@version/2026.2.2):
   *     roles assigned to the user directly and those of all their groups and the groups'
   *     ancestors.
   */
  userRoles(user: UserRec): RoleRec[] {
    const pks = new Set<string>();
    if (this.release.atLeast("2025.12")) {
      for (const r of user.roles) pks.add(r);
      for (const g of this.userAllGroups(user)) for (const r of g.roles) pks.add(r);
    } else {
      for (const gpk of user.groups) for (const r of this.groups.get(gpk)?.roles ?? []) pks.add(r);
    }
    return [...pks].map((pk) => this.roles.get(pk)).filter((r): r is RoleRec => r !== undefined);
  }

  /** The global permissions a user holds through their roles (a superuser holds every one: check isSuperuser first). */
  userPermissions(user: UserRec): Set<string> {
    const out = new Set<string>();
    for (const role of this.userRoles(user)) for (const p of role.permissions) out.add(p);
    return out;
  }

  /** Groups of a user including every ancestor (authentik's User.all_groups()). */
  userAllGroups(user: UserRec): GroupRec[] {
    const seen = new Set<string>();
    const queue = [...user.groups];
    while (queue.length > 0) {
      const pk = queue.shift()!;
      if (seen.has(pk)) continue;
      const group = this.groups.get(pk);
      if (!group) continue;
      seen.add(pk);
      queue.push(...group.parents);
    }
    return this.sortBy([...seen].map((pk) => this.groups.get(pk)!), (g) => g.name);
  }

  groupMembers(groupPk: string): UserRec[] {
    return [...this.users.values()].filter((u) => u.groups.includes(groupPk)).sort((a, b) => a.pk - b.pk);
  }

  groupChildren(groupPk: string): GroupRec[] {
    return [...this.groups.values()].filter((g) => g.parents.includes(groupPk));
  }

  isSuperuser(user: UserRec): boolean {
    return this.userAllGroups(user).some((g) => g.is_superuser);
  }

  /** Whether the API token's user is a superuser: one holds every permission, so a token lacking any is none. */
  tokenIsSuperuser(): boolean {
    return this.grantedPermissions === null && this.deniedPermissions.size === 0;
  }

  /**
   * Whether the token's user holds `codename`. A superuser holds every one, even a
   * permission no model defines (ak-guardian's ObjectPermissionChecker.has_perm and
   * Django's PermissionsMixin.has_perm return True for an active superuser first).
   */
  tokenHasPermission(codename: string): boolean {
    if (this.tokenIsSuperuser()) return true;
    return (this.grantedPermissions === null || this.grantedPermissions.has(codename)) && !this.deniedPermissions.has(codename);
  }

  /**
   * authentik's User.app_entitlements(app) (authentik/core/models.py@version/2025.10.4,
   * @version/2026.2.2, @2026.5.0-rc1): `app.applicationentitlement_set.filter(Q(bindings__user=self)
   * | Q(bindings__group__in=all_groups), bindings__negate=False) | <negated>, bindings__enabled=True)
   * .order_by("name")` — one filter() across the bindings join and no distinct(), so an
   * entitlement comes back once per binding that matches: two bindings (say, to a group
   * and to its parent) give it twice. Ordered by name under the database collation.
   */
  userEntitlements(user: UserRec, appPbm: string): EntitlementRec[] {
    const groups = new Set(this.userAllGroups(user).map((g) => g.pk));
    const matches = (b: BindingRec) =>
      b.negate
        ? (b.user !== null && b.user !== user.pk) || (b.group !== null && !groups.has(b.group))
        : (b.user !== null && b.user === user.pk) || (b.group !== null && groups.has(b.group));
    const rows: EntitlementRec[] = [];
    for (const e of this.entitlements.values()) {
      if (e.app !== appPbm) continue;
      for (const b of this.bindings.values()) if (b.target === e.pbm_uuid && b.enabled && matches(b)) rows.push(e);
    }
    return this.sortBy(rows, (e) => e.name);
  }

  /**
   * Whether `user` passes the bindings of an application: authentik's PolicyEngine
   * over its enabled bindings (authentik/policies/engine.py). No bindings → access
   * (empty_result = True; from 2026.5 the AppAccessWithoutBindings flag, default True).
   * Group/user bindings are "static": a group binding passes members of the group and
   * of its descendants (the query uses user.all_groups(), which includes ancestors).
   * Up to 2025.12.4 (and in every 2025.10.x) any passing static binding passes the
   * engine whatever its mode; "fix PolicyEngineMode ALL with static binding
   * optimization" (#20523 on version-2025.12, #20524 in 2026.2.0) makes mode "all"
   * require every static binding. This synchronous form knows static bindings only (the
   * SCIM sync's selection uses it); an application with a policy binding is evaluated by
   * policy-engine.ts (python), and asking this one about it is an emulator error.
   */
  userPassesApplication(user: UserRec, app: ApplicationRec): boolean {
    const bindings = [...this.bindings.values()].filter((b) => b.target === app.pbm_uuid && b.enabled);
    if (bindings.some((b) => b.policy !== null)) {
      throw new Error(`application ${app.slug} has a policy binding: the emulator evaluates policies only in the token endpoint, check_access and the application list (policy-engine.ts), not in a SCIM sync`);
    }
    if (bindings.length === 0) return true;
    const groups = new Set(this.userAllGroups(user).map((g) => g.pk));
    const results = bindings.map((b) => {
      let passing = false;
      if (b.group) passing = groups.has(b.group);
      else if (b.user !== null) passing = b.user === user.pk;
      return b.negate ? !passing : passing;
    });
    if (app.policy_engine_mode === "all" && this.release.atLeast("2025.12.5")) return results.every(Boolean);
    return results.some(Boolean);
  }

  /**
   * What a full sync of a SCIM provider pushes right now: SCIMProvider.get_object_qs
   * (authentik/providers/scim/models.py) behind the sync task's guard.
   *   * The task (authentik/lib/sync/outgoing/tasks.py, every release) only looks at a
   *     provider with a backchannel_application or an application: otherwise "No provider
   *     found. Is it assigned to an application?" and nothing is pushed.
   *   * Users: every user but the anonymous one; exclude_users_service_account drops
   *     service_account and internal_service_account users.
   *       - up to 2025.12 (@version/2025.10.4, @version/2025.12.4): filter_group, when set,
   *         keeps only its *direct* members (`ak_groups__in=[filter_group]`); the
   *         application's bindings play no part.
   *       - from 2026.2 (@version/2026.2.2, @2026.5.0-rc1): with a backchannel application,
   *         only users passing its PolicyEngine (userPassesApplication).
   *   * Groups: up to 2025.12 all of them (filter_group does not limit groups); from 2026.2
   *     those in group_filters when any are set, else all.
   * Inactive users are not filtered out (the SCIM client sends them with active=false).
   */
  scimWouldProvision(p: ScimProviderRec): ScimPush {
    const backchannel = p.backchannel_application ? this.applications.get(p.backchannel_application) : undefined;
    if (!backchannel && !this.applicationOfProvider(p.pk)) return { users: [], groups: [] };
    let users = [...this.users.values()];
    if (p.exclude_users_service_account) users = users.filter((u) => u.type !== "service_account" && u.type !== "internal_service_account");
    let groups = [...this.groups.values()];
    if (this.release.atLeast("2026.2")) {
      if (backchannel) users = users.filter((u) => this.userPassesApplication(u, backchannel));
      if (p.group_filters.length > 0) groups = groups.filter((g) => p.group_filters.includes(g.pk));
    } else if (p.group_filters.length > 0) {
      const filterGroup = p.group_filters[0]!;
      users = users.filter((u) => u.groups.includes(filterGroup));
    }
    const sorted = (names: string[]) => names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { users: sorted(users.map((u) => u.username)), groups: sorted(groups.map((g) => g.name)) };
  }

  /**
   * The memberships a full sync leaves at the provider's target: for each group it pushes, the
   * group's *direct* members among the users it pushes (authentik's SCIM group payload lists
   * `group.users`; the Identity Store has no nested groups) — less the members `scimQuirks.drop`
   * names, plus members the target held before that `scimQuirks.keep` names. Groups it does not
   * push keep what they held.
   */
  scimSyncMembers(p: ScimProviderRec, push: ScimPush): void {
    const remote = (p.remoteMembers ??= new Map<string, Set<string>>());
    const pushedUsers = new Set(push.users);
    for (const name of push.groups) {
      const group = [...this.groups.values()].find((g) => g.name === name);
      if (!group) continue;
      const key = (user: string) => `${name}\u0000${user}`;
      const next = new Set(
        [...this.users.values()].filter((u) => pushedUsers.has(u.username) && u.groups.includes(group.pk) && !this.scimQuirks.drop.has(key(u.username))).map((u) => u.username),
      );
      for (const user of remote.get(name) ?? []) if (this.scimQuirks.keep.has(key(user)) && !this.scimQuirks.drop.has(key(user))) next.add(user);
      remote.set(name, next);
    }
  }

  /** The names of a SCIM provider's user (or group) mappings in the order they are merged: by name. */
  scimMappingOrder(p: ScimProviderRec, which: "user" | "group" = "user"): string[] {
    const pks = which === "user" ? p.property_mappings : p.property_mappings_group;
    const names = pks.map((pk) => this.mappings.get(pk)?.name).filter((n): n is string => n !== undefined);
    return this.sortBy(names, (n) => n);
  }

  // ---- deletes (mirroring on_delete) --------------------------------------

  deleteBindingsWhere(pred: (b: BindingRec) => boolean): void {
    for (const [pk, b] of this.bindings) if (pred(b)) this.bindings.delete(pk);
  }

  /**
   * Application: entitlements (FK app, CASCADE) and bindings on the app or its
   * entitlements (FK target, CASCADE) go with it. Provider.backchannel_application
   * is CASCADE too, so an application's *backchannel providers* (e.g. SCIM) are
   * deleted with it, while its main provider only loses the link
   * (Application.provider is on the application side).
   */
  deleteApplication(pbm: string): void {
    for (const ent of [...this.entitlements.values()]) if (ent.app === pbm) this.deleteEntitlement(ent.pbm_uuid);
    this.deleteBindingsWhere((b) => b.target === pbm);
    for (const p of this.backchannelProvidersOf(pbm)) this.deleteProvider(p.pk);
    this.applications.delete(pbm);
  }

  deleteEntitlement(pbm: string): void {
    this.deleteBindingsWhere((b) => b.target === pbm);
    this.entitlements.delete(pbm);
  }

  /**
   * Application.provider is SET_DEFAULT (null): the application stays, unlinked. An OAuth2
   * provider's access tokens (FK provider, CASCADE) and M2M rows naming it go.
   */
  deleteProvider(pk: number): void {
    for (const app of this.applications.values()) if (app.provider === pk) app.provider = null;
    for (const [token, t] of this.accessTokens) if (t.provider === pk) this.accessTokens.delete(token);
    for (const p of this.providers.values()) if (p.kind === "oauth2") p.jwt_federation_providers = p.jwt_federation_providers.filter((x) => x !== pk);
    for (const s of [...this.schedules.values()]) if (s.rel_obj_id === String(pk) && s.actor_name.includes(".scim.")) this.schedules.delete(s.id);
    this.providers.delete(pk);
  }

  deleteGroup(pk: string): void {
    this.deleteBindingsWhere((b) => b.group === pk);
    for (const u of this.users.values()) u.groups = u.groups.filter((g) => g !== pk);
    for (const g of this.groups.values()) g.parents = g.parents.filter((p) => p !== pk);
    // group_filters: M2M rows go; filter_group (up to 2025.12) is on_delete=SET_DEFAULT (None).
    for (const p of this.providers.values()) if (p.kind === "scim") p.group_filters = p.group_filters.filter((g) => g !== pk);
    this.groups.delete(pk);
  }

  /** Bindings (FK user, CASCADE) and the user's OAuth2 access tokens (FK user, CASCADE) go with it. */
  deleteUser(pk: number): void {
    this.deleteBindingsWhere((b) => b.user === pk);
    for (const [token, t] of this.accessTokens) if (t.user === pk) this.accessTokens.delete(token);
    this.users.delete(pk);
  }

  /** Policy: its bindings (FK policy, CASCADE) go with it. */
  deletePolicy(pk: string): void {
    this.deleteBindingsWhere((b) => b.policy === pk);
    this.policies.delete(pk);
  }

  /** Source: M2M rows (jwt_federation_sources) and bindings on the source (target CASCADE) go. */
  deleteSource(pk: string): void {
    for (const p of this.providers.values()) if (p.kind === "oauth2") p.jwt_federation_sources = p.jwt_federation_sources.filter((s) => s !== pk);
    this.deleteBindingsWhere((b) => b.target === pk);
    this.sources.delete(pk);
  }

  /** Role: M2M rows on groups and users go. */
  deleteRole(pk: string): void {
    for (const g of this.groups.values()) g.roles = g.roles.filter((r) => r !== pk);
    for (const u of this.users.values()) u.roles = u.roles.filter((r) => r !== pk);
    this.roles.delete(pk);
  }

  /** M2M rows go; SAMLProvider.name_id_mapping / authn_context_class_ref_mapping are SET_DEFAULT (null). */
  deleteMapping(pk: string): void {
    for (const p of this.providers.values()) {
      p.property_mappings = p.property_mappings.filter((m) => m !== pk);
      if (p.kind === "oauth2") continue;
      if (p.kind === "saml") {
        if (p.name_id_mapping === pk) p.name_id_mapping = null;
        if (p.authn_context_class_ref_mapping === pk) p.authn_context_class_ref_mapping = null;
      } else if (p.kind === "scim") {
        p.property_mappings_group = p.property_mappings_group.filter((m) => m !== pk);
      }
    }
    this.mappings.delete(pk);
  }

  /** Keypair FKs on the SAML and OAuth2 providers are SET_NULL. */
  deleteKeypair(pk: string): void {
    for (const p of this.providers.values()) {
      if (p.kind === "oauth2") {
        if (p.signing_key === pk) p.signing_key = null;
        if (p.encryption_key === pk) p.encryption_key = null;
      }
      if (p.kind !== "saml") continue;
      if (p.signing_kp === pk) p.signing_kp = null;
      if (p.verification_kp === pk) p.verification_kp = null;
      if (p.encryption_kp === pk) p.encryption_kp = null;
    }
    this.keypairs.delete(pk);
  }

  /** authorization_flow CASCADE (the provider goes!), authentication_flow SET_NULL, invalidation_flow SET_DEFAULT(None). */
  deleteFlow(pk: string): void {
    const flow = this.flows.get(pk);
    if (!flow) return;
    for (const p of [...this.providers.values()]) {
      if (p.authorization_flow === pk) {
        this.deleteProvider(p.pk);
        continue;
      }
      if (p.authentication_flow === pk) p.authentication_flow = null;
      if (p.invalidation_flow === pk) p.invalidation_flow = null;
    }
    // Source.authentication_flow / enrollment_flow are SET_NULL.
    for (const s of this.sources.values()) {
      if (s.authentication_flow === pk) s.authentication_flow = null;
      if (s.enrollment_flow === pk) s.enrollment_flow = null;
    }
    this.deleteBindingsWhere((b) => b.target === flow.pbm_uuid);
    this.flows.delete(pk);
  }
}
