import { createPatch } from "diff";
import { comparePermissionRows, permissionRow } from "./permissions.js";
import { byCodePoint, canonicalJson, deepEqual, sha256 } from "../domain/canonical.js";
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
  type Expiry,
  type ExpiringRow,
  type PlanProblem,
} from "../domain/plan-types.js";
import { daysLeft, expiryPhrase, timeLeftText } from "../config/expiry.js";
import { locatedProblem, UserError, type Problem } from "../errors.js";
import { accessOf as kindAccess, identityOf as kindIdentity, kindOf } from "../resources/registry.js";

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

const DAY_MS = 86_400_000;

/** The address a duplicate (…#2) is a copy of. */
function baseAddress(address: string): string {
  return address.replace(/#\d+$/, "");
}

/** "expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)" */
export function expiredReason(e: Expiry): string {
  return `expired ${expiryPhrase(e.value)} (${e.field}, ${e.location})`;
}

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
  return kindOf(a.type).order - kindOf(b.type).order || byCodePoint(a.address, b.address);
}

/** The hash a plan is known by: over the canonical JSON of its changes, never over rendered text. */
export function planHash(changes: readonly Change[]): string {
  return sha256(canonicalJson(changes));
}

/** The identifying part of a change, shared by every action. */
function changeHeader(r: DesiredResource | LiveResource): Pick<Change, "address" | "type" | "system" | "account" | "title"> {
  return { address: r.address, type: r.type, system: r.system, ...(r.account ? { account: r.account } : {}), title: r.title };
}

/**
 * The access each resource gives, by its kind, with the references it holds resolved
 * on its own side of the plan (a binding's entitlement as desired, or as live).
 */
export function accessByKind(desired: readonly DesiredResource[], live: readonly LiveResource[]): NonNullable<PlanInput["accessOf"]> {
  const desiredByAddress = new Map(desired.map((r) => [r.address, r]));
  const liveByAddress = new Map(live.map((r) => [r.address, r]));
  return (resource, side) => {
    const resolve = (address: string) =>
      (side === "desired" ? (desiredByAddress.get(address) ?? liveByAddress.get(address)) : (liveByAddress.get(address) ?? desiredByAddress.get(address)))?.props;
    return kindAccess(resource, resolve);
  };
}

/** desired × live → Plan. Pure: no I/O, same input, same plan, same hash. */
export function computePlan(given: PlanInput): Plan {
  const input: PlanInput & Required<Pick<PlanInput, "accessOf" | "identityOf">> = {
    ...given,
    accessOf: given.accessOf ?? accessByKind(given.desired, given.live),
    identityOf: given.identityOf ?? kindIdentity,
  };
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
  // Grants whose mappings expired go whether pruning is on or not: the configuration
  // says they end, and a plan that kept them would never take the access away. So do
  // their copies (…#2).
  const expiredDeletes = new Map<string, Expiry>();
  for (const r of liveList) {
    if (!r.owned || desired.has(r.address)) continue;
    const expiredBy = input.expiry?.expired.get(baseAddress(r.address));
    if (expiredBy) {
      deletes.add(r.address);
      expiredDeletes.set(r.address, expiredBy);
    } else if (input.prune) deletes.add(r.address);
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
        reason: kindOf(d.type).missing(d),
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
    const expired = expiredDeletes.get(addr);
    changes.push({
      ...changeHeader(l),
      action: "delete",
      reason: expired ? expiredReason(expired) : "managed by authentik-aws-gitops and no longer declared (pruning is on)",
      before: l.props,
      after: null,
      fields: fieldChanges(l.props, null),
      dependsOn: referrers.sort(),
      liveId: l.id,
      ...(expired ? { expired } : {}),
    });
  }

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

  // Refuse a plan that takes away every access the tool grants: almost always an
  // emptied or wrong config rather than an intent. Grants that end because their
  // expiry passed count as kept: that end was reviewed when the date was merged, and
  // the scheduled removal of the last expiring grant must not need --allow-delete-all.
  // Only they: one expired grant must not let an emptied configuration through.
  const expiredLost = access.filter((r) => r.change === "lost" && r.reason === "expired" && r.kind !== "application").length;
  if (before - expiredLost > 0 && after === 0 && !input.allowDeleteAll) {
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
    ...(input.expiry ? { expiring } : {}),
    changes,
    notPruned: notPruned.sort((a, b) => byCodePoint(a.address, b.address)),
    warnings: [...(input.warnings ?? []), ...expiryWarnings(input, expiring)],
    manualSteps: input.manualSteps ?? [],
    ...(accessCaveats.length ? { accessCaveats } : {}),
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
  input: PlanInput & Required<Pick<PlanInput, "accessOf">>,
  desired: ReadonlyMap<string, DesiredResource>,
  liveList: readonly LiveResource[],
  deletes: ReadonlySet<string>,
  expiredDeletes: ReadonlyMap<string, Expiry>,
): {
  access: AccessRow[];
  before: number;
  after: number;
  later: Map<string, Omit<AccessRow, "change">>;
  expiring: ExpiringRow[];
  nowFromObjects: Omit<AccessRow, "change">[];
} {
  const key = (r: Omit<AccessRow, "change">) => `${r.kind ?? "grant"}\u0000${r.group}\u0000${r.grant}\u0000${r.accountId}`;
  // Which resources give each row: its expiry is theirs.
  const sources = new Map<string, string[]>();
  const collect = (resources: Iterable<{ address: string; type: ResourceType; account?: string; props: Props }>, side: "desired" | "live", track = false) => {
    const rows = new Map<string, Omit<AccessRow, "change">>();
    for (const r of resources) {
      const row = input.accessOf(r, side);
      if (!row) continue;
      const k = key(row);
      rows.set(k, row);
      if (track) sources.set(`${side}\u0000${k}`, [...(sources.get(`${side}\u0000${k}`) ?? []), r.address]);
    }
    return rows;
  };
  const now = collect(liveList, "live", true);
  const nowFromObjects = [...now.values()];
  for (const row of input.liveAccess ?? []) if (!now.has(key(row))) now.set(key(row), { ...row });
  const kept = liveList.filter((r) => !desired.has(r.address) && !deletes.has(r.address));
  const later = collect([...desired.values(), ...kept], "desired", true);
  /** A lost row whose grant was removed because it expired. */
  const expiredFor = (k: string) => (sources.get(`live\u0000${k}`) ?? []).map((a) => expiredDeletes.get(a)).find((e) => e !== undefined);
  /** When a row of the later state ends: when the last of the resources giving it ends (never, if one does not). */
  const endOf = (k: string): Expiry | undefined => {
    const ends = (sources.get(`desired\u0000${k}`) ?? []).map((a) => input.expiry?.expiring.get(a));
    if (ends.length === 0 || ends.some((e) => e === undefined)) return undefined;
    return ends.reduce((a, b) => (Date.parse(b!.endsAt) > Date.parse(a!.endsAt) ? b : a));
  };
  // The guard counts only what the tool grants: a hand-made grant that survives must
  // not make "every managed grant removed" look like a partial change.
  const ownedNow = collect(liveList.filter((r) => r.owned), "live");
  const ownedLater = collect([...desired.values(), ...kept.filter((r) => r.owned)], "desired");
  const access: AccessRow[] = [];
  for (const [k, row] of now) {
    if (later.has(k)) continue;
    const expired = expiredFor(k);
    access.push({ ...row, change: "lost", ...(expired ? { reason: "expired" as const, expires: expired } : {}) });
  }
  for (const [k, row] of later) {
    if (now.has(k)) continue;
    const expires = endOf(k);
    access.push({ ...row, change: "gained", ...(expires ? { expires } : {}) });
  }
  const expiring: ExpiringRow[] = [];
  const clock = input.expiry?.now;
  if (clock) {
    for (const [k, row] of later) {
      const expires = row.kind === "application" ? undefined : endOf(k);
      if (expires) expiring.push({ group: row.group, grant: row.grant, account: row.account, accountId: row.accountId, expires, daysLeft: daysLeft(expires.endsAt, clock) });
    }
    expiring.sort(
      (a, b) =>
        Date.parse(a.expires.endsAt) - Date.parse(b.expires.endsAt) ||
        byCodePoint(a.group, b.group) ||
        byCodePoint(a.grant, b.grant) ||
        byCodePoint(a.account, b.account) ||
        byCodePoint(a.accountId, b.accountId),
    );
  }
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
  return { access, before: grants(ownedNow), after: grants(ownedLater), later, expiring, nowFromObjects };
}

/**
 * A warning per mapping and grant ending within review.expiryWarningDays, naming the
 * group, the grant, its accounts, the date, the time left and where the date is written.
 */
function expiryWarnings(input: PlanInput, expiring: readonly ExpiringRow[]): string[] {
  const e = input.expiry;
  if (!e) return [];
  const kind = input.mode === "classic-iam" ? "role" : "permission set";
  const soon = new Map<string, ExpiringRow[]>();
  for (const row of expiring) {
    if (Date.parse(row.expires.endsAt) - e.now.getTime() > e.warningDays * DAY_MS) continue;
    const k = `${row.group}\u0000${row.grant}\u0000${row.expires.location}\u0000${row.expires.endsAt}`;
    soon.set(k, [...(soon.get(k) ?? []), row]);
  }
  return [...soon.values()].map((rows) => {
    const { group, grant, expires } = rows[0]!;
    const accounts = rows.map((r) => (r.accountId && r.accountId !== r.account ? `${r.account} (${r.accountId})` : r.account)).join(", ");
    return `access ends ${timeLeftText(expires.endsAt, e.now)}: group '${group}' loses ${kind} '${grant}' in ${accounts} — expires ${expiryPhrase(expires.value)} (${expires.field}, ${expires.location}); the Action's mode: expire removes it then, or extend the date to keep it`;
  });
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

/**
 * People whose roles change although no group's do: a hand-made Role mapping gives each
 * person what authentik evaluates for them (one role from merged group attributes, only
 * if they may sign in), while the groups that replace it grant every member each role.
 * Compared per person: now (the mapping, plus grants of live objects through the
 * person's groups) against after the plan (grants through the person's groups).
 */
function personCaveats(input: PlanInput, nowFromObjects: readonly Omit<AccessRow, "change">[], later: readonly Omit<AccessRow, "change">[]): string[] {
  const pa = input.personAccess;
  if (!pa) return [];
  const k = (r: { grant: string; accountId: string }) => `${r.grant}\u0000${r.accountId}`;
  const label = new Map<string, string>();
  const held = (rows: readonly Omit<AccessRow, "change">[], extra?: ReadonlyMap<string, readonly { grant: string; account: string; accountId: string }[]>) => {
    const out = new Map<string, Set<string>>();
    const add = (person: string, r: { grant: string; account: string; accountId: string }) => {
      label.set(k(r), `${r.grant} in ${r.account}${r.accountId && r.accountId !== r.account ? ` (${r.accountId})` : ""}`);
      let set = out.get(person);
      if (!set) out.set(person, (set = new Set()));
      set.add(k(r));
    };
    for (const r of rows) if (r.kind !== "application") for (const person of pa.members[r.group] ?? []) add(person, r);
    for (const [person, list] of extra ?? []) for (const r of list) add(person, r);
    return out;
  };
  const before = held(nowFromObjects, pa.now);
  const after = held(later);
  const names = pa.names;
  const lines: string[] = [];
  let changed = 0;
  for (const person of [...new Set([...before.keys(), ...after.keys()])].sort(byCodePoint)) {
    const b = before.get(person) ?? new Set<string>();
    const a = after.get(person) ?? new Set<string>();
    const gains = [...a].filter((x) => !b.has(x)).map((x) => label.get(x)!).sort(byCodePoint);
    const losses = [...b].filter((x) => !a.has(x)).map((x) => label.get(x)!).sort(byCodePoint);
    if (gains.length === 0 && losses.length === 0) continue;
    changed++;
    if (names && lines.length < 50) lines.push(`${person}${gains.length ? ` gains ${gains.join(", ")}` : ""}${gains.length && losses.length ? " and" : ""}${losses.length ? ` loses ${losses.join(", ")}` : ""}`);
  }
  if (changed === 0) return [];
  const head = `${changed} ${changed === 1 ? "person holds" : "people hold"} different roles after this plan although no group's access changes: the hand-made Role mapping being replaced gives each person what authentik evaluates for them (one role from merged group attributes, and only if they may sign in), the mapped groups give every member each role`;
  return [head, ...lines.map((l) => `  ${l}`), ...(names && changed > lines.length ? [`  … and ${changed - lines.length} more`] : [])];
}
