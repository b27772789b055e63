import type { ResolvedConfig, ResolvedReview } from "../config/model.js";
import { formatDuration } from "../config/durations.js";
import type { GrantFacts } from "../resources/kind.js";
import { kindOf } from "../resources/registry.js";
import { byCodePoint } from "../domain/canonical.js";
import { policyName } from "./permissions.js";
import { policyRows, type PolicyRow } from "./policy-diff.js";
import { withoutRenamed } from "./renames.js";
import type { AccessRow, ActionChange, Change, DesiredResource, PermissionRow, Plan, Props, Risk, Severity } from "../domain/plan-types.js";

/**
 * The built-in review rules (and the configuration's own), each naming the
 * changes that trigger it. Pure: the plan, the desired state and the config in,
 * findings out. Messages carry counts of people, never names.
 */
export interface RiskInput {
  plan: Plan;
  config: ResolvedConfig;
  desired: readonly DesiredResource[];
  /** The access row a binding or assignment change grants or takes (mode-specific, as for computePlan). */
  accessOfChange: (change: Change) => Omit<AccessRow, "change" | "people"> | undefined;
}

export const SEVERITY_ORDER: Severity[] = ["high", "medium", "low"];
export const severityRank = (s: Severity | "none"): number => (s === "none" ? 3 : SEVERITY_ORDER.indexOf(s));

/** The highest severity among the findings, or "none". */
export function highestRisk(risks: readonly Risk[] | undefined): Severity | "none" {
  let best: Severity | "none" = "none";
  for (const r of risks ?? []) if (severityRank(r.severity) < severityRank(best)) best = r.severity;
  return best;
}

export const DEFAULT_REVIEW: ResolvedReview = {
  people: "names",
  expiryWarningDays: 14,
  certificateWarningDays: 30,
  productionAccounts: [],
  risks: {
    adminEquivalent: { enabled: true },
    production: { enabled: true },
    everyAccount: { enabled: true },
    largeGroup: { enabled: true, threshold: 25 },
    longSession: { enabled: true, thresholdSeconds: 8 * 3600 },
    identityProviderRemoved: { enabled: true },
    sessionTagsChanged: { enabled: true },
    grantInUseRemoved: { enabled: true },
    custom: [],
  },
};

const ADMIN_POLICIES = new Set(["AdministratorAccess", "IAMFullAccess"]);

/** Whether an Allow row is admin-equivalent: `*`, `iam:*`, `iam:PassRole` on `*`, or an Allow of everything except a few actions. */
export function adminEquivalentRow(r: PolicyRow): boolean {
  if (r.effect !== "Allow") return false;
  if (r.notAction) return r.resource === "*" || r.notResource === true;
  if (r.notResource) return r.action === "*" || r.action === "iam:*";
  const action = r.action.toLowerCase();
  return action === "*" || action === "iam:*" || (action === "iam:passrole" && r.resource === "*") || (action === "iam:pass*" && r.resource === "*");
}

interface GrantPolicies {
  managed: string[];
  rows: PolicyRow[];
  address: string;
}

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

/** A quoted statement as a finding shows it: at most 300 characters. */
const clip = (statement: string) => (statement.length > 300 ? `${statement.slice(0, 299)}…` : statement);

const peopleText = (n: number | undefined) => (n === undefined ? "" : ` (${n} ${n === 1 ? "person" : "people"})`);

/** Whether a quoted statement (normalized JSON) has a Condition. */
function hasCondition(statement: string): boolean {
  try {
    const parsed = JSON.parse(statement) as Record<string, unknown>;
    return parsed.Condition !== undefined && Object.keys(parsed.Condition as object).length > 0;
  } catch {
    // Cut at 2,000 characters: look for the key itself.
    return /"Condition":\{"/.test(statement);
  }
}

export function assessRisks(input: RiskInput): Risk[] {
  const { config } = input;
  // What a rename only re-creates raises no risk of its own (renames.ts).
  const plan = withoutRenamed(input.plan);
  const review = config.review ?? DEFAULT_REVIEW;
  const rules = review.risks;
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
  const grantOf = (grant: string, account: string) => grants.get(`${grant}\u0000${account}`) ?? grants.get(grant);
  const isAdmin = (g: GrantPolicies | undefined) => g !== undefined && (g.managed.some((m) => ADMIN_POLICIES.has(m)) || g.rows.some(adminEquivalentRow));
  const adminWhy = (g: GrantPolicies) => [...g.managed.filter((m) => ADMIN_POLICIES.has(m)), ...(g.rows.some(adminEquivalentRow) ? ["an Allow of " + [...new Set(g.rows.filter(adminEquivalentRow).map((r) => (r.notAction ? `everything but ${r.action}` : r.action)))].join(", ")] : [])].join(", ");

  // Which change addresses grant or take each access row.
  const rowKey = (r: Omit<AccessRow, "change" | "people">) => `${r.kind ?? ""}\u0000${r.group}\u0000${r.grant}\u0000${r.accountId}`;
  const addressesOf = new Map<string, string[]>();
  for (const c of plan.changes) {
    const row = input.accessOfChange(c);
    if (!row) continue;
    const k = rowKey(row);
    addressesOf.set(k, [...(addressesOf.get(k) ?? []), c.address]);
  }
  const rowAddresses = (r: AccessRow) => addressesOf.get(rowKey(r)) ?? [];
  const production = new Set(review.productionAccounts);
  const gained = plan.access.filter((r) => r.change === "gained" && r.kind !== "application");
  const permissions: PermissionRow[] = plan.permissions ?? [];
  const permAccounts = (p: PermissionRow) => p.account.split(", ").filter((a) => a !== "");

  for (const r of gained) {
    const g = grantOf(r.grant, r.account);
    const admin = isAdmin(g);
    const who = `group ${r.group}${peopleText(r.people?.count)}`;
    if (admin && rules.adminEquivalent.enabled) {
      // The why only when it says more than the name (a permission set called AdministratorAccess carries AdministratorAccess).
      const why = adminWhy(g!);
      add("admin-equivalent", rules.adminEquivalent.severity ?? "high", `${who} gains admin-equivalent ${r.grant}${why === r.grant ? "" : ` (${why})`} in ${r.account}`, rowAddresses(r));
    }
    if (production.has(r.account) && rules.production.enabled) {
      add("production", rules.production.severity ?? (admin ? "high" : "medium"), `${who} gains ${r.grant} in production account ${r.account}`, rowAddresses(r));
    }
    if (r.people && r.people.count > rules.largeGroup.threshold && rules.largeGroup.enabled) {
      add("large-group", rules.largeGroup.severity ?? "medium", `${who} gains ${r.grant} in ${r.account}: more than ${rules.largeGroup.threshold} people`, rowAddresses(r));
    }
  }

  for (const p of permissions) {
    const adminManaged = p.managedPoliciesAdded.filter((m) => ADMIN_POLICIES.has(m));
    const adminRows = p.added.filter(adminEquivalentRow);
    const admin = adminManaged.length > 0 || adminRows.length > 0;
    const held = p.people && p.people.count > 0 ? ` held by ${p.people.count} ${p.people.count === 1 ? "person" : "people"}` : "";
    const where = p.accountId ? ` in ${p.account}` : p.account ? ` (assigned in ${p.account})` : "";
    const allows = (p.actions ?? []).filter((a) => a.change === "allows");
    // The statement behind a finding: the one allowing the most actions of those that trigger it.
    const quote = (triggers: readonly ActionChange[]) => {
      const a = [...triggers].sort((x, y) => y.actions - x.actions)[0];
      return a ? `: ${a.source} ${clip(a.statement)}` : "";
    };
    if (admin && rules.adminEquivalent.enabled) {
      const what = [...adminManaged, ...adminRows.map((r) => `an Allow of ${r.notAction ? `everything but ${r.action}` : r.action} on ${r.resource}`)].join(", ");
      add("admin-equivalent", rules.adminEquivalent.severity ?? "high", `${p.new ? "new " : ""}${p.grant}${where}${held} ${p.new ? "carries" : "gains"} ${what}${quote(allows.filter((a) => a.escalation || a.writeOnEveryResource))}`, [p.address]);
    }
    // What the change newly allows, in actions (src/plan/action-expansion.ts): admin-equivalent says it already when it fires.
    if (!(admin && rules.adminEquivalent.enabled)) {
      // One finding per rule and grant, however many statements trigger it: the statement
      // allowing the most is quoted, the others counted.
      const others = (n: number) => (n > 1 ? ` (and ${n - 1} more statement${n === 2 ? "" : "s"})` : "");
      const escalating = allows.filter((a) => a.escalation);
      if (escalating.length > 0) {
        const actions = [...new Set(escalating.flatMap((a) => a.escalation!))].sort();
        add("privilege-escalation", "high", `${p.grant}${where}${held} newly allows ${actions.join(", ")}, which let whoever holds it give themselves more${quote(escalating)}${others(escalating.length)}`, [p.address]);
      }
      // A statement with a Condition may be narrower than "every resource" says (ReadOnlyAccess
      // allows s3express:CreateSession only for read-only sessions), or not at all
      // (aws:SecureTransport): raised one severity lower, saying so, never dropped.
      const unconditional = allows.filter((a) => a.writeOnEveryResource && !hasCondition(a.statement));
      const conditional = unconditional.length === 0;
      const writing = conditional ? allows.filter((a) => a.writeOnEveryResource) : unconditional;
      if (writing.length > 0) {
        const inProduction = permAccounts(p).some((acc) => production.has(acc));
        const severity: Severity = conditional ? (inProduction ? "medium" : "low") : inProduction ? "high" : "medium";
        const topStatement = [...writing].sort((x, y) => y.writeOnEveryResource!.actions - x.writeOnEveryResource!.actions)[0]!;
        const top = topStatement.writeOnEveryResource!;
        const examples = top.examples.slice(0, 3);
        const most = top.actions;
        add(
          "write-on-every-resource",
          severity,
          `${p.grant}${where}${held} newly allows ${most} write or permissions-management action${most === 1 ? "" : "s"} on every resource${inProduction ? " in production" : ""}${conditional ? " under a condition" : ""} (${examples.join(", ")}${top.actions > examples.length ? ", …" : ""})${quote([topStatement])}${others(writing.length)}`,
          [p.address],
        );
      }
    }
    if (p.change === "narrowed") continue;
    if (!p.new && rules.production.enabled && permAccounts(p).some((a) => production.has(a))) {
      add("production", rules.production.severity ?? (admin ? "high" : "medium"), `${p.grant}${where}${held} is ${p.change} in production`, [p.address]);
    }
  }

  if (rules.everyAccount.enabled) {
    const all = config.aws.accounts.map((a) => a.alias);
    for (const m of config.mappings) {
      for (const grant of m.grants) {
        let targets: string[];
        if (config.mode === "classic-iam") {
          const role = config.roles.find((r) => r.name === grant);
          targets = m.accounts === "role-default" ? (role?.accounts ?? []) : m.accounts;
        } else targets = m.accounts === "role-default" ? [] : m.accounts;
        const everyAccount = all.length > 1 && all.every((a) => targets.includes(a));
        const rows = gained.filter((r) => r.group === m.group && r.grant === grant);
        if (rows.length === 0) continue;
        const addresses = rows.flatMap(rowAddresses);
        const severity = rules.everyAccount.severity ?? "medium";
        // The accounts by name, and one finding: an OU that covers them all says nothing more.
        if (everyAccount) add("every-account", severity, `group ${m.group}${peopleText(rows[0]!.people?.count)} gains ${grant} in every account: ${all.join(", ")}`, addresses);
        else for (const ou of m.organizationalUnits) add("every-account", severity, `group ${m.group}${peopleText(rows[0]!.people?.count)} gains ${grant} in every account of organizational unit ${ou}`, addresses);
      }
    }
  }

  if (rules.longSession.enabled) {
    const limit = rules.longSession.thresholdSeconds;
    for (const c of plan.changes) {
      if (c.action === "delete" || !c.after) continue;
      const changed = c.action === "create" || c.fields.some((f) => f.field === "max_session_duration" || f.field === "session_duration");
      if (!changed) continue;
      const seconds = kindOf(c.type).grant?.sessionSeconds(c.after);
      if (seconds !== undefined && Number.isFinite(seconds) && seconds > limit) {
        add("long-session", rules.longSession.severity ?? "low", `${c.title}: sessions of ${formatDuration(seconds)}, longer than ${formatDuration(limit)}`, [c.address]);
      }
    }
  }

  for (const c of plan.changes) {
    const kind = kindOf(c.type);
    const tags = kind.sessionTags?.(c);
    if (tags && rules.sessionTagsChanged.enabled) {
      add("session-tags-changed", rules.sessionTagsChanged.severity ?? "medium", `${tags}: permission set policies that test aws:PrincipalTag see other values`, [c.address]);
    }
    if (c.action !== "delete") continue;
    if (kind.identityProvider && rules.identityProviderRemoved.enabled) {
      add("identity-provider-removed", rules.identityProviderRemoved.severity ?? "high", `${c.title} is deleted: nobody can sign in through it`, [c.address]);
    }
    if (kind.grant && rules.grantInUseRemoved.enabled) {
      const name = kind.grant.name(c.before!);
      const scope = kind.grant.scope;
      const lost = plan.access.filter((r) => r.change === "lost" && r.grant === name && (scope === "assignments" || r.account === c.account));
      const people = lost.some((r) => r.people) ? new Set(lost.flatMap((r) => r.people?.names ?? [])).size || lost.reduce((n, r) => n + (r.people?.count ?? 0), 0) : undefined;
      if (lost.length > 0 && people !== 0) {
        add("grant-in-use-removed", rules.grantInUseRemoved.severity ?? "medium", `${c.title} is deleted while ${lost.length} group grant(s)${people === undefined ? "" : ` for ${people} people`} still use it`, [c.address, ...lost.flatMap(rowAddresses)]);
      }
    }
  }

  // Every grant of a role (in an account) or permission set removed while people use it,
  // the role itself kept: nobody can use it after the plan.
  if (rules.grantInUseRemoved.enabled) {
    const deleted = new Set(
      plan.changes.flatMap((c) => {
        const grant = kindOf(c.type).grant;
        return c.action === "delete" && grant ? [`${grant.name(c.before!)}\u0000${grant.scope === "account" ? (c.account ?? "") : ""}`] : [];
      }),
    );
    const heldAfter = new Set<string>();
    for (const d of input.desired) {
      const row = input.accessOfChange({ address: d.address, type: d.type, system: d.system, title: d.title, action: "create", reason: "", before: null, after: d.props, fields: [], dependsOn: [], ...(d.account ? { account: d.account } : {}) });
      if (row && row.kind !== "application") heldAfter.add(`${row.grant}\u0000${row.accountId}`);
    }
    const lostByGrant = new Map<string, AccessRow[]>();
    for (const r of plan.access) {
      if (r.change !== "lost" || r.kind === "application") continue;
      const k = `${r.grant}\u0000${r.accountId}`;
      if (heldAfter.has(k) || deleted.has(`${r.grant}\u0000${r.account}`) || deleted.has(`${r.grant}\u0000`)) continue;
      lostByGrant.set(k, [...(lostByGrant.get(k) ?? []), r]);
    }
    for (const rows of lostByGrant.values()) {
      const people = rows.some((r) => r.people) ? new Set(rows.flatMap((r) => r.people?.names ?? [])).size || rows.reduce((n, r) => n + (r.people?.count ?? 0), 0) : undefined;
      if (people === 0) continue;
      const r0 = rows[0]!;
      add(
        "grant-in-use-removed",
        rules.grantInUseRemoved.severity ?? "medium",
        `every grant of ${r0.grant} in ${r0.account} is removed (${rows.map((r) => r.group).join(", ")})${people === undefined ? "" : ` while ${people} ${people === 1 ? "person uses" : "people use"} it`}`,
        rows.flatMap(rowAddresses),
      );
    }
  }

  for (const rule of rules.custom) {
    const matchAccount = (accounts: string[]) => rule.accounts.length === 0 || accounts.some((a) => rule.accounts.includes(a));
    const matchPolicies = (managed: string[]) => rule.policies.length === 0 || managed.some((m) => rule.policies.includes(m));
    const matchActions = (rows: PolicyRow[]) => rule.actions.length === 0 || rows.some((r) => r.effect === "Allow" && rule.actions.includes(r.action));
    for (const r of gained) {
      const g = grantOf(r.grant, r.account);
      if (matchAccount([r.account]) && matchPolicies(g?.managed ?? []) && matchActions(g?.rows ?? [])) {
        add(rule.name, rule.severity, `${rule.message}: group ${r.group}${peopleText(r.people?.count)} gains ${r.grant} in ${r.account}`, rowAddresses(r));
      }
    }
    for (const p of permissions) {
      if (p.change === "narrowed") continue;
      const g = grantOf(p.grant, p.account);
      if (matchAccount(permAccounts(p)) && matchPolicies(rule.policies.length ? [...p.managedPoliciesAdded, ...(g?.managed ?? [])] : []) && matchActions(p.added)) {
        add(rule.name, rule.severity, `${rule.message}: ${p.grant}${p.accountId ? ` in ${p.account}` : ""} is ${p.new ? "created" : p.change}`, [p.address]);
      }
    }
  }

  return [...out.values()].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || byCodePoint(a.rule, b.rule) || byCodePoint(a.message, b.message));
}
