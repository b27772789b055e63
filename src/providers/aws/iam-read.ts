import {
  GetAccountAuthorizationDetailsCommand,
  GetSAMLProviderCommand,
  ListRolesCommand,
  NoSuchEntityException,
  type Role,
  type RoleDetail,
} from "@aws-sdk/client-iam";
import type { ResolvedConfig } from "../../config/model.js";
import { address } from "../../domain/addresses.js";
import { summarizeIdpMetadata, trustRelevant } from "../../domain/saml-metadata.js";
import { collectPages } from "../../util/paging.js";
import { byCodePoint } from "../../domain/canonical.js";
import { normalizePolicy } from "../../domain/policy-normalize.js";
import { adoption, comparableTags, configOwnership, ownedUnless, type LiveResource } from "../../domain/plan-types.js";
import { configId } from "../../config/model.js";
import type { AccountClients } from "./clients.js";
import { samlProviderArn } from "../../domain/aws-iam.js";
import { readRevocationPolicy, REVOCATION_POLICY_NAME } from "../../domain/session-revocation.js";

export function roleIdentity(account: string, name: string): string {
  return `aws.iam.role:${account}:${name.toLowerCase()}`;
}

/**
 * Roles and the SAML provider of one account. Two paged bulk calls for roles:
 * ListRoles (every role: name collisions, description, max session) and
 * GetAccountAuthorizationDetails (policies, boundary, tags), instead of four or
 * more calls per role.
 */
export async function readIamAccount(
  clients: AccountClients,
  config: ResolvedConfig,
  desiredRoleNames: ReadonlySet<string>,
): Promise<LiveResource[]> {
  const { iam, account } = clients;
  const out: LiveResource[] = [];
  const rolePath = config.aws.rolePath;
  const adoptRoles = new Set(config.adopt?.roles ?? []);

  // Marker-paged: IAM's cursor is the Marker of a truncated page.
  const roles: Role[] = await collectPages<Role, string>("AWS ListRoles", async (Marker) => {
    const page = await iam.send(new ListRolesCommand({ ...(Marker ? { Marker } : {}), MaxItems: 1000 }));
    return { items: page.Roles, next: page.IsTruncated ? page.Marker : undefined };
  });
  const wanted = new Set([...desiredRoleNames].map((n) => n.toLowerCase()));
  const relevant = roles.filter((r) => r.Path === rolePath || wanted.has((r.RoleName ?? "").toLowerCase()));
  const details = new Map<string, RoleDetail>();
  if (relevant.length > 0) {
    const roleDetails = await collectPages<RoleDetail, string>("AWS GetAccountAuthorizationDetails", async (Marker) => {
      const page = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"], ...(Marker ? { Marker } : {}), MaxItems: 1000 }));
      return { items: page.RoleDetailList, next: page.IsTruncated ? page.Marker : undefined };
    });
    for (const d of roleDetails) details.set(d.RoleName ?? "", d);
  }
  for (const role of relevant) {
    const name = role.RoleName!;
    const d = details.get(name);
    const tags = Object.fromEntries((d?.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]).sort(([a], [b]) => byCodePoint(a, b)));
    const underPath = role.Path === rolePath;
    const notOurs = configOwnership(tags, configId(config), wanted.has(name.toLowerCase()) && underPath);
    // Made by hand (no managed-by tag at all: not another tool's, nor another
    // configuration's) and named in adopt.roles: taken over, never recreated.
    const adopting = underPath ? adoption(tags, configId(config), desiredRoleNames.has(name), adoptRoles.has(name)) : undefined;
    const ownership = adopting ? { owned: true, adopting } : ownedUnless(!underPath ? `its path is ${role.Path}, not ${rolePath}` : notOurs);
    const roleAddress = address.iamRole(account.alias, role.Path ?? "/", name);
    // The tool's policy that ends sessions (options.revokeSessions) is an object of its own,
    // not one of the role's declared inline policies.
    const inline = (d?.RolePolicyList ?? []).filter((p) => p.PolicyName !== REVOCATION_POLICY_NAME);
    const revocation = (d?.RolePolicyList ?? []).find((p) => p.PolicyName === REVOCATION_POLICY_NAME);
    if (revocation) {
      const { sessions, unreadable } = readRevocationPolicy(normalizePolicy(revocation.PolicyDocument ?? "{}"));
      out.push({
        address: address.sessionRevocation(account.alias, role.Path ?? "/", name),
        type: "aws.iam.session_revocation",
        system: "aws",
        account: account.alias,
        title: `sessions ended on IAM role ${role.Path}${name} in ${account.alias} (${account.id})`,
        id: name,
        props: { role: { $ref: roleAddress }, role_name: name, sessions, ...(unreadable ? { unreadable } : {}) },
        ...("owned" in ownership && ownership.owned ? { owned: true } : ownership),
      });
    }
    out.push({
      address: roleAddress,
      type: "aws.iam.role",
      system: "aws",
      account: account.alias,
      title: `IAM role ${role.Path}${name} in ${account.alias} (${account.id})`,
      id: name,
      props: {
        name,
        path: role.Path ?? "/",
        description: role.Description ?? "",
        trust_policy: role.AssumeRolePolicyDocument ? normalizePolicy(role.AssumeRolePolicyDocument) : null,
        max_session_duration: role.MaxSessionDuration ?? 3600,
        managed_policies: (d?.AttachedManagedPolicies ?? []).map((p) => p.PolicyArn!).sort(),
        inline_policies: Object.fromEntries(
          inline
            .map((p) => [p.PolicyName!, normalizePolicy(p.PolicyDocument ?? "{}")] as const)
            .sort(([a], [b]) => byCodePoint(a, b)),
        ),
        permissions_boundary: d?.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
        tags: comparableTags(tags),
      },
      ...ownership,
    });
  }

  const samlName = config.aws.samlProviderName;
  try {
    const provider = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: samlProviderArn(account.id, samlName) }));
    let metadata: unknown = null;
    let ours = false;
    try {
      const summary = summarizeIdpMetadata(provider.SAMLMetadataDocument ?? "");
      metadata = trustRelevant(summary);
      // Ownership of an IAM SAML provider is proven by whom it trusts: authentik's
      // SSO endpoints for the managed application.
      ours = summary.ssoUrls.some((u) => u.includes(`/application/saml/${config.authentik.application.slug}/`));
    } catch {
      metadata = "unreadable SAML metadata";
    }
    out.push({
      address: address.iamSamlProvider(account.alias, samlName),
      type: "aws.iam.saml_provider",
      system: "aws",
      account: account.alias,
      title: `IAM SAML identity provider ${samlName} in ${account.alias} (${account.id})`,
      id: samlProviderArn(account.id, samlName),
      props: { name: samlName, metadata },
      ...ownedUnless(!ours && `its metadata does not point at authentik application '${config.authentik.application.slug}'`),
    });
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
  }
  return out;
}
