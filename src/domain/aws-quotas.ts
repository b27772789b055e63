/**
 * AWS's documented limits on what the tool writes, as data. Pure, no imports.
 *
 * AWS_LIMITS cannot be raised: validation refuses what exceeds them. AWS_QUOTAS are
 * adjustable (Service Quotas): validation warns, offline, when the configuration alone
 * exceeds a default, and a plan can compare live counts and quotas with them — for IAM
 * through GetAccountSummary (`summaryKey`, `usageKey`), for IAM Identity Center by
 * counting (ListPermissionSets, ListPermissionSetsProvisionedToAccount), since it has no
 * summary call.
 *
 * Sources: the IAM and STS quotas page of the IAM User Guide, the IAM Identity Center
 * quotas page, and the API models (botocore 1.43: iam 2010-05-08, sso-admin 2020-07-20).
 */

/** Limits no quota request raises. */
export const AWS_LIMITS = {
  /** CreateRole RoleName: 1–64 of `[\w+=,.@-]`; unique per account case-insensitively. */
  roleName: 64,
  /** CreatePermissionSet Name: 1–32 of `[\w+=,.@-]`. */
  permissionSetName: 32,
  /** Role and permission set session: 1–12 hours. */
  roleSessionSeconds: { min: 3600, max: 43200 },
  permissionSetSessionSeconds: { min: 3600, max: 43200 },
  samlSessionSeconds: { min: 900, max: 43200 },
  /** All of a role's inline policies together, white space not counted (RolePolicySizeQuota). */
  roleInlinePoliciesChars: 10240,
  /** A permission set's inline policy: 10,240 bytes without white space, 32,768 with it (PutInlinePolicyToPermissionSet). */
  permissionSetInlinePolicyNonWhiteSpace: 10240,
  permissionSetInlinePolicyChars: 32768,
  /** AWS-managed and customer-managed policies on one permission set (not adjustable). */
  policiesPerPermissionSet: 20,
  /** Tags: TagRole/CreateRole 50 per role, sso-admin TagList 75 per permission set; key 1–128, value 0–256. */
  tagsPerRole: 50,
  tagsPerPermissionSet: 75,
  /** Managed policy ARNs (AttachRolePolicy, AttachManagedPolicyToPermissionSet, boundaries): 20–2048 characters. */
  policyArnChars: 2048,
  /** Policy paths (CreatePolicy Path, CustomerManagedPolicyReference Path): 1–512. */
  policyPathChars: 512,
} as const;

/** An adjustable quota: its default, how far AWS raises it, and where a plan reads the live values. */
export interface AdjustableQuota {
  /** The quota as the AWS documentation names it. */
  name: string;
  service: "iam" | "sso";
  /** What is counted, per what. */
  per: "account" | "role" | "instance";
  default: number;
  /** The most AWS grants on request, where its documentation is unambiguous. */
  max?: number;
  /** GetAccountSummary's key for the quota in force (IAM only). */
  summaryKey?: string;
  /** GetAccountSummary's key for the current usage, where it has one (IAM only). */
  usageKey?: string;
  /**
   * Where Service Quotas offers the value in force (IAM Identity Center's, which has no
   * summary call): its service and quota code, as Service Quotas lists them.
   */
  serviceQuota?: { serviceCode: string; quotaCode: string };
}

export const AWS_QUOTAS = {
  rolesPerAccount: { name: "Roles per account", service: "iam", per: "account", default: 1000, summaryKey: "RolesQuota", usageKey: "Roles" },
  managedPoliciesPerRole: { name: "Managed policies per role", service: "iam", per: "role", default: 10, max: 20, summaryKey: "AttachedPoliciesPerRoleQuota" },
  trustPolicyChars: { name: "Role trust policy length", service: "iam", per: "role", default: 2048, summaryKey: "AssumeRolePolicySizeQuota" },
  permissionSetsPerInstance: { name: "Permission sets per instance", service: "sso", per: "instance", default: 2000, serviceQuota: { serviceCode: "sso", quotaCode: "L-B44C7A29" } },
  provisionedPermissionSetsPerAccount: { name: "Provisioned permission sets per account", service: "sso", per: "account", default: 250, serviceQuota: { serviceCode: "sso", quotaCode: "L-89954265" } },
} as const satisfies Record<string, AdjustableQuota>;

export type AdjustableQuotaId = keyof typeof AWS_QUOTAS;

/** A quota's value in force, and where it was read (or why the default stands in). */
export interface QuotaValue {
  value: number;
  source: string;
  /** Set when AWS's published default stands in for the value in force: why. */
  fallback?: string;
}

/** What IAM's account summary says of an account: its roles, and the quotas in force. */
export interface IamSummary {
  roles: number;
  rolesQuota: QuotaValue;
  policiesPerRoleQuota: QuotaValue;
}
