// /rbac/roles/ and /rbac/permissions/assigned_by_roles/{uuid}/assign|unassign/: roles, their
// global permissions, and (through GroupSerializer.roles, and from 2025.12 UserSerializer.roles)
// who holds them — so that a user signing in with a token of their own (an OAuth2 access token,
// oauth-token.ts) has exactly what their roles give them (permissions.ts).
import { randomUUID } from "node:crypto";
import { ApiError, FieldErrorCollector, nonFieldError, notFound } from "../http-errors.js";
import { permissionExists } from "../permissions.js";
import * as S from "../serialize.js";
import type { RoleRec } from "../store.js";
import { created, exact, type HandlerContext, type HandlerTable, list, noContent, ok, pick } from "./common.js";

function getRole(ctx: HandlerContext): RoleRec {
  const r = ctx.store.roles.get(ctx.params.uuid!);
  if (!r) throw notFound("Role");
  return r;
}

function writeRole(ctx: HandlerContext, existing?: RoleRec): RoleRec {
  const data = pick(ctx, ["name"]);
  const errors = new FieldErrorCollector();
  if (typeof data.name === "string") {
    // Role.name = TextField(unique=True), verbose_name "Role".
    for (const r of ctx.store.roles.values()) if (r !== existing && r.name === data.name) errors.add("name", "Role with this name already exists.");
  }
  errors.throwIfAny();
  const r: RoleRec = existing ?? { pk: randomUUID(), name: "", permissions: new Set(), objectPermissions: [] };
  Object.assign(r, data);
  if (!existing) ctx.store.roles.set(r.pk, r);
  return r;
}

/**
 * PermissionAssignSerializer (authentik/rbac/api/rbac.py@version/2025.10.4 … @2026.2.2):
 * `model` and `object_pk` only together (RequiredTogetherValidator, a non-field error); without
 * them every permission must read "app_label.codename"
 * ({"permissions": ["When assigning global permissions, codename must be given as app_label.codename"]}).
 * Then guardian's assign_perm looks each permission up: one that does not exist is an unhandled
 * Permission.DoesNotExist, a 500 (after the ones before it were assigned — inside atomic(),
 * so none stays).
 */
function assignment(ctx: HandlerContext): { permissions: string[]; object?: { model: string; object_pk: string } } {
  const permissions = ctx.body.permissions as string[];
  const model = ctx.body.model as string | undefined;
  const objectPk = ctx.body.object_pk as string | undefined;
  if ((model === undefined) !== (objectPk === undefined)) throw nonFieldError("The fields model, object_pk must be used together.");
  if (model === undefined && !permissions.every((p) => p.includes("."))) {
    throw new ApiError(400, { permissions: ["When assigning global permissions, codename must be given as app_label.codename"] });
  }
  for (const p of permissions) {
    const codename = model === undefined ? p : p.includes(".") ? p : `${model.split(".")[0]}.${p}`;
    if (!permissionExists(ctx.store, codename)) {
      ctx.warn(`assign: no permission ${codename} in this release: authentik answers 500 (Permission.DoesNotExist)`);
      throw new ApiError(500, { detail: "Permission matching query does not exist." });
    }
  }
  return { permissions, ...(model !== undefined ? { object: { model, object_pk: objectPk! } } : {}) };
}

export const rbacHandlers: HandlerTable = {
  rbac_roles_list(ctx) {
    const { store } = ctx;
    let roles = [...store.roles.values()];
    // RoleFilterSet (2025.12+): users / groups, with `inherited` their all_roles().
    const inherited = ctx.query.inherited === true;
    if (ctx.query.users !== undefined) {
      const user = store.users.get(ctx.query.users as number);
      const held = !user ? [] : inherited ? store.userRoles(user).map((r) => r.pk) : user.roles;
      roles = roles.filter((r) => held.includes(r.pk));
    }
    if (ctx.query.groups !== undefined) {
      const group = store.groups.get(ctx.query.groups as string);
      const held = new Set<string>(group?.roles ?? []);
      if (group && inherited) {
        const queue = [...group.parents];
        while (queue.length > 0) {
          const g = store.groups.get(queue.shift()!);
          if (!g) continue;
          for (const r of g.roles) held.add(r);
          queue.push(...g.parents);
        }
      }
      roles = roles.filter((r) => held.has(r.pk));
    }
    if (ctx.query.managed__isnull === false) roles = [];
    return list(ctx, roles.map(S.role), { filters: { name: exact("name") }, search: ["name"], ordering: ["name"] });
  },
  rbac_roles_create: (ctx) => created(S.role(writeRole(ctx))),
  rbac_roles_retrieve: (ctx) => ok(S.role(getRole(ctx))),
  rbac_roles_update: (ctx) => ok(S.role(writeRole(ctx, getRole(ctx)))),
  rbac_roles_partial_update: (ctx) => ok(S.role(writeRole(ctx, getRole(ctx)))),
  rbac_roles_destroy(ctx) {
    ctx.store.deleteRole(getRole(ctx).pk);
    return noContent();
  },

  /**
   * RoleAssignedPermissionViewSet.assign: 200 with `[{id}]`, one per permission (the
   * RoleModelPermission / RoleObjectPermission row). Object permissions are recorded but not
   * enforced by the emulator (it checks model permissions only, see permissions.ts).
   */
  rbac_permissions_assigned_by_roles_assign(ctx) {
    const role = getRole(ctx);
    const { permissions, object } = assignment(ctx);
    const ids: Array<{ id: string }> = [];
    for (const p of permissions) {
      if (object) {
        const codename = p.includes(".") ? p.split(".")[1]! : p;
        if (!role.objectPermissions.some((o) => o.codename === codename && o.model === object.model && o.object_pk === object.object_pk)) {
          role.objectPermissions.push({ codename, model: object.model, object_pk: object.object_pk });
        }
        ctx.warn(`object permission ${p} on ${object.model} ${object.object_pk} recorded; the emulator enforces model permissions only`);
      } else role.permissions.add(p);
      ids.push({ id: String(ids.length + 1) });
    }
    return ok(ids);
  },
  rbac_permissions_assigned_by_roles_unassign(ctx) {
    const role = getRole(ctx);
    const { permissions, object } = assignment(ctx);
    for (const p of permissions) {
      if (object) {
        const codename = p.includes(".") ? p.split(".")[1]! : p;
        role.objectPermissions = role.objectPermissions.filter((o) => !(o.codename === codename && o.model === object.model && o.object_pk === object.object_pk));
      } else role.permissions.delete(p);
    }
    return noContent();
  },
};
