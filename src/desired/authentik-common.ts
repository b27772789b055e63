import type { ResolvedConfig } from "../config/model.js";
import { byCodePoint } from "../domain/canonical.js";
import { MANAGED_BY_VALUE, type AccessRow, type DesiredResource, type Props, type ResourceType } from "../domain/plan-types.js";
import type { AuthentikRelease } from "../domain/releases.js";
import type { IdpMetadataSummary } from "../domain/saml-metadata.js";
import { address } from "../domain/addresses.js";

/** The parts of an authentik release's API the desired state depends on (see releases.ts). */
export type AuthentikApi = Pick<AuthentikRelease, "samlIssuerField" | "scimGroupFilter" | "scimSyncPageSize">;

/** What building the desired state needs to know beyond the config. */
export interface DesiredAuthentikContext {
  /** Base URL of authentik (config or AUTHENTIK_URL), for the IdP-initiated launch URL. */
  authentikUrl: string;
  /** The release's API: which fields exist and what they are called. */
  api: AuthentikApi;
  /** Metadata authentik serves for the provider now, when it exists and is linked. */
  idpMetadata?: IdpMetadataSummary;
}

/**
 * The URL people reach authentik by: `authentik.url`, else (with a validation
 * warning) the one this run used. Everything users or AWS see is built from it.
 */
export function publicAuthentikUrl(config: ResolvedConfig, runUrl: string): string {
  return (config.authentik.url ?? runUrl).replace(/\/+$/, "");
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

/** An application binding as a row of the access diff: the group may sign in to (and is provisioned for) the application. */
export function applicationAccess(resource: { type: ResourceType; props: Props }, appSlug: string): Omit<AccessRow, "change"> | undefined {
  if (resource.type !== "authentik.policy_binding") return undefined;
  if ((resource.props.target as { $ref?: string } | undefined)?.$ref !== address.application(appSlug)) return undefined;
  const group = (resource.props.group as { key?: string } | undefined)?.key;
  if (!group) return undefined;
  return { group, grant: appSlug, account: "authentik", accountId: "", kind: "application" };
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
