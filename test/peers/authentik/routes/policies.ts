// /policies/bindings/, /policies/expression/
import { randomUUID } from "node:crypto";
import { ApiError, FieldErrorCollector, nonFieldError, notFound } from "../http-errors.js";
import * as S from "../serialize.js";
import type { BindingRec, PolicyRec } from "../store.js";
import { anyOf, checkRefs, created, exact, type HandlerContext, type HandlerTable, isNull, list, noContent, ok, pick } from "./common.js";

const FIELDS = ["policy", "group", "user", "target", "negate", "enabled", "order", "timeout", "failure_result"] as const;

function getBinding(ctx: HandlerContext): BindingRec {
  const b = ctx.store.bindings.get(ctx.params.policy_binding_uuid!);
  if (!b) throw notFound("Policy Binding");
  return b;
}

function writeBinding(ctx: HandlerContext, existing?: BindingRec): BindingRec {
  const { store } = ctx;
  const attrs = pick(ctx, FIELDS);
  const errors = new FieldErrorCollector();
  if (attrs.target !== undefined) checkRefs(errors, "target", attrs.target, (pk: string) => store.pbmTarget(pk) !== undefined);
  checkRefs(errors, "policy", attrs.policy, (pk: string) => store.policies.has(pk));
  checkRefs(errors, "group", attrs.group, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "user", attrs.user, (pk: number) => store.users.has(pk));
  errors.throwIfAny();
  // unique_together (policy, target, order), which only bites when a policy is set (NULLs are
  // distinct in PostgreSQL): group/user bindings are NOT unique, authentik happily stores the
  // same group twice on one target. DRF's UniqueTogetherValidator reads the submitted attrs.
  if (attrs.policy && attrs.target !== undefined) {
    const order = (attrs.order as number | undefined) ?? existing?.order;
    for (const b of store.bindings.values()) {
      if (b !== existing && b.policy === attrs.policy && b.target === attrs.target && b.order === order) throw nonFieldError("The fields policy, target, order must make a unique set.");
    }
  }

  // PolicyBindingSerializer.validate() looks only at the submitted attrs: on a
  // PATCH without `target` it dereferences None and authentik answers 500, and a
  // PATCH that omits group/user fails "One of ... must be set." even though the
  // stored binding has one. Reproduced so the tool learns to send full objects.
  if (attrs.target === undefined) {
    ctx.warn("PATCH /policies/bindings/ without `target`: authentik's validate() crashes on this");
    throw new ApiError(500, { detail: "AttributeError: 'NoneType' object has no attribute 'supported_policy_binding_targets'" });
  }
  const target = store.pbmTarget(attrs.target as string)!;
  const supported = target.kind === "entitlement" ? ["group", "user"] : ["group", "policy", "user"];
  const count = supported.filter((f) => Boolean(attrs[f])).length;
  const names = supported.map((f) => `'${f}'`).join(", ");
  if (count > 1) throw nonFieldError(`Only one of ${names} can be set.`);
  if (count < 1) throw nonFieldError(`One of ${names} must be set.`);

  const b: BindingRec = existing ?? {
    pk: randomUUID(),
    policy: null,
    group: null,
    user: null,
    target: "",
    negate: false,
    enabled: true,
    order: 0,
    timeout: 30,
    failure_result: false,
  };
  Object.assign(b, attrs);
  if (!existing) store.bindings.set(b.pk, b);
  return b;
}

/** PolicyBindingViewSet.search_fields = ["policy__name"]: a search matches bindings whose policy's name contains it. */
function bindingMatchesSearch(ctx: HandlerContext, b: BindingRec): boolean {
  const search = ctx.query.search;
  if (typeof search !== "string" || search === "") return true;
  const policy = b.policy !== null ? ctx.store.policies.get(b.policy) : undefined;
  return policy !== undefined && policy.name.toLowerCase().includes(search.toLowerCase());
}

// ---- expression policies -------------------------------------------------------------

function getPolicy(ctx: HandlerContext): PolicyRec {
  const p = ctx.store.policies.get(ctx.params.policy_uuid!);
  if (!p) throw notFound("Expression Policy");
  return p;
}

/**
 * ExpressionPolicySerializer (authentik/policies/expression/api.py@version/2025.10.4 …
 * @2026.5.0-rc1): Policy.name is unique across every policy type ("Policy with this name
 * already exists."); validate_expression compiles the expression with PolicyEvaluator
 * ("temp-policy" as its filename on create, the policy's name on update): a syntax error is
 * {"expression": ["Expression Syntax Error: …"]}.
 */
async function writePolicy(ctx: HandlerContext, existing?: PolicyRec): Promise<PolicyRec> {
  const { store } = ctx;
  const data = pick(ctx, ["name", "execution_logging", "expression"]);
  const errors = new FieldErrorCollector();
  if (typeof data.name === "string") {
    for (const p of store.policies.values()) if (p !== existing && p.name === data.name) errors.add("name", "Policy with this name already exists.");
  }
  if (typeof data.expression === "string") {
    const error = await ctx.expressions.compile(data.expression, existing ? existing.name : "temp-policy", ["ak_message", "ak_user_has_authenticator"]);
    if (error) errors.add("expression", error);
  }
  errors.throwIfAny();
  const p: PolicyRec = existing ?? { pk: randomUUID(), kind: "expression", name: "", execution_logging: false, expression: "" };
  Object.assign(p, data);
  if (!existing) store.policies.set(p.pk, p);
  return p;
}

export const policyHandlers: HandlerTable = {
  policies_expression_list: (ctx) =>
    list(ctx, [...ctx.store.policies.values()].map((p) => S.policy(ctx.ser, p, true)), {
      filters: { name: exact("name"), execution_logging: exact("execution_logging"), expression: exact("expression"), policy_uuid: exact("pk") },
      search: ["name"],
      ordering: ["name"],
    }),
  policies_expression_create: async (ctx) => created(S.policy(ctx.ser, await writePolicy(ctx), true)),
  policies_expression_retrieve: (ctx) => ok(S.policy(ctx.ser, getPolicy(ctx), true)),
  policies_expression_update: async (ctx) => ok(S.policy(ctx.ser, await writePolicy(ctx, getPolicy(ctx)), true)),
  policies_expression_partial_update: async (ctx) => ok(S.policy(ctx.ser, await writePolicy(ctx, getPolicy(ctx)), true)),
  policies_expression_destroy(ctx) {
    ctx.store.deletePolicy(getPolicy(ctx).pk);
    return noContent();
  },

  // Note the schema offers no `group`/`user` filter: find a group's bindings by target and filter client-side.
  policies_bindings_list: (ctx) =>
    list(ctx, [...ctx.store.bindings.values()].filter((b) => bindingMatchesSearch(ctx, b)).map((b) => S.binding(ctx.ser, b)), {
      filters: {
        enabled: exact("enabled"),
        order: exact("order"),
        policy: exact("policy"),
        policy__isnull: isNull("policy"),
        target: exact("target"),
        target_in: anyOf("target"),
        timeout: exact("timeout"),
      },
      // search_fields = ["policy__name"]: see bindingMatchesSearch
      ordering: ["order", "pk"],
    }),
  policies_bindings_create: (ctx) => created(S.binding(ctx.ser, writeBinding(ctx))),
  policies_bindings_retrieve: (ctx) => ok(S.binding(ctx.ser, getBinding(ctx))),
  policies_bindings_update: (ctx) => ok(S.binding(ctx.ser, writeBinding(ctx, getBinding(ctx)))),
  policies_bindings_partial_update: (ctx) => ok(S.binding(ctx.ser, writeBinding(ctx, getBinding(ctx)))),
  policies_bindings_destroy(ctx) {
    ctx.store.bindings.delete(getBinding(ctx).pk);
    return noContent();
  },
};
