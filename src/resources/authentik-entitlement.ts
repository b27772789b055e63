/**
 * authentik.entitlement: one per (role, account) in classic-iam — what a group is bound to,
 * and what the Role mapping sends; in identity-center, only the tool's record of when
 * access ends (bound to no group, it grants nothing).
 */
import type { ApplicationEntitlement } from "@goauthentik/api";
import type { Props, Ref } from "../domain/plan-types.js";
import { createOnce, findOne, idOf, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";
import { isLifetimeRecord, LIFETIME_ATTRIBUTE, LIFETIME_RECORD, parseLifetimeKey } from "../domain/lifetimes.js";

export interface EntitlementProps {
  name: string;
  app: Ref;
  /** aws_role_arn, aws_saml_provider_arn, aws_role_name, aws_account_id, aws_account_alias, managed_by; access_expires (group → end) when a binding to it expires. The identity-center record: managed_by, aws_gitops_record, purpose, access_expires, aws_account_aliases. */
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
    const record = a[LIFETIME_ATTRIBUTE];
    if (record === null || typeof record !== "object") return [];
    const ends = Object.entries(record as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string");
    // identity-center: the tool's record, keyed "group→permission set@account id".
    if (isLifetimeRecord(a)) {
      const aliases = (a[LIFETIME_RECORD.aliases] ?? {}) as Record<string, unknown>;
      return ends.flatMap(([key, value]) => {
        const k = parseLifetimeKey(key);
        if (!k) return [];
        const alias = aliases[k.accountId];
        return [{ group: k.group, grant: k.permissionSet, account: typeof alias === "string" ? alias : k.accountId, accountId: k.accountId, value }];
      });
    }
    // classic-iam: the entitlement of a (role, account), keyed by group.
    if (typeof a.aws_role_name !== "string") return [];
    const accountId = String(a.aws_account_id ?? "");
    const account = String(a.aws_account_alias ?? accountId);
    return ends.map(([group, value]) => ({ group, grant: a.aws_role_name as string, account, accountId, value }));
  },
  recordOnly: ({ attributes }) => isLifetimeRecord((attributes ?? {}) as Record<string, unknown>),
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
