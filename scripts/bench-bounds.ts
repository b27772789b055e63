/**
 * Lower bounds for `npm run bench`: the fewest requests a plan or an apply of a given
 * state could make with the AWS APIs the tool uses, and the least time they could take
 * under IAM Identity Center's limits. Each bound says how it is derived (docs/speed.md
 * quotes these derivations). Pure functions of the scenario: no I/O.
 *
 * What a reader of the live state cannot avoid (read off src/providers/aws/sso-read.ts
 * and iam-read.ts, and the AWS APIs — there is no bulk call for these):
 *
 * Identity Center (all under the shared 20 requests/second):
 *   ListInstances                          1 (unless the config names the instance)
 *   ListPermissionSets                     ⌈P/100⌉, at least 1 (MaxResults ≤ 100)
 *   per permission set in the instance     DescribePermissionSet 1 (its name) + ListTagsForResource 1 (≤ 50 tags: ownership)
 *   per owned permission set               ListManagedPoliciesInPermissionSet 1, ListCustomerManagedPolicyReferencesInPermissionSet 1,
 *                                          GetInlinePolicyForPermissionSet 1, GetPermissionsBoundaryForPermissionSet 1 (its content, to find drift)
 *   ListGroups (Identity Store)            ⌈G/100⌉, at least 1
 *   per group in the store                 ListAccountAssignmentsForPrincipal ⌈a_g/100⌉, at least 1 — only if some permission set is owned
 *                                          (the alternative, ListAccountAssignments per (account, set), costs accounts × sets calls)
 * Classic IAM (per account, no shared quota is modelled):
 *   sts:AssumeRole 1 (its answer names the account), iam:ListRoles ⌈R/1000⌉ (description, max session),
 *   iam:GetAccountAuthorizationDetails ⌈R/1000⌉ if any role is relevant (policies, tags, boundary), iam:GetSAMLProvider 1.
 */

export const IC_TPS = 20;
export const IC_BURST = 20;
export const OUTSTANDING_LIMIT = 10;

export type OpCounts = Record<string, number>;

export interface Bound {
  /** minimum requests by operation (Identity Center, or IAM/STS for classic) */
  byOperation: OpCounts;
  requests: number;
  /** how the request minimum is derived */
  derivation: string[];
  /** least wall time in seconds, when a quota makes one (Identity Center) */
  seconds?: number;
  timeDerivation?: string;
}

const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
const sum = (o: OpCounts) => Object.values(o).reduce((a, b) => a + b, 0);
function add(into: OpCounts, from: OpCounts, times = 1): OpCounts {
  for (const [k, v] of Object.entries(from)) if (v) into[k] = (into[k] ?? 0) + v * times;
  return into;
}

/** What the Identity Center side holds (the part a plan reads). */
export interface IcState {
  /** permission sets in the instance, all owned by this configuration */
  permissionSets: number;
  /** groups in the Identity Store */
  groups: number;
  /** assignments held by each group (length = groups) */
  assignmentsPerGroup: number[];
}

export function icPlanReads(s: IcState): OpCounts {
  const owned = s.permissionSets;
  return {
    ListInstances: 1,
    ListPermissionSets: pages(s.permissionSets, 100),
    DescribePermissionSet: s.permissionSets,
    ListTagsForResource: s.permissionSets,
    ListManagedPoliciesInPermissionSet: owned,
    ListCustomerManagedPolicyReferencesInPermissionSet: owned,
    GetInlinePolicyForPermissionSet: owned,
    GetPermissionsBoundaryForPermissionSet: owned,
    ListGroups: pages(s.groups, 100),
    ListAccountAssignmentsForPrincipal: owned > 0 ? s.assignmentsPerGroup.reduce((n, a) => n + pages(a, 100), 0) : 0,
  };
}

const icReadDerivation = (label: string, s: IcState, reads: OpCounts) =>
  `${label}: ${sum(reads)} = ListInstances 1 + ListPermissionSets ${reads.ListPermissionSets} + ${s.permissionSets} permission sets × 6 ` +
  `(Describe, ListTags, managed, customer-managed, inline, boundary) + ListGroups ${reads.ListGroups} (⌈${s.groups}/100⌉)` +
  (reads.ListAccountAssignmentsForPrincipal ? ` + ListAccountAssignmentsForPrincipal ${reads.ListAccountAssignmentsForPrincipal} (Σ over ${s.groups} groups of ⌈assignments/100⌉)` : " (no owned set: no assignment reads)");

const timeAtQuota = (requests: number) => Math.max(0, requests - IC_BURST) / IC_TPS;

export function icPlanBound(s: IcState): Bound {
  const reads = icPlanReads(s);
  const requests = sum(reads);
  return {
    byOperation: reads,
    requests,
    derivation: [icReadDerivation("reads", s, reads)],
    seconds: timeAtQuota(requests),
    timeDerivation: `(${requests} − ${IC_BURST} burst) / ${IC_TPS} per second`,
  };
}

export interface IcChange {
  /** new permission sets, each with this many managed policies */
  newPermissionSets: number;
  managedPoliciesPerSet: number;
  createdAssignments: number;
  deletedAssignments: number;
}

/**
 * apply = the plan's reads of the state before, the writes, the status reads, and the
 * fresh read of the state after that proves the apply (src/engine.ts).
 * Status reads: keeping 10 operations outstanding, each lasting `durationMs`, means
 * refilling the window of 10 once per duration; each refill needs at least one
 * List…Status (or Describe…Status) answer, and one page (≤ 100) covers a window of 10.
 * Time: the requests at 20/s, or the operations through a window of 10, whichever is longer.
 */
export function icApplyBound(before: IcState, change: IcChange, after: IcState, durationMs: number): Bound {
  const readsBefore = icPlanReads(before);
  const readsAfter = icPlanReads(after);
  const ops = change.createdAssignments + change.deletedAssignments;
  const writes: OpCounts = {
    CreatePermissionSet: change.newPermissionSets,
    AttachManagedPolicyToPermissionSet: change.newPermissionSets * change.managedPoliciesPerSet,
    CreateAccountAssignment: change.createdAssignments,
    DeleteAccountAssignment: change.deletedAssignments,
  };
  const statusReads = ops > 0 ? Math.ceil(ops / OUTSTANDING_LIMIT) : 0;
  const byOperation = add(add(add({}, readsBefore), writes), readsAfter);
  if (statusReads) byOperation["status reads (Describe…/List…Status)"] = statusReads;
  const requests = sum(byOperation);
  const rounds = Math.ceil(ops / OUTSTANDING_LIMIT);
  const opSeconds = (rounds * durationMs) / 1000;
  const reqSeconds = timeAtQuota(requests);
  return {
    byOperation,
    requests,
    derivation: [
      icReadDerivation("plan before", before, readsBefore),
      `writes: ${sum(writes)} = ${change.newPermissionSets} CreatePermissionSet (tags included) + ${writes.AttachManagedPolicyToPermissionSet} AttachManagedPolicy + ${change.createdAssignments} CreateAccountAssignment + ${change.deletedAssignments} DeleteAccountAssignment (a new set needs no ProvisionPermissionSet: an assignment provisions it)`,
      `status: ${statusReads} = ⌈${ops} operations / ${OUTSTANDING_LIMIT} outstanding⌉ (one status read per refill of the window)`,
      icReadDerivation("fresh read after", after, readsAfter),
    ],
    seconds: Math.max(reqSeconds, opSeconds),
    timeDerivation: `max((${requests} − ${IC_BURST}) / ${IC_TPS} = ${reqSeconds.toFixed(1)} s, ⌈${ops}/${OUTSTANDING_LIMIT}⌉ × ${durationMs / 1000} s = ${opSeconds.toFixed(1)} s)`,
  };
}

/** Classic IAM: per account, roles managed there. */
export interface ClassicState {
  accounts: number;
  /** roles in each account (all relevant: under the path, or declared) */
  rolesPerAccount: number;
  /** whether the account's SAML provider exists (it is read either way) */
}

export function classicPlanReads(s: ClassicState): OpCounts {
  return {
    "sts:AssumeRole": s.accounts,
    "iam:ListRoles": s.accounts * pages(s.rolesPerAccount, 1000),
    "iam:GetAccountAuthorizationDetails": s.rolesPerAccount > 0 ? s.accounts * pages(s.rolesPerAccount, 1000) : 0,
    "iam:GetSAMLProvider": s.accounts,
  };
}

const classicReadDerivation = (label: string, s: ClassicState, reads: OpCounts) =>
  `${label}: ${sum(reads)} = ${s.accounts} accounts × (AssumeRole 1 + ListRoles ${pages(s.rolesPerAccount, 1000)} + ` +
  `${s.rolesPerAccount > 0 ? `GetAccountAuthorizationDetails ${pages(s.rolesPerAccount, 1000)}` : "no GetAccountAuthorizationDetails (no role to detail)"} + GetSAMLProvider 1)`;

export function classicPlanBound(s: ClassicState): Bound {
  const reads = classicPlanReads(s);
  return { byOperation: reads, requests: sum(reads), derivation: [classicReadDerivation("reads", s, reads)] };
}

export interface ClassicChange {
  newSamlProviders: number;
  newRoles: number;
  managedPoliciesPerRole: number;
}

export function classicApplyBound(before: ClassicState, change: ClassicChange, after: ClassicState): Bound {
  const rb = classicPlanReads(before);
  const ra = classicPlanReads(after);
  const writes: OpCounts = {
    "iam:CreateSAMLProvider": change.newSamlProviders,
    "iam:CreateRole": change.newRoles,
    "iam:AttachRolePolicy": change.newRoles * change.managedPoliciesPerRole,
  };
  const byOperation = add(add(add({}, rb), writes), ra);
  return {
    byOperation,
    requests: sum(byOperation),
    derivation: [
      classicReadDerivation("plan before", before, rb),
      `writes: ${sum(writes)} = ${change.newSamlProviders} CreateSAMLProvider + ${change.newRoles} CreateRole (trust, tags, boundary, max session in one call) + ${writes["iam:AttachRolePolicy"]} AttachRolePolicy`,
      classicReadDerivation("fresh read after", after, ra),
    ],
  };
}
