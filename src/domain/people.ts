/** People and groups as authentik has them: pure, no I/O (the reader is providers/authentik/read-people.ts). */

/** What the users list gives in every release 2025.10–2026.8: pk, username, is_active, groups (direct, by pk). */
export interface UserRow {
  pk: number;
  username: string;
  groups: string[];
  /** Empty when the user has none. */
  email?: string;
  /** The user's own attributes (they override group attributes in user.group_attributes()). */
  attributes: Record<string, unknown>;
}

/**
 * The people of each group by name: its members and the members of its descendant
 * groups (authentik applies a parent group's bindings to members of its child
 * groups). A user counts for every ancestor of each of their groups.
 */
export function groupMembers(groups: readonly { pk: string; name: string; parents: readonly string[] }[], users: readonly UserRow[]): Record<string, string[]> {
  const byPk = new Map(groups.map((g) => [g.pk, g]));
  const members = new Map<string, Set<string>>();
  const ancestorsCache = new Map<string, string[]>();
  const ancestorsOf = (pk: string): string[] => {
    const cached = ancestorsCache.get(pk);
    if (cached) return cached;
    const seen = new Set<string>();
    const queue = [pk];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue; // cycles are possible in the data: stop at a group seen
      const g = byPk.get(next);
      if (!g) continue;
      seen.add(next);
      queue.push(...g.parents);
    }
    const out = [...seen];
    ancestorsCache.set(pk, out);
    return out;
  };
  for (const u of users) {
    const all = new Set(u.groups.flatMap(ancestorsOf));
    for (const pk of all) {
      const name = byPk.get(pk)!.name;
      let set = members.get(name);
      if (!set) members.set(name, (set = new Set()));
      set.add(u.username);
    }
  }
  return Object.fromEntries([...members].map(([name, set]) => [name, [...set].sort()]));
}
