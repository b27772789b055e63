/** authentik.property_mapping: a SAML property mapping the tool owns (the Role, RoleSessionName and SessionDuration attributes). */
import type { SAMLPropertyMapping } from "@goauthentik/api";
import { SAML_ATTRIBUTE } from "../domain/expressions.js";
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
  sessionTags(change) {
    const m = change.after ?? change.before!;
    if (!m.saml_name.startsWith(SAML_ATTRIBUTE.accessControlPrefix)) return undefined;
    if ((change.action === "update" || change.action === "adopt") && !change.fields.some((f) => f.field === "expression" || f.field === "saml_name")) return undefined;
    const key = m.saml_name.slice(SAML_ATTRIBUTE.accessControlPrefix.length);
    const what = change.action === "create" || change.action === "adopt" ? "now sent" : change.action === "delete" ? "no longer sent" : "sent from another value";
    return `attribute for access control ${key} ${what} by authentik in the SAML assertion`;
  },
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
