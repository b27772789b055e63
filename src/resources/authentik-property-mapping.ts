/** authentik.property_mapping: a SAML property mapping the tool owns (the Role, RoleSessionName and SessionDuration attributes). */
import type { SAMLPropertyMapping } from "@goauthentik/api";
import { createOnce, findOne, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface PropertyMappingProps {
  name: string;
  saml_name: string;
  friendly_name: string;
  /** Python authentik runs for each assertion (src/domain/expressions.ts). */
  expression: string;
}

export const propertyMapping: ResourceKind<PropertyMappingProps> = {
  type: "authentik.property_mapping",
  system: "authentik",
  order: 10,
  reader: "authentik",
  missing: missingIn("authentik"),
  async apply(change, ctx) {
    const a = need(ctx.authentik, "authentik");
    if (change.action === "delete") return remove(a, `/propertymappings/all/${change.liveId}/`);
    const after = change.after!;
    const body = { name: after.name, samlName: after.saml_name, friendlyName: after.friendly_name, expression: after.expression };
    if (change.action === "create") {
      const created = await createOnce(
        () => a.client.post<SAMLPropertyMapping>("/propertymappings/provider/saml/", body),
        () => findOne<SAMLPropertyMapping>(a, "/propertymappings/provider/saml/", { name: body.name }, (m) => m.name === body.name),
      );
      a.ids.id.set(change.address, created.pk);
    } else {
      await a.client.put(`/propertymappings/provider/saml/${change.liveId}/`, body);
    }
  },
};
