/** The people behind each row of the plan, and the people whose roles change though no group's do. Pure. */
import { byCodePoint } from "../domain/canonical.js";
import type { AccessRow, People } from "../domain/plan-types.js";
import type { PlanInput } from "./plan-input.js";

/** The people of a set of groups (each person once), in the plan's chosen detail. */
export function peopleOf(input: PlanInput): ((groups: readonly string[]) => People) | undefined {
  const members = input.members;
  if (!members || input.people === "off") return undefined;
  return (groups) => {
    const names = [...new Set(groups.flatMap((g) => members[g] ?? []))].sort(byCodePoint);
    return input.people === "count" ? { count: names.length } : { count: names.length, names };
  };
}

/**
 * People whose roles change although no group's do: a hand-made Role mapping gives each
 * person what authentik evaluates for them (one role from merged group attributes, only
 * if they may sign in), while the groups that replace it grant every member each role.
 * Compared per person: now (the mapping, plus grants of live objects through the
 * person's groups) against after the plan (grants through the person's groups).
 */
export function personCaveats(input: PlanInput, nowFromObjects: readonly Omit<AccessRow, "change">[], later: readonly Omit<AccessRow, "change">[]): string[] {
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
