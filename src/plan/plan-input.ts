/** What computePlan is given: the desired and live state, and what the run knows beyond them. */
import type { AccessRow, DesiredResource, Expiry, LiveResource, Plan, PlanProblem, Props, ResourceType } from "../domain/plan-types.js";

export interface PlanInput {
  mode: Plan["mode"];
  configFile: string;
  tool: Plan["tool"];
  desired: readonly DesiredResource[];
  live: readonly LiveResource[];
  prune: boolean;
  allowDeleteAll: boolean;
  /**
   * Maps a grant-carrying resource (binding, assignment) to an access row. Default: its
   * kind's (src/resources/), with references resolved on the same side of the plan.
   */
  accessOf?: (resource: { type: ResourceType; account?: string; props: Props }, side: "desired" | "live") => Omit<AccessRow, "change"> | undefined;
  /**
   * The key under which the target system enforces uniqueness (e.g. an IAM role
   * name, case-insensitively, per account): two objects with the same identity
   * but different addresses collide. Default: its kind's.
   */
  identityOf?: (resource: { type: ResourceType; account?: string; props: Props }) => string | undefined;
  warnings?: string[];
  manualSteps?: string[];
  problems?: PlanProblem[];
  /** Account alias → id, for the permission rows of IAM roles. */
  accountIds?: Readonly<Record<string, string>>;
  /**
   * The people of each group as of now: user names of its members and of the
   * members of its descendant groups. Absent: rows carry no people.
   */
  members?: Readonly<Record<string, readonly string[]>>;
  /** review.people: names (default), count (no user name in the plan), off. */
  people?: "names" | "count" | "off";
  /**
   * Access that exists now through something the plan does not model as a grant
   * object — a Role mapping written by hand, which the plan replaces — so that taking
   * a setup over shows as no change when the same grants come from the tool afterwards.
   */
  liveAccess?: readonly Omit<AccessRow, "change" | "people">[];
  /**
   * With liveAccess: what each person holds now through it (a hand-made Role mapping,
   * evaluated per person), and every group's people, so that a person whose roles
   * change although no group's do is said (accessCaveats).
   */
  personAccess?: {
    now: ReadonlyMap<string, readonly { grant: string; account: string; accountId: string }[]>;
    members: Readonly<Record<string, readonly string[]>>;
    /** review.people: names — else only how many. */
    names: boolean;
  };
  /** What the access diff cannot show (e.g. a Role expression that cannot be read): accessCaveats. */
  accessCaveats?: string[];
  /**
   * options.revokeSessions (classic-iam): the people of each group as of now, the session
   * name authentik sends for each (RoleSessionName), and the clock: the live sessions of
   * people who lose a role are ended (src/plan/session-revocations.ts).
   */
  revokeSessions?: {
    members: Readonly<Record<string, readonly string[]>>;
    sessionNames: Readonly<Record<string, string>>;
    now: Date;
    /** review.people is names: the plan may name whose sessions end (else it counts them). */
    showNames?: boolean;
  };
  /** mappings[].expires applied to the desired state (src/desired/expiry.ts), with the clock it was applied at. */
  expiry?: PlanExpiry;
}

export interface PlanExpiry {
  now: Date;
  /** Warn about grants ending within this many days (review.expiryWarningDays). */
  warningDays: number;
  /** Address → the expiry that ended it: grants no longer desired because every mapping calling for them has expired. */
  expired: ReadonlyMap<string, Expiry>;
  /** Address → when a desired grant ends. */
  expiring: ReadonlyMap<string, Expiry>;
}
