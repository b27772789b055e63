/**
 * Which managed policies this plan makes AWS use where, so that `plan` can look them up
 * before anything is written (the mode reads them, src/providers/aws/iam-policies.ts):
 *
 * - classic-iam: a role that attaches a managed policy or permissions boundary it did
 *   not have fails at AttachRolePolicy / PutRolePermissionsBoundary when the policy does
 *   not exist in the role's account — after the SAML provider, the authentik side and
 *   the role itself were written. (A policy ARN of another account, which IAM can never
 *   attach, is refused earlier, at validate: src/config/rules/partitions.ts.)
 * - identity-center: a permission set's customer-managed policies and boundary are
 *   references by name, resolved in each account the permission set is provisioned to;
 *   provisioning fails in every account that lacks one (after the permission set and
 *   assignments were written). A permission set this plan creates or changes is
 *   provisioned to all the accounts it is assigned in; an assignment this plan creates
 *   provisions it to its account.
 *
 * Only what this plan attaches or provisions is looked up: what is attached already was
 * found by AWS when it was attached, and a plan with no such change reads nothing.
 * Pure: the plan's changes and the desired state in, the lookups out.
 */
import type { ResolvedConfig } from "../config/model.js";
import type { PolicyLookupResult } from "../domain/aws-iam.js";
import type { Change, DesiredResource, PlanProblem } from "../domain/plan-types.js";

/** One policy to look up in one account, and what needs it there. */
export interface PolicyLookup {
  accountId: string;
  /** "dev (222222222222)": how messages name the account. */
  accountLabel: string;
  arn: string;
  /** What AWS would call it: "managed policy arn:aws:iam::aws:policy/ReadOnlyAccess", "customer-managed policy /team/DataAccess". */
  what: string;
  /** What needs it: "role admin (managedPolicies)", "permission set DataEngineer (permissionsBoundary)". */
  users: string[];
  /** The plan addresses that would fail without it. */
  addresses: string[];
}

type Boundary = { managedPolicyArn: string } | { customerManagedPolicy: { name: string; path: string } } | null;

/** The account of an IAM policy ARN ("aws" for AWS-managed), and its partition. */
export function policyArnAccount(arn: string): { partition: string; account: string } | undefined {
  const m = /^arn:([\w-]+):iam::(aws|\d{12}):policy\//.exec(arn);
  return m ? { partition: m[1]!, account: m[2]! } : undefined;
}

function add(into: Map<string, PolicyLookup>, lookup: Omit<PolicyLookup, "users" | "addresses">, user: string, address: string): void {
  const key = `${lookup.accountId} ${lookup.arn}`;
  const found = into.get(key);
  if (found) {
    if (!found.users.includes(user)) found.users.push(user);
    if (!found.addresses.includes(address)) found.addresses.push(address);
  } else into.set(key, { ...lookup, users: [user], addresses: [address] });
}

const upserts = (changes: readonly Change[]) => changes.filter((c) => c.after !== null && c.action !== "delete");

export function classicPolicyLookups(config: ResolvedConfig, changes: readonly Change[]): PolicyLookup[] {
  const accounts = new Map(config.aws.accounts.map((a) => [a.alias, a]));
  const lookups = new Map<string, PolicyLookup>();
  for (const c of upserts(changes).filter((c) => c.type === "aws.iam.role")) {
    const account = accounts.get(c.account ?? "");
    if (!account) continue;
    const label = `${account.alias} (${account.id})`;
    const role = String(c.after!.name);
    const before = new Set((c.before?.managed_policies as string[] | undefined) ?? []);
    const attached = ((c.after!.managed_policies as string[] | undefined) ?? []).filter((arn) => !before.has(arn)).map((arn) => ({ arn, field: "managedPolicies" }));
    const boundary = c.after!.permissions_boundary as string | null;
    if (boundary && boundary !== c.before?.permissions_boundary) attached.push({ arn: boundary, field: "permissionsBoundary" });
    for (const { arn, field } of attached) {
      const owner = policyArnAccount(arn);
      add(lookups, { accountId: account.id, accountLabel: label, arn, what: `${owner?.account === "aws" ? "AWS-managed" : "customer-managed"} policy ${arn}` }, `role ${role} (${field})`, c.address);
    }
  }
  return [...lookups.values()];
}

export function identityCenterPolicyLookups(changes: readonly Change[], desired: readonly DesiredResource[], partition = "aws"): PolicyLookup[] {
  const lookups = new Map<string, PolicyLookup>();
  const permissionSets = new Map(desired.filter((d) => d.type === "aws.sso.permission_set").map((d) => [d.address, d]));
  const assignments = desired.filter((d) => d.type === "aws.sso.account_assignment");
  const changed = new Map(upserts(changes).map((c) => [c.address, c]));
  // (permission set address, account id) → the change that provisions it there.
  const provisioned = new Map<string, { ps: string; accountId: string; accountLabel: string; address: string }>();
  for (const a of assignments) {
    const ps = (a.props.permission_set as { $ref: string }).$ref;
    const accountId = String(a.props.account_id);
    const accountLabel = a.account && a.account !== accountId ? `${a.account} (${accountId})` : accountId;
    const psChange = changed.get(ps);
    const psChanges = psChange !== undefined && (psChange.action !== "adopt" || psChange.fields.length > 0);
    const by = changed.has(a.address) ? a.address : psChanges ? ps : undefined;
    if (by) provisioned.set(`${ps} ${accountId}`, { ps, accountId, accountLabel, address: by });
  }
  for (const { ps, accountId, accountLabel, address } of provisioned.values()) {
    const set = permissionSets.get(ps);
    if (!set) continue;
    const name = String(set.props.name);
    const refs = ((set.props.customer_managed_policies as { name: string; path: string }[] | undefined) ?? []).map((r) => ({ ...r, field: "customerManagedPolicies" }));
    const boundary = set.props.permissions_boundary as Boundary;
    if (boundary && "customerManagedPolicy" in boundary) refs.push({ ...boundary.customerManagedPolicy, field: "permissionsBoundary" });
    for (const ref of refs) {
      const arn = `arn:${partition}:iam::${accountId}:policy${ref.path}${ref.name}`;
      add(lookups, { accountId, accountLabel, arn, what: `customer-managed policy ${ref.path}${ref.name}` }, `permission set ${name} (${ref.field})`, address);
    }
  }
  return [...lookups.values()];
}


/**
 * The plan's problems (a policy missing where it is needed) and warnings (a lookup the
 * credentials could not make), one line per account and policy.
 */
export function preflightFindings(lookups: readonly PolicyLookup[], results: ReadonlyMap<PolicyLookup, PolicyLookupResult>, consequence: (l: PolicyLookup) => string): { problems: PlanProblem[]; warnings: string[] } {
  const problems: PlanProblem[] = [];
  const unknown = new Map<string, PolicyLookup[]>();
  for (const l of lookups) {
    const r = results.get(l);
    if (!r) continue;
    if ("unknown" in r) {
      const list = unknown.get(r.unknown) ?? [];
      list.push(l);
      unknown.set(r.unknown, list);
    } else if (!r.found) {
      problems.push({ address: l.addresses[0]!, message: `${l.what} does not exist in account ${l.accountLabel}, and ${l.users.join(", ")} needs it there: ${consequence(l)}` });
    }
  }
  const warnings = [...unknown.entries()].map(
    ([why, list]) =>
      `not checked whether ${list.length === 1 ? "this policy exists" : `these ${list.length} policies exist`} where this plan needs ${list.length === 1 ? "it" : "them"} (${why}): ${list.map((l) => `${l.what} in ${l.accountLabel}`).join("; ")}`,
  );
  return { problems, warnings };
}
