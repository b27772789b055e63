// /policies/bindings/
import { randomUUID } from "node:crypto";
import { ApiError, FieldErrorCollector, nonFieldError, notFound } from "../http-errors.js";
import * as S from "../serialize.js";
import type { BindingRec } from "../store.js";
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
  // No policy objects are emulated, so any policy reference dangles.
  checkRefs(errors, "policy", attrs.policy, () => false);
  checkRefs(errors, "group", attrs.group, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "user", attrs.user, (pk: number) => store.users.has(pk));
  errors.throwIfAny();
  // (unique_together (policy, target, order) only bites when policy is set; it
  //  cannot be here. Group/user bindings are NOT unique: authentik happily stores
  //  the same group twice on one target.)

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

export const policyHandlers: HandlerTable = {
  // Note the schema offers no `group`/`user` filter: find a group's bindings by target and filter client-side.
  policies_bindings_list: (ctx) =>
    list(ctx, [...ctx.store.bindings.values()].map((b) => S.binding(ctx.ser, b)), {
      filters: {
        enabled: exact("enabled"),
        order: exact("order"),
        policy: exact("policy"),
        policy__isnull: isNull("policy"),
        target: exact("target"),
        target_in: anyOf("target"),
        timeout: exact("timeout"),
      },
      search: ["policy_name"], // search_fields = ["policy__name"]: no policies here, so a search finds nothing
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
