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
// missing object answers 403 (not 404) when a change/delete permission is denied.

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

/** Every permission codename the emulator knows (denyPermission refuses others). */
export const KNOWN_PERMISSIONS: ReadonlySet<string> = new Set([
  ...MODELS.flatMap(([, model, actions]) => actions.map((a) => perm(model, a))),
  ...Object.values(SPECIAL).flat(),
  // Defined by the Schedule model (a role can hold it), though it opens nothing by itself.
  "authentik_tasks_schedules.send_schedule",
]);
