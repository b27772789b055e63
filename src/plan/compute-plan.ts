/**
 * desired × live → Plan: the changes (changes.ts, field-diff.ts), who gains or loses access
 * (access-diff.ts), whose permissions change (permissions.ts), the people behind them
 * (people.ts) and access that ends soon (expiry-warnings.ts), put together here. Pure:
 * no I/O, same input, same plan, same hash.
 */
import { canonicalJson, sha256 } from "../domain/canonical.js";
import type { AccessRow, Change, DesiredResource, Expiry, LiveResource, Plan, PlanProblem, Props, ResourceType } from "../domain/plan-types.js";
import { locatedProblem, UserError, type Problem } from "../errors.js";
import { identityOf as kindIdentity } from "../resources/registry.js";
import { accessByKind, accessDiff } from "./access-diff.js";
import { compareChanges, deleteChanges, desiredChanges, numberCopies, plannedDeletes } from "./changes.js";
import { expiryWarnings } from "./expiry-warnings.js";
import { peopleOf, personCaveats } from "./people.js";
import { permissionRows } from "./permissions.js";


/** A plan that cannot be made: every problem found (a collision, a missing group, the delete-all guard). */
export class PlanError extends UserError {
  override readonly name = "PlanError";
  readonly planProblems: readonly PlanProblem[];
  constructor(problems: readonly PlanProblem[]) {
    super(problems.map((p) => (p.address ? `${p.address}: ${p.message}` : p.message)).join("\n"));
    this.planProblems = problems;
  }

  override problems(): Problem[] {
    return this.planProblems.map((p) => locatedProblem(p.message, p.address));
  }
}

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

/** The hash a plan is known by: over the canonical JSON of its changes, never over rendered text. */
export function planHash(changes: readonly Change[]): string {
  return sha256(canonicalJson(changes));
}

/**
 * Refuses a plan that takes away every access the tool grants: almost always an
 * emptied or wrong config rather than an intent. Grants that end because their expiry
 * passed count as kept: that end was reviewed when the date was merged, and the
 * scheduled removal of the last expiring grant must not need --allow-delete-all. Only
 * they: one expired grant must not let an emptied configuration through.
 */
function refuseDeleteAll(input: PlanInput, access: readonly AccessRow[], before: number, after: number): void {
  const expiredLost = access.filter((r) => r.change === "lost" && r.reason === "expired" && r.kind !== "application").length;
  if (before - expiredLost > 0 && after === 0 && !input.allowDeleteAll) {
    throw new PlanError([
      {
        message: `this plan would remove every access authentik-aws-gitops grants here (${before} group grant(s)); refusing. If that is really intended, set options.allowDeleteAll: true or pass --allow-delete-all`,
      },
    ]);
  }
}

export function computePlan(given: PlanInput): Plan {
  const input: PlanInput & Required<Pick<PlanInput, "accessOf" | "identityOf">> = {
    ...given,
    accessOf: given.accessOf ?? accessByKind(given.desired, given.live),
    identityOf: given.identityOf ?? kindIdentity,
  };
  const problems: PlanProblem[] = [...(input.problems ?? [])];
  const liveList = numberCopies(input.live, input.desired);
  const live = new Map(liveList.map((r) => [r.address, r]));
  const desired = new Map(input.desired.map((r) => [r.address, r]));
  const { deletes, expiredDeletes, notPruned } = plannedDeletes(input, liveList, desired);
  const changes = [...desiredChanges(input, liveList, live, deletes, problems), ...deleteChanges(live, deletes, expiredDeletes)];
  if (problems.length > 0) throw new PlanError(problems);
  changes.sort(compareChanges);

  const { access, before, after, later, expiring, nowFromObjects } = accessDiff(input, desired, liveList, deletes, expiredDeletes);
  const accessCaveats = [...(input.accessCaveats ?? []), ...personCaveats(input, nowFromObjects, [...later.values()])];
  const permissions = permissionRows(input, changes, later);
  const people = peopleOf(input);
  if (people) {
    for (const row of access) row.people = people([row.group]);
    for (const row of permissions) {
      const groups = [...later.values()].filter((r) => r.kind !== "application" && r.grant === row.grant && (row.accountId === "" || r.accountId === row.accountId)).map((r) => r.group);
      row.people = people(groups);
    }
  }
  refuseDeleteAll(input, access, before, after);

  const summary = { adopt: 0, create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of changes) summary[c.action]++;
  return {
    version: 2,
    tool: input.tool,
    mode: input.mode,
    config: input.configFile,
    hash: planHash(changes),
    summary,
    access,
    permissions,
    risks: [],
    ...(input.expiry ? { expiring } : {}),
    changes,
    notPruned,
    warnings: [...(input.warnings ?? []), ...expiryWarnings(input, expiring)],
    manualSteps: input.manualSteps ?? [],
    ...(accessCaveats.length ? { accessCaveats } : {}),
  };
}
