/* Generated from schema/config.schema.json by `npm run generate:types`. Do not edit by hand. */

/**
 * 12-digit AWS account id. Quote it in YAML so leading zeros survive.
 */
export type AccountId = string;
/**
 * ARN of an IAM managed policy (AWS-managed `arn:aws:iam::aws:policy/...` or customer-managed `arn:aws:iam::123412341234:policy/...`).
 */
export type ManagedPolicyArn = string;
/**
 * An IAM policy document, written as YAML (an object with Version and Statement) or as a string of JSON.
 */
export type PolicyDocument =
  | {
      /**
       * Policy language version; use "2012-10-17".
       */
      Version?: "2012-10-17" | "2008-10-17";
      /**
       * Optional policy identifier.
       */
      Id?: string;
      /**
       * One statement or a list of statements (each with Effect, Action or NotAction, and Resource).
       */
      Statement: {} | [{}, ...{}[]];
    }
  | string;
/**
 * A name made of letters, digits and `+=,.@_-`.
 */
export type IamName = string;
/**
 * A short alias for an AWS account or organizational unit, used to refer to it in this file.
 */
export type AccountAlias = string;

/**
 * authentik-aws-gitops configuration: the AWS roles (classic IAM) or IAM Identity Center permission sets, which authentik groups get them in which accounts, and how authentik and AWS are federated.
 */
export interface AuthentikAwsGitopsConfig {
  /**
   * Optional JSON Schema reference for editors; ignored by the tool.
   */
  $schema?: string;
  /**
   * Version of this configuration format. Only 1 exists.
   */
  version: 1;
  /**
   * How AWS trusts authentik. `classic-iam`: an IAM SAML identity provider and IAM roles in every account. `identity-center`: authentik is the external identity provider of IAM Identity Center, which assigns permission sets (optionally with SCIM provisioning, see `scim`).
   */
  mode: "classic-iam" | "identity-center";
  authentik: Authentik;
  aws: Aws;
  /**
   * classic-iam only. IAM roles to create in the declared accounts, keyed by role name (unique case-insensitively, at most 64 characters of letters, digits and `+=,.@_-`).
   */
  roles?: {
    [k: string]: Role | undefined;
  };
  /**
   * identity-center only. Permission sets to create in the IAM Identity Center instance, keyed by name (at most 32 characters of letters, digits and `+=,.@_-`).
   */
  permissionSets?: {
    [k: string]: PermissionSet | undefined;
  };
  /**
   * Which authentik group gets which roles (classic-iam) or permission sets (identity-center), optionally narrowed to some accounts or organizational units. Groups are looked up by name in authentik and never created.
   */
  mappings: Mapping[];
  scim?: Scim;
  options?: Options;
  adopt?: Adopt;
  review?: Review;
}
/**
 * The authentik side: where it is and the application and SAML provider this tool manages. The API token is read only from the AUTHENTIK_TOKEN environment variable.
 */
export interface Authentik {
  /**
   * Public base URL of authentik, e.g. `https://authentik.company`: launch URLs, the SAML issuer AWS trusts and the console steps are built from it. The tool connects to AUTHENTIK_URL instead when that is set (e.g. an internal address); one of the two is required for plan and apply.
   */
  url?: string;
  /**
   * The authentik application users launch AWS from. Its entitlements and policy bindings are owned by this tool.
   */
  application: {
    /**
     * Application slug (its identity in authentik).
     */
    slug: string;
    /**
     * Display name of the application.
     */
    name: string;
    /**
     * Optional group label under which authentik's user library shows the application.
     */
    group?: string;
    /**
     * Launch URL. Defaults to authentik's IdP-initiated SAML login URL in classic-iam mode and to `aws.identityCenter.accessPortalUrl` in identity-center mode.
     */
    launchUrl?: string;
    /**
     * Open the launch URL in a new browser tab.
     */
    openInNewTab?: boolean;
  };
  /**
   * The authentik SAML provider for AWS.
   */
  provider: {
    /**
     * Name of the SAML provider.
     */
    name: string;
    /**
     * Slug of the authorization flow (looked up by slug; authentik stores its UUID).
     */
    authorizationFlow?: string;
    /**
     * Slug of the invalidation (logout) flow.
     */
    invalidationFlow?: string;
    /**
     * Name of the certificate-keypair that signs assertions and responses. Signing is always switched on: AWS rejects unsigned assertions.
     */
    signingKeypair?: string;
    /**
     * classic-iam: which user attribute becomes the AWS RoleSessionName (characters outside `[\w+=,.@-]` are replaced, length kept to 2–64).
     */
    sessionName?: "email" | "username";
    /**
     * classic-iam: optional SAML SessionDuration attribute (15 minutes to 12 hours). Each role's maxSessionDuration must allow it.
     */
    sessionDuration?: number | string;
    /**
     * Prefix of the names of the property mappings this tool creates ("<prefix>: AWS Role"); mappings with this prefix are owned by the tool, so it must be unique per configuration. Defaults to "aws-gitops <application slug>".
     */
    propertyMappingPrefix?: string;
  };
}
/**
 * The AWS side.
 */
export interface Aws {
  /**
   * AWS accounts by alias.
   */
  accounts: {
    [k: string]: Account | undefined;
  };
  /**
   * identity-center only. Organizational units by alias, for mappings that target every account of a unit.
   */
  organizationalUnits?: {
    [k: string]: OrganizationalUnit | undefined;
  };
  /**
   * classic-iam: name of the IAM SAML identity provider created in every account.
   */
  samlProvider?: string;
  /**
   * classic-iam: IAM path of the managed roles. Only roles under this path that carry the managed-by tag are ever deleted.
   */
  rolePath?: string;
  tags?: Tags;
  /**
   * classic-iam: the AWS regions whose SAML sign-in endpoints (`https://<region>.signin.aws.amazon.com/saml`; us-east-1's is `https://signin.aws.amazon.com/saml`) sign-ins may use. authentik posts the SAML response to the first (the SAML provider's ACS URL), and every role's trust policy allows all of them (SAML:aud), so that moving sign-ins to another listed region — AWS recommends several for resilience — is a change of the first entry that no role has to wait for. Regions of the commercial partition only. Default: us-east-1 alone.
   *
   * @minItems 1
   */
  signInRegions?: [string, ...string[]];
  /**
   * identity-center only. The IAM Identity Center instance.
   */
  identityCenter?: {
    /**
     * Region of the Identity Center instance.
     */
    region: string;
    /**
     * Instance ARN. Discovered with ListInstances when omitted.
     */
    instanceArn?: string;
    /**
     * Identity store id. Discovered with ListInstances when omitted.
     */
    identityStoreId?: string;
    /**
     * The AWS access portal URL (the authentik application's launch URL).
     */
    accessPortalUrl: string;
    /**
     * Attributes for access control (ABAC): each key becomes a session tag (aws:PrincipalTag/KEY) that permission set policies can test. The value is either the Identity Store attribute it comes from — "${path:enterprise.department}", "${path:addresses[primary eq true].country}" (SCIM fills the Identity Store from authentik) — or `{ fromAuthentik: ATTRIBUTE }`: authentik sends it in the SAML assertion (https://aws.amazon.com/SAML/Attributes/AccessControl:KEY) from the user's attribute of that name (a dotted path reads nested attributes). A key given both ways takes the Identity Store's value (AWS's rule), so each key is given one way. Writes the Identity Center instance's ABAC configuration; with only authentik-sent keys, it enables ABAC with no Identity Store attribute.
     */
    accessControlAttributes?: {
      [k: string]:
        | string
        | {
            /**
             * The user's attribute in authentik (user.attributes) whose value authentik sends; a dotted path reads nested attributes.
             */
            fromAuthentik: string;
          }
        | undefined;
    };
    /**
     * Path, relative to this file, of the IAM Identity Center SAML metadata XML downloaded from the AWS console (Settings → Identity source → Change → External identity provider → Download metadata file). It must be a regular file of at most 1 MiB inside the repository that holds this file (the git work tree; without one, this file's folder): `..` and symbolic links may not lead out of it.
     */
    spMetadata: string;
  };
}
/**
 * An AWS account.
 */
export interface Account {
  id: AccountId;
  /**
   * Role in this account that the tool assumes (through STS) to manage it. Without it the default credential chain is used as is.
   */
  assumeRole?: string;
  /**
   * Human-readable name shown in plans.
   */
  name?: string;
  /**
   * This account is production: any access granted or widened in it is flagged by the plan's risk rule `production` (review.risks).
   */
  production?: boolean;
}
/**
 * An AWS Organizations organizational unit; an assignment to it covers all its accounts, including those of nested units.
 */
export interface OrganizationalUnit {
  /**
   * Organizational unit id.
   */
  id: string;
  /**
   * Human-readable name shown in plans.
   */
  name?: string;
}
/**
 * Extra tags put on every role (classic-iam) or permission set (identity-center) the tool creates, beside its own managed-by and managed-by-config. With those two and an object's own tags, a role carries at most 50 tags and a permission set 75.
 */
export interface Tags {
  [k: string]: string | undefined;
}
/**
 * An IAM role, created in every account it names, trusting the authentik SAML identity provider.
 */
export interface Role {
  /**
   * Role description: at most 1000 characters of printable ASCII and Latin-1 (U+00A1–U+00FF), tabs and line breaks, as IAM accepts.
   */
  description?: string;
  /**
   * Accounts the role exists in: aliases from aws.accounts, or "*" for all.
   */
  accounts: "*" | [string, ...string[]];
  /**
   * Managed policy ARNs attached to the role (AWS allows 10 per role by default, 20 with a raised quota): AWS-managed, or customer-managed policies of the account the role is in (a role in several accounts can attach only AWS-managed ones).
   *
   * @maxItems 20
   */
  managedPolicies?: ManagedPolicyArn[];
  /**
   * Inline policies by name (all of a role's inline policies together may hold at most 10,240 characters, not counting white space).
   */
  inlinePolicies?: {
    [k: string]: PolicyDocument | undefined;
  };
  /**
   * ARN of an IAM managed policy (AWS-managed `arn:aws:iam::aws:policy/...` or customer-managed `arn:aws:iam::123412341234:policy/...`).
   */
  permissionsBoundary?: string;
  /**
   * Maximum session duration, 1 to 12 hours. Defaults to 1 hour.
   */
  maxSessionDuration?: number | string;
  tags?: Tags1;
}
/**
 * Tags on the role, in addition to aws.tags and the managed-by tag.
 */
export interface Tags1 {
  [k: string]: string | undefined;
}
/**
 * An IAM Identity Center permission set.
 */
export interface PermissionSet {
  /**
   * Permission set description: 1 to 700 characters of printable ASCII and Latin-1 (U+00A1–U+00FF), tabs and line breaks, as IAM Identity Center accepts.
   */
  description?: string;
  /**
   * Session length in the AWS access portal, 1 to 12 hours. Defaults to 1 hour.
   */
  sessionDuration?: number | string;
  /**
   * URL users land on in the AWS console after signing in (relay state).
   */
  relayState?: string;
  /**
   * AWS-managed policy ARNs attached to the permission set (`arn:aws:iam::aws:policy/…`). With the customer-managed ones at most 20 (IAM Identity Center's limit); more than 10 need IAM's quota "Managed policies per role" raised in every account the permission set is provisioned to.
   *
   * @maxItems 20
   */
  managedPolicies?: ManagedPolicyArn[];
  /**
   * Customer-managed policies, referenced by name and path. With the AWS-managed ones at most 20.
   *
   * @maxItems 20
   */
  customerManagedPolicies?: CustomerManagedPolicyReference[];
  /**
   * An IAM policy document, written as YAML (an object with Version and Statement) or as a string of JSON.
   */
  inlinePolicy?:
    | {
        /**
         * Policy language version; use "2012-10-17".
         */
        Version?: "2012-10-17" | "2008-10-17";
        /**
         * Optional policy identifier.
         */
        Id?: string;
        /**
         * One statement or a list of statements (each with Effect, Action or NotAction, and Resource).
         */
        Statement: {} | [{}, ...{}[]];
      }
    | string;
  /**
   * Permissions boundary: exactly one of an AWS-managed policy ARN or a customer-managed policy reference.
   */
  permissionsBoundary?: {
    /**
     * ARN of an IAM managed policy (AWS-managed `arn:aws:iam::aws:policy/...` or customer-managed `arn:aws:iam::123412341234:policy/...`).
     */
    managedPolicyArn?: string;
    customerManagedPolicy?: CustomerManagedPolicyReference1;
  };
  tags?: Tags2;
}
/**
 * A customer-managed policy that must exist, with this name and path, in every account the permission set is provisioned to.
 */
export interface CustomerManagedPolicyReference {
  /**
   * Policy name.
   */
  name: string;
  /**
   * Policy path: `/` or segments of letters, digits and `.,+@=_-` between slashes (e.g. `/team/`).
   */
  path?: string;
}
/**
 * A customer-managed policy that must exist, with this name and path, in every account the permission set is provisioned to.
 */
export interface CustomerManagedPolicyReference1 {
  /**
   * Policy name.
   */
  name: string;
  /**
   * Policy path: `/` or segments of letters, digits and `.,+@=_-` between slashes (e.g. `/team/`).
   */
  path?: string;
}
/**
 * Tags on the permission set, in addition to aws.tags and the managed-by tag.
 */
export interface Tags2 {
  [k: string]: string | undefined;
}
/**
 * Gives an authentik group roles or permission sets.
 */
export interface Mapping {
  /**
   * Name of an existing authentik group.
   */
  group: string;
  /**
   * classic-iam: names of roles from `roles`.
   *
   * @minItems 1
   */
  roles?: [string, ...string[]];
  /**
   * identity-center: names of permission sets from `permissionSets`.
   *
   * @minItems 1
   */
  permissionSets?: [string, ...string[]];
  /**
   * classic-iam: narrows the roles to these accounts (default: every account of each role). identity-center: accounts to assign the permission sets in.
   */
  accounts?: "*" | [string, ...string[]];
  /**
   * identity-center: aliases from aws.organizationalUnits; the permission sets are assigned in every account of these units.
   *
   * @minItems 1
   */
  organizationalUnits?: [string, ...string[]];
  /**
   * When this mapping's grants end (ISO 8601, UTC). A date (`2026-12-31`) lasts through that UTC day: the grants end at `2027-01-01T00:00:00Z`. A date-time needs `Z` or an offset (`2026-12-31T18:00:00Z`, `2026-12-31T18:00+02:00`). Once past, the mapping grants nothing: plan and apply remove its bindings or assignments (even with pruning off) unless another mapping grants the same, and the Action's `mode: expire` applies exactly these removals on a schedule. Plans warn `review.expiryWarningDays` ahead; validation warns once the date is past (delete the mapping then).
   */
  expires?: string;
}
/**
 * identity-center only. Provision users and groups from authentik to IAM Identity Center with an authentik SCIM provider.
 */
export interface Scim {
  /**
   * SCIM endpoint shown by IAM Identity Center when automatic provisioning is enabled: `https://scim.<region>.amazonaws.com/<tenant id>/scim/v2`, in the region of the Identity Center instance. Only this form is accepted, since apply sends the SCIM token to it.
   */
  url: string;
  /**
   * Name of the environment variable holding the SCIM access token created in the AWS console (e.g. `AWS_SCIM_TOKEN`). It may not be a variable that holds another secret: `AUTHENTIK_*`, the AWS SDK's credential variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, …), `GITHUB_*`, `GH_TOKEN`, `INPUT_*`, `ACTIONS_*` and `RUNNER_*`.
   */
  tokenEnv: string;
  /**
   * Name of the authentik SCIM provider. Defaults to the SAML provider's name followed by "-scim".
   */
  providerName?: string;
  /**
   * authentik groups to provision. Defaults to every group named in mappings.
   *
   * Items: A name as authentik and AWS show it: any text on one line, without control characters or bidirectional overrides.
   */
  groups?: string[];
  /**
   * The SCIM user mapping this tool adds after authentik's default one.
   */
  userMapping?: {
    /**
     * Which user attribute becomes the SCIM userName (AWS matches SAML NameID = email against it).
     */
    userName?: "email" | "username";
    /**
     * Remove `photos`, which IAM Identity Center rejects.
     */
    dropPhotos?: boolean;
  };
}
/**
 * Behaviour of plan and apply.
 */
export interface Options {
  /**
   * Delete managed objects that are no longer declared. Off by default; the CLI's --prune turns it on for one run.
   */
  prune?: boolean;
  /**
   * Allow a plan that deletes every managed object (normally refused as a likely mistake).
   */
  allowDeleteAll?: boolean;
  /**
   * classic-iam: when a plan takes a role away from a person, also end the sessions they already hold in it: apply adds a Deny the tool owns to the role for that person's sessions issued before the apply (aws:userid and aws:TokenIssueTime), dropped once the longest session has run out. identity-center does not support it (see docs/safety.md, Ending live sessions).
   */
  revokeSessions?: boolean;
}
/**
 * Objects made by hand (for example by following authentik's AWS integration guide) that this configuration takes over, as `authentik-aws-gitops import` writes it. The plan lists each one as `adopt`: apply marks it as the tool's (the application's Publisher, the ownership tags on roles and permission sets) and changes what differs, without recreating it. Objects that carry another configuration's tags are never adopted. Once applied, these entries do nothing and may be removed.
 */
export interface Adopt {
  /**
   * Take over the authentik application `authentik.application.slug` (and with it its SAML provider, SCIM backchannel provider and group bindings).
   */
  application?: boolean;
  /**
   * classic-iam: take over the IAM roles of these names (declared under `roles`, at `aws.rolePath`) in the accounts they are declared in.
   */
  roles?: IamName[];
  /**
   * identity-center: take over the permission sets of these names (declared under `permissionSets`), and with them their account assignments.
   */
  permissionSets?: IamName[];
}
/**
 * What the plan tells reviewers at its top: the people each access change affects and the risks it carries.
 */
export interface Review {
  /**
   * People shown for each access and permission change (members of the group and of its descendant groups, as of the plan): `names` (a count and the user names), `count` (only the count: no user name appears in any output), `off` (not read).
   */
  people?: "names" | "count" | "off";
  /**
   * How many days before a mapping's `expires` the plan warns that the access it grants ends (0: only once expired).
   */
  expiryWarningDays?: number;
  /**
   * classic-iam: how many days before authentik's signing certificate expires `verify` warns (a `certificate-expiry` warning per person) — the `verify` command, the check after every apply and the Action's drift mode (0: only once expired). `verify --certificate-warning-days` overrides it.
   */
  certificateWarningDays?: number;
  /**
   * Tuning of the built-in risk rules, and rules of your own.
   */
  risks?: {
    /**
     * Admin-equivalent access granted or widened: AdministratorAccess, IAMFullAccess, an Allow of `*`, `iam:*` or `iam:PassRole` on `*`.
     */
    adminEquivalent?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default high).
       */
      severity?: "high" | "medium" | "low";
    };
    /**
     * Access granted or widened in an account marked `production: true`.
     */
    production?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default high for admin-equivalent access, else medium).
       */
      severity?: "high" | "medium" | "low";
    };
    /**
     * A grant to every declared account or to a whole organizational unit.
     */
    everyAccount?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default medium).
       */
      severity?: "high" | "medium" | "low";
    };
    /**
     * A group with more people than `threshold` gains access.
     */
    largeGroup?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default medium).
       */
      severity?: "high" | "medium" | "low";
      /**
       * Group size above which the rule fires.
       */
      threshold?: number;
    };
    /**
     * A role or permission set whose session duration exceeds `threshold`.
     */
    longSession?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default low).
       */
      severity?: "high" | "medium" | "low";
      /**
       * Longest session duration not flagged (default 8h).
       */
      threshold?: number | string;
    };
    /**
     * The SAML identity provider in an account is deleted.
     */
    identityProviderRemoved?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default high).
       */
      severity?: "high" | "medium" | "low";
    };
    /**
     * The attributes for access control (session tags) change: a key added, removed or read from elsewhere, in the instance's ABAC configuration or in what authentik sends.
     */
    sessionTagsChanged?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default medium).
       */
      severity?: "high" | "medium" | "low";
    };
    /**
     * Every grant of a role or permission set still held by people is removed.
     */
    grantInUseRemoved?: {
      /**
       * Whether the rule runs.
       */
      enabled?: boolean;
      /**
       * Severity of its findings (default medium).
       */
      severity?: "high" | "medium" | "low";
    };
    /**
     * Rules of your own: a finding when access is granted or permissions change on a matching account, policy or action.
     */
    custom?: {
      /**
       * The rule's name, shown with each finding.
       */
      name: string;
      /**
       * How serious a finding of this rule is.
       */
      severity: "high" | "medium" | "low";
      /**
       * What the finding says.
       */
      message: string;
      /**
       * Matches access granted or permissions changed in one of these accounts.
       */
      accounts?: AccountAlias[];
      /**
       * Matches a managed policy (by name, the ARN's last part) attached to a grant that gains holders or changes.
       */
      policies?: string[];
      /**
       * Matches an Allow added for one of these actions (exactly as written, e.g. `s3:*`).
       */
      actions?: string[];
    }[];
  };
}
