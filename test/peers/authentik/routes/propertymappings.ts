// /propertymappings/all/ (+ test), /propertymappings/provider/saml/, /propertymappings/provider/scim/,
// /propertymappings/provider/scope/ (OAuth2 scope mappings)
import { randomUUID } from "node:crypto";
import { FieldErrorCollector, doesNotExist, notFound } from "../http-errors.js";
import { type ExpressionEngine, ExpressionProcessDied } from "../python.js";
import * as S from "../serialize.js";
import type { GroupRec, MappingRec, ProviderRec, Store, UserRec } from "../store.js";
import { anyOf, created, exact, type HandlerContext, type HandlerTable, isNull, list, noContent, ok, pick } from "./common.js";

type Kind = "saml" | "scim" | "scope";

function getMapping(ctx: HandlerContext, kind?: Kind): MappingRec {
  const m = ctx.store.mappings.get(ctx.params.pm_uuid!);
  if (!m || (kind && m.kind !== kind)) {
    throw notFound(kind === "saml" ? "SAML Provider Property Mapping" : kind === "scim" ? "SCIM Provider Mapping" : kind === "scope" ? "Scope Mapping" : "Property Mapping");
  }
  return m;
}

/**
 * PropertyMappingSerializer: `name` and `managed` are unique in the shared
 * PropertyMapping table (so across SAML, SCIM, OAuth... mappings), and
 * validate_expression compiles the expression, both as field errors.
 */
async function writeMapping(ctx: HandlerContext, kind: Kind, existing?: MappingRec): Promise<MappingRec> {
  const { store } = ctx;
  const fields =
    kind === "saml"
      ? (["managed", "name", "expression", "saml_name", "friendly_name"] as const)
      : kind === "scope"
        ? (["managed", "name", "expression", "scope_name", "description"] as const)
        : (["managed", "name", "expression"] as const);
  const data = pick(ctx, fields);
  const errors = new FieldErrorCollector();
  for (const m of store.mappings.values()) {
    if (m === existing) continue;
    if (data.name !== undefined && m.name === data.name) errors.add("name", "Property Mapping with this name already exists.");
    if (data.managed !== undefined && data.managed !== null && m.managed === data.managed) {
      errors.add("managed", "Property Mapping with this Managed by authentik already exists.");
    }
  }
  if (typeof data.expression === "string") {
    // The evaluator is built from the *current* instance, so its name (or
    // str(None) on create) is the filename in the SyntaxError message.
    const error = await ctx.expressions.compile(data.expression, existing ? existing.name : "None");
    if (error) errors.add("expression", error);
  }
  errors.throwIfAny();
  const m: MappingRec = existing ?? {
    pk: randomUUID(),
    kind,
    managed: null,
    name: "",
    expression: "",
    ...(kind === "saml" ? { saml_name: "", friendly_name: null } : {}),
    ...(kind === "scope" ? { scope_name: "", description: "" } : {}),
  };
  Object.assign(m, data);
  if (!existing) store.mappings.set(m.pk, m);
  return m;
}

/**
 * The provider the SAML assertion passes to a mapping as `provider`
 * (authentik/providers/saml/processors/assertion.py: `mapping.evaluate(..., provider=self.provider)`):
 * the one given, else the first provider using this mapping.
 */
function assertionProvider(store: Store, mapping: MappingRec, given: number | undefined): ProviderRec | undefined {
  if (given !== undefined) return store.providers.get(given);
  return [...store.providers.values()]
    .sort((a, b) => a.pk - b.pk)
    .find(
      (p) =>
        p.property_mappings.includes(mapping.pk) ||
        (p.kind === "saml" && (p.name_id_mapping === mapping.pk || p.authn_context_class_ref_mapping === mapping.pk)) ||
        (p.kind === "scim" && p.property_mappings_group.includes(mapping.pk)),
    );
}

function providerData(ser: S.SerializeContext, store: Store, p: ProviderRec): Record<string, unknown> {
  const wire = p.kind === "saml" ? S.samlProvider(ser, p) : p.kind === "scim" ? S.scimProvider(ser, p) : p.kind === "oauth2" ? S.oauth2Provider(ser, p) : S.provider(ser, p);
  const [appLabel, modelName] = String(wire.meta_model_name).split(".");
  return {
    ...wire,
    application: store.applicationOfProvider(p.pk)?.pbm_uuid ?? null,
    backchannel_application: p.backchannel_application,
    model_name: modelName,
    app_label: appLabel,
  };
}

export interface Evaluation {
  mapping: MappingRec;
  user?: UserRec;
  group?: GroupRec;
  /** the request's `context`, passed to the expression as it is (JSON values, not models) */
  context: Record<string, unknown>;
  /** a model the expression sees as `provider`: only the SAML assertion passes one */
  provider?: ProviderRec;
  formatResult: boolean;
  /** also say what the SAML assertion makes of the value (EvaluationResult.values / text) */
  assertion?: boolean;
}

/** A user as expression_runner.py's User stub reads it (groups, all_groups, which field holds the groups). */
export function userEvaluationData(ser: S.SerializeContext, store: Store, user: UserRec): Record<string, unknown> {
  return {
    ...S.user(ser, user),
    groups: user.groups
      .map((g) => store.groups.get(g))
      .filter((g) => g !== undefined)
      .map((g) => S.partialGroup(ser, g)),
    all_groups: store.userAllGroups(user).map((g) => S.partialGroup(ser, g)),
    groups_field: store.release.atLeast("2026.2") ? "groups" : "ak_groups",
  };
}

/** Evaluates a mapping the way authentik does, with the context given. */
export async function evaluateMapping(
  store: Store,
  ser: S.SerializeContext,
  expressions: ExpressionEngine,
  e: Evaluation,
): Promise<{ result: string; successful: boolean; values?: string[] | null; text?: string | null }> {
  const { user, group } = e;
  // The expression sees models, which have pbm_uuid in every release (the wire has it only from 2026.8).
  const applications = Object.fromEntries([...store.applications.values()].map((a) => [a.pbm_uuid, { ...S.application(ser, a), pbm_uuid: a.pbm_uuid }]));
  const entitlements = user ? Object.fromEntries([...store.applications.values()].map((a) => [a.pbm_uuid, store.userEntitlements(user, a.pbm_uuid).map(S.entitlement)])) : {};
  const input = {
    expression: e.mapping.expression,
    filename: e.mapping.name,
    format_result: e.formatResult,
    user: user ? userEvaluationData(ser, store, user) : null,
    group: group ? S.partialGroup(ser, group) : null,
    provider: e.provider ? providerData(ser, store, e.provider) : null,
    context: e.context,
    applications,
    entitlements,
    ...(e.assertion ? { assertion: true } : {}),
  };
  try {
    const out = await expressions.evaluate(input);
    return { result: out.result, successful: out.successful, ...(out.values !== undefined ? { values: out.values } : {}), ...(out.text !== undefined ? { text: out.text } : {}) };
  } catch (err) {
    // In authentik an expression that kills its process takes a worker down;
    // here it is reported as a failed evaluation.
    if (err instanceof ExpressionProcessDied) return { result: err.message, successful: false };
    throw err;
  }
}

/**
 * As the SAML assertion evaluates a mapping for a user (with `provider`): what the
 * test endpoint cannot show. An emulator control (controls.ts evaluateInAssertion).
 */
export function evaluateInAssertion(
  store: Store,
  ser: S.SerializeContext,
  expressions: ExpressionEngine,
  options: { mapping: string; user: number; provider?: number },
): Promise<{ result: string; successful: boolean }> {
  const mapping = store.mappings.get(options.mapping);
  if (!mapping) throw new Error(`evaluateInAssertion: no property mapping ${JSON.stringify(options.mapping)}`);
  const user = store.users.get(options.user);
  if (!user) throw new Error(`evaluateInAssertion: no user ${options.user}`);
  const provider = assertionProvider(store, mapping, options.provider);
  if (!provider) throw new Error(`evaluateInAssertion: mapping ${JSON.stringify(mapping.name)} belongs to no provider (and none was given)`);
  return evaluateMapping(store, ser, expressions, { mapping, user, context: {}, provider, formatResult: false });
}

/**
 * POST /propertymappings/all/{pk}/test/ (PropertyMappingViewSet.test,
 * authentik/core/api/property_mappings.py@version/2025.10.4, @version/2026.2.2): the user
 * and group named must be ones the token's user may view (get_objects_for_user(...,
 * "authentik_core.view_user"/"view_group"), else PermissionDenied), and the mapping is
 * evaluated with `mapping.evaluate(dry_run=True, **context)`: the request's `context`
 * as given, `user`, `group` — and no `provider`, which only the SAML assertion passes.
 */
async function testMapping(ctx: HandlerContext) {
  const { store } = ctx;
  const mapping = getMapping(ctx);
  const userPk = ctx.body.user as number | null | undefined;
  const groupPk = ctx.body.group as string | null | undefined;
  const errors = new FieldErrorCollector();
  const user = userPk !== undefined && userPk !== null ? store.users.get(userPk) : undefined;
  if (userPk !== undefined && userPk !== null && !user) errors.add("user", doesNotExist(userPk));
  const group = groupPk ? store.groups.get(groupPk) : undefined;
  if (groupPk && !group) errors.add("group", doesNotExist(groupPk));
  errors.throwIfAny();
  if (user) ctx.requirePermission("authentik_core.view_user");
  if (group) ctx.requirePermission("authentik_core.view_group");
  const context = { ...((ctx.body.context as Record<string, unknown> | undefined) ?? {}) };
  return ok(await evaluateMapping(store, ctx.ser, ctx.expressions, { mapping, ...(user ? { user } : {}), ...(group ? { group } : {}), context, formatResult: ctx.query.format_result === true }));
}

const COMMON_FILTERS = { managed: anyOf("managed"), managed__isnull: isNull("managed"), name: exact("name") };

function crud(kind: Kind, prefix: string, render: (m: MappingRec) => S.Wire, extraFilters: Record<string, ReturnType<typeof exact>> = {}): HandlerTable {
  return {
    [`${prefix}_list`]: (ctx) =>
      list(ctx, [...ctx.store.mappings.values()].filter((m) => m.kind === kind).map(render), {
        filters: { ...COMMON_FILTERS, ...extraFilters },
        search: ["name"],
        ordering: ["name"],
      }),
    [`${prefix}_create`]: async (ctx) => created(render(await writeMapping(ctx, kind))),
    [`${prefix}_retrieve`]: (ctx) => ok(render(getMapping(ctx, kind))),
    [`${prefix}_update`]: async (ctx) => ok(render(await writeMapping(ctx, kind, getMapping(ctx, kind)))),
    [`${prefix}_partial_update`]: async (ctx) => ok(render(await writeMapping(ctx, kind, getMapping(ctx, kind)))),
    [`${prefix}_destroy`]: (ctx) => {
      ctx.store.deleteMapping(getMapping(ctx, kind).pk);
      return noContent();
    },
  };
}

export const propertyMappingHandlers: HandlerTable = {
  propertymappings_all_list: (ctx) =>
    list(ctx, [...ctx.store.mappings.values()].map(S.mapping), { filters: COMMON_FILTERS, search: ["name"], ordering: ["name"] }),
  propertymappings_all_retrieve: (ctx) => ok(S.mapping(getMapping(ctx))),
  propertymappings_all_destroy(ctx) {
    ctx.store.deleteMapping(getMapping(ctx).pk);
    return noContent();
  },
  propertymappings_all_test_create: testMapping,
  ...crud("saml", "propertymappings_provider_saml", S.samlMapping, { saml_name: exact("saml_name"), friendly_name: exact("friendly_name") }),
  ...crud("scim", "propertymappings_provider_scim", S.mapping),
  ...crud("scope", "propertymappings_provider_scope", S.scopeMapping, { scope_name: exact("scope_name") }),
};

