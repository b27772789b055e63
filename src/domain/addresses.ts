/**
 * Stable addresses of resources: what a plan, its hash and a reviewer use to
 * name an object, independent of the ids systems assign.
 */
export const address = {
  propertyMapping: (name: string) => `authentik.property_mapping[${name}]`,
  samlProvider: (name: string) => `authentik.saml_provider[${name}]`,
  application: (slug: string) => `authentik.application[${slug}]`,
  entitlement: (app: string, name: string) => `authentik.entitlement[${app}/${name}]`,
  binding: (app: string, entitlement: string, group: string) => `authentik.policy_binding[${app}/${entitlement}→group:${group}]`,
  /** A group bound to the application itself: it sees the tile and SCIM provisions its members. */
  applicationBinding: (app: string, group: string) => `authentik.policy_binding[${app}→group:${group}]`,
  scimProvider: (name: string) => `authentik.scim_provider[${name}]`,
  scimMapping: (name: string) => `authentik.scim_mapping[${name}]`,
  iamSamlProvider: (account: string, name: string) => `aws.iam.saml_provider[${account}:${name}]`,
  iamRole: (account: string, path: string, name: string) => `aws.iam.role[${account}:${path}${name}]`,
  sessionRevocation: (account: string, path: string, name: string) => `aws.iam.session_revocation[${account}:${path}${name}]`,
  permissionSet: (name: string) => `aws.sso.permission_set[${name}]`,
  assignment: (group: string, permissionSet: string, account: string) =>
    `aws.sso.account_assignment[${group}→${permissionSet}@${account}]`,
  /** The ABAC configuration of the Identity Center instance (one per instance). */
  accessControlAttributes: () => "aws.sso.access_control_attributes[instance]",
};

/** The entitlement name for a role in an account: what authentik admins see. */
export function entitlementName(role: string, accountAlias: string): string {
  return `${role}@${accountAlias}`;
}
