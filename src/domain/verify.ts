/**
 * What `verify` finds when it follows the chain a person's sign-in goes through (issue 21):
 * pure types, shared by the checks of each mode (src/verify/), the renderers and the
 * Action. The JSON form is versioned (`version`); a field is only ever added.
 */

import type { TargetAccount } from "./accounts.js";

/** Which link of the sign-in chain a finding is about. */
export type VerifyCheck =
  // classic-iam
  /** The Role values authentik sends (the provider's Role mapping reads the entitlements). */
  | "role-values"
  | "role-exists"
  | "trust-policy"
  | "saml-provider-certificate"
  | "certificate-expiry"
  | "session-duration"
  // identity-center
  | "identity-store-group"
  | "group-members"
  | "identity-store-user"
  | "assignment"
  | "provisioning";

export interface VerifyFinding {
  /** error: access does not work as configured; warning: it works now, but will not for long (an expiring certificate). */
  severity: "error" | "warning";
  check: VerifyCheck;
  /** Whom it concerns: a person (by authentik username) or a group (by name). */
  subject: { kind: "person" | "group"; name: string };
  /** The role or permission set, when the finding is about one. */
  grant?: string;
  /** The account, when the finding is about one. */
  account?: { alias?: string; id: string };
  /** Why, in words a person fixes it by: "the trust policy of role admin allows SAML:aud https://… only, and authentik posts to https://eu-west-1.signin…". */
  reason: string;
}

export interface VerifyReport {
  /** The JSON format's version. */
  version: 1;
  config: string;
  mode: "classic-iam" | "identity-center";
  /** When it was checked, ISO 8601 UTC. */
  checkedAt: string;
  /** The people checked (all with access, or those named with --person / affected by an apply). */
  people: string[];
  /** How many (person, grant, account) sign-ins were followed. */
  grantsChecked: number;
  findings: VerifyFinding[];
  /** What verify could not check, and facts worth knowing that are no finding (an account outside the configuration, a binding it cannot evaluate). */
  notes?: string[];
  /** errors and warnings among the findings (added by the core; absent in reports made before it). */
  summary?: { errors: number; warnings: number };
}

/**
 * Whom verify checked after an apply, or in the Action's drift mode: the people the plan
 * affected; everyone with access because the plan changed a link every sign-in goes through
 * (a role, a SAML provider, a property mapping, the application, a permission set, SCIM), or
 * names no people (review.people: count or off); everyone (drift).
 */
export type VerifyScope = "affected" | "shared-link" | "unnamed" | "everyone";

/**
 * How people may be shown where verify's result lands unasked (after an apply, in the Action):
 * review.people of the configuration — names, only counts, or neither. The report itself
 * always holds the names; the renderers leave them out.
 */
export type PeopleShown = "names" | "count" | "off";

/** verify after an apply (the CLI's and the Action's), or in the Action's drift mode: what came of it. */
export type VerifyOutcome =
  /** The plan changed nobody's access: nothing to verify. */
  | { kind: "nobody" }
  | { kind: "checked"; report: VerifyReport; scope: VerifyScope; people: PeopleShown }
  /** verify could not run (a read failed): what was applied stands. */
  | { kind: "not-run"; reason: string };

// --- identity-center: what the checks read (src/verify/identity-center.ts) ---------------------

/** authentik's people, as readVerifyPeople (src/providers/authentik/read-people.ts) reads them. */
export interface VerifyPeople {
  /** Users (active or not; service accounts are left out by the checks). */
  users: { username: string; email: string; active: boolean; type?: string; groups: string[] }[];
  /** Every group by name, with its parents' names (authentik counts a child group's members as the parent's). */
  groups: { name: string; parents: string[] }[];
  /**
   * What the SAML provider sends as NameID, from its name_id_mapping: authentik's managed email
   * or username mapping, or another one (by name) the checks cannot evaluate. Absent: not read,
   * taken to be what the tool configures (email).
   */
  nameId?: { source: "email" | "username" } | { source: "other"; mapping: string };
}

/** What IAM Identity Center holds, as readIdentityCenterVerify (src/providers/aws/sso-verify-read.ts) reads it. Plain data. */
export interface IdentityCenterVerifyLive {
  identityStoreId: string;
  /** Every Identity Store user. */
  users: { id: string; userName: string; emails: string[] }[];
  /** The Identity Store groups named like the mapped groups (a group absent here is not in the store), with their members' user ids. */
  groups: { id: string; name: string; memberIds: string[] }[];
  /** Group assignments of this configuration's permission sets (every copy AWS lists). */
  assignments: { group: string; permissionSet: string; accountId: string }[];
  /** This configuration's permission sets that exist: the accounts each is provisioned to, and those holding an older version. */
  permissionSets: { name: string; provisionedTo: string[]; notLatestIn: string[] }[];
  /** Accounts of each declared organizational unit. */
  ouAccounts: Map<string, TargetAccount[]>;
}

