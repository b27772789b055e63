import { kindOf } from "../resources/registry.js";
import { byCodePoint } from "../domain/canonical.js";
import { classify, compareRows, diffPolicies, policyRows, type PolicyRow } from "./policy-diff.js";
import type { AccessRow, Change, PermissionRow, Props } from "../domain/plan-types.js";
import type { PlanInput } from "./plan-input.js";

/** The name a managed policy is known by: the ARN's last part. */
export function policyName(arn: string): string {
  return arn.split("/").pop() ?? arn;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : [];
}

function customerManaged(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((c) => {
    const ref = c as { name?: string; path?: string };
    return `${ref.path ?? "/"}${ref.name ?? ""}`;
  });
}

function boundaryText(v: unknown): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "string") return policyName(v);
  const b = v as { managedPolicyArn?: string; customerManagedPolicy?: { name?: string; path?: string } };
  if (b.managedPolicyArn) return policyName(b.managedPolicyArn);
  if (b.customerManagedPolicy) return `${b.customerManagedPolicy.path ?? "/"}${b.customerManagedPolicy.name ?? ""}`;
  return JSON.stringify(v);
}

/** Every inline statement of a role (all its inline policies) or permission set, as rows. */
function inlineRows(props: Props | null): PolicyRow[] {
  if (!props) return [];
  const docs: unknown[] = [];
  if (props.inline_policies && typeof props.inline_policies === "object") docs.push(...Object.values(props.inline_policies as Record<string, unknown>));
  if (props.inline_policy) docs.push(props.inline_policy);
  const rows = new Map<string, PolicyRow>();
  for (const d of docs) for (const r of policyRows(d)) rows.set(JSON.stringify(r), r);
  return [...rows.values()].sort(compareRows);
}

const minus = (a: string[], b: string[]) => [...new Set(a.filter((x) => !b.includes(x)))].sort(byCodePoint);

/** The permission difference of one role or permission set change; undefined when its permissions stay the same. */
export function permissionRow(change: Change, accountId: string, account: string): PermissionRow | undefined {
  if (!kindOf(change.type).grant) return undefined;
  if (change.action === "delete") return undefined; // lost access says it
  const before = change.action === "create" ? null : change.before;
  const after = change.after;
  const wrap = (rows: PolicyRow[]) => ({ Statement: rows.map((r) => ({ Effect: r.effect, [r.notAction ? "NotAction" : "Action"]: r.action, [r.notResource ? "NotResource" : "Resource"]: r.resource, ...(r.condition ? { Condition: r.condition } : {}) })) });
  const inline = diffPolicies(wrap(inlineRows(before)), wrap(inlineRows(after)));
  const mb = strings(before?.managed_policies).map(policyName);
  const ma = strings(after?.managed_policies).map(policyName);
  const cb = customerManaged(before?.customer_managed_policies);
  const ca = customerManaged(after?.customer_managed_policies);
  const bb = boundaryText(before?.permissions_boundary);
  const ba = boundaryText(after?.permissions_boundary);
  const row: PermissionRow = {
    grant: String(after?.name ?? before?.name ?? change.address),
    account,
    accountId,
    change: "changed",
    address: change.address,
    added: inline.added,
    removed: inline.removed,
    managedPoliciesAdded: minus(ma, mb),
    managedPoliciesRemoved: minus(mb, ma),
    customerManagedPoliciesAdded: minus(ca, cb),
    customerManagedPoliciesRemoved: minus(cb, ca),
  };
  if (bb !== ba && before) row.permissionsBoundary = { before: bb, after: ba };
  if (!before) {
    row.new = true;
    if (ba) row.permissionsBoundary = { before: null, after: ba };
  }
  const boundaryWider = row.permissionsBoundary !== undefined && row.permissionsBoundary.after === null;
  const boundaryNarrower = row.permissionsBoundary !== undefined && row.permissionsBoundary.before === null;
  const boundaryOther = row.permissionsBoundary !== undefined && !boundaryWider && !boundaryNarrower;
  const policy = classify(inline.added, inline.removed);
  const wider = policy === "widened" || policy === "both" || row.managedPoliciesAdded.length > 0 || row.customerManagedPoliciesAdded.length > 0 || boundaryWider;
  const narrower =
    policy === "narrowed" || policy === "both" || row.managedPoliciesRemoved.length > 0 || row.customerManagedPoliciesRemoved.length > 0 || (boundaryNarrower && !row.new);
  if (!wider && !narrower && !boundaryOther && !row.new) return undefined;
  row.change = row.new ? "widened" : boundaryOther || (wider && narrower) ? "changed" : wider ? "widened" : "narrowed";
  return row;
}

export function comparePermissionRows(a: PermissionRow, b: PermissionRow): number {
  return byCodePoint(a.grant, b.grant) || byCodePoint(a.account, b.account) || byCodePoint(a.accountId, b.accountId);
}

/** Roles and permission sets whose effective permissions this plan changes. */
export function permissionRows(input: PlanInput, changes: readonly Change[], later: ReadonlyMap<string, Omit<AccessRow, "change">>): PermissionRow[] {
  const rows: PermissionRow[] = [];
  for (const c of changes) {
    const grant = kindOf(c.type).grant;
    if (!grant) continue;
    let row: PermissionRow | undefined;
    if (grant.scope === "account") {
      // One object per account (an IAM role): its account is the change's.
      const alias = c.account ?? "";
      row = permissionRow(c, input.accountIds?.[alias] ?? "", alias);
    } else {
      // One object assigned in accounts (a permission set): where the plan leaves it assigned.
      const name = grant.name((c.after ?? c.before)!);
      const accounts = [...new Set([...later.values()].filter((r) => r.kind !== "application" && r.grant === name).map((r) => r.account))].sort(byCodePoint);
      row = permissionRow(c, "", accounts.join(", "));
    }
    if (row) rows.push(row);
  }
  return rows.sort(comparePermissionRows);
}
