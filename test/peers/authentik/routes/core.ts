// /core/applications/, /core/application_entitlements/, /core/groups/, /core/users/
import { randomUUID } from "node:crypto";
import { ApiError, FieldErrorCollector, nonFieldError, notFound } from "../http-errors.js";
import { evaluatePolicyEngine } from "../policy-engine.js";
import * as S from "../serialize.js";
import type { ApplicationRec, Attributes, EntitlementRec, GroupRec, UserRec } from "../store.js";
import { anyOf, checkRefs, created, exact, type HandlerContext, type HandlerTable, list, noContent, ok, pick } from "./common.js";

// ---- applications -------------------------------------------------------------

const RESERVED_SLUGS = ["authorize", "token", "device", "userinfo", "introspect", "revoke"];
const APP_FIELDS = [
  "name", "slug", "provider", "backchannel_providers", "open_in_new_tab", "meta_launch_url", "meta_icon",
  "meta_description", "meta_publisher", "policy_engine_mode", "group", "meta_hide",
] as const;

function getApp(ctx: HandlerContext): ApplicationRec {
  const app = ctx.store.applicationBySlug(ctx.params.slug!);
  if (!app) throw notFound("Application");
  return app;
}

function writeApplication(ctx: HandlerContext, existing?: ApplicationRec): ApplicationRec {
  const { store } = ctx;
  const data = pick(ctx, APP_FIELDS);
  const errors = new FieldErrorCollector();
  if (typeof data.slug === "string") {
    // Application.slug is a SlugField (max_length 50): DRF's max_length message.
    if (Array.from(data.slug).length > 50) errors.add("slug", "Ensure this field has no more than 50 characters.");
    if (RESERVED_SLUGS.includes(data.slug)) errors.add("slug", `The slug '${data.slug}' is reserved and cannot be used for applications.`);
    const other = store.applicationBySlug(data.slug);
    if (other && other !== existing) errors.add("slug", "Application with this slug already exists.");
  }
  if (data.provider !== undefined && data.provider !== null) {
    const pk = data.provider as number;
    if (!store.providers.has(pk)) errors.add("provider", `Invalid pk "${pk}" - object does not exist.`);
    else {
      // Application.provider is a OneToOneField.
      const holder = store.applicationOfProvider(pk);
      if (holder && holder !== existing) errors.add("provider", "Application with this provider already exists.");
    }
  }
  checkRefs(errors, "backchannel_providers", data.backchannel_providers, (pk: number) => store.providers.has(pk));
  errors.throwIfAny();

  const app: ApplicationRec = existing ?? {
    pbm_uuid: randomUUID(),
    name: "",
    slug: "",
    provider: null,
    open_in_new_tab: false,
    meta_launch_url: "",
    meta_icon: "",
    meta_description: "",
    meta_publisher: "",
    policy_engine_mode: "any",
    group: "",
    meta_hide: false,
  };
  const { backchannel_providers, ...scalar } = data;
  Object.assign(app, scalar);
  if (!existing) store.applications.set(app.pbm_uuid, app);
  if (Array.isArray(backchannel_providers)) {
    // Reverse FK: the listed providers point at this app, the others let go.
    const wanted = new Set(backchannel_providers as number[]);
    for (const p of store.providers.values()) {
      if (wanted.has(p.pk)) p.backchannel_application = app.pbm_uuid;
      else if (p.backchannel_application === app.pbm_uuid) p.backchannel_application = null;
    }
  }
  return app;
}

/** The application's policy engine for `user`: static bindings synchronously, policies (python) only when bound. */
async function passes(ctx: HandlerContext, user: UserRec, app: ApplicationRec): Promise<boolean> {
  const hasPolicy = [...ctx.store.bindings.values()].some((b) => b.target === app.pbm_uuid && b.enabled && b.policy !== null);
  if (!hasPolicy) return ctx.store.userPassesApplication(user, app);
  return (await evaluatePolicyEngine({ store: ctx.store, ser: ctx.ser, expressions: ctx.expressions, target: app, subject: { user } })).passing;
}

const APP_LIST = {
  filters: Object.fromEntries(["name", "slug", "group", "meta_description", "meta_launch_url", "meta_publisher"].map((f) => [f, exact(f)])),
  search: ["name", "slug", "meta_launch_url", "meta_description", "meta_publisher", "group"],
  ordering: ["name"],
};

// ---- groups / users helpers ---------------------------------------------------

function getGroup(ctx: HandlerContext): GroupRec {
  const g = ctx.store.groups.get(ctx.params.group_uuid!);
  if (!g) throw notFound("Group");
  return g;
}

function getUser(ctx: HandlerContext): UserRec {
  const u = ctx.store.users.get(Number(ctx.params.id));
  if (!u) throw notFound("User");
  return u;
}

/** `?attributes={"k": "v"}`: every given key must match. */
function attributesFilter(item: S.Wire, value: unknown): boolean {
  let wanted: Record<string, unknown>;
  try {
    wanted = JSON.parse(String(value)) as Record<string, unknown>;
  } catch {
    throw new ApiError(400, { attributes: ["filter: failed to parse JSON"] });
  }
  const attrs = (item.attributes ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).every(([k, v]) => JSON.stringify(attrs[k]) === JSON.stringify(v));
}

/**
 * Group names are unique in every supported release, worded differently:
 *   * 2025.10: no database constraint; GroupSerializer adds
 *     `"name": {"validators": [UniqueValidator(Group.objects.all())]}` ("TODO: This field isn't
 *     unique on the database which is hard to backport") → DRF's "This field must be unique."
 *     (authentik/core/api/groups.py@version/2025.10.4, and 2025.8.x). Duplicates can still exist
 *     when made outside the API (sources, older data): see controls.addGroup.
 *   * from 2025.12: `Group.name = TextField(unique=True)` (authentik/core/models.py@version/2025.12.0,
 *     migration 0056 in "core: add digraph group hierarchy" #17050), so ModelSerializer's
 *     UniqueValidator says "group with this name already exists." (Group has no verbose_name).
 */
export function groupNameTaken(ctx: HandlerContext): string {
  return ctx.store.release.atLeast("2025.12") ? "group with this name already exists." : "This field must be unique.";
}

/**
 * GroupSerializer's extra_kwargs give users (and parents from 2025.12, children in 2025.10)
 * `default: list`, and DRF applies defaults on a non-partial update: a PUT that leaves them
 * out empties them (authentik/core/api/groups.py@version/2025.10.4, @version/2026.2.2).
 */
function writeGroup(ctx: HandlerContext, existing?: GroupRec): GroupRec {
  const { store } = ctx;
  const data = pick(ctx, ["name", "is_superuser", "parent", "parents", "children", "users", "attributes", "roles"]);
  if (ctx.method === "PUT" || ctx.method === "POST") {
    data.users ??= [];
    if (store.release.groupParents === "parents") data.parents ??= [];
    else data.children ??= [];
  }
  // 2025.10's single parent FK, kept as a list of at most one.
  if (data.parent !== undefined) data.parents = data.parent === null ? [] : [data.parent];
  const errors = new FieldErrorCollector();
  if (typeof data.name === "string") {
    for (const g of store.groups.values()) if (g.name === data.name && g !== existing) errors.add("name", groupNameTaken(ctx));
  }
  // GroupSerializer.validate_parent@version/2025.10.4
  if (existing && data.parent === existing.pk) errors.add("parent", "Cannot set group as parent of itself.");
  checkRefs(errors, "parent", data.parent, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "children", data.children, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "parents", data.parents, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "users", data.users, (pk: number) => store.users.has(pk));
  checkRefs(errors, "roles", data.roles, (pk: string) => store.roles.has(pk));
  errors.throwIfAny();
  const g: GroupRec = existing ?? { pk: randomUUID(), name: "", is_superuser: false, parents: [], attributes: {}, roles: [] };
  if (data.name !== undefined) g.name = data.name as string;
  if (data.is_superuser !== undefined) g.is_superuser = data.is_superuser as boolean;
  if (data.parents !== undefined) g.parents = [...new Set(data.parents as string[])];
  if (data.attributes !== undefined) g.attributes = data.attributes as Attributes;
  if (data.roles !== undefined) g.roles = data.roles as string[];
  if (!existing) store.groups.set(g.pk, g);
  if (Array.isArray(data.children)) {
    // 2025.10: `children` is the reverse side of the parent FK: the listed groups get
    // this group as their (only) parent, the others lose it.
    const wanted = new Set(data.children as string[]);
    for (const c of store.groups.values()) {
      if (wanted.has(c.pk)) c.parents = [g.pk];
      else if (c.parents.includes(g.pk)) c.parents = [];
    }
  }
  if (Array.isArray(data.users)) {
    const wanted = new Set(data.users as number[]);
    for (const u of store.users.values()) {
      const member = u.groups.includes(g.pk);
      if (wanted.has(u.pk) && !member) u.groups.push(g.pk);
      if (!wanted.has(u.pk) && member) u.groups = u.groups.filter((x) => x !== g.pk);
    }
  }
  return g;
}

function groupIncludes(ctx: HandlerContext): S.GroupIncludes {
  return {
    include_users: ctx.query.include_users as boolean | undefined,
    include_children: ctx.query.include_children as boolean | undefined,
    include_parents: ctx.query.include_parents as boolean | undefined,
    include_inherited_roles: ctx.query.include_inherited_roles as boolean | undefined,
  };
}

function writeUser(ctx: HandlerContext, existing?: UserRec): UserRec {
  const { store } = ctx;
  const data = pick(ctx, ["username", "name", "is_active", "last_login", "groups", "roles", "email", "attributes", "path", "type"]);
  const errors = new FieldErrorCollector();
  if (typeof data.username === "string") {
    for (const u of store.users.values()) if (u.username === data.username && u !== existing) errors.add("username", "A user with that username already exists.");
  }
  checkRefs(errors, "groups", data.groups, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "roles", data.roles, (pk: string) => store.roles.has(pk));
  // UserSerializer.validate_path (authentik/core/api/users.py@version/2026.2.2).
  if (typeof data.path === "string") {
    if (data.path.startsWith("/") || data.path.endsWith("/")) errors.add("path", "No leading or trailing slashes allowed.");
    else if (data.path.split("/").some((segment) => segment === "")) errors.add("path", "No empty segments in user path allowed.");
  }
  errors.throwIfAny();
  const now = new Date().toISOString();
  const u: UserRec = existing ?? {
    pk: store.allocUserPk(),
    uuid: randomUUID(),
    username: "",
    name: "",
    email: "",
    is_active: true,
    attributes: {},
    path: "users",
    type: "internal",
    groups: [],
    roles: [],
    last_login: null,
    date_joined: now,
    password_change_date: now,
    last_updated: now,
  };
  Object.assign(u, data, { last_updated: now });
  if (data.groups !== undefined) u.groups = [...new Set(data.groups as string[])];
  if (!existing) store.users.set(u.pk, u);
  return u;
}

// ---- entitlements -------------------------------------------------------------

function getEntitlement(ctx: HandlerContext): EntitlementRec {
  const e = ctx.store.entitlements.get(ctx.params.pbm_uuid!);
  if (!e) throw notFound("Application Entitlement");
  return e;
}

function writeEntitlement(ctx: HandlerContext, existing?: EntitlementRec): EntitlementRec {
  const { store } = ctx;
  const data = pick(ctx, ["name", "app", "attributes"]);
  const errors = new FieldErrorCollector();
  checkRefs(errors, "app", data.app, (pk: string) => store.applications.has(pk));
  errors.throwIfAny();
  // unique_together (app, name) → DRF UniqueTogetherValidator, a non-field error.
  const app = (data.app as string | undefined) ?? existing?.app;
  const name = (data.name as string | undefined) ?? existing?.name;
  for (const e of store.entitlements.values()) {
    if (e !== existing && e.app === app && e.name === name) throw nonFieldError("The fields app, name must make a unique set.");
  }
  const e: EntitlementRec = existing ?? { pbm_uuid: randomUUID(), name: "", app: "", attributes: {} };
  Object.assign(e, data);
  if (!existing) store.entitlements.set(e.pbm_uuid, e);
  return e;
}

export const coreHandlers: HandlerTable = {
  // authentik's application list only shows applications the *requesting user*
  // may access (policy engine over the app's bindings; apps without bindings are
  // open), unless superuser_full_list=true and the user is a superuser. It
  // paginates before filtering, so `count` can exceed what `results` shows.
  async core_applications_list(ctx) {
    const all = [...ctx.store.applications.values()].map((a) => S.application(ctx.ser, a));
    // A superuser holds every permission: a token whose user lacks one (controls.denyPermission, tokenUser) is not one.
    const superuser = ctx.isSuperuser();
    if (ctx.query.superuser_full_list === true && superuser) return list(ctx, all, APP_LIST);
    let subject = ctx.user;
    if (ctx.query.for_user !== undefined) {
      subject = ctx.store.users.get(ctx.query.for_user as number);
      if (!subject) throw new ApiError(400, { for_user: ["User not found"] });
    }
    const page = list(ctx, all, APP_LIST).body as { pagination: unknown; results: S.Wire[]; autocomplete: unknown };
    const visible: S.Wire[] = [];
    for (const w of page.results) {
      const app = ctx.store.applications.get(w.pk as string)!;
      if (subject !== undefined && (await passes(ctx, subject, app))) visible.push(w);
    }
    if (visible.length !== page.results.length) ctx.warn("application list hid applications the token user cannot access; use superuser_full_list=true");
    const results = ctx.query.only_with_launch_url === true ? visible.filter((w) => w.launch_url) : visible;
    return ok({ ...page, results });
  },
  core_applications_create: (ctx) => created(S.application(ctx.ser, writeApplication(ctx))),
  // ApplicationViewSet.check_access (authentik/core/api/applications.py@version/2025.10.4 …
  // @2026.5.0-rc1): the application by slug (get_object_or_404, no view permission needed);
  // `for_user` counts only for a superuser (anyone else is checked as themselves), an unknown
  // one is ValidationError({"for_user": "User not found"}); then a PolicyEngine over the
  // application's bindings (Store.userPassesApplication). A superuser gets the engine's
  // PolicyResult (messages and the captured log lines, which the emulator does not produce:
  // static group/user bindings and "no bindings" carry no messages), anyone else only
  // PolicyResult(passing).
  async core_applications_check_access_retrieve(ctx) {
    const { store } = ctx;
    const app = getApp(ctx);
    const superuser = ctx.isSuperuser();
    let subject = ctx.user;
    if (superuser && ctx.query.for_user !== undefined) {
      subject = store.users.get(ctx.query.for_user as number);
      if (!subject) throw new ApiError(400, { for_user: ["User not found"] });
    } else if (ctx.query.for_user !== undefined) {
      ctx.warn("check_access: for_user is ignored unless the token's user is a superuser");
    }
    if (subject === undefined) return ok({ passing: false, messages: [], log_messages: [] });
    const result = await evaluatePolicyEngine({ store, ser: ctx.ser, expressions: ctx.expressions, target: app, subject: { user: subject } });
    // A superuser gets the engine's PolicyResult (messages), anyone else PolicyResult(passing) only.
    return ok({ passing: result.passing, messages: superuser ? result.messages : [], log_messages: [] });
  },
  core_applications_retrieve: (ctx) => ok(S.application(ctx.ser, getApp(ctx))),
  core_applications_update: (ctx) => ok(S.application(ctx.ser, writeApplication(ctx, getApp(ctx)))),
  core_applications_partial_update: (ctx) => ok(S.application(ctx.ser, writeApplication(ctx, getApp(ctx)))),
  core_applications_destroy(ctx) {
    ctx.store.deleteApplication(getApp(ctx).pbm_uuid);
    return noContent();
  },

  core_application_entitlements_list: (ctx) =>
    list(ctx, [...ctx.store.entitlements.values()].map(S.entitlement), {
      filters: { app: exact("app"), name: exact("name"), pbm_uuid: exact("pbm_uuid") },
      search: ["name"],
      ordering: ["name"],
    }),
  core_application_entitlements_create: (ctx) => created(S.entitlement(writeEntitlement(ctx))),
  core_application_entitlements_retrieve: (ctx) => ok(S.entitlement(getEntitlement(ctx))),
  core_application_entitlements_update: (ctx) => ok(S.entitlement(writeEntitlement(ctx, getEntitlement(ctx)))),
  core_application_entitlements_partial_update: (ctx) => ok(S.entitlement(writeEntitlement(ctx, getEntitlement(ctx)))),
  core_application_entitlements_destroy(ctx) {
    ctx.store.deleteEntitlement(getEntitlement(ctx).pbm_uuid);
    return noContent();
  },

  core_groups_list(ctx) {
    const inc = groupIncludes(ctx);
    const { store } = ctx;
    const memberOf = (g: S.Wire, test: (u: UserRec) => boolean) => store.groupMembers(g.pk as string).some(test);
    return list(ctx, [...store.groups.values()].map((g) => S.group(ctx.ser, g, inc)), {
      filters: {
        name: exact("name"),
        is_superuser: exact("is_superuser"),
        attributes: attributesFilter,
        members_by_pk: (g, v) => memberOf(g, (u) => (v as number[]).includes(u.pk)),
        members_by_username: (g, v) => memberOf(g, (u) => (v as string[]).includes(u.username)),
      },
      search: ["name"],
      ordering: ["name"],
    });
  },
  core_groups_create: (ctx) => created(S.group(ctx.ser, writeGroup(ctx))),
  core_groups_retrieve: (ctx) => ok(S.group(ctx.ser, getGroup(ctx), groupIncludes(ctx))),
  core_groups_update: (ctx) => ok(S.group(ctx.ser, writeGroup(ctx, getGroup(ctx)))),
  core_groups_partial_update: (ctx) => ok(S.group(ctx.ser, writeGroup(ctx, getGroup(ctx)))),
  core_groups_destroy(ctx) {
    ctx.store.deleteGroup(getGroup(ctx).pk);
    return noContent();
  },
  core_groups_add_user_create(ctx) {
    const g = getGroup(ctx);
    const u = ctx.store.users.get(ctx.body.pk as number);
    if (!u) throw new ApiError(400, { pk: ["User does not exist"] });
    if (!u.groups.includes(g.pk)) u.groups.push(g.pk);
    return noContent();
  },
  core_groups_remove_user_create(ctx) {
    const g = getGroup(ctx);
    const u = ctx.store.users.get(ctx.body.pk as number);
    if (!u) throw new ApiError(400, { pk: ["User does not exist"] });
    u.groups = u.groups.filter((x) => x !== g.pk);
    return noContent();
  },

  core_users_list(ctx) {
    const { store } = ctx;
    const inc = { include_groups: ctx.query.include_groups as boolean | undefined, include_roles: ctx.query.include_roles as boolean | undefined };
    const groupNames = (w: S.Wire) => store.userAllGroups(store.users.get(w.pk as number)!).map((g) => g.name);
    return list(ctx, [...store.users.values()].map((u) => S.user(ctx.ser, u, inc)), {
      filters: {
        username: exact("username"),
        email: exact("email"),
        name: exact("name"),
        uuid: exact("uuid"),
        path: exact("path"),
        is_active: exact("is_active"),
        is_superuser: exact("is_superuser"),
        type: anyOf("type"),
        attributes: attributesFilter,
        path_startswith: (w, v) => String(w.path).startsWith(String(v)),
        groups_by_name: (w, v) => (v as string[]).some((n) => groupNames(w).includes(n)),
        groups_by_pk: (w, v) => (v as string[]).some((pk) => (w.groups as string[]).includes(pk)),
      },
      search: ["username", "name", "email"],
      ordering: ["username"],
    });
  },
  core_users_create: (ctx) => created(S.user(ctx.ser, writeUser(ctx))),
  core_users_retrieve: (ctx) => ok(S.user(ctx.ser, getUser(ctx))),
  core_users_update: (ctx) => ok(S.user(ctx.ser, writeUser(ctx, getUser(ctx)))),
  core_users_partial_update: (ctx) => ok(S.user(ctx.ser, writeUser(ctx, getUser(ctx)))),
  core_users_destroy(ctx) {
    ctx.store.deleteUser(getUser(ctx).pk);
    return noContent();
  },
};

