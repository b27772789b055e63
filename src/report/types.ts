/**
 * The access report (`authentik-aws-gitops access`, the Action's `mode: report`):
 * who holds which AWS role or permission set in which account, through which group,
 * and whether the tool manages that access — read from live state, not from the
 * configuration. Plain JSON; `version` changes when a field changes meaning.
 */
import type { Mode } from "../config/model.js";

export const ACCESS_REPORT_VERSION = 1;

/** A person as the system that decides their access knows them. */
export interface Person {
  /** authentik username (classic-iam) or Identity Store UserName (identity-center). */
  username: string;
  email?: string;
}

/**
 * classic-iam: what AWS says of the role a grant names — it exists and its trust policy
 * allows sts:AssumeRoleWithSAML from the grant's SAML provider (trusted), it does not
 * exist (missing: the grant gives nothing), its trust does not allow that provider
 * (not-trusted), or it could not be looked at (not-checked: an account outside the
 * configuration, or its credentials failed). null for permission sets.
 */
export type AwsRoleCheck = "trusted" | "missing" | "not-trusted" | "not-checked";

/** What a grant is: an IAM role (classic-iam) or a permission set (identity-center). */
export type GrantKind = "role" | "permission-set";

/**
 * One way access is granted: a grant in an account, through one group (or a direct
 * user assignment, or everyone who may sign in), from one object, with the people it reaches.
 */
export interface GroupGrant {
  /** Group name; "(direct assignment)" for identity-center user assignments; "(everyone)" when an application has no bindings. */
  via: string;
  viaKind: "group" | "user" | "everyone";
  grant: string;
  grantKind: GrantKind;
  accountId: string;
  managed: boolean;
  /** Why not managed (absent when managed). */
  reason?: string;
  /** The object the access comes from, e.g. `entitlement "admin@prod"`, `Role mapping 'aws-roles'`, `permission set Admin (arn…)`. */
  source: string;
  /** Who holds it through this way (sorted by username, no duplicates). */
  people: Person[];
  /** classic-iam: the role and SAML provider AWS receives, to check the role against IAM. */
  roleArn?: string;
  samlProviderArn?: string;
  awsRole?: AwsRoleCheck;
}

/** Access that exists but cannot be listed person by person: said, never skipped. */
export interface Unlisted {
  source: string;
  reason: string;
  /** Line of an expression the reader stopped at. */
  line?: number;
}

/** The live state of one configuration's federation, reduced to what the report needs (built by the mode's reader). */
export interface AccessSnapshot {
  mode: Mode;
  configFile: string;
  application: string;
  /** Aliases of the configuration's accounts by id (the report's account names). */
  accountAliases: Record<string, string>;
  grants: GroupGrant[];
  unlisted: Unlisted[];
  /** Facts worth knowing that do not stop the report (e.g. a binding to a policy). */
  notes: string[];
  /** Where the people of each grant come from, said in the report. */
  peopleSource: string;
}

/** What every line says about the grant: which, where, through which group, and whether the tool manages it. */
export interface GrantColumns {
  grant: string;
  grantKind: GrantKind;
  /** Alias of the account in the configuration, else its id. */
  account: string;
  accountId: string;
  via: string;
  managed: boolean;
  /** Why not managed; null when managed. */
  reason: string | null;
  source: string;
  awsRole: AwsRoleCheck | null;
}

/** One line of the report: a person × grant × account × group. */
export interface AccessRow extends GrantColumns {
  person: string;
  email: string | null;
}

/** A grant as aggregated when names are not shown (review.people: count or off), and always in `grants`. */
export interface AccessGrantRow extends GrantColumns {
  /** How many people hold it this way; null with review.people: off. */
  people: number | null;
}

export interface AccessReport {
  version: typeof ACCESS_REPORT_VERSION;
  kind: "access-report";
  tool: { name: string; version: string };
  generatedAt: string;
  mode: Mode;
  config: string;
  application: string;
  /** review.people of the configuration: names → `rows` lists people; count → only counts; off → neither. */
  people: "names" | "count" | "off";
  peopleSource: string;
  summary: {
    /** Distinct people with any access (null with review.people: off). */
    people: number | null;
    /** Person rows (0 unless review.people: names). */
    rows: number;
    grants: number;
    managedGrants: number;
    unmanagedGrants: number;
    unlisted: number;
    /** classic-iam: grants whose IAM role is missing or does not trust the SAML provider (they give nothing in AWS). */
    rolesNotUsable: number;
  };
  /** Sorted by person, grant, account, via, source. Empty unless review.people: names. */
  rows: AccessRow[];
  /** Sorted by grant, account, via, source. */
  grants: AccessGrantRow[];
  unlisted: Unlisted[];
  notes: string[];
}
