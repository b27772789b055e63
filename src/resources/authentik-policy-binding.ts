/**
 * authentik.policy_binding: a group bound to an entitlement (it holds that role in that
 * account) or to the application itself (it may sign in, and SCIM provisions its people).
 */
import type { PolicyBinding } from "@goauthentik/api";
import type { Lookup, Ref } from "../domain/plan-types.js";
import { createOnce, findOne, idOf, lookup, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface PolicyBindingProps {
  target: Ref;
  /** Bindings the tool writes bind a group; one read from authentik may bind a user or a policy instead. */
  group?: Lookup;
  order: number;
  enabled: boolean;
  negate: boolean;
  timeout: number;
  failure_result: boolean;
}

const APPLICATION = /^authentik\.application\[(.*)\]$/;

export const policyBinding: ResourceKind<PolicyBindingProps> = {
  type: "authentik.policy_binding",
  system: "authentik",
  order: 50,
  reader: "authentik",
  missing: missingIn("authentik"),
  access({ props }, resolve) {
    const group = props.group?.key;
    const target = props.target?.$ref;
    if (!group || !target) return undefined;
    // On the application itself: the group may sign in (and, with SCIM, is provisioned).
    const app = APPLICATION.exec(target)?.[1];
    if (app !== undefined) return { group, grant: app, account: "authentik", accountId: "", kind: "application" };
    // On an entitlement: the role and account the entitlement names (the Role mapping sends it).
    const attrs = (resolve(target)?.attributes ?? {}) as Record<string, unknown>;
    if (typeof attrs.aws_role_name !== "string") return undefined;
    return { group, grant: attrs.aws_role_name, account: String(attrs.aws_account_alias ?? attrs.aws_account_id ?? "?"), accountId: String(attrs.aws_account_id ?? "") };
  },
  async apply(change, ctx) {
    const a = need(ctx.authentik, "authentik");
    if (change.action === "delete") return remove(a, `/policies/bindings/${change.liveId}/`);
    const after = change.after!;
    if (!after.group) throw new Error(`internal: ${change.address} binds no group`);
    const body = {
      target: idOf(a.ids.pbm, after.target, "pbm_uuid"),
      group: lookup(a, after.group),
      order: after.order,
      enabled: after.enabled,
      negate: after.negate,
      timeout: after.timeout,
      failureResult: after.failure_result,
    };
    if (change.action === "create") {
      const created = await createOnce(
        () => a.client.post<PolicyBinding>("/policies/bindings/", body),
        () => findOne<PolicyBinding>(a, "/policies/bindings/", { target: body.target }, (b) => b.target === body.target && b.group === body.group),
      );
      a.ids.id.set(change.address, created.pk);
    } else {
      await a.client.patch(`/policies/bindings/${change.liveId}/`, body);
    }
  },
};
