/**
 * Renames and moves: a grant (an IAM role in an account, a permission set) deleted and
 * one created with the same permissions and the same people is only re-created under
 * another name or place. Its changes still happen (delete + create) and stay listed; the
 * access diff, the risks and the deletion warning leave out what is only re-created, and
 * the plan says "renamed A → B: nobody gains or loses anything". Pure.
 */
import { byCodePoint, deepEqual } from "../domain/canonical.js";
import { CONFIG_TAG, MANAGED_BY_TAG, type AccessRow, type Change, type Plan, type Props, type Rename } from "../domain/plan-types.js";
import { kindOf } from "../resources/registry.js";
import { refsIn } from "./field-diff.js";
import type { PlanInput } from "./plan-input.js";

/**
 * What a grant's holders get from it: its props without the name, the place and the
 * description. Tags stay (but the tool's own two): a role's tags are its sessions'
 * principal tags, which policies test (aws:PrincipalTag), so a rename that changes one is
 * no mere rename.
 */
function permissionsOf(props: Props): Props {
  const { name: _n, path: _p, description: _d, tags, ...rest } = props;
  const own = new Set([MANAGED_BY_TAG, CONFIG_TAG]);
  const kept = Object.entries((tags ?? {}) as Record<string, unknown>).filter(([k]) => !own.has(k));
  return { ...rest, tags: Object.fromEntries(kept.sort(([a], [b]) => byCodePoint(a, b))) };
}

type Row = Omit<AccessRow, "change">;
const holder = (r: Row) => `${r.group}\u0000${r.accountId}`;

/**
 * The renames of a plan, and the access rows they account for. `access` is the plan's
 * access diff; a pair matches when the deleted grant's holders before (its lost rows) are
 * the created grant's holders after (its gained rows), in the same account.
 */
export function findRenames(
  input: Required<Pick<PlanInput, "accessOf">> & Pick<PlanInput, "mode">,
  changes: readonly Change[],
  access: readonly AccessRow[],
): { renames: Rename[]; rows: Set<AccessRow> } {
  const grantOf = (c: Change) => kindOf(c.type).grant;
  const deletes = changes.filter((c) => c.action === "delete" && grantOf(c));
  const creates = changes.filter((c) => c.action === "create" && grantOf(c));
  const rowsOf = (change: "gained" | "lost", name: string, account: string | undefined) =>
    access.filter((r) => r.change === change && r.kind === undefined && r.grant === name && (account === undefined || r.account === account));
  const used = new Set<string>();
  const pairs: { d: Change; c: Change; from: string; to: string; rows: AccessRow[] }[] = [];
  for (const d of deletes) {
    const from = grantOf(d)!.name(d.before);
    const lost = rowsOf("lost", from, d.account);
    for (const c of creates) {
      if (used.has(c.address) || c.account !== d.account || c.type !== d.type) continue;
      if (!deepEqual(permissionsOf(d.before!), permissionsOf(c.after!))) continue;
      const to = grantOf(c)!.name(c.after);
      const gained = rowsOf("gained", to, c.account);
      const a = new Set(lost.map(holder));
      const b = new Set(gained.map(holder));
      if (a.size !== b.size || [...a].some((h) => !b.has(h))) continue;
      used.add(c.address);
      pairs.push({ d, c, from, to, rows: from === to ? [] : [...lost, ...gained] });
      break;
    }
  }
  if (pairs.length === 0) return { renames: [], rows: new Set() };

  // What re-creates each pair: the grant objects, the grant-carrying objects (bindings,
  // assignments) of its rows, and what only they reference and is re-created with them
  // (a binding's entitlement).
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const carrying = (c: Change, name: string, account: string | undefined) => {
    const side = c.action === "delete" ? "live" : "desired";
    const props = (c.action === "delete" ? c.before : c.after)!;
    const row = input.accessOf({ type: c.type, ...(c.account ? { account: c.account } : {}), props }, side);
    return row !== undefined && row.kind === undefined && row.grant === name && (account === undefined || row.account === account);
  };
  const grouped = new Map<string, Rename & { rows: AccessRow[] }>();
  for (const { d, c, from, to, rows } of pairs) {
    const addresses = new Set([d.address, c.address]);
    for (const [action, name] of [["delete", from], ["create", to]] as const) {
      for (const x of changes) {
        if (x.action !== action || !carrying(x, name, d.account)) continue;
        addresses.add(x.address);
        for (const ref of refsIn(action === "delete" ? x.before : x.after)) if (byAddress.get(ref)?.action === action && !kindOf(byAddress.get(ref)!.type).grant) addresses.add(ref);
      }
    }
    const kind = kindOf(d.type).grant!.scope === "account" ? "role" : "permission set";
    const k = `${kind}\u0000${from}\u0000${to}`;
    const g = grouped.get(k) ?? { kind, from, to, accounts: [], addresses: [], rows: [] };
    if (d.account && !g.accounts.includes(d.account)) g.accounts.push(d.account);
    g.addresses.push(...addresses);
    g.rows.push(...rows);
    grouped.set(k, g);
  }
  const renames = [...grouped.values()].map(({ rows: _r, ...r }) => ({ ...r, addresses: [...new Set(r.addresses)].sort(byCodePoint) }));
  return { renames: renames.sort((a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to)), rows: new Set([...grouped.values()].flatMap((g) => g.rows)) };
}

/** The plan without the changes that only re-create a renamed grant: what risks are assessed on. */
export function withoutRenamed<P extends Pick<Plan, "changes" | "renames">>(plan: P): P {
  const renamed = new Set((plan.renames ?? []).flatMap((r) => r.addresses));
  return renamed.size === 0 ? plan : { ...plan, changes: plan.changes.filter((c) => !renamed.has(c.address)) };
}
