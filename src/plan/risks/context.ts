import type { ResolvedConfig, ResolvedReview } from "../../config/model.js";
import type { GrantFacts } from "../../resources/kind.js";
import { kindOf } from "../../resources/registry.js";
import { byCodePoint } from "../../domain/canonical.js";
import { policyName } from "../permissions.js";
import { policyRows, type PolicyRow } from "../policy-diff.js";
import { withoutRenamed } from "../renames.js";
import type { AccessRow, ActionChange, Change, DesiredResource, PermissionRow, Plan, Props, Risk, Severity } from "../../domain/plan-types.js";

/**
 * What every review rule gets (one file per rule or family in this folder, run in order by
 * assessRisks in ../risks.ts): the plan, the desired state and the config, what they share
 * (the grants as they will be, the change addresses behind each access row), and one place
 * to report findings. Messages carry counts of people, never names.
 */
export interface RiskInput {
  plan: Plan;
  config: ResolvedConfig;
  desired: readonly DesiredResource[];
  /** The access row a binding or assignment change grants or takes (mode-specific, as for computePlan). */
  accessOfChange: (change: Change) => Omit<AccessRow, "change" | "people"> | undefined;
}

/** A grant's policies as they will be: managed ones by name, inline ones as rows. */
export interface GrantPolicies {
  managed: string[];
  rows: PolicyRow[];
  address: string;
}

export interface RiskContext {
  /** The plan without what a rename only re-creates: that raises no risk of its own (renames.ts). */
  readonly plan: Plan;
  readonly config: ResolvedConfig;
  readonly desired: readonly DesiredResource[];
  readonly accessOfChange: RiskInput["accessOfChange"];
  /** The rules' settings (review.risks, or the defaults). */
  readonly rules: ResolvedReview["risks"];
  /** Aliases of the accounts marked production. */
  readonly production: ReadonlySet<string>;
  /** The access rows gained, applications' sign-in left out. */
  readonly gained: readonly AccessRow[];
  readonly permissions: readonly PermissionRow[];
  /** A finding; one with the rule and message of an earlier one adds its addresses to it. */
  add(rule: string, severity: Severity, message: string, addresses: string[]): void;
  /** A role's policies (by name and account) or a permission set's (by name) as they will be. */
  grantOf(grant: string, account: string): GrantPolicies | undefined;
  /** The addresses of the changes that grant or take an access row. */
  rowAddresses(row: AccessRow): string[];
}

/** One review rule (or a family of them): reads the context, reports through `add`. */
export type RiskRule = (ctx: RiskContext) => void;

/** Where a grant's policies are kept: a role by name and account, a permission set by name. */
function grantKey(grant: GrantFacts<any>, name: string, account: string | undefined): string {
  return grant.scope === "account" ? `${name}\u0000${account ?? ""}` : name;
}

function grantPoliciesOf(props: Props, address: string): GrantPolicies {
  const docs: unknown[] = [];
  if (props.inline_policies && typeof props.inline_policies === "object") docs.push(...Object.values(props.inline_policies as Record<string, unknown>));
  if (props.inline_policy) docs.push(props.inline_policy);
  const managed = (Array.isArray(props.managed_policies) ? props.managed_policies : []).map((p) => policyName(String(p)));
  return { managed, rows: docs.flatMap((d) => policyRows(d)), address };
}

/** The context of one assessment, and the findings it collects (by rule and message). */
export function createRiskContext(input: RiskInput, review: ResolvedReview): { ctx: RiskContext; findings: () => Risk[] } {
  const plan = withoutRenamed(input.plan);
  const out = new Map<string, Risk>();
  const add = (rule: string, severity: Severity, message: string, addresses: string[]) => {
    const key = `${rule}\u0000${message}`;
    const existing = out.get(key);
    if (existing) existing.addresses = [...new Set([...existing.addresses, ...addresses])].sort(byCodePoint);
    else out.set(key, { rule, severity, message, addresses: [...new Set(addresses)].sort(byCodePoint) });
  };

  // The grants as they will be: roles by (name, account), permission sets by name.
  const grants = new Map<string, GrantPolicies>();
  for (const d of input.desired) {
    const grant = kindOf(d.type).grant;
    if (grant) grants.set(grantKey(grant, grant.name(d.props), d.account), grantPoliciesOf(d.props, d.address));
  }

  // Which change addresses grant or take each access row.
  const rowKey = (r: Omit<AccessRow, "change" | "people">) => `${r.kind ?? ""}\u0000${r.group}\u0000${r.grant}\u0000${r.accountId}`;
  const addressesOf = new Map<string, string[]>();
  for (const c of plan.changes) {
    const row = input.accessOfChange(c);
    if (!row) continue;
    const k = rowKey(row);
    addressesOf.set(k, [...(addressesOf.get(k) ?? []), c.address]);
  }

  const ctx: RiskContext = {
    plan,
    config: input.config,
    desired: input.desired,
    accessOfChange: input.accessOfChange,
    rules: review.risks,
    production: new Set(review.productionAccounts),
    gained: plan.access.filter((r) => r.change === "gained" && r.kind !== "application"),
    permissions: plan.permissions ?? [],
    add,
    grantOf: (grant, account) => grants.get(`${grant}\u0000${account}`) ?? grants.get(grant),
    rowAddresses: (r) => addressesOf.get(rowKey(r)) ?? [],
  };
  return { ctx, findings: () => [...out.values()] };
}

/** " (40 people)" after a group, or nothing when people are not counted. */
export const peopleText = (n: number | undefined) => (n === undefined ? "" : ` (${n} ${n === 1 ? "person" : "people"})`);

/** The accounts of a permission row: one alias (a role), or those a permission set is assigned in. */
export const permAccounts = (p: PermissionRow) => p.account.split(", ").filter((a) => a !== "");

/** How a permission row's grant is named in a finding: " in dev" (or " (assigned in dev, prod)") and " held by 5 people". */
export function grantWords(p: PermissionRow): { where: string; held: string } {
  return {
    held: p.people && p.people.count > 0 ? ` held by ${p.people.count} ${p.people.count === 1 ? "person" : "people"}` : "",
    where: p.accountId ? ` in ${p.account}` : p.account ? ` (assigned in ${p.account})` : "",
  };
}

/** What a permission row newly allows, statement by statement (src/plan/action-expansion.ts). */
export const newlyAllowed = (p: PermissionRow): ActionChange[] => (p.actions ?? []).filter((a) => a.change === "allows");

/** A quoted statement as a finding shows it: at most 300 characters. */
const clip = (statement: string) => (statement.length > 300 ? `${statement.slice(0, 299)}…` : statement);

/** The statement behind a finding: the one allowing the most actions of those that trigger it. */
export function quote(triggers: readonly ActionChange[]): string {
  const a = [...triggers].sort((x, y) => y.actions - x.actions)[0];
  return a ? `: ${a.source} ${clip(a.statement)}` : "";
}
