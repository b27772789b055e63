/**
 * The changes of a plan: what to create, update, adopt and delete to make live state
 * what is desired, each with why and what it waits for. Pure; part of computePlan.
 */
import { byCodePoint, deepEqual } from "../domain/canonical.js";
import type { Change, DesiredResource, Expiry, LiveResource, Plan, PlanProblem } from "../domain/plan-types.js";
import { expiryPhrase } from "../config/expiry.js";
import { isRecordOnly, kindOf } from "../resources/registry.js";
import { fieldChanges, hasDeferred, refsIn } from "./field-diff.js";
import type { PlanInput } from "./plan-input.js";

/** The address a duplicate (…#2) is a copy of. */
function baseAddress(address: string): string {
  return address.replace(/#\d+$/, "");
}

/** "expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)" */
export function expiredReason(e: Expiry): string {
  return `expired ${expiryPhrase(e.value)} (${e.field}, ${e.location})`;
}

export function compareChanges(a: Change, b: Change): number {
  return kindOf(a.type).order - kindOf(b.type).order || byCodePoint(a.address, b.address);
}

/** The identifying part of a change, shared by every action. */
function changeHeader(r: DesiredResource | LiveResource): Pick<Change, "address" | "type" | "system" | "account" | "title"> {
  return { address: r.address, type: r.type, system: r.system, ...(r.account ? { account: r.account } : {}), title: r.title };
}

/**
 * Systems that do not enforce uniqueness (authentik group bindings, AWS assignments)
 * can hold the same object twice. Each copy gets its own address, so extra owned
 * copies are pruned like any undeclared object instead of hiding behind the first.
 * Which copy keeps the plain address must not depend on list order: the one
 * matching the configuration first, then by id.
 */
export function numberCopies(live: readonly LiveResource[], desired: readonly DesiredResource[]): LiveResource[] {
  const desiredProps = new Map(desired.map((d) => [d.address, d.props]));
  const copies = new Map<string, LiveResource[]>();
  for (const r of live) copies.set(r.address, [...(copies.get(r.address) ?? []), r]);
  const match = (r: LiveResource) => (deepEqual(r.props, desiredProps.get(r.address)) ? 0 : 1);
  const ordered = [...copies.values()].flatMap((group) => [...group].sort((a, b) => match(a) - match(b) || byCodePoint(a.id, b.id)));
  const seen = new Map<string, number>();
  return ordered.map((r) => {
    const n = (seen.get(r.address) ?? 0) + 1;
    seen.set(r.address, n);
    return n === 1 ? r : { ...r, address: `${r.address}#${n}`, title: `${r.title} (duplicate ${n})` };
  });
}

/**
 * Which owned objects that are no longer desired go: with pruning on, and — whether
 * pruning is on or not — grants whose mappings expired (the configuration says they
 * end, and a plan that kept them would never take the access away), their copies too,
 * and objects that only record (the identity-center record of when access ends: kept, it
 * would keep saying a grant ends that the configuration made permanent).
 */
export function plannedDeletes(input: PlanInput, liveList: readonly LiveResource[], desired: ReadonlyMap<string, DesiredResource>) {
  const deletes = new Set<string>();
  const expiredDeletes = new Map<string, Expiry>();
  const notPruned: Plan["notPruned"] = [];
  for (const r of liveList) {
    if (!r.owned || desired.has(r.address)) continue;
    const expiredBy = input.expiry?.expired.get(baseAddress(r.address));
    if (expiredBy) {
      deletes.add(r.address);
      expiredDeletes.set(r.address, expiredBy);
    } else if (input.prune || isRecordOnly(r)) deletes.add(r.address);
    else notPruned.push({ address: r.address, title: r.title });
  }
  return { deletes, expiredDeletes, notPruned: notPruned.sort((a, b) => byCodePoint(a.address, b.address)) };
}

/**
 * What each desired object needs: created, adopted, updated, or nothing — and the
 * problems that stop the plan (a name held by an object the tool does not own, or by
 * one of its own that is no longer declared while pruning is off).
 */
export function desiredChanges(
  input: PlanInput & Required<Pick<PlanInput, "identityOf">>,
  liveList: readonly LiveResource[],
  live: ReadonlyMap<string, LiveResource>,
  deletes: ReadonlySet<string>,
  problems: PlanProblem[],
): Change[] {
  const changes: Change[] = [];
  // Live objects by identity, to find collisions under another address.
  const liveByIdentity = new Map<string, LiveResource[]>();
  for (const r of liveList) {
    const id = input.identityOf(r);
    if (id) liveByIdentity.set(id, [...(liveByIdentity.get(id) ?? []), r]);
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
        : (kindOf(d.type).updateReason?.(changed) ?? `live ${changed.join(", ")} ${changed.length === 1 ? "differs" : "differ"} from the configuration`),
      before: l.props,
      after: d.props,
      fields,
      dependsOn: [...new Set(explicitDeps)].sort(),
      liveId: l.id,
    });
  }
  return changes;
}

/** The deletes, each waiting for whatever still references it (indexed once, so pruning 10,000 objects stays linear). */
export function deleteChanges(live: ReadonlyMap<string, LiveResource>, deletes: ReadonlySet<string>, expiredDeletes: ReadonlyMap<string, Expiry>): Change[] {
  const changes: Change[] = [];
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
      reason: expired
        ? expiredReason(expired)
        : isRecordOnly(l)
          ? (kindOf(l.type).goneReason?.(l.props) ?? "no grant it records ends any more: it grants nothing, and goes whether pruning is on or not")
          : "managed by authentik-aws-gitops and no longer declared (pruning is on)",
      before: l.props,
      after: null,
      fields: fieldChanges(l.props, null),
      dependsOn: referrers.sort(),
      liveId: l.id,
      ...(expired ? { expired } : {}),
    });
  }
  return changes;
}
