// /propertymappings/all/ (+ test), /propertymappings/provider/saml/, /propertymappings/provider/scim/
import { randomUUID } from "node:crypto";
import { FieldErrorCollector, doesNotExist, notFound } from "../http-errors.js";
import { ExpressionProcessDied } from "../python.js";
import * as S from "../serialize.js";
import type { MappingRec, ProviderRec } from "../store.js";
import { anyOf, created, exact, type HandlerContext, type HandlerTable, isNull, list, noContent, ok, pick } from "./common.js";

type Kind = "saml" | "scim";

function getMapping(ctx: HandlerContext, kind?: Kind): MappingRec {
  const m = ctx.store.mappings.get(ctx.params.pm_uuid!);
  if (!m || (kind && m.kind !== kind)) {
    throw notFound(kind === "saml" ? "SAML Provider Property Mapping" : kind === "scim" ? "SCIM Provider Mapping" : "Property Mapping");
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
  const fields = kind === "saml" ? (["managed", "name", "expression", "saml_name", "friendly_name"] as const) : (["managed", "name", "expression"] as const);
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
  const m: MappingRec = existing ?? { pk: randomUUID(), kind, managed: null, name: "", expression: "", ...(kind === "saml" ? { saml_name: "", friendly_name: null } : {}) };
  Object.assign(m, data);
  if (!existing) store.mappings.set(m.pk, m);
  return m;
}

/**
 * Which provider an expression sees as `provider` in the test endpoint.
 * authentik itself only passes what the request's `context` holds. As an
 * emulator convenience, `context.provider` may be a provider pk, and when it is
 * absent the first provider using this mapping is supplied, so expressions like
 * `request.user.app_entitlements(provider.application)` can be exercised.
 */
function resolveProvider(ctx: HandlerContext, mapping: MappingRec, given: unknown): ProviderRec | undefined {
  if (typeof given === "number") return ctx.store.providers.get(given);
  if (given !== undefined) return undefined;
  return [...ctx.store.providers.values()]
    .sort((a, b) => a.pk - b.pk)
    .find(
      (p) =>
        p.property_mappings.includes(mapping.pk) ||
        (p.kind === "saml" && (p.name_id_mapping === mapping.pk || p.authn_context_class_ref_mapping === mapping.pk)) ||
        (p.kind === "scim" && p.property_mappings_group.includes(mapping.pk)),
    );
}

function providerData(ctx: HandlerContext, p: ProviderRec): Record<string, unknown> {
  const wire = p.kind === "saml" ? S.samlProvider(ctx.ser, p) : p.kind === "scim" ? S.scimProvider(ctx.ser, p) : S.provider(ctx.ser, p);
  const [appLabel, modelName] = String(wire.meta_model_name).split(".");
  return {
    ...wire,
    application: ctx.store.applicationOfProvider(p.pk)?.pbm_uuid ?? null,
    backchannel_application: p.backchannel_application,
    model_name: modelName,
    app_label: appLabel,
  };
}

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

  const extra = { ...((ctx.body.context as Record<string, unknown> | undefined) ?? {}) };
  const provider = resolveProvider(ctx, mapping, extra.provider);
  if (provider) delete extra.provider;

  // The expression sees models, which have pbm_uuid in every release (the wire has it only from 2026.8).
  const applications = Object.fromEntries([...store.applications.values()].map((a) => [a.pbm_uuid, { ...S.application(ctx.ser, a), pbm_uuid: a.pbm_uuid }]));
  const entitlements = user
    ? Object.fromEntries([...store.applications.values()].map((a) => [a.pbm_uuid, store.userEntitlements(user, a.pbm_uuid).map(S.entitlement)]))
    : {};
  const input = {
    expression: mapping.expression,
    filename: mapping.name,
    format_result: ctx.query.format_result === true,
    user: user
      ? {
          ...S.user(ctx.ser, user),
          groups: user.groups
            .map((g) => store.groups.get(g))
            .filter((g) => g !== undefined)
            .map((g) => S.partialGroup(ctx.ser, g)),
          all_groups: store.userAllGroups(user).map((g) => S.partialGroup(ctx.ser, g)),
          groups_field: store.release.atLeast("2026.2") ? "groups" : "ak_groups",
        }
      : null,
    group: group ? S.partialGroup(ctx.ser, group) : null,
    provider: provider ? providerData(ctx, provider) : null,
    context: extra,
    applications,
    entitlements,
  };
  try {
    const out = await ctx.expressions.evaluate(input);
    return ok({ result: out.result, successful: out.successful });
  } catch (err) {
    // In authentik an expression that kills its process takes a worker down;
    // here it is reported as a failed evaluation.
    if (err instanceof ExpressionProcessDied) return ok({ result: err.message, successful: false });
    throw err;
  }
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
};

