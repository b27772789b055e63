/** authentik.saml_provider: the SAML provider AWS trusts (ACS, audience, the pinned issuer, signing). */
import type { SAMLProvider } from "@goauthentik/api";
import type { Lookup, Ref } from "../domain/plan-types.js";
import { createOnce, findOne, idOf, lookup, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface SamlProviderProps {
  name: string;
  authorization_flow: Lookup;
  invalidation_flow: Lookup;
  sp_binding: string;
  signing_kp: Lookup;
  sign_assertion: boolean;
  sign_response: boolean;
  name_id_mapping: Lookup;
  acs_url: string;
  audience: string;
  /** The pinned issuer, in the field the release has (src/domain/releases.ts): issuer_override from 2026.5, issuer before. */
  issuer_override?: string;
  issuer?: string;
  property_mappings: Ref[];
}

export const samlProvider: ResourceKind<SamlProviderProps> = {
  type: "authentik.saml_provider",
  system: "authentik",
  order: 20,
  reader: "authentik",
  identityProvider: true,
  missing: missingIn("authentik"),
  async apply(change, ctx) {
    const a = need(ctx.authentik, "authentik");
    if (change.action === "delete") return remove(a, `/providers/saml/${change.liveId}/`);
    const after = change.after!;
    const body = {
      name: after.name,
      authorizationFlow: lookup(a, after.authorization_flow),
      invalidationFlow: lookup(a, after.invalidation_flow),
      acsUrl: after.acs_url,
      audience: after.audience,
      // Whichever of issuer_override (2026.5+) / issuer (before) the plan was made for.
      ...(after.issuer_override !== undefined ? { issuerOverride: after.issuer_override } : {}),
      ...(after.issuer !== undefined ? { issuer: after.issuer } : {}),
      spBinding: after.sp_binding,
      signingKp: lookup(a, after.signing_kp),
      signAssertion: after.sign_assertion,
      signResponse: after.sign_response,
      nameIdMapping: lookup(a, after.name_id_mapping),
      propertyMappings: after.property_mappings.map((r) => idOf(a.ids.id, r, "pk")),
    };
    if (change.action === "create") {
      const created = await createOnce(
        () => a.client.post<SAMLProvider>("/providers/saml/", body),
        () => findOne<SAMLProvider>(a, "/providers/saml/", { name: body.name }, (p) => p.name === body.name),
      );
      a.ids.id.set(change.address, String(created.pk));
      a.ids.pk.set(change.address, String(created.pk));
    } else {
      // PATCH: fields this tool does not manage keep whatever an admin set.
      await a.client.patch(`/providers/saml/${change.liveId}/`, body);
    }
  },
};
