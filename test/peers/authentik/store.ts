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
  kind: "oauth2" | "ldap" | "proxy";
}

export type ProviderRec = SamlProviderRec | ScimProviderRec | OtherProviderRec;

/** LDAP and SCIM providers are BackchannelProviders (authentik/providers/{ldap,scim}/models.py@version/2025.10.4). */
export function isBackchannel(p: ProviderRec): boolean {
  return p.kind === "scim" || p.kind === "ldap";
}

export interface MappingRec {
  pk: string;
  /** "scope" (OAuth) mappings are only seeded, to share the name space like in authentik */
  kind: "saml" | "scim" | "scope";
  managed: string | null;
  name: string;
  expression: string;
  saml_name?: string;
  friendly_name?: string | null;
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
  | { kind: "flow"; rec: FlowRec };

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
    return undefined;
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
   * require every static binding. Policy bindings cannot exist here (no policies).
   */
  userPassesApplication(user: UserRec, app: ApplicationRec): boolean {
    const bindings = [...this.bindings.values()].filter((b) => b.target === app.pbm_uuid && b.enabled);
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

  /** Application.provider is SET_DEFAULT (null): the application stays, unlinked. */
  deleteProvider(pk: number): void {
    for (const app of this.applications.values()) if (app.provider === pk) app.provider = null;
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

  deleteUser(pk: number): void {
    this.deleteBindingsWhere((b) => b.user === pk);
    this.users.delete(pk);
  }

  /** M2M rows go; SAMLProvider.name_id_mapping / authn_context_class_ref_mapping are SET_DEFAULT (null). */
  deleteMapping(pk: string): void {
    for (const p of this.providers.values()) {
      p.property_mappings = p.property_mappings.filter((m) => m !== pk);
      if (p.kind === "saml") {
        if (p.name_id_mapping === pk) p.name_id_mapping = null;
        if (p.authn_context_class_ref_mapping === pk) p.authn_context_class_ref_mapping = null;
      } else if (p.kind === "scim") {
        p.property_mappings_group = p.property_mappings_group.filter((m) => m !== pk);
      }
    }
    this.mappings.delete(pk);
  }

  /** Keypair FKs on the SAML provider are SET_NULL. */
  deleteKeypair(pk: string): void {
    for (const p of this.providers.values()) {
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
    this.deleteBindingsWhere((b) => b.target === flow.pbm_uuid);
    this.flows.delete(pk);
  }
}
