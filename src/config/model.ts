import type { PolicyDocumentObject } from "./policy-documents.js";
import type { DocPath } from "./yaml-source.js";

/**
 * The config after validation, with defaults applied, durations in seconds,
 * policy documents parsed and "*" expanded. This is what the pure core
 * (desired state, plan) consumes; nothing downstream re-reads the YAML.
 */
export type Mode = "classic-iam" | "identity-center";

export interface ResolvedAccount {
  alias: string;
  id: string;
  assumeRoleArn?: string;
  name?: string;
}

export interface ResolvedOrganizationalUnit {
  alias: string;
  id: string;
  name?: string;
}

export interface ResolvedRole {
  name: string;
  description?: string;
  accounts: string[];
  managedPolicies: string[];
  inlinePolicies: Record<string, PolicyDocumentObject>;
  permissionsBoundary?: string;
  maxSessionDuration: number;
  tags: Record<string, string>;
}

export interface CustomerManagedPolicyRef {
  name: string;
  path: string;
}

export interface ResolvedPermissionSet {
  name: string;
  description?: string;
  sessionDuration: number;
  relayState?: string;
  managedPolicies: string[];
  customerManagedPolicies: CustomerManagedPolicyRef[];
  inlinePolicy?: PolicyDocumentObject;
  permissionsBoundary?: { managedPolicyArn: string } | { customerManagedPolicy: CustomerManagedPolicyRef };
  tags: Record<string, string>;
}

export interface ResolvedMapping {
  group: string;
  /** Role names (classic-iam) or permission set names (identity-center). */
  grants: string[];
  /** Account aliases; for classic-iam already narrowed to each role's accounts when omitted. */
  accounts: string[] | "role-default";
  organizationalUnits: string[];
  /** Where the mapping stands in the file, for errors found later (e.g. a missing group). */
  location: string;
  path: DocPath;
  /** mappings[].expires: when its grants end (see src/config/expiry.ts). */
  expires?: MappingExpiry;
}

export interface MappingExpiry {
  /** The value as written: "2026-12-31" or "2026-12-31T18:00:00Z". */
  value: string;
  /** The instant the grants end, as an ISO-8601 UTC string (a date ends when that UTC day ends). */
  endsAt: string;
  /** "mappings[2].expires" */
  field: string;
  /**
   * "file:line:col" of the value, the file by its base name (it goes into the hashed
   * plan); messages print it with expiryLocationAsGiven, as the file was given.
   */
  location: string;
}

export interface ResolvedScim {
  url: string;
  tokenEnv: string;
  /** "file:line:col" of scim.tokenEnv, for errors about the variable. */
  tokenEnvLocation: string;
  providerName: string;
  groups: string[];
  /** "file:line:col" of scim.groups (or of scim, when the groups follow the mappings). */
  groupsLocation: string;
  userMapping: { userName: "email" | "username"; dropPhotos: boolean };
}

export interface ResolvedConfig {
  file: string;
  mode: Mode;
  authentik: {
    url?: string;
    application: { slug: string; name: string; group?: string; launchUrl?: string; openInNewTab: boolean };
    provider: {
      name: string;
      authorizationFlow: string;
      invalidationFlow: string;
      signingKeypair: string;
      sessionName: "email" | "username";
      sessionDuration?: number;
      propertyMappingPrefix: string;
    };
  };
  aws: {
    accounts: ResolvedAccount[];
    organizationalUnits: ResolvedOrganizationalUnit[];
    samlProviderName: string;
    rolePath: string;
    tags: Record<string, string>;
    /**
     * classic-iam: the regions of the SAML sign-in endpoints sign-ins may use, in order
     * (aws.signInRegions): authentik posts to the first, every role's trust policy allows
     * all. Absent: us-east-1's alone (https://signin.aws.amazon.com/saml).
     */
    signInRegions?: string[];
    identityCenter?: {
      region: string;
      instanceArn?: string;
      identityStoreId?: string;
      accessPortalUrl: string;
      /** Absolute path of the SP metadata XML. */
      spMetadataPath: string;
      /** "file:line:col" of aws.identityCenter.spMetadata, for errors about the file. */
      spMetadataLocation: string;
      /**
       * The configuration's repository (see configRoot), set when the file was
       * validated: pass it to readSpMetadataFile so that the file stays inside it.
       */
      spMetadataRoot?: string;
      /**
       * Attributes for access control (ABAC), by key (sorted): each from an Identity Store
       * attribute path (`source`) or sent by authentik from a user attribute (`fromAuthentik`).
       * Undefined: the configuration does not manage the instance's ABAC configuration.
       */
      accessControlAttributes?: ResolvedAccessControlAttribute[];
    };
  };
  roles: ResolvedRole[];
  permissionSets: ResolvedPermissionSet[];
  mappings: ResolvedMapping[];
  scim?: ResolvedScim;
  options: { prune: boolean; allowDeleteAll: boolean; revokeSessions: boolean };
  /** adopt: objects made by hand that this configuration takes over; absent in configs built by hand: none. */
  adopt?: ResolvedAdopt;
  /** review: (see src/config/review.ts); absent in configs built by hand: defaults apply. */
  review?: ResolvedReview;
}

export interface ResolvedAdopt {
  application: boolean;
  /** classic-iam: role names. */
  roles: string[];
  /** identity-center: permission set names. */
  permissionSets: string[];
}

export type Severity = "high" | "medium" | "low";

export interface ResolvedRiskRule {
  enabled: boolean;
  /** Undefined: the rule's own default. */
  severity?: Severity;
}

export interface ResolvedCustomRisk {
  name: string;
  severity: Severity;
  message: string;
  accounts: string[];
  policies: string[];
  actions: string[];
}

export interface ResolvedReview {
  people: "names" | "count" | "off";
  /** How many days before a mapping expires the plan warns (review.expiryWarningDays). */
  expiryWarningDays: number;
  /** How many days before authentik's signing certificate expires verify warns (review.certificateWarningDays). */
  certificateWarningDays: number;
  /** Aliases of the accounts marked production: true. */
  productionAccounts: string[];
  risks: {
    adminEquivalent: ResolvedRiskRule;
    production: ResolvedRiskRule;
    everyAccount: ResolvedRiskRule;
    largeGroup: ResolvedRiskRule & { threshold: number };
    longSession: ResolvedRiskRule & { thresholdSeconds: number };
    identityProviderRemoved: ResolvedRiskRule;
    sessionTagsChanged: ResolvedRiskRule;
    grantInUseRemoved: ResolvedRiskRule;
    custom: ResolvedCustomRisk[];
  };
}

/** The configuration's identity on AWS objects: its authentik application's slug. */
export function configId(config: ResolvedConfig): string {
  return config.authentik.application.slug;
}

/**
 * The URL people reach authentik by: `authentik.url`, else (with a validation
 * warning) the one this run used. Everything users or AWS see is built from it.
 */
export function publicAuthentikUrl(config: ResolvedConfig, runUrl: string): string {
  return (config.authentik.url ?? runUrl).replace(/\/+$/, "");
}

/** One attribute for access control (ABAC) of an IAM Identity Center instance. */
export interface ResolvedAccessControlAttribute {
  key: string;
  /** The Identity Store attribute it comes from: "${path:enterprise.department}". */
  source?: string;
  /** The user attribute authentik sends it from, in the SAML assertion. */
  fromAuthentik?: string;
}
