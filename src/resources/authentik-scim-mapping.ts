/** authentik.scim_mapping: the SCIM user mapping the tool owns (userName from the email, no photos), merged after authentik's default. */
import type { SCIMMapping } from "@goauthentik/api";
import { createOnce, findOne, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface ScimMappingProps {
  name: string;
  expression: string;
}

export const scimMapping: ResourceKind<ScimMappingProps> = {
  type: "authentik.scim_mapping",
  system: "authentik",
  order: 60,
  reader: "authentik",
  missing: missingIn("authentik"),
  async apply(change, ctx) {
    const a = need(ctx.authentik, "authentik");
    if (change.action === "delete") return remove(a, `/propertymappings/all/${change.liveId}/`);
    const after = change.after!;
    const body = { name: after.name, expression: after.expression };
    if (change.action === "create") {
      const created = await createOnce(
        () => a.client.post<SCIMMapping>("/propertymappings/provider/scim/", body),
        () => findOne<SCIMMapping>(a, "/propertymappings/provider/scim/", { name: body.name }, (m) => m.name === body.name),
      );
      a.ids.id.set(change.address, created.pk);
    } else {
      await a.client.put(`/propertymappings/provider/scim/${change.liveId}/`, body);
    }
  },
};
