import { sortKeys } from "./canonical.js";

/**
 * IAM policy documents come back from AWS URL-encoded, with white space and key
 * order of its own, and with single values where we wrote one-element lists
 * (or the other way round). Normalizing both sides the same way is what lets a
 * fresh apply be followed by a plan with no changes.
 */
export function decodePolicyDocument(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    return JSON.parse(decodeURIComponent(trimmed)) as Record<string, unknown>;
  }
}

// Keys whose value is a string or a list of strings, where order carries no meaning.
const SET_VALUED = new Set(["Action", "NotAction", "Resource", "NotResource"]);

function asSortedList(v: unknown): unknown {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return [...new Set(v as string[])].sort();
  return v;
}

function normalizePrincipal(p: unknown): unknown {
  if (p === "*" || typeof p !== "object" || p === null) return p;
  return Object.fromEntries(Object.entries(p as Record<string, unknown>).map(([k, v]) => [k, asSortedList(v)]));
}

function normalizeCondition(c: unknown): unknown {
  if (typeof c !== "object" || c === null) return c;
  return Object.fromEntries(
    Object.entries(c as Record<string, unknown>).map(([op, body]) => [
      op,
      typeof body === "object" && body !== null
        ? Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, asSortedList(v)]))
        : body,
    ]),
  );
}

export function normalizePolicy(doc: unknown): Record<string, unknown> {
  const parsed = typeof doc === "string" ? decodePolicyDocument(doc) : (doc as Record<string, unknown>);
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  const out: Record<string, unknown> = { ...parsed };
  out.Statement = statements.map((s) => {
    const st = { ...(s as Record<string, unknown>) };
    for (const key of Object.keys(st)) {
      if (SET_VALUED.has(key)) st[key] = asSortedList(st[key]);
      if (key === "Principal" || key === "NotPrincipal") st[key] = normalizePrincipal(st[key]);
      if (key === "Condition") st[key] = normalizeCondition(st[key]);
    }
    return st;
  });
  return sortKeys(out) as Record<string, unknown>;
}

/** One-element lists back to plain values, the way people write policies and AWS shows them. */
function compact(value: unknown, depth: number): unknown {
  if (Array.isArray(value)) return value.length === 1 && typeof value[0] === "string" && depth > 1 ? value[0] : value.map((v) => compact(v, depth + 1));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, compact(v, depth + 1)]));
  }
  return value;
}

/**
 * Compact JSON for sending to AWS (size limits count characters). Normalized
 * documents hold every set as a list; one-element lists go back to plain values
 * (the Statement list itself stays a list).
 */
export function policyJson(doc: Record<string, unknown>): string {
  const { Statement, ...rest } = doc;
  const statements = (Array.isArray(Statement) ? Statement : [Statement]).map((s) => compact(s, 1));
  return JSON.stringify({ ...rest, Statement: statements });
}
