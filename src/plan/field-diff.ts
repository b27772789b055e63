/**
 * What differs between a live object and the configured one, field by field: maps (tags,
 * attributes, inline policies) entry by entry, long values (policy documents,
 * expressions) as a unified diff. Pure.
 */
import { createPatch } from "diff";
import { deepEqual } from "../domain/canonical.js";
import { isDeferred, isRef, type FieldChange, type Props } from "../domain/plan-types.js";

/** Fields whose values are maps compared entry by entry in the field diff. */
const MAP_FIELDS = new Set(["tags", "attributes", "inline_policies", "sessions"]);

export function refsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (isRef(value)) into.add(value.$ref);
  else if (Array.isArray(value)) value.forEach((v) => refsIn(v, into));
  else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => refsIn(v, into));
  return into;
}

export function hasDeferred(value: unknown): boolean {
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
