// Which RBAC permissions an emulated operation needs, so that a test can take one
// away from the token's user (controls.denyPermission) and see authentik's 403.
//
// authentik's API (authentik/root/settings.py REST_FRAMEWORK@version/2025.10.4):
//   * DEFAULT_PERMISSION_CLASSES = authentik.rbac.permissions.ObjectPermissions (DRF's
//     DjangoObjectPermissions, global permissions ranked first): POST on a list needs
//     add_<model>, PUT/PATCH change_<model>, DELETE delete_<model>;
//   * DEFAULT_FILTER_BACKENDS starts with authentik.rbac.filters.ObjectFilter: without
//     view_<model> (and without object permissions) a list or get_object() raises
//     PermissionDenied;
//   * custom actions add @permission_required(obj_perm) (authentik/rbac/decorators.py): the
//     user needs obj_perm globally or on the object, and the action's own get_object() then
//     runs ObjectPermissions.has_object_permission with the request's method: a POST detail
//     action needs add_<model> of its viewset's model on top (DRF's perms_map).
// PermissionDenied answers 403 {"detail": "You do not have permission to perform this action."}.
//
// Two consequences read from the source (version/2025.10.4, version/2025.12.4, version/2026.2.2):
//   * POST /tasks/schedules/{id}/send/ (ScheduleViewSet.send, authentik/tasks/schedules/api.py)
//     checks send_schedule, then get_object() asks for authentik_tasks_schedules.add_schedule,
//     which Schedule does not define (models.py: default_permissions = ("change", "view"),
//     permissions = [("send_schedule", ...)]). No role can hold it, so only a superuser (for
//     whom has_perm is True for any string) may send. Everyone else gets DRF's answer for a
//     failed object permission: 403 when they may view the object, else Http404. From 2025.12
//     (ak-guardian: ObjectPermissionChecker.get_perms(obj) includes the role's model
//     permissions) a global view_schedule counts for the object: 403. In 2025.10 (Django's
//     ModelBackend returns no permissions for an object; django-guardian 3.0.3 only object
//     ones) a global view_schedule does not: 404 {"detail": "Not found."}. See SUPERUSER_ONLY.
//   * POST /propertymappings/all/{pk}/test/ (PropertyMappingViewSet.test,
//     authentik/core/api/property_mappings.py) needs view_propertymapping (the decorator)
//     and add_propertymapping (get_object() on a POST), and then view_user / view_group
//     (get_objects_for_user) for the user / group named in the body — checked by the handler.
//
// Simplification: every needed permission is checked before the handler, so a
// missing object answers 403 (not 404) when a change/delete permission is denied. Only model
// (global) permissions count: a role's object permissions are recorded, not enforced.
import type { AccessTokenRec, Store, UserRec } from "./store.js";

export const PERMISSION_DENIED = { detail: "You do not have permission to perform this action." };

/** operationId prefix → the Django model (app_label.model_name) of its viewset's queryset */
const MODELS: Array<[prefix: string, model: string, actions: readonly string[]]> = [
  ["core_application_entitlements_", "authentik_core.applicationentitlement", ["add", "change", "delete", "view"]],
  ["core_applications_", "authentik_core.application", ["add", "change", "delete", "view"]],
  ["core_groups_", "authentik_core.group", ["add", "change", "delete", "view"]],
  ["core_users_", "authentik_core.user", ["add", "change", "delete", "view"]],
  ["providers_all_", "authentik_core.provider", ["add", "change", "delete", "view"]],
  ["providers_saml_", "authentik_providers_saml.samlprovider", ["add", "change", "delete", "view"]],
  ["providers_scim_", "authentik_providers_scim.scimprovider", ["add", "change", "delete", "view"]],
  ["propertymappings_all_", "authentik_core.propertymapping", ["add", "change", "delete", "view"]],
  ["propertymappings_provider_saml_", "authentik_providers_saml.samlpropertymapping", ["add", "change", "delete", "view"]],
  ["propertymappings_provider_scim_", "authentik_providers_scim.scimmapping", ["add", "change", "delete", "view"]],
  ["policies_bindings_", "authentik_policies.policybinding", ["add", "change", "delete", "view"]],
  ["flows_instances_", "authentik_flows.flow", ["add", "change", "delete", "view"]],
  ["crypto_certificatekeypairs_", "authentik_crypto.certificatekeypair", ["add", "change", "delete", "view"]],
  ["tasks_schedules_", "authentik_tasks_schedules.schedule", ["change", "view"]],
  ["sources_oauth_", "authentik_sources_oauth.oauthsource", ["add", "change", "delete", "view"]],
  ["providers_oauth2_", "authentik_providers_oauth2.oauth2provider", ["add", "change", "delete", "view"]],
  ["propertymappings_provider_scope_", "authentik_providers_oauth2.scopemapping", ["add", "change", "delete", "view"]],
  ["policies_expression_", "authentik_policies_expression.expressionpolicy", ["add", "change", "delete", "view"]],
  ["rbac_roles_", "authentik_rbac.role", ["add", "change", "delete", "view"]],
];

const perm = (model: string, action: string) => {
  const [app, name] = model.split(".");
  return `${app}.${action}_${name}`;
};

/** Custom actions and views that do not follow the model's CRUD permissions. */
const SPECIAL: Record<string, string[]> = {
  // ApplicationViewSet.list: "checks Policy based access instead of guardian" (skips ObjectFilter).
  core_applications_list: [],
  // ApplicationViewSet.check_access: get_object_or_404 instead of get_object() ("the user might not
  // have view_application, even if they have access"), and ObjectPermissions.has_permission passes
  // detail routes: no permission at all (authentik/core/api/applications.py, rbac/permissions.py).
  core_applications_check_access_retrieve: [],
  // SAMLProviderViewSet.metadata: permission_classes=[AllowAny].
  providers_saml_metadata_retrieve: [],
  // GroupViewSet.add_user / remove_user (authentik/core/api/groups.py@version/2025.10.4).
  core_groups_add_user_create: ["authentik_core.add_user_to_group"],
  core_groups_remove_user_create: ["authentik_core.remove_user_from_group"],
  // PropertyMappingViewSet.test (authentik/core/api/property_mappings.py@version/2025.10.4,
  // @version/2026.2.2): the decorator's view, then get_object() on a POST: add. view_user /
  // view_group for the user / group in the body are checked by the handler (requirePermission).
  propertymappings_all_test_create: ["authentik_core.view_propertymapping", "authentik_core.add_propertymapping"],
  // OutgoingSyncProviderStatusMixin (authentik/lib/sync/outgoing/api.py): get_object() with
  // ObjectFilter; a POST detail action's object permission is add_<model> (DRF perms_map).
  providers_scim_sync_status_retrieve: ["authentik_providers_scim.view_scimprovider"],
  providers_scim_sync_object_create: ["authentik_providers_scim.view_scimprovider", "authentik_providers_scim.add_scimprovider"],
  // RoleAssignedPermissionViewSet.assign / unassign (authentik/rbac/api/rbac_assigned_by_roles.py
  // @version/2025.10.4, @version/2026.2.2): @permission_required(assign_role_permissions |
  // unassign_role_permissions), then get_object() (filter_backends=[]: no ObjectFilter) checks
  // the object permission of the method on Role: POST add_role, PATCH change_role.
  rbac_permissions_assigned_by_roles_assign: ["authentik_rbac.assign_role_permissions", "authentik_rbac.add_role"],
  rbac_permissions_assigned_by_roles_unassign: ["authentik_rbac.unassign_role_permissions", "authentik_rbac.change_role"],
  // Superusers only (SUPERUSER_ONLY): for them no permission is checked.
  tasks_schedules_send_create: [],
  admin_version_retrieve: [],
};

/**
 * Operations no permission opens: a token whose user is no superuser is refused whatever it
 * holds. The value is the answer by release (see the header: 403 from 2025.12, 404 in 2025.10,
 * for a user holding view_schedule globally, which is all the emulator models).
 */
export const SUPERUSER_ONLY: Record<string, { why: string; status: (atLeast: (minor: string) => boolean) => { status: number; body: Record<string, string> } }> = {
  tasks_schedules_send_create: {
    why: "ScheduleViewSet.send: get_object() on a POST needs authentik_tasks_schedules.add_schedule, which Schedule does not define",
    status: (atLeast) => (atLeast("2025.12") ? { status: 403, body: PERMISSION_DENIED } : { status: 404, body: { detail: "Not found." } }),
  },
};

export function requiredPermissions(operationId: string): string[] {
  const special = SPECIAL[operationId];
  if (special) return special;
  const entry = MODELS.find(([prefix]) => operationId.startsWith(prefix));
  if (!entry) return [];
  const model = entry[1];
  if (/_(list|retrieve)$/.test(operationId)) return [perm(model, "view")];
  if (/_create$/.test(operationId)) return [perm(model, "add")];
  if (/_(update|partial_update)$/.test(operationId)) return [perm(model, "view"), perm(model, "change")];
  if (/_destroy$/.test(operationId)) return [perm(model, "view"), perm(model, "delete")];
  return [perm(model, "view")];
}

/**
 * Who makes a request, and what they may do:
 *   * `api_token`: the emulator's configured API token, whose user is akadmin unless a test said
 *     otherwise (controls.tokenUser / denyPermission: Store.tokenIsSuperuser / tokenHasPermission);
 *   * `jwt`: an OAuth2 access token with the goauthentik.io/api scope (oauth-token.ts): its user,
 *     a superuser if one of their groups (or the groups' ancestors) is, else holding exactly the
 *     model permissions of their roles (Store.userRoles, by release).
 */
export type Principal = { via: "api_token"; user: UserRec | undefined } | { via: "jwt"; user: UserRec; token: AccessTokenRec };

export function principalIsSuperuser(store: Store, p: Principal): boolean {
  if (p.via === "api_token") return store.tokenIsSuperuser();
  return p.user.is_active && store.isSuperuser(p.user);
}

export function principalHasPermission(store: Store, p: Principal, codename: string): boolean {
  if (p.via === "api_token") return store.tokenHasPermission(codename);
  return principalIsSuperuser(store, p) || store.userPermissions(p.user).has(codename);
}

/** Custom permissions authentik's models define (Meta.permissions, 2025.10.4 to 2026.5.0-rc1), by codename. */
const CUSTOM_CODENAMES = new Set([
  "access_admin_interface", "add_stream", "add_user_to_group", "assign_role_permissions", "assign_user_permissions", "clear_flow_cache",
  "clear_policy_cache", "disable_group_superuser", "edit_system_settings", "enable_group_superuser", "export_flow", "impersonate",
  "inspect_flow", "manage_media_files", "pass_outpost_certificate", "preview_user", "remove_user_from_group", "reset_user_password",
  "retry_task", "search_full_directory", "send_schedule", "set_token_key", "unassign_role_permissions", "unassign_user_permissions",
  "view_certificatekeypair_certificate", "view_certificatekeypair_key", "view_enrollment_token_key", "view_flow_cache", "view_media_files",
  "view_policy_cache", "view_system_info", "view_system_settings", "view_token_key", "view_user_applications",
]);

/**
 * Whether "app_label.codename" is a permission of the release: the default add/change/delete/view
 * of a model its schema's ModelEnum lists (or the emulator models), or one of authentik's custom
 * permissions. What guardian's assign_perm would not find answers 500 in authentik.
 */
export function permissionExists(store: Store, permission: string): boolean {
  if (KNOWN_PERMISSIONS.has(permission)) return true;
  const [app, codename, extra] = permission.split(".");
  if (!app || !codename || extra !== undefined) return false;
  if (CUSTOM_CODENAMES.has(codename)) return true;
  const m = /^(add|change|delete|view)_(.+)$/.exec(codename);
  return m !== null && (store.modelNames.has(`${app}.${m[2]}`));
}

/** Every permission codename the emulator knows (denyPermission refuses others). */
export const KNOWN_PERMISSIONS: ReadonlySet<string> = new Set([
  ...MODELS.flatMap(([, model, actions]) => actions.map((a) => perm(model, a))),
  ...Object.values(SPECIAL).flat(),
  // Defined by the Schedule model (a role can hold it), though it opens nothing by itself.
  "authentik_tasks_schedules.send_schedule",
  "authentik_rbac.unassign_role_permissions",
]);
