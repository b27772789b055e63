/** Snapshot → report: merge, sort, and show people only as review.people allows. Pure. */
import { byCodePoint } from "../domain/canonical.js";
import { ACCESS_REPORT_VERSION, type AccessGrantRow, type AccessReport, type AccessRow, type AccessSnapshot, type GroupGrant, type Person } from "./types.js";

const SEP = "\u0000";

function compareRows<T extends object>(keys: (keyof T)[]) {
  return (a: T, b: T) => {
    for (const k of keys) {
      const d = byCodePoint(String(a[k] ?? ""), String(b[k] ?? ""));
      if (d !== 0) return d;
    }
    return 0;
  };
}

/** The same way granted twice (two bindings, a copy of an assignment) is one grant; its people merged. */
export function mergeGrants(grants: readonly GroupGrant[]): GroupGrant[] {
  const byKey = new Map<string, GroupGrant>();
  for (const g of grants) {
    const key = [g.via, g.grant, g.accountId, g.source, g.managed, g.reason ?? ""].join(SEP);
    const existing = byKey.get(key);
    if (existing) existing.people = [...existing.people, ...g.people];
    else byKey.set(key, { ...g, people: [...g.people] });
  }
  for (const g of byKey.values()) {
    const people = new Map<string, Person>();
    for (const p of g.people) if (!people.has(p.username) || (!people.get(p.username)!.email && p.email)) people.set(p.username, p);
    g.people = [...people.values()].sort((a, b) => byCodePoint(a.username, b.username));
  }
  return [...byKey.values()];
}

export function buildAccessReport(
  snapshot: AccessSnapshot,
  options: { people: "names" | "count" | "off"; tool: { name: string; version: string }; generatedAt: string },
): AccessReport {
  const grants = mergeGrants(snapshot.grants);
  const account = (id: string) => snapshot.accountAliases[id] ?? id;
  // What a grant row and each of its people's rows share.
  const columns = (g: (typeof grants)[number]) => ({
    grant: g.grant,
    grantKind: g.grantKind,
    account: account(g.accountId),
    accountId: g.accountId,
    via: g.via,
    managed: g.managed,
    reason: g.reason ?? null,
    source: g.source,
    awsRole: g.grantKind === "role" ? (g.awsRole ?? "not-checked") : null,
  });
  const grantRows: AccessGrantRow[] = grants
    .map((g) => ({ ...columns(g), people: options.people === "off" ? null : g.people.length }))
    .sort(compareRows<AccessGrantRow>(["grant", "account", "accountId", "via", "source"]));
  const rows: AccessRow[] =
    options.people !== "names"
      ? []
      : grants
          .flatMap((g) =>
            g.people.map((p) => ({ person: p.username, email: p.email ?? null, ...columns(g) })),
          )
          .sort(compareRows<AccessRow>(["person", "grant", "account", "accountId", "via", "source"]));
  const people = new Set(grants.flatMap((g) => g.people.map((p) => p.username)));
  const managedGrants = grantRows.filter((g) => g.managed).length;
  return {
    version: ACCESS_REPORT_VERSION,
    kind: "access-report",
    tool: options.tool,
    generatedAt: options.generatedAt,
    mode: snapshot.mode,
    config: snapshot.configFile,
    application: snapshot.application,
    people: options.people,
    peopleSource: snapshot.peopleSource,
    summary: {
      people: options.people === "off" ? null : people.size,
      rows: rows.length,
      grants: grantRows.length,
      managedGrants,
      unmanagedGrants: grantRows.length - managedGrants,
      unlisted: snapshot.unlisted.length,
      rolesNotUsable: grantRows.filter((g) => g.awsRole === "missing" || g.awsRole === "not-trusted").length,
    },
    rows,
    grants: grantRows,
    unlisted: [...snapshot.unlisted].sort(compareRows(["source", "reason"])),
    notes: [...new Set(snapshot.notes)],
  };
}
