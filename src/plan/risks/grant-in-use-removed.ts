import type { AccessRow } from "../../domain/plan-types.js";
import { kindOf } from "../../resources/registry.js";
import type { RiskContext, RiskRule } from "./context.js";

/** How many people the rows reach: distinct names when named, else the counts summed; undefined when people are not counted. */
const peopleOf = (rows: readonly AccessRow[]) => (rows.some((r) => r.people) ? new Set(rows.flatMap((r) => r.people?.names ?? [])).size || rows.reduce((n, r) => n + (r.people?.count ?? 0), 0) : undefined);

/**
 * grant-in-use-removed: a role or permission set deleted while groups still use it, and
 * every grant of one removed while people use it, the role itself kept (nobody can use it
 * after the plan).
 */
export const grantInUseRemoved: RiskRule = (ctx) => {
  if (!ctx.rules.grantInUseRemoved.enabled) return;
  deletedInUse(ctx);
  everyGrantRemoved(ctx);
};

function deletedInUse(ctx: RiskContext): void {
  const severity = ctx.rules.grantInUseRemoved.severity ?? "medium";
  for (const c of ctx.plan.changes) {
    const grant = kindOf(c.type).grant;
    if (c.action !== "delete" || !grant) continue;
    const name = grant.name(c.before!);
    const lost = ctx.plan.access.filter((r) => r.change === "lost" && r.grant === name && (grant.scope === "assignments" || r.account === c.account));
    const people = peopleOf(lost);
    if (lost.length > 0 && people !== 0) {
      ctx.add("grant-in-use-removed", severity, `${c.title} is deleted while ${lost.length} group grant(s)${people === undefined ? "" : ` for ${people} people`} still use it`, [c.address, ...lost.flatMap(ctx.rowAddresses)]);
    }
  }
}

function everyGrantRemoved(ctx: RiskContext): void {
  const deleted = new Set(
    ctx.plan.changes.flatMap((c) => {
      const grant = kindOf(c.type).grant;
      return c.action === "delete" && grant ? [`${grant.name(c.before!)}\u0000${grant.scope === "account" ? (c.account ?? "") : ""}`] : [];
    }),
  );
  const heldAfter = new Set<string>();
  for (const d of ctx.desired) {
    const row = ctx.accessOfChange({ address: d.address, type: d.type, system: d.system, title: d.title, action: "create", reason: "", before: null, after: d.props, fields: [], dependsOn: [], ...(d.account ? { account: d.account } : {}) });
    if (row && row.kind !== "application") heldAfter.add(`${row.grant}\u0000${row.accountId}`);
  }
  const lostByGrant = new Map<string, AccessRow[]>();
  for (const r of ctx.plan.access) {
    if (r.change !== "lost" || r.kind === "application") continue;
    const k = `${r.grant}\u0000${r.accountId}`;
    if (heldAfter.has(k) || deleted.has(`${r.grant}\u0000${r.account}`) || deleted.has(`${r.grant}\u0000`)) continue;
    lostByGrant.set(k, [...(lostByGrant.get(k) ?? []), r]);
  }
  for (const rows of lostByGrant.values()) {
    const people = peopleOf(rows);
    if (people === 0) continue;
    const r0 = rows[0]!;
    ctx.add(
      "grant-in-use-removed",
      ctx.rules.grantInUseRemoved.severity ?? "medium",
      `every grant of ${r0.grant} in ${r0.account} is removed (${rows.map((r) => r.group).join(", ")})${people === undefined ? "" : ` while ${people} ${people === 1 ? "person uses" : "people use"} it`}`,
      rows.flatMap(ctx.rowAddresses),
    );
  }
}
