import { configId, publicAuthentikUrl, type ResolvedConfig } from "../config/model.js";
import { normalizePolicy } from "../domain/policy-normalize.js";
import { AWS_AUDIENCE, roleArn, samlProviderArn, signInEndpoints, trustPolicy } from "../domain/aws-iam.js";
import { byCodePoint } from "../domain/canonical.js";
import { CONFIG_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE, type DesiredResource } from "../domain/plan-types.js";
import { address, entitlementName } from "../domain/addresses.js";
import { ROLE_EXPRESSION, SAML_ATTRIBUTE, roleSessionNameExpression, sessionDurationExpression } from "../domain/expressions.js";
import { applicationBindings, authentikApplication, authentikSamlProvider, bindingProps, issuerProps, type DesiredAuthentikContext } from "./authentik-common.js";

export function managedTags(config: ResolvedConfig, own: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ ...config.aws.tags, ...own, [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [CONFIG_TAG]: configId(config) }).sort(([a], [b]) => byCodePoint(a, b)),
  );
}

/** Config → every resource classic-iam mode manages, in both systems. Pure. */
export function desiredClassicIam(config: ResolvedConfig, ctx: DesiredAuthentikContext): DesiredResource[] {
  const out: DesiredResource[] = [];
  const prefix = config.authentik.provider.propertyMappingPrefix;
  const app = config.authentik.application.slug;

  // --- authentik: property mappings -------------------------------------------------------
  const mapping = (suffix: string, samlName: string, friendly: string, expression: string) => {
    const name = `${prefix}: AWS ${suffix}`;
    out.push({
      address: address.propertyMapping(name),
      type: "authentik.property_mapping",
      system: "authentik",
      title: `SAML property mapping "${name}"`,
      props: { name, saml_name: samlName, friendly_name: friendly, expression },
    });
    return address.propertyMapping(name);
  };
  const mappings = [
    mapping("Role", SAML_ATTRIBUTE.role, "Role", ROLE_EXPRESSION),
    mapping("RoleSessionName", SAML_ATTRIBUTE.roleSessionName, "RoleSessionName", roleSessionNameExpression(config.authentik.provider.sessionName)),
  ];
  if (config.authentik.provider.sessionDuration !== undefined) {
    mappings.push(mapping("SessionDuration", SAML_ATTRIBUTE.sessionDuration, "SessionDuration", sessionDurationExpression(config.authentik.provider.sessionDuration)));
  }

  // --- authentik: provider and application ------------------------------------------------
  // authentik posts to the first sign-in endpoint; every role allows them all (SAML:aud), so
  // that moving sign-ins to another listed region changes the provider and no role.
  const endpoints = signInEndpoints(config.aws.signInRegions);
  out.push(
    authentikSamlProvider(config, {
      acs_url: endpoints[0]!,
      audience: AWS_AUDIENCE,
      ...issuerProps(config, ctx.authentikUrl, ctx.api),
      property_mappings: mappings.map(($ref) => ({ $ref })).sort(byCodePoint),
    }),
  );
  // The public URL from the config, not whichever one this run reached authentik by:
  // users click it, and it must not change between a laptop and CI.
  const publicUrl = publicAuthentikUrl(config, ctx.authentikUrl);
  const launchUrl = config.authentik.application.launchUrl ?? `${publicUrl}/application/saml/${app}/sso/binding/init/`;
  const application = authentikApplication(config, launchUrl);
  application.props.backchannel_providers = [];
  out.push(application, ...applicationBindings(config));

  // --- per (role, account): an entitlement, bound to the groups that map to it ------------
  const accounts = new Map(config.aws.accounts.map((a) => [a.alias, a]));
  for (const role of config.roles) {
    for (const alias of role.accounts) {
      const account = accounts.get(alias)!;
      const name = entitlementName(role.name, alias);
      const entitlementAddress = address.entitlement(app, name);
      out.push({
        address: entitlementAddress,
        type: "authentik.entitlement",
        system: "authentik",
        title: `entitlement "${name}" of application ${app}`,
        props: {
          name,
          app: { $ref: address.application(app) },
          attributes: {
            aws_role_arn: roleArn(account.id, config.aws.rolePath, role.name),
            aws_saml_provider_arn: samlProviderArn(account.id, config.aws.samlProviderName),
            aws_role_name: role.name,
            aws_account_id: account.id,
            aws_account_alias: alias,
            managed_by: MANAGED_BY_VALUE,
          },
        },
      });
    }
  }
  const bound = new Map<string, DesiredResource>();
  for (const [index, m] of config.mappings.entries()) {
    for (const roleName of m.grants) {
      const role = config.roles.find((r) => r.name === roleName)!;
      const targets = m.accounts === "role-default" ? role.accounts : m.accounts.filter((a) => role.accounts.includes(a));
      for (const alias of targets) {
        const name = entitlementName(role.name, alias);
        const bindingAddress = address.binding(app, name, m.group);
        const twin = bound.get(bindingAddress);
        if (twin) {
          // The same grant declared twice is one binding, which lasts as long as the longest of them.
          if (!twin.grantedBy!.includes(index)) twin.grantedBy!.push(index);
          continue;
        }
        const binding: DesiredResource = {
          address: bindingAddress,
          type: "authentik.policy_binding",
          system: "authentik",
          title: `group "${m.group}" → entitlement "${name}"`,
          props: bindingProps({ $ref: address.entitlement(app, name) }, m.group),
          grantedBy: [index],
        };
        bound.set(bindingAddress, binding);
        out.push(binding);
      }
    }
  }

  // --- AWS, per account: the SAML identity provider and the roles -------------------------
  for (const account of config.aws.accounts) {
    const providerAddress = address.iamSamlProvider(account.alias, config.aws.samlProviderName);
    out.push({
      address: providerAddress,
      type: "aws.iam.saml_provider",
      system: "aws",
      account: account.alias,
      title: `IAM SAML identity provider ${config.aws.samlProviderName} in ${account.alias} (${account.id})`,
      props: {
        name: config.aws.samlProviderName,
        // Known once the provider is linked and stable: the mode fills it in (src/plan/classic-iam-checks.ts).
        metadata: { $deferred: "SAML metadata of the authentik provider, read after it is applied" },
      },
      dependsOn: [address.samlProvider(config.authentik.provider.name), address.application(app)],
    });
    for (const role of config.roles.filter((r) => r.accounts.includes(account.alias))) {
      out.push({
        address: address.iamRole(account.alias, config.aws.rolePath, role.name),
        type: "aws.iam.role",
        system: "aws",
        account: account.alias,
        title: `IAM role ${config.aws.rolePath}${role.name} in ${account.alias} (${account.id})`,
        props: {
          name: role.name,
          path: config.aws.rolePath,
          description: role.description ?? "",
          trust_policy: trustPolicy(account.id, config.aws.samlProviderName, endpoints),
          max_session_duration: role.maxSessionDuration,
          managed_policies: [...role.managedPolicies].sort(),
          inline_policies: Object.fromEntries(
            Object.entries(role.inlinePolicies)
              .sort(([a], [b]) => byCodePoint(a, b))
              .map(([n, d]) => [n, normalizePolicy(d)]),
          ),
          permissions_boundary: role.permissionsBoundary ?? null,
          tags: managedTags(config, role.tags),
        },
        dependsOn: [providerAddress],
      });
    }
  }
  return out;
}
