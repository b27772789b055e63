import { byCodePoint, canonicalJson, sortKeys } from "../domain/canonical.js";
import type { PermissionStatement } from "../domain/plan-types.js";
import { decodePolicyDocument } from "../domain/policy-normalize.js";

/**
 * Statement-level diff of IAM policy documents: what a reviewer needs to know is
 * which actions on which resources (under which conditions) are allowed or denied
 * that were not before, and which no longer are. Each statement is flattened into
 * rows of one action × one resource; the rows of both documents are compared as
 * sets, so reordering statements, actions or resources, writing a single value
 * instead of a one-element list, or splitting one statement in two is no change.
 * Wildcards are kept as written, never expanded.
 */
/** One (effect, action, resource, condition) row of a policy: the plan's PermissionStatement. */
export type PolicyRow = PermissionStatement;

export type PolicyChange = "widened" | "narrowed" | "both" | "none";

export interface PolicyDiff {
  added: PolicyRow[];
  removed: PolicyRow[];
  change: PolicyChange;
}

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.map(String);
  return [JSON.stringify(v)];
}

function normalizeCondition(c: unknown): Record<string, unknown> | undefined {
  if (typeof c !== "object" || c === null || Object.keys(c).length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [op, body] of Object.entries(c as Record<string, unknown>)) {
    if (typeof body === "object" && body !== null && !Array.isArray(body)) {
      out[op] = Object.fromEntries(
        Object.entries(body as Record<string, unknown>).map(([k, v]) => {
          const list = Array.isArray(v) ? [...new Set(v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))))].sort(byCodePoint) : [typeof v === "string" ? v : JSON.stringify(v)];
          return [k, list.length === 1 ? list[0] : list];
        }),
      );
    } else out[op] = body;
  }
  return sortKeys(out) as Record<string, unknown>;
}

/** The statements of a policy document (a string, URL-encoded or not, or an object), as a list. */
function statementsOf(doc: unknown): Record<string, unknown>[] {
  if (doc === undefined || doc === null || doc === "") return [];
  const parsed = typeof doc === "string" ? decodePolicyDocument(doc) : (doc as Record<string, unknown>);
  const st = parsed.Statement;
  if (st === undefined || st === null) return [];
  return (Array.isArray(st) ? st : [st]).filter((s): s is Record<string, unknown> => typeof s === "object" && s !== null);
}

/** Every (effect, action, resource, condition) a document states, one row each, sorted, without duplicates. */
export function policyRows(doc: unknown): PolicyRow[] {
  const rows = new Map<string, PolicyRow>();
  for (const s of statementsOf(doc)) {
    const effect = s.Effect === "Deny" ? "Deny" : "Allow";
    const notAction = s.Action === undefined && s.NotAction !== undefined;
    const notResource = s.Resource === undefined && s.NotResource !== undefined;
    const actions = asList(notAction ? s.NotAction : s.Action);
    const resources = asList(notResource ? s.NotResource : s.Resource);
    const condition = normalizeCondition(s.Condition);
    for (const action of actions) {
      for (const resource of resources.length > 0 ? resources : ["*"]) {
        const row: PolicyRow = { effect, action, resource };
        if (condition) row.condition = condition;
        if (notAction) row.notAction = true;
        if (notResource) row.notResource = true;
        rows.set(rowKey(row), row);
      }
    }
  }
  return [...rows.values()].sort(compareRows);
}

export function rowKey(r: PolicyRow): string {
  return canonicalJson(r);
}

export function compareRows(a: PolicyRow, b: PolicyRow): number {
  return (
    byCodePoint(a.effect, b.effect) ||
    byCodePoint(a.action, b.action) ||
    byCodePoint(a.resource, b.resource) ||
    byCodePoint(canonicalJson(a.condition ?? null), canonicalJson(b.condition ?? null)) ||
    byCodePoint(rowKey(a), rowKey(b))
  );
}

/** Whether adding this row to a policy gives more access (an Allow) or less (a Deny). */
export function widens(row: PolicyRow): boolean {
  return row.effect === "Allow";
}

export function classify(added: readonly PolicyRow[], removed: readonly PolicyRow[]): PolicyChange {
  // More allowed, or less denied: wider. Less allowed, or more denied: narrower.
  const wider = added.some(widens) || removed.some((r) => !widens(r));
  const narrower = removed.some(widens) || added.some((r) => !widens(r));
  return wider && narrower ? "both" : wider ? "widened" : narrower ? "narrowed" : "none";
}

/** before → after: the rows added and removed, and whether that widens, narrows or both. */
export function diffPolicies(before: unknown, after: unknown): PolicyDiff {
  const b = new Map(policyRows(before).map((r) => [rowKey(r), r]));
  const a = new Map(policyRows(after).map((r) => [rowKey(r), r]));
  const added = [...a].filter(([k]) => !b.has(k)).map(([, r]) => r);
  const removed = [...b].filter(([k]) => !a.has(k)).map(([, r]) => r);
  return { added, removed, change: classify(added, removed) };
}

/** A row as one line: `Allow s3:PutObject on arn:aws:s3:::b/* if {…}`. */
export function rowText(r: PolicyRow): string {
  const action = r.notAction ? `every action except ${r.action}` : r.action;
  const resource = r.notResource ? `every resource except ${r.resource}` : r.resource;
  return `${r.effect} ${action} on ${resource}${r.condition ? ` if ${JSON.stringify(r.condition)}` : ""}`;
}
