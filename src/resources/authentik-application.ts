/** authentik.application: the tile people sign in from, linked to the SAML provider (and, with SCIM, its backchannel provider). */
import type { Application } from "@goauthentik/api";
import type { Ref } from "../domain/plan-types.js";
import { createOnce, idOf, remove } from "../providers/authentik/writes.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

export interface ApplicationProps {
  slug: string;
  name: string;
  provider: Ref;
  group: string;
  meta_launch_url: string;
  open_in_new_tab: boolean;
  policy_engine_mode: string;
  /** Marks the application as the tool's (authentik-aws-gitops). */
  meta_publisher: string;
  backchannel_providers: Ref[];
}

export const application: ResourceKind<ApplicationProps> = {
  type: "authentik.application",
  system: "authentik",
  order: 30,
  reader: "authentik",
  missing: missingIn("authentik"),
  async apply(change, ctx) {
    const a = need(ctx.authentik, "authentik");
    if (change.action === "delete") return remove(a, `/core/applications/${encodeURIComponent(change.liveId!)}/`);
    const after = change.after!;
    const body = {
      name: after.name,
      slug: after.slug,
      provider: Number(idOf(a.ids.pk, after.provider, "pk")),
      group: after.group,
      metaLaunchUrl: after.meta_launch_url,
      openInNewTab: after.open_in_new_tab,
      policyEngineMode: after.policy_engine_mode,
      metaPublisher: after.meta_publisher,
      backchannelProviders: (after.backchannel_providers ?? []).map((r) => Number(idOf(a.ids.pk, r, "pk"))),
    };
    if (change.action === "create") {
      const created = await createOnce(
        () => a.client.post<Application>("/core/applications/", body),
        () => a.client.find<Application>(`/core/applications/${encodeURIComponent(body.slug)}/`),
      );
      a.ids.id.set(change.address, created.slug);
      a.ids.pk.set(change.address, created.pk);
      // pk is the pbm_uuid bindings target (2025.10 does not return pbm_uuid).
      a.ids.pbm.set(change.address, created.pk);
    } else {
      await a.client.patch(`/core/applications/${encodeURIComponent(change.liveId!)}/`, body);
    }
  },
};
