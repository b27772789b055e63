import { publicAuthentikUrl, type ResolvedConfig } from "../config/model.js";
import { byCodePoint } from "../domain/canonical.js";
import { MANAGED_BY_VALUE, type DesiredResource, type Props } from "../domain/plan-types.js";
import type { AuthentikRelease } from "../domain/releases.js";
import { address } from "../domain/addresses.js";

/** The parts of an authentik release's API the desired state depends on (see releases.ts). */
export type AuthentikApi = Pick<AuthentikRelease, "samlIssuerField" | "scimGroupFilter" | "scimSyncPageSize">;

/** What building the desired state needs to know beyond the config. */
export interface DesiredAuthentikContext {
  /** Base URL of authentik (config or AUTHENTIK_URL), for the IdP-initiated launch URL. */
  authentikUrl: string;
  /** The release's API: which fields exist and what they are called. */
  api: AuthentikApi;
}


/**
 * authentik derives a provider's issuer (the metadata's entityID) from the host
 * each request used. Pinning it to the public URL keeps the issuer AWS trusts the
 * same whether the tool reached authentik by an internal name or the public one.
 */
export function pinnedIssuer(config: ResolvedConfig, runUrl: string): string {
  return `${publicAuthentikUrl(config, runUrl)}/application/saml/${config.authentik.application.slug}/metadata/`;
}

/**
 * The pinned issuer, in the field the release has: `issuer_override` from 2026.5,
 * before that `issuer` itself (whose default, "authentik", AWS would not match).
 */
export function issuerProps(config: ResolvedConfig, runUrl: string, api: AuthentikApi): Props {
  return { [api.samlIssuerField]: pinnedIssuer(config, runUrl) };
}

/**
 * The application is bound to exactly the groups the mappings name: only their
 * members see its tile, and — since SCIM provisions the users the backchannel
 * application's policy engine lets through, everyone when it has no bindings —
 * only they reach IAM Identity Center.
 */
export function applicationBindings(config: ResolvedConfig): DesiredResource[] {
  const app = config.authentik.application.slug;
  const groups = [...new Set(config.mappings.map((m) => m.group))].sort(byCodePoint);
  return groups.map((group) => ({
    address: address.applicationBinding(app, group),
    type: "authentik.policy_binding",
    system: "authentik",
    title: `group "${group}" → application "${app}"`,
    props: bindingProps({ $ref: address.application(app) }, group),
    grantedBy: config.mappings.flatMap((m, i) => (m.group === group ? [i] : [])),
  }));
}

export function bindingProps(target: Props[string], group: string): Props {
  return {
    target,
    group: { $lookup: "group", key: group },
    order: 0,
    enabled: true,
    negate: false,
    timeout: 30,
    failure_result: false,
  };
}

/** The managed name-id mapping authentik ships for "NameID = email". */
export const EMAIL_NAME_ID_MAPPING = "goauthentik.io/providers/saml/email";

export function authentikSamlProvider(config: ResolvedConfig, modeSpecific: Props): DesiredResource {
  const p = config.authentik.provider;
  return {
    address: address.samlProvider(p.name),
    type: "authentik.saml_provider",
    system: "authentik",
    title: `SAML provider "${p.name}"`,
    props: {
      name: p.name,
      authorization_flow: { $lookup: "flow", key: p.authorizationFlow },
      invalidation_flow: { $lookup: "flow", key: p.invalidationFlow },
      sp_binding: "post",
      // AWS rejects unsigned assertions; authentik signs only when told to.
      signing_kp: { $lookup: "keypair", key: p.signingKeypair },
      sign_assertion: true,
      sign_response: true,
      name_id_mapping: { $lookup: "managed_mapping", key: EMAIL_NAME_ID_MAPPING },
      ...modeSpecific,
    },
  };
}

export function authentikApplication(config: ResolvedConfig, launchUrl: string): DesiredResource {
  const a = config.authentik.application;
  return {
    address: address.application(a.slug),
    type: "authentik.application",
    system: "authentik",
    title: `application "${a.name}" (${a.slug})`,
    props: {
      slug: a.slug,
      name: a.name,
      provider: { $ref: address.samlProvider(config.authentik.provider.name) },
      group: a.group ?? "",
      meta_launch_url: launchUrl,
      open_in_new_tab: a.openInNewTab,
      policy_engine_mode: "any",
      // Marks the application as the tool's: see the ownership check when reading it.
      meta_publisher: MANAGED_BY_VALUE,
    },
  };
}
