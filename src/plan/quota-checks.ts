/**
 * AWS's adjustable quotas against what the accounts hold now plus what this plan
 * creates, so that `plan` fails instead of an apply that stops at the 1,001st role with
 * the SAML provider, authentik's side and the first roles already written. Validation
 * warns offline when the file alone exceeds a default (src/config/rules/limits.ts); only
 * the plan knows what else the accounts hold and what their quotas were raised to.
 *
 * Pure: which counts a plan needs (so that a plan creating nothing reads nothing), and
 * what the counts and quotas read say. The quota values come from AWS where it offers
 * them — IAM's GetAccountSummary, Service Quotas for IAM Identity Center — and fall
 * back to AWS's published default, which the plan then says it used.
 */
import type { ResolvedConfig } from "../config/model.js";
import { AWS_QUOTAS, type AdjustableQuota, type IamSummary, type QuotaValue } from "../domain/aws-quotas.js";
import type { Change, DesiredResource, LiveResource, PlanProblem } from "../domain/plan-types.js";


const upserts = (changes: readonly Change[]) => changes.filter((c) => c.after !== null && c.action !== "delete");

function over(quota: AdjustableQuota, value: QuotaValue, what: string, count: string): string {
  return `${what} ${count}, over the quota "${quota.name}" of ${value.value} (${value.fallback ? `AWS's default, used because ${value.fallback}` : value.source}); ask AWS to raise it (Service Quotas) before applying, or plan fewer`;
}

/** The default stands in for a quota: said once per quota and place. */
export function fallbackWarning(quota: AdjustableQuota, where: string, value: QuotaValue): string | undefined {
  return value.fallback ? `quota "${quota.name}" ${where}: ${value.fallback}; checked against AWS's default of ${value.value} — if it was raised for you, that is what counts` : undefined;
}

// --- classic-iam: roles per account, managed policies per role ---------------------------------

export interface ClassicQuotaNeed {
  accountId: string;
  accountLabel: string;
  /** Roles this plan creates in the account. */
  rolesCreated: number;
  /** Roles this plan writes that attach more managed policies than IAM's default allows. */
  manyPolicies: { role: string; address: string; count: number }[];
}

/** The accounts whose IAM summary this plan needs: those where it creates roles, or attaches more than the default per role. */
export function classicQuotaNeeds(config: ResolvedConfig, changes: readonly Change[]): ClassicQuotaNeed[] {
  const accounts = new Map(config.aws.accounts.map((a) => [a.alias, a]));
  const needs = new Map<string, ClassicQuotaNeed>();
  const need = (alias: string) => {
    const a = accounts.get(alias)!;
    let n = needs.get(a.id);
    if (!n) needs.set(a.id, (n = { accountId: a.id, accountLabel: `${a.alias} (${a.id})`, rolesCreated: 0, manyPolicies: [] }));
    return n;
  };
  for (const c of upserts(changes).filter((c) => c.type === "aws.iam.role" && accounts.has(c.account ?? ""))) {
    if (c.action === "create") need(c.account!).rolesCreated += 1;
    const count = ((c.after!.managed_policies as unknown[] | undefined) ?? []).length;
    if (count > AWS_QUOTAS.managedPoliciesPerRole.default) need(c.account!).manyPolicies.push({ role: String(c.after!.name), address: c.address, count });
  }
  return [...needs.values()];
}


export function classicQuotaFindings(needs: readonly ClassicQuotaNeed[], summaries: ReadonlyMap<string, IamSummary>): { problems: PlanProblem[]; warnings: string[] } {
  const problems: PlanProblem[] = [];
  const warnings = new Set<string>();
  for (const n of needs) {
    const s = summaries.get(n.accountId);
    if (!s) continue;
    if (n.rolesCreated > 0) {
      if (s.roles + n.rolesCreated > s.rolesQuota.value) {
        problems.push({ message: over(AWS_QUOTAS.rolesPerAccount, s.rolesQuota, `account ${n.accountLabel} holds ${s.roles} roles and this plan creates ${n.rolesCreated}:`, `${s.roles + n.rolesCreated} in all`) });
      }
      const w = fallbackWarning(AWS_QUOTAS.rolesPerAccount, `in account ${n.accountLabel}`, s.rolesQuota);
      if (w) warnings.add(w);
    }
    for (const r of n.manyPolicies) {
      if (r.count > s.policiesPerRoleQuota.value) {
        problems.push({ address: r.address, message: over(AWS_QUOTAS.managedPoliciesPerRole, s.policiesPerRoleQuota, `role ${r.role} in account ${n.accountLabel} attaches`, `${r.count} managed policies`) });
      }
      const w = fallbackWarning(AWS_QUOTAS.managedPoliciesPerRole, `in account ${n.accountLabel}`, s.policiesPerRoleQuota);
      if (w) warnings.add(w);
    }
  }
  return { problems, warnings: [...warnings] };
}

// --- identity-center: permission sets per instance, provisioned per account ----------------------

export interface IdentityCenterQuotaNeeds {
  /** Permission sets this plan creates. */
  permissionSetsCreated: number;
  /** Accounts this plan assigns permission sets in: the permission sets it assigns there (by address). */
  accounts: { accountId: string; accountLabel: string; permissionSets: string[] }[];
}

export function identityCenterQuotaNeeds(changes: readonly Change[], desired: readonly DesiredResource[], live: readonly LiveResource[]): IdentityCenterQuotaNeeds {
  // A permission set assigned in an account (by this configuration) is provisioned there already.
  const provisioned = new Set(
    live.filter((r) => r.type === "aws.sso.account_assignment").map((r) => `${String(r.props.account_id)} ${(r.props.permission_set as { $ref?: string } | undefined)?.$ref ?? ""}`),
  );
  const created = upserts(changes);
  const permissionSetsCreated = created.filter((c) => c.type === "aws.sso.permission_set" && c.action === "create").length;
  const assigned = new Set(created.filter((c) => c.type === "aws.sso.account_assignment" && c.action === "create").map((c) => c.address));
  const accounts = new Map<string, { accountId: string; accountLabel: string; permissionSets: Set<string> }>();
  for (const a of desired.filter((d) => d.type === "aws.sso.account_assignment" && assigned.has(d.address))) {
    const accountId = String(a.props.account_id);
    let entry = accounts.get(accountId);
    if (!entry) accounts.set(accountId, (entry = { accountId, accountLabel: a.account && a.account !== accountId ? `${a.account} (${accountId})` : accountId, permissionSets: new Set() }));
    const ps = (a.props.permission_set as { $ref: string }).$ref;
    if (!provisioned.has(`${accountId} ${ps}`)) entry.permissionSets.add(ps);
  }
  return { permissionSetsCreated, accounts: [...accounts.values()].filter((a) => a.permissionSets.size > 0).map((a) => ({ ...a, permissionSets: [...a.permissionSets].sort() })) };
}

export interface IdentityCenterCounts {
  /** Permission sets in the instance now, anyone's. */
  permissionSets: number;
  perInstanceQuota: QuotaValue;
  perAccountQuota: QuotaValue;
  /** Account id → the ARNs of the permission sets provisioned to it now. */
  provisioned: ReadonlyMap<string, ReadonlySet<string>>;
  /** Permission set address → its ARN, for those that exist. */
  arns: ReadonlyMap<string, string>;
}

export function identityCenterQuotaFindings(needs: IdentityCenterQuotaNeeds, counts: IdentityCenterCounts): { problems: PlanProblem[]; warnings: string[] } {
  const problems: PlanProblem[] = [];
  const warnings: string[] = [];
  if (needs.permissionSetsCreated > 0) {
    const total = counts.permissionSets + needs.permissionSetsCreated;
    if (total > counts.perInstanceQuota.value) {
      problems.push({ message: over(AWS_QUOTAS.permissionSetsPerInstance, counts.perInstanceQuota, `the IAM Identity Center instance holds ${counts.permissionSets} permission sets and this plan creates ${needs.permissionSetsCreated}:`, `${total} in all`) });
    }
    const w = fallbackWarning(AWS_QUOTAS.permissionSetsPerInstance, "of the IAM Identity Center instance", counts.perInstanceQuota);
    if (w) warnings.push(w);
  }
  let checkedAccounts = false;
  for (const a of needs.accounts) {
    const now = counts.provisioned.get(a.accountId);
    if (!now) continue;
    checkedAccounts = true;
    // A permission set assigned there already is provisioned there already: only the others are new.
    const added = a.permissionSets.filter((ps) => {
      const arn = counts.arns.get(ps);
      return arn === undefined || !now.has(arn);
    });
    if (now.size + added.length > counts.perAccountQuota.value) {
      problems.push({
        message: over(AWS_QUOTAS.provisionedPermissionSetsPerAccount, counts.perAccountQuota, `account ${a.accountLabel} has ${now.size} permission sets provisioned and this plan adds ${added.length}:`, `${now.size + added.length} in all`),
      });
    }
  }
  if (checkedAccounts) {
    const w = fallbackWarning(AWS_QUOTAS.provisionedPermissionSetsPerAccount, "of each account", counts.perAccountQuota);
    if (w) warnings.push(w);
  }
  return { problems, warnings };
}
