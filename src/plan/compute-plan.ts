import { createPatch } from "diff";
import { comparePermissionRows, permissionRow } from "./permissions.js";
import { byCodePoint, canonicalJson, deepEqual, sha256 } from "./canonical.js";
import {
  isDeferred,
  isRef,
  type AccessRow,
  type Change,
  type DesiredResource,
  type FieldChange,
  type LiveResource,
  type People,
  type PermissionRow,
  type Plan,
  type Props,
  type ResourceType,
} from "./types.js";

/** A problem that makes a plan impossible (a collision with an unowned object, a missing group). */
export interface PlanProblem {
  address?: string;
  message: string;
}

export class PlanError extends Error {
  readonly problems: readonly PlanProblem[];
  constructor(problems: readonly PlanProblem[]) {
    super(problems.map((p) => (p.address ? `${p.address}: ${p.message}` : p.message)).join("\n"));
    this.name = "PlanError";
    this.problems = problems;
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
  /** Maps a grant-carrying resource (binding, assignment) to an access row; mode-specific. */
  accessOf: (resource: { type: ResourceType; props: Props }, side: "desired" | "live") => Omit<AccessRow, "change"> | undefined;
  /**
   * The key under which the target system enforces uniqueness (e.g. an IAM role
   * name, case-insensitively, per account): two objects with the same identity
   * but different addresses collide.
   */
  identityOf: (resource: { type: ResourceType; account?: string; props: Props }) => string | undefined;
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
}

const TYPE_ORDER: ResourceType[] = [
  "authentik.property_mapping",
  "authentik.saml_provider",
  "authentik.application",
  "authentik.entitlement",
  "authentik.policy_binding",
  "authentik.scim_mapping",
  "authentik.scim_provider",
  "aws.iam.saml_provider",
  "aws.iam.role",
  "aws.sso.permission_set",
  "aws.sso.account_assignment",
];

/** Fields whose values are maps compared entry by entry in the field diff. */
const MAP_FIELDS = new Set(["tags", "attributes", "inline_policies"]);

function refsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (isRef(value)) into.add(value.$ref);
  else if (Array.isArray(value)) value.forEach((v) => refsIn(v, into));
  else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => refsIn(v, into));
  return into;
}

function hasDeferred(value: unknown): boolean {
  if (isDeferred(value)) return true;
  if (Array.isArray(value)) return value.some(hasDeferred);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasDeferred);
  return false;
}

function isLong(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\n") || value.length > 100;
  return value !== null && typeof value === "object" && !isRef(value) && !isDeferred(value);
}

function textOf(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value.endsWith("\n") ? value : `${value}\n`;
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function fieldChanges(before: Props | null, after: Props | null): FieldChange[] {
  const out: FieldChange[] = [];
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  for (const key of keys) {
    const b = before?.[key];
    const a = after?.[key];
    if (deepEqual(b, a)) continue;
    const bothMaps =
      MAP_FIELDS.has(key) &&
      (b === undefined || (typeof b === "object" && b !== null && !Array.isArray(b))) &&
      (a === undefined || (typeof a === "object" && a !== null && !Array.isArray(a)));
    if (bothMaps && before && after) {
      for (const sub of fieldChanges((b ?? {}) as Props, (a ?? {}) as Props)) out.push({ ...sub, field: `${key}.${sub.field}` });
      continue;
    }
    const change: FieldChange = { field: key };
    if (b !== undefined) change.before = b;
    if (a !== undefined) change.after = a;
    if (before && after && (isLong(b) || isLong(a)) && !hasDeferred(a)) {
      change.patch = createPatch(key, textOf(b), textOf(a), "live", "desired", { context: 3 })
        .split("\n")
        .slice(2) // drop the "Index:" and "====" lines; the field name says which
        .join("\n")
        .trimEnd();
    }
    out.push(change);
  }
  return out;
}

function compareChanges(a: Change, b: Change): number {
  return TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || byCodePoint(a.address, b.address);
}

/** The hash a plan is known by: over the canonical JSON of its changes, never over rendered text. */
export function planHash(changes: readonly Change[]): string {
  return sha256(canonicalJson(changes));
}

/** The identifying part of a change, shared by every action. */
function changeHeader(r: DesiredResource | LiveResource): Pick<Change, "address" | "type" | "system" | "account" | "title"> {
  return { address: r.address, type: r.type, system: r.system, ...(r.account ? { account: r.account } : {}), title: r.title };
}

function missingReason(d: DesiredResource): string {
  if (d.type.startsWith("aws.sso.") && d.type !== "aws.sso.account_assignment") return "does not exist in IAM Identity Center";
  return d.system === "aws" && d.account ? `does not exist in account ${d.account}` : `does not exist in ${d.system}`;
}

/** desired × live → Plan. Pure: no I/O, same input, same plan, same hash. */
export function computePlan(input: PlanInput): Plan {
  const problems: PlanProblem[] = [...(input.problems ?? [])];
  // Systems that do not enforce uniqueness (authentik group bindings, AWS assignments)
  // can hold the same object twice. Each copy gets its own address, so extra owned
  // copies are pruned like any undeclared object instead of hiding behind the first.
  // Which copy keeps the plain address must not depend on list order: the one
  // matching the configuration first, then by id.
  const desiredProps = new Map(input.desired.map((d) => [d.address, d.props]));
  const copies = new Map<string, LiveResource[]>();
  for (const r of input.live) copies.set(r.address, [...(copies.get(r.address) ?? []), r]);
  const match = (r: LiveResource) => (deepEqual(r.props, desiredProps.get(r.address)) ? 0 : 1);
  const ordered = [...copies.values()].flatMap((group) => [...group].sort((a, b) => match(a) - match(b) || byCodePoint(a.id, b.id)));
  const seenAddresses = new Map<string, number>();
  const liveList: LiveResource[] = ordered.map((r) => {
    const n = (seenAddresses.get(r.address) ?? 0) + 1;
    seenAddresses.set(r.address, n);
    return n === 1 ? r : { ...r, address: `${r.address}#${n}`, title: `${r.title} (duplicate ${n})` };
  });
  const live = new Map(liveList.map((r) => [r.address, r]));
  const desired = new Map(input.desired.map((r) => [r.address, r]));
  const changes: Change[] = [];
  const notPruned: Plan["notPruned"] = [];

  // Live objects by identity, to find collisions under another address.
  const liveByIdentity = new Map<string, LiveResource[]>();
  for (const r of liveList) {
    const id = input.identityOf(r);
    if (id) liveByIdentity.set(id, [...(liveByIdentity.get(id) ?? []), r]);
  }

  const deletes = new Set<string>();
  for (const r of liveList) {
    if (!r.owned || desired.has(r.address)) continue;
    if (input.prune) deletes.add(r.address);
    else notPruned.push({ address: r.address, title: r.title });
  }

  for (const d of input.desired) {
    const l = live.get(d.address);
    const explicitDeps = [...refsIn(d.props), ...(d.dependsOn ?? [])];
    const identity = input.identityOf(d);
    const collisions = (identity ? (liveByIdentity.get(identity) ?? []) : []).filter((c) => c.address !== d.address);
    const waitFor: string[] = [];
    for (const c of collisions) {
      if (!c.owned) {
        problems.push({
          address: d.address,
          message: `${c.title} already exists and is not managed by authentik-aws-gitops (${c.ownership ?? "not owned"}); it is never adopted or overwritten. Rename it in the configuration, or remove or rename the existing object.`,
        });
      } else if (deletes.has(c.address)) {
        waitFor.push(c.address); // e.g. a role moving to a new path: delete the old one first
      } else {
        problems.push({
          address: d.address,
          message: `${c.title} (${c.address}) holds the same name and is no longer declared; plan with pruning on (--prune) to replace it`,
        });
      }
    }
    if (l && !l.owned) {
      problems.push({
        address: d.address,
        message: `${l.title} exists but is not managed by authentik-aws-gitops (${l.ownership ?? "not owned"}); it is never adopted or overwritten`,
      });
      continue;
    }
    if (!l) {
      changes.push({
        ...changeHeader(d),
        action: "create",
        reason: missingReason(d),
        before: null,
        after: d.props,
        fields: fieldChanges(null, d.props),
        dependsOn: [...new Set([...explicitDeps, ...waitFor])].sort(),
      });
      continue;
    }
    const fields = fieldChanges(l.props, d.props);
    if (l.adopting !== undefined) {
      // Taken over, never silently: listed even when nothing else differs.
      changes.push({
        ...changeHeader(d),
        action: "adopt",
        reason: `taken over (adopt: in the configuration): ${l.adopting}${fields.length ? `; live ${[...new Set(fields.map((f) => f.field.split(".")[0]!))].join(", ")} will change` : ""}`,
        before: l.props,
        after: d.props,
        fields,
        dependsOn: [...new Set(explicitDeps)].sort(),
        liveId: l.id,
      });
      continue;
    }
    if (fields.length === 0) continue;
    const changed = [...new Set(fields.map((f) => f.field.split(".")[0]!))];
    const deferredOnly = fields.every((f) => hasDeferred(f.after));
    changes.push({
      ...changeHeader(d),
      action: "update",
      reason: deferredOnly
        ? `${changed.join(", ")} will be refreshed from values known after apply`
        : `live ${changed.join(", ")} ${changed.length === 1 ? "differs" : "differ"} from the configuration`,
      before: l.props,
      after: d.props,
      fields,
      dependsOn: [...new Set(explicitDeps)].sort(),
      liveId: l.id,
    });
  }

  // Whatever still references a deleted object must go first. Indexed once (who refers
  // to whom among the deletes), so pruning 10,000 objects stays linear.
  const referrersOf = new Map<string, string[]>();
  for (const addr of deletes) {
    for (const target of refsIn(live.get(addr)!.props)) {
      if (target === addr || !deletes.has(target)) continue;
      const list = referrersOf.get(target);
      if (list) list.push(addr);
      else referrersOf.set(target, [addr]);
    }
  }
  for (const addr of deletes) {
    const l = live.get(addr)!;
    const referrers = [...(referrersOf.get(addr) ?? [])];
    changes.push({
      ...changeHeader(l),
      action: "delete",
      reason: "managed by authentik-aws-gitops and no longer declared (pruning is on)",
      before: l.props,
      after: null,
      fields: fieldChanges(l.props, null),
      dependsOn: referrers.sort(),
      liveId: l.id,
    });
  }

  if (problems.length > 0) throw new PlanError(problems);

  changes.sort(compareChanges);
  const { access, before, after, later } = accessDiff(input, desired, liveList, deletes);
  const permissions = permissionRows(input, changes, later);
  const people = peopleOf(input);
  if (people) {
    for (const row of access) row.people = people([row.group]);
    for (const row of permissions) {
      const groups = [...later.values()].filter((r) => r.kind !== "application" && r.grant === row.grant && (row.accountId === "" || r.accountId === row.accountId)).map((r) => r.group);
      row.people = people(groups);
    }
  }

  // Refuse a plan that takes away every access the tool grants: almost always an
  // emptied or wrong config rather than an intent.
  if (before > 0 && after === 0 && !input.allowDeleteAll) {
    throw new PlanError([
      {
        message: `this plan would remove every access authentik-aws-gitops grants here (${before} group grant(s)); refusing. If that is really intended, set options.allowDeleteAll: true or pass --allow-delete-all`,
      },
    ]);
  }

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
    changes,
    notPruned: notPruned.sort((a, b) => byCodePoint(a.address, b.address)),
    warnings: input.warnings ?? [],
    manualSteps: input.manualSteps ?? [],
  };
}

/**
 * Who gains or loses what: the grants that exist now (from live objects) against
 * those that will exist after apply (desired objects, plus live ones the plan
 * keeps). Comparing states rather than counting creates and deletes also catches
 * an entitlement that now points at another account, and a duplicate binding
 * whose twin keeps the access alive.
 */
function accessDiff(
  input: PlanInput,
  desired: ReadonlyMap<string, DesiredResource>,
  liveList: readonly LiveResource[],
  deletes: ReadonlySet<string>,
): { access: AccessRow[]; before: number; after: number; later: Map<string, Omit<AccessRow, "change">> } {
  const key = (r: Omit<AccessRow, "change">) => `${r.kind ?? "grant"}\u0000${r.group}\u0000${r.grant}\u0000${r.accountId}`;
  const collect = (resources: Iterable<{ type: ResourceType; account?: string; props: Props }>, side: "desired" | "live") => {
    const rows = new Map<string, Omit<AccessRow, "change">>();
    for (const r of resources) {
      const row = input.accessOf(r, side);
      if (row) rows.set(key(row), row);
    }
    return rows;
  };
  const now = collect(liveList, "live");
  for (const row of input.liveAccess ?? []) if (!now.has(key(row))) now.set(key(row), { ...row });
  const kept = liveList.filter((r) => !desired.has(r.address) && !deletes.has(r.address));
  const later = collect([...desired.values(), ...kept], "desired");
  // The guard counts only what the tool grants: a hand-made grant that survives must
  // not make "every managed grant removed" look like a partial change.
  const ownedNow = collect(liveList.filter((r) => r.owned), "live");
  const ownedLater = collect([...desired.values(), ...kept.filter((r) => r.owned)], "desired");
  const access: AccessRow[] = [];
  for (const [k, row] of now) if (!later.has(k)) access.push({ ...row, change: "lost" });
  for (const [k, row] of later) if (!now.has(k)) access.push({ ...row, change: "gained" });
  access.sort(
    (a, b) =>
      (a.change === b.change ? 0 : a.change === "lost" ? -1 : 1) ||
      // Grants in accounts first, then who may sign in to the application.
      (a.kind === b.kind ? 0 : a.kind === "application" ? 1 : -1) ||
      byCodePoint(a.group, b.group) ||
      byCodePoint(a.grant, b.grant) ||
      byCodePoint(a.account, b.account) ||
      byCodePoint(a.accountId, b.accountId),
  );
  // Sign-in to the application alone grants nothing in AWS: the guard counts grants.
  const grants = (rows: Map<string, Omit<AccessRow, "change">>) => [...rows.values()].filter((r) => r.kind !== "application").length;
  return { access, before: grants(ownedNow), after: grants(ownedLater), later };
}

/** The people of a set of groups (each person once), in the plan's chosen detail. */
function peopleOf(input: PlanInput): ((groups: readonly string[]) => People) | undefined {
  const members = input.members;
  if (!members || input.people === "off") return undefined;
  return (groups) => {
    const names = [...new Set(groups.flatMap((g) => members[g] ?? []))].sort(byCodePoint);
    return input.people === "count" ? { count: names.length } : { count: names.length, names };
  };
}

/** Roles and permission sets whose effective permissions this plan changes. */
function permissionRows(input: PlanInput, changes: readonly Change[], later: ReadonlyMap<string, Omit<AccessRow, "change">>): PermissionRow[] {
  const rows: PermissionRow[] = [];
  for (const c of changes) {
    if (c.type === "aws.iam.role") {
      const alias = c.account ?? "";
      const row = permissionRow(c, input.accountIds?.[alias] ?? "", alias);
      if (row) rows.push(row);
    } else if (c.type === "aws.sso.permission_set") {
      const name = String((c.after ?? c.before)?.name ?? "");
      const accounts = [...new Set([...later.values()].filter((r) => r.kind !== "application" && r.grant === name).map((r) => r.account))].sort(byCodePoint);
      const row = permissionRow(c, "", accounts.join(", "));
      if (row) rows.push(row);
    }
  }
  return rows.sort(comparePermissionRows);
}
