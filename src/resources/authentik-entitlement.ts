/** authentik.entitlement: one per (role, account) in classic-iam — what a group is bound to, and what the Role mapping sends. */
import type { ApplicationEntitlement } from "@goauthentik/api";
import type { Props, Ref } from "../domain/plan-types.js";
import { createOnce, findOne, idOf, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface EntitlementProps {
  name: string;
  app: Ref;
  /** aws_role_arn, aws_saml_provider_arn, aws_role_name, aws_account_id, aws_account_alias, managed_by; access_expires (group → end) when a binding to it expires. */
  attributes: Props;
}

export const entitlement: ResourceKind<EntitlementProps> = {
  type: "authentik.entitlement",
  system: "authentik",
  order: 40,
  reader: "authentik",
  missing: missingIn("authentik"),
  lifetimes({ attributes }) {
    const a = (attributes ?? {}) as Record<string, unknown>;
    const record = a.access_expires;
    if (typeof a.aws_role_name !== "string" || record === null || typeof record !== "object") return [];
    const accountId = String(a.aws_account_id ?? "");
    const account = String(a.aws_account_alias ?? accountId);
    return Object.entries(record as Record<string, unknown>)
      .filter((e): e is [string, string] => typeof e[1] === "string")
      .map(([group, value]) => ({ group, grant: a.aws_role_name as string, account, accountId, value }));
  },
  async apply(change, ctx) {
    const a = need(ctx.authentik, "authentik");
    if (change.action === "delete") return remove(a, `/core/application_entitlements/${change.liveId}/`);
    const after = change.after!;
    const body = { name: after.name, app: idOf(a.ids.pk, after.app, "pk"), attributes: after.attributes };
    if (change.action === "create") {
      const created = await createOnce(
        () => a.client.post<ApplicationEntitlement>("/core/application_entitlements/", body),
        () => findOne<ApplicationEntitlement>(a, "/core/application_entitlements/", { app: body.app, name: body.name }, (e) => e.app === body.app && e.name === body.name),
      );
      a.ids.id.set(change.address, created.pbmUuid);
      a.ids.pbm.set(change.address, created.pbmUuid);
    } else {
      await a.client.patch(`/core/application_entitlements/${change.liveId}/`, body);
    }
  },
};
