/** authentik.scim_provider: provisions the mapped groups and their people into IAM Identity Center. */
import type { SCIMProvider } from "@goauthentik/api";
import type { Lookup, Ref } from "../domain/plan-types.js";
import { createOnce, findOne, lookup, mappingId, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface ScimProviderProps {
  name: string;
  url: string;
  compatibility_mode: string;
  property_mappings: (Ref | Lookup)[];
  property_mappings_group: (Ref | Lookup)[];
  /** The groups to sync, in the release's own field (src/domain/releases.ts): group_filters from 2026.2, filter_group before. */
  group_filters?: Lookup[];
  filter_group?: Lookup | null;
  exclude_users_service_account: boolean;
  sync_page_size?: number;
  dry_run: boolean;
  /** Only when a rotation is asked for: a placeholder naming the variable, never the token. */
  token?: string;
}

export const scimProvider: ResourceKind<ScimProviderProps> = {
  type: "authentik.scim_provider",
  system: "authentik",
  order: 70,
  reader: "authentik",
  missing: missingIn("authentik"),
  async apply(change, ctx) {
    const a = need(ctx.authentik, "authentik");
    if (change.action === "delete") return remove(a, `/providers/scim/${change.liveId}/`);
    if (!a.scimToken) throw new Error("internal: the SCIM token is not available");
    const after = change.after!;
    // Every save of a SCIM provider starts a full sync in authentik: this runs only
    // when the plan found a real difference, never as a no-op write.
    const body = {
      name: after.name,
      url: after.url,
      token: a.scimToken,
      compatibilityMode: after.compatibility_mode,
      propertyMappings: after.property_mappings.map((v) => mappingId(a, v)),
      propertyMappingsGroup: after.property_mappings_group.map((v) => mappingId(a, v)),
      ...(after.group_filters !== undefined ? { groupFilters: after.group_filters.map((v) => lookup(a, v)) } : {}),
      ...(after.filter_group !== undefined ? { filterGroup: after.filter_group === null ? null : lookup(a, after.filter_group) } : {}),
      excludeUsersServiceAccount: after.exclude_users_service_account,
      ...(after.sync_page_size !== undefined ? { syncPageSize: after.sync_page_size } : {}),
      dryRun: after.dry_run,
    };
    if (change.action === "create") {
      const created = await createOnce(
        () => a.client.post<SCIMProvider>("/providers/scim/", body),
        () => findOne<SCIMProvider>(a, "/providers/scim/", { name: body.name }, (p) => p.name === body.name),
      );
      a.ids.id.set(change.address, String(created.pk));
      a.ids.pk.set(change.address, String(created.pk));
    } else {
      await a.client.patch(`/providers/scim/${change.liveId}/`, body);
    }
  },
};
