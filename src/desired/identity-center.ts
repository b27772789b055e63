import type { ResolvedConfig } from "../config/model.js";
import { toIsoDuration } from "../config/durations.js";
import { byCodePoint } from "../domain/canonical.js";
import { normalizePolicy } from "../domain/policy-normalize.js";
import type { DesiredResource, Props } from "../domain/plan-types.js";
import { address } from "../domain/addresses.js";
import { accessControlExpression, SAML_ATTRIBUTE } from "../domain/expressions.js";
import { applicationBindings, authentikApplication, authentikSamlProvider, issuerProps, type AuthentikApi } from "./authentik-common.js";
import { managedTags } from "./classic-iam.js";
import type { TargetAccount } from "../domain/accounts.js";
import { pyLiteral } from "../domain/expressions.js";
import { PROVISIONED_EVERYWHERE } from "../domain/provisioning.js";
import type { SpMetadata } from "../domain/saml-metadata.js";

/** An AWS account an assignment targets: declared by alias, or found in an organizational unit. */

export interface IdentityCenterContext {
  /** The URL this run reached authentik by (the public one comes from authentik.url). */
  authentikUrl: string;
  /** The release's API: which fields exist and what they are called. */
  api: AuthentikApi;
  sp: SpMetadata;
  /** Accounts of each declared organizational unit (descendants included), by OU alias. */
  ouAccounts: Map<string, TargetAccount[]>;
  /** The SCIM token, when scim is configured (never compared: authentik never returns it). */
  scimToken?: string;
  /** Push the token again although nothing else changed (authentik cannot tell us it differs). */
  rotateScimToken?: boolean;
  /** Addresses of permission sets some account holds an older version of (live `provisioning`): they are provisioned again. */
  notProvisioned?: ReadonlySet<string>;
}

export const SCIM_DEFAULT_USER_MAPPING = "goauthentik.io/providers/scim/user";
export const SCIM_DEFAULT_GROUP_MAPPING = "goauthentik.io/providers/scim/group";
/** authentik merges SCIM mappings in name order; ours must come after this one to win. */
export const AUTHENTIK_DEFAULT_SCIM_USER_MAPPING_NAME = "authentik default SCIM Mapping: User";

export function scimUserMappingName(config: ResolvedConfig): string {
  return `${config.authentik.provider.propertyMappingPrefix}: AWS SCIM User`;
}

export function scimUserExpression(userName: "email" | "username", dropPhotos: boolean): string {
  return `# Managed by authentik-aws-gitops: edits are overwritten.
# Merged after "${AUTHENTIK_DEFAULT_SCIM_USER_MAPPING_NAME}", so these values win.
# IAM Identity Center matches the SAML NameID (email) against userName${dropPhotos ? `,
# and rejects users that carry \`photos\` (authentik drops keys set to None)` : ""}.
return {
    "userName": getattr(request.user, ${pyLiteral(userName)}, None) or request.user.username,${dropPhotos ? `
    "photos": None,` : ""}
}
`;
}

/**
 * Which groups SCIM syncs. From 2026.2 a list; before, one `filter_group` — with
 * several groups that cannot be said, so none is set (every group syncs; the plan
 * warns) and the application's bindings still limit which users are provisioned.
 */
export function scimGroupFilterProps(groups: readonly string[], api: AuthentikApi): Props {
  const unique = [...new Set(groups)].sort(byCodePoint);
  if (api.scimGroupFilter === "group_filters") return { group_filters: unique.map((g) => ({ $lookup: "group", key: g })) };
  return { filter_group: unique.length === 1 ? { $lookup: "group", key: unique[0]! } : null };
}

/** Config → everything identity-center mode manages. Pure. */
export function desiredIdentityCenter(config: ResolvedConfig, ctx: IdentityCenterContext): DesiredResource[] {
  const out: DesiredResource[] = [];
  const ic = config.aws.identityCenter!;
  const app = config.authentik.application.slug;

  // Attributes for access control: authentik sends those it is told to, in the assertion
  // (one property mapping each); the Identity Center instance reads the others from the
  // Identity Store — and needs its ABAC configuration for either.
  const abac = ic.accessControlAttributes;
  const sentMappings: string[] = [];
  for (const attribute of abac ?? []) {
    if (attribute.fromAuthentik === undefined) continue;
    const name = `${config.authentik.provider.propertyMappingPrefix}: AWS AccessControl ${attribute.key}`;
    sentMappings.push(address.propertyMapping(name));
    out.push({
      address: address.propertyMapping(name),
      type: "authentik.property_mapping",
      system: "authentik",
      title: `SAML property mapping "${name}"`,
      props: { name, saml_name: `${SAML_ATTRIBUTE.accessControlPrefix}${attribute.key}`, friendly_name: "", expression: accessControlExpression(attribute.fromAuthentik) },
    });
  }
  if (abac) {
    out.push({
      address: address.accessControlAttributes(),
      type: "aws.sso.access_control_attributes",
      system: "aws",
      title: "attributes for access control (ABAC) of the IAM Identity Center instance",
      props: { attributes: Object.fromEntries(abac.filter((a) => a.source !== undefined).map((a) => [a.key, a.source!])) },
    });
  }

  out.push(
    authentikSamlProvider(config, {
      acs_url: ctx.sp.acsUrl,
      audience: ctx.sp.entityId,
      ...issuerProps(config, ctx.authentikUrl, ctx.api),
      property_mappings: sentMappings.sort(byCodePoint).map(($ref) => ({ $ref })),
    }),
  );

  const scim = config.scim;
  const application = authentikApplication(config, config.authentik.application.launchUrl ?? ic.accessPortalUrl);
  application.props.backchannel_providers = scim ? [{ $ref: address.scimProvider(scim.providerName) }] : [];
  out.push(application, ...applicationBindings(config));

  if (scim) {
    const mappingName = scimUserMappingName(config);
    out.push({
      address: address.scimMapping(mappingName),
      type: "authentik.scim_mapping",
      system: "authentik",
      title: `SCIM property mapping "${mappingName}"`,
      props: { name: mappingName, expression: scimUserExpression(scim.userMapping.userName, scim.userMapping.dropPhotos) },
    });
    out.push({
      address: address.scimProvider(scim.providerName),
      type: "authentik.scim_provider",
      system: "authentik",
      title: `SCIM provider "${scim.providerName}"`,
      props: {
        name: scim.providerName,
        url: scim.url,
        compatibility_mode: "aws",
        // Defaults first: authentik merges in name order and ours sorts after them.
        property_mappings: [{ $lookup: "managed_mapping", key: SCIM_DEFAULT_USER_MAPPING }, { $ref: address.scimMapping(mappingName) }].sort(byCodePoint),
        property_mappings_group: [{ $lookup: "managed_mapping", key: SCIM_DEFAULT_GROUP_MAPPING }],
        ...scimGroupFilterProps(scim.groups, ctx.api),
        exclude_users_service_account: true,
        // IAM Identity Center's SCIM API allows about 20 requests per second; small pages keep a sync task short.
        ...(ctx.api.scimSyncPageSize ? { sync_page_size: 50 } : {}),
        dry_run: false,
        // The token is write-only in authentik, so it cannot be compared; a rotation is
        // asked for explicitly and shows as this field (never the value itself).
        ...(ctx.rotateScimToken ? { token: `(new value from ${scim.tokenEnv})` } : {}),
      },
    });
  }

  // --- permission sets ---------------------------------------------------------------------
  for (const ps of config.permissionSets) {
    out.push({
      address: address.permissionSet(ps.name),
      type: "aws.sso.permission_set",
      system: "aws",
      title: `permission set ${ps.name}`,
      props: {
        name: ps.name,
        description: ps.description ?? "",
        session_duration: toIsoDuration(ps.sessionDuration),
        relay_state: ps.relayState ?? "",
        managed_policies: [...ps.managedPolicies].sort(byCodePoint),
        customer_managed_policies: ps.customerManagedPolicies.map((c) => ({ name: c.name, path: c.path })).sort(byCodePoint),
        inline_policy: ps.inlinePolicy ? normalizePolicy(ps.inlinePolicy) : null,
        permissions_boundary: ps.permissionsBoundary ?? null,
        tags: managedTags(config, ps.tags),
        ...(ctx.notProvisioned?.has(address.permissionSet(ps.name)) ? { provisioning: PROVISIONED_EVERYWHERE } : {}),
      },
    });
  }

  // --- assignments: group × permission set × account (OUs expanded to their accounts) ------
  const declared = new Map(config.aws.accounts.map((a) => [a.alias, { id: a.id, label: a.alias }]));
  const seen = new Map<string, DesiredResource>();
  for (const [index, m] of config.mappings.entries()) {
    const targets: TargetAccount[] = [];
    if (Array.isArray(m.accounts)) for (const alias of m.accounts) targets.push(declared.get(alias)!);
    for (const ou of m.organizationalUnits) targets.push(...(ctx.ouAccounts.get(ou) ?? []));
    for (const psName of m.grants) {
      for (const target of targets) {
        const addr = address.assignment(m.group, psName, target.id);
        const twin = seen.get(addr);
        if (twin) {
          // An account named directly and through an OU, or by two mappings, is one assignment.
          if (!twin.grantedBy!.includes(index)) twin.grantedBy!.push(index);
          continue;
        }
        const assignment: DesiredResource = {
          address: addr,
          type: "aws.sso.account_assignment",
          system: "aws",
          account: target.label,
          title: `group "${m.group}" → ${psName} in ${target.label}${target.label === target.id ? "" : ` (${target.id})`}`,
          props: { group: m.group, permission_set: { $ref: address.permissionSet(psName) }, account_id: target.id },
          // With SCIM, a group may reach the Identity Store only through the provider's sync,
          // which needs the provider attached to the application, and the group bound to
          // it (the application's bindings pick the users SCIM provisions), first.
          ...(scim ? { dependsOn: [address.scimProvider(scim.providerName), address.application(app), address.applicationBinding(app, m.group)] } : {}),
          grantedBy: [index],
        };
        seen.set(addr, assignment);
        out.push(assignment);
      }
    }
  }
  return out;
}
