/**
 * desired × live → Plan: the changes (changes.ts, field-diff.ts), who gains or loses access
 * (access-diff.ts), whose permissions change (permissions.ts), the people behind them
 * (people.ts) and access that ends soon (expiry-warnings.ts), put together here. Pure:
 * no I/O, same input, same plan, same hash.
 */
import { canonicalJson, sha256 } from "../domain/canonical.js";
import type { AccessRow, Change, Plan, PlanProblem } from "../domain/plan-types.js";
import { locatedProblem, UserError, type Problem } from "../errors.js";
import { identityOf as kindIdentity } from "../resources/registry.js";
import { accessByKind, accessDiff } from "./access-diff.js";
import { compareChanges, deleteChanges, desiredChanges, numberCopies, plannedDeletes } from "./changes.js";
import { expiryWarnings } from "./expiry-warnings.js";
import { lifetimeChanges } from "./lifetimes.js";
import { findRenames } from "./renames.js";
import { peopleOf, personCaveats } from "./people.js";
import { permissionRows } from "./permissions.js";
import { markRevocations, sessionRevocations } from "./session-revocations.js";
import type { PlanInput } from "./plan-input.js";

export type { PlanExpiry, PlanInput } from "./plan-input.js";


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
  const diff = accessDiff(input, desired, liveList, deletes, expiredDeletes);

  // Ending live sessions depends on who loses what (options.revokeSessions): desired once the access diff is known.
  const revocations = sessionRevocations(input, diff, desired, liveList, deletes);
  for (const r of revocations.desired) {
    desired.set(r.address, r);
    deletes.delete(r.address);
  }
  const withRevocations = revocations.desired.length ? { ...input, desired: [...input.desired, ...revocations.desired] } : input;
  const changes = [...desiredChanges(withRevocations, liveList, live, deletes, problems), ...deleteChanges(live, deletes, expiredDeletes)];
  if (problems.length > 0) throw new PlanError(problems);
  markRevocations(changes, revocations, input.configFile);
  changes.sort(compareChanges);
  const { before, after, later, expiring, nowFromObjects } = diff;
  // A grant only re-created under another name or place: nobody gains or loses anything.
  const { renames, rows: renamedRows } = findRenames(input, changes, diff.access);
  const renamed = new Set(renames.flatMap((r) => r.addresses));
  const access = diff.access.filter((r) => !renamedRows.has(r));
  const lifetimes = lifetimeChanges(changes, access, expiring);
  const accessCaveats = [...(input.accessCaveats ?? []), ...personCaveats(input, nowFromObjects, [...later.values()])];
  const permissions = permissionRows(input, changes, later).filter((p) => !renamed.has(p.address));
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
    ...(lifetimes.length ? { lifetimes } : {}),
    ...(renames.length ? { renames } : {}),
    changes,
    notPruned,
    ...(revocations.ended.length ? { sessionsEnded: revocations.ended } : {}),
    warnings: [...(input.warnings ?? []), ...expiryWarnings(input, expiring), ...revocations.warnings],
    manualSteps: input.manualSteps ?? [],
    ...(accessCaveats.length ? { accessCaveats } : {}),
  };
}
