/**
 * The plan data model, shared by the pure core (desired → plan), the renderers,
 * the executor and the JSON output. Everything here is plain JSON so a plan can
 * be saved, hashed, posted and applied later.
 */

export type System = "authentik" | "aws";

export type ResourceType =
  | "authentik.property_mapping"
  | "authentik.saml_provider"
  | "authentik.application"
  | "authentik.entitlement"
  | "authentik.policy_binding"
  | "authentik.scim_provider"
  | "authentik.scim_mapping"
  | "aws.iam.saml_provider"
  | "aws.iam.role"
  | "aws.iam.session_revocation"
  | "aws.sso.permission_set"
  | "aws.sso.account_assignment"
  | "aws.sso.access_control_attributes";

/** A reference to another managed resource, resolved to its id at apply time. */
export interface Ref {
  $ref: string;
}
/** A named authentik object looked up by a human key (flow slug, keypair name, group name). */
export interface Lookup {
  $lookup: "flow" | "keypair" | "group" | "managed_mapping";
  key: string;
}
/** A value only known once earlier changes are applied (e.g. SAML metadata of a new provider). */
export interface Deferred {
  $deferred: string;
}

export type Props = Record<string, unknown>;

export interface DesiredResource {
  address: string;
  type: ResourceType;
  system: System;
  /** Account alias for AWS resources. */
  account?: string;
  /** Short human description, e.g. "IAM role admin in prod (111111111111)". */
  title: string;
  props: Props;
  /** Ordering beyond the $refs inside props (e.g. a role needs its account's SAML provider). */
  dependsOn?: string[];
  /**
   * Grants (bindings, assignments): the indices in config.mappings of the mappings that
   * call for it, which decide when it expires (see src/desired/expiry.ts). Never part of a change.
   */
  grantedBy?: number[];
}

export interface LiveResource {
  address: string;
  type: ResourceType;
  system: System;
  account?: string;
  title: string;
  /** authentik pk / uuid, AWS ARN or name: whatever the adapter needs to change it. */
  id: string;
  props: Props;
  /** Whether the tool may change or delete it (see docs/safety.md, "Ownership and safety"). */
  owned: boolean;
  /** For owned:false — why not, shown in conflicts. */
  ownership?: string;
  /**
   * Set when the object is not marked as the tool's yet and the configuration's
   * `adopt:` takes it over: why it was not the tool's (e.g. "it has no managed-by
   * tag"). `owned` is then true, and the plan lists the object as `adopt`.
   */
  adopting?: string;
}

/** adopt: take over an existing object made by hand (mark it as the tool's, change what differs), never recreating it. */
export type Action = "create" | "update" | "delete" | "replace" | "adopt";

export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
  /** Unified diff for policy documents, expressions and other long values. */
  patch?: string;
}

export interface Change {
  address: string;
  type: ResourceType;
  system: System;
  account?: string;
  title: string;
  action: Action;
  /** Why: "not found", "trust policy drifted", "no longer declared (pruning on)". */
  reason: string;
  before: Props | null;
  after: Props | null;
  fields: FieldChange[];
  /** Addresses this change must wait for (creates/updates: what it references; deletes: what references it). */
  dependsOn: string[];
  /** Id of the live object for update/delete/replace. */
  liveId?: string;
  /**
   * The grant is removed because its mapping's `expires` is past (done whether pruning is
   * on or not): deletes, and updates that only drop the recorded end of such a grant.
   * What `mode: expire` of the Action applies unreviewed.
   */
  expired?: Expiry;
}

/** When a grant ends, from mappings[].expires (see src/config/expiry.ts). */
export interface Expiry {
  /** As written: "2026-12-31" (lasts through that UTC day) or "2026-12-31T18:00:00Z". */
  value: string;
  /** The instant it ends, ISO 8601 in UTC. */
  endsAt: string;
  /** "mappings[2].expires" */
  field: string;
  /** "file:line:col" of the value. */
  location: string;
}

/** A grant that exists after the plan and ends at a set time. */
export interface ExpiringRow {
  group: string;
  grant: string;
  account: string;
  accountId: string;
  expires: Expiry;
  /** Whole days left as of the plan (0: less than a day). */
  daysLeft: number;
}

/**
 * A grant that exists before and after the plan whose end changes: set, moved or removed
 * (made permanent). The "before" is what the last apply recorded next to the grant (in
 * classic-iam the entitlement's attributes.access_expires), so that it is a change like
 * any other: written on apply, hashed, and a re-plan is clean.
 */
export interface LifetimeRow {
  group: string;
  grant: string;
  account: string;
  accountId: string;
  /** When it ended before the plan, as written then (null: permanent). */
  before: string | null;
  /** When it ends after the plan, as written (null: made permanent). */
  after: string | null;
  /** Where the new end is written ("mappings[2].expires"), when there is one. */
  field?: string;
  /** The change that records it. */
  address: string;
}

/**
 * A grant deleted and one created with the same permissions and the same people: only
 * re-created under another name or place. Its changes still happen and are listed; the
 * access diff, the risks and the deletion warning leave them out.
 */
export interface Rename {
  /** "role" or "permission set". */
  kind: string;
  from: string;
  to: string;
  /** Account aliases it is in (empty for a permission set). */
  accounts: string[];
  /** Every change that only re-creates it (the grant objects, entitlements, bindings, assignments). */
  addresses: string[];
}

export interface AccessRow {
  group: string;
  /** Role name (classic-iam) or permission set name (identity-center); the application's slug for kind "application". */
  grant: string;
  /** Account alias; "authentik" for kind "application". */
  account: string;
  /** "" for kind "application". */
  accountId: string;
  change: "gained" | "lost";
  /**
   * "application": the group is bound to the authentik application itself — its
   * members see the tile and, with SCIM, are provisioned into IAM Identity Center.
   * Absent for grants of a role or permission set in an account.
   */
  kind?: "application";
  /** Who this row affects: the group's members, including members of its descendant groups. */
  people?: People;
  /** Lost rows: "expired" when the grant ends because its mapping's `expires` is past. */
  reason?: "expired";
  /** Gained rows: when the new grant ends; lost rows with reason "expired": the expiry that ended it. */
  expires?: Expiry;
}

/** The people a row affects, as of the plan (absent when review.people is off). */
export interface People {
  count: number;
  /** User names, sorted; absent with review.people: count. */
  names?: string[];
}

/** One action × resource (× condition) a policy allows or denies; see policy-diff.ts. */
export interface PermissionStatement {
  effect: "Allow" | "Deny";
  /** The action as written (wildcards kept); with `notAction`, the action excluded. */
  action: string;
  /** The resource as written; with `notResource`, the resource excluded. */
  resource: string;
  condition?: Record<string, unknown>;
  /** The statement uses NotAction: it applies to every action except this one. */
  notAction?: true;
  /** The statement uses NotResource: it applies to every resource except this one. */
  notResource?: true;
}

/**
 * A grant (IAM role in an account, or permission set) whose effective permissions
 * this plan changes, or a new grant with everything it carries.
 */
export interface PermissionRow {
  grant: string;
  /** Account alias (classic-iam); identity-center: the accounts the permission set is assigned in after the plan, comma-separated. */
  account: string;
  /** "" for a permission set. */
  accountId: string;
  change: "widened" | "narrowed" | "changed";
  /** The grant does not exist yet: `added` and the managed policies are all it carries. */
  new?: true;
  address: string;
  added: PermissionStatement[];
  removed: PermissionStatement[];
  /** Managed policies by name (the ARN's last part). */
  managedPoliciesAdded: string[];
  managedPoliciesRemoved: string[];
  customerManagedPoliciesAdded: string[];
  customerManagedPoliciesRemoved: string[];
  /** Present when the permissions boundary changes (null: none). */
  permissionsBoundary?: { before: string | null; after: string | null };
  /** Everyone who holds the grant after the plan. */
  people?: People;
  /**
   * What the change means in actions (src/plan/action-expansion.ts): per statement
   * responsible, the actions of AWS's service authorization reference it newly allows or
   * no longer allows. Absent: no action changes. Added within version 2.
   */
  actions?: ActionChange[];
  /** Policies whose actions could not be counted (a managed policy IAM did not return, customer-managed references), and why. */
  actionsUnread?: string[];
}

/** The actions one statement newly allows (or no longer allows) to a grant. */
export interface ActionChange {
  change: "allows" | "no-longer-allows";
  /** "inline policy data-access", "managed policy ReadOnlyAccess". */
  source: string;
  /** The statement as written (normalized: Sid, Effect, Action…, keys of lists sorted), cut at 2000 characters. */
  statement: string;
  /** How many actions, and how many of each access level. */
  actions: number;
  levels: Partial<Record<"Permissions management" | "Write" | "Tagging" | "Read" | "List", number>>;
  /** Per service, most Write and Permissions management first, at most 8. */
  services: { service: string; actions: number; levels: ActionChange["levels"]; examples: string[] }[];
  /** The services beyond those listed. */
  otherServices?: { services: number; actions: number };
  /** The resources it applies to, as written. */
  resources: string[];
  /** Write and Permissions management actions on every resource (`*`, or a NotResource). */
  writeOnEveryResource?: { actions: number; examples: string[] };
  /** Known privilege-escalation actions among them (iam:PassRole and sts:AssumeRole only on every resource). */
  escalation?: string[];
}

export type Severity = "high" | "medium" | "low";

/** A problem that makes a plan impossible (a collision with an unowned object, a missing group). */
export interface PlanProblem {
  address?: string;
  message: string;
}

export interface Risk {
  rule: string;
  severity: Severity;
  message: string;
  /** The changes that trigger it. */
  addresses: string[];
}

export interface PlanSummary {
  adopt: number;
  create: number;
  update: number;
  delete: number;
  replace: number;
}

/** A person whose live sessions in a role the plan ends (options.revokeSessions). */
export interface SessionEnd {
  /** authentik username (absent when review.people is count or off). */
  person?: string;
  /** The RoleSessionName their sessions carry (absent when review.people is count or off). */
  session?: string;
  /** The role. */
  grant: string;
  account: string;
  accountId: string;
}

export interface Plan {
  /** Shape version of this JSON (documented in docs/reviewing-plans.md, "The JSON plan"). */
  version: 2;
  tool: { name: string; version: string };
  mode: "classic-iam" | "identity-center";
  config: string;
  /** sha256 over the canonical JSON of `changes`; what apply proves it applies. */
  hash: string;
  summary: PlanSummary;
  access: AccessRow[];
  /** Grants whose effective permissions change (and new grants, with what they carry). */
  permissions: PermissionRow[];
  /** What the review rules flag, highest severity first. */
  risks: Risk[];
  /**
   * Every grant the plan leaves in place (or creates) that ends at a set time, soonest
   * first. Absent in plans saved before it existed.
   */
  expiring?: ExpiringRow[];
  /** Grants kept by the plan whose end is set, moved or removed. Added within version 2. */
  lifetimes?: LifetimeRow[];
  /** Grants only re-created under another name or place (nobody gains or loses anything). Added within version 2. */
  renames?: Rename[];
  /**
   * Live sessions the plan ends (options.revokeSessions, classic-iam): people who lose a role
   * and hold sessions of it issued before the apply. Added within version 2.
   */
  sessionsEnded?: SessionEnd[];
  changes: Change[];
  /** Owned objects no longer declared, kept because pruning is off. */
  notPruned: { address: string; title: string }[];
  warnings: string[];
  /**
   * What the access diff (by group) cannot show: people whose roles change although no
   * group's do (a hand-made Role mapping replaced), or access that cannot be read.
   * Absent or empty: the access diff is the whole story. Added within version 2.
   */
  accessCaveats?: string[];
  /** Steps AWS allows only in its console (identity-center), printed once. */
  manualSteps: string[];
}

export const MANAGED_BY_TAG = "managed-by";
export const MANAGED_BY_VALUE = "authentik-aws-gitops";
/**
 * Which configuration an AWS object belongs to: its authentik application's slug
 * (unique per authentik). Two configurations sharing an account or an Identity
 * Center instance never touch each other's roles and permission sets.
 */
export const CONFIG_TAG = "managed-by-config";

/**
 * Why a tagged AWS object is not this configuration's, or nothing when it is. An
 * object tagged managed-by but without the configuration tag was made by a version
 * before the tag: it is adopted when declared (an update adds the tag) and otherwise
 * left alone, since it may be another configuration's.
 */
export function configOwnership(tags: Record<string, string>, configId: string, declared: boolean): string | false {
  if (tags[MANAGED_BY_TAG] !== MANAGED_BY_VALUE) return `it lacks the tag ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}`;
  const owner = tags[CONFIG_TAG];
  if (owner === undefined) return !declared && `it carries ${MANAGED_BY_TAG} but no ${CONFIG_TAG} tag (made by an earlier version, or by another configuration); declare it to adopt it, or delete it by hand`;
  return owner !== configId && `it belongs to another configuration: authentik application '${owner}' (tag ${CONFIG_TAG}=${owner})`;
}

/**
 * Whether a declared AWS object is taken over (LiveResource.adopting), and why: made by
 * hand (no managed-by tag at all) and named in adopt:, or tagged by an earlier version
 * of the tool (managed-by without managed-by-config), which the plan lists as adopt too
 * rather than as a silent update. Never an object another tool manages (CloudFormation
 * stacks tag theirs aws:cloudformation:*), nor another configuration's.
 */
export function adoption(tags: Record<string, string>, configId: string, declared: boolean, listedInAdopt: boolean): string | undefined {
  if (!declared || Object.keys(tags).some((k) => k.startsWith("aws:cloudformation:"))) return undefined;
  if (tags[MANAGED_BY_TAG] === undefined) return listedInAdopt ? `it was made by hand (no ${MANAGED_BY_TAG} tag); apply tags it ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}, ${CONFIG_TAG}=${configId}` : undefined;
  if (tags[MANAGED_BY_TAG] === MANAGED_BY_VALUE && tags[CONFIG_TAG] === undefined) {
    return `it carries ${MANAGED_BY_TAG} but no ${CONFIG_TAG} tag (made by an earlier version of the tool); apply adds ${CONFIG_TAG}=${configId}`;
  }
  return undefined;
}

/** Tags as the plan compares them: without the aws: ones, which AWS sets and nobody can change. */
export function comparableTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith("aws:")));
}

export function isRef(v: unknown): v is Ref {
  return typeof v === "object" && v !== null && typeof (v as Ref).$ref === "string";
}
export function isLookup(v: unknown): v is Lookup {
  return typeof v === "object" && v !== null && typeof (v as Lookup).$lookup === "string";
}
export function isDeferred(v: unknown): v is Deferred {
  return typeof v === "object" && v !== null && typeof (v as Deferred).$deferred === "string";
}

/**
 * Ownership of a live object from the one reason it is not the tool's (none:
 * it is). Keeps `owned` and its explanation from disagreeing.
 */
export function ownedUnless(notOwnedBecause: string | false | undefined): Pick<LiveResource, "owned" | "ownership"> {
  return notOwnedBecause ? { owned: false, ownership: notOwnedBecause } : { owned: true };
}
