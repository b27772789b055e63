// Shared handler plumbing: the handler signature, DRF-style list pagination /
// filtering / search / ordering, and small write helpers.
import { ApiError, type FieldErrorCollector, doesNotExist } from "../http-errors.js";
import type { ExpressionEngine } from "../python.js";
import type { SerializeContext, Wire } from "../serialize.js";
import type { Compare } from "../collation.js";
import type { Store, UserRec } from "../store.js";

export interface EmulatorOptions {
  version: string;
  /**
   * What GET /providers/saml/{id}/metadata/ answers for a provider without an
   * application: 200 {"metadata": ""} up to 2026.2, 404 from 2026.5 (the
   * release's default; see providers_saml_metadata_retrieve), or as overridden.
   */
  metadataWithoutApplication: "empty" | "404";
}

export interface HandlerContext {
  store: Store;
  ser: SerializeContext;
  options: EmulatorOptions;
  /** python3-backed compile/evaluate of property-mapping expressions */
  expressions: ExpressionEngine;
  params: Record<string, string>;
  /** the request's HTTP method (PUT applies serializer defaults that PATCH does not) */
  method: string;
  /** query values already validated and coerced to the schema's types */
  query: Record<string, unknown>;
  /** request body, already validated against the operation's request schema */
  body: Record<string, unknown>;
  /** body keys the client sent (to tell "absent" from "null" in PATCH and validate()) */
  sent: Set<string>;
  /** the token's user (undefined on anonymous operations) */
  user?: UserRec;
  /** whether the request's user is a superuser (permissions.ts principalIsSuperuser) */
  isSuperuser(): boolean;
  /** record a non-fatal observation (e.g. a known authentik pitfall the request hit) */
  warn(message: string): void;
  /** a permission checked inside the view (recorded); throws authentik's 403 when the token's user lacks it */
  requirePermission(codename: string): void;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (ctx: HandlerContext) => HandlerResult | Promise<HandlerResult>;
export type HandlerTable = Record<string, Handler>;

export const ok = (body: unknown): HandlerResult => ({ status: 200, body });
export const created = (body: unknown): HandlerResult => ({ status: 201, body });
export const noContent = (): HandlerResult => ({ status: 204 });

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

export type Filter = (item: Wire, value: unknown) => boolean;

/** Exact match on a wire field, as django-filter does for filterset_fields. */
export const exact =
  (field: string): Filter =>
  (item, value) =>
    String(item[field]) === String(value);

/** `?x=a&x=b` → any of (AllValuesMultipleFilter / ModelMultipleChoiceFilter). */
export const anyOf =
  (field: string): Filter =>
  (item, value) =>
    (value as unknown[]).map(String).includes(String(item[field]));

export const isNull =
  (field: string): Filter =>
  (item, value) =>
    (item[field] === null || item[field] === undefined) === value;

export interface ListSpec {
  filters?: Record<string, Filter>;
  /** wire fields `?search=` looks in (case-insensitive substring, like DRF SearchFilter) */
  search?: string[];
  /** default ordering, DRF style ("name", "-order") */
  ordering: string[];
}

/** PostgreSQL's ORDER BY: NULLS LAST ascending (first descending), numbers numerically, text by the collation. */
function compare(a: unknown, b: unknown, text: Compare): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return text(String(a), String(b));
}

export function sortWire(items: Wire[], ordering: string[], text: Compare): Wire[] {
  return [...items].sort((x, y) => {
    for (const key of ordering) {
      const desc = key.startsWith("-");
      const field = key.replace(/^-/, "");
      const c = compare(x[field], y[field], text);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}

/** Filter, search, order, then paginate like authentik's Pagination class. */
export function list(ctx: HandlerContext, items: Wire[], spec: ListSpec): HandlerResult {
  let rows = items;
  for (const [name, filter] of Object.entries(spec.filters ?? {})) {
    const value = ctx.query[name];
    if (value === undefined) continue;
    rows = rows.filter((r) => filter(r, value));
  }
  const search = ctx.query.search;
  if (typeof search === "string" && search !== "" && spec.search) {
    const needle = search.toLowerCase();
    rows = rows.filter((r) => spec.search!.some((f) => String(r[f] ?? "").toLowerCase().includes(needle)));
  }
  const ordering = typeof ctx.query.ordering === "string" && ctx.query.ordering !== "" ? ctx.query.ordering.split(",") : spec.ordering;
  rows = sortWire(rows, ordering, ctx.store.compare);
  return ok(paginate(ctx, rows));
}

export function paginate(ctx: HandlerContext, rows: Wire[], countOverride?: number): Wire {
  const requested = typeof ctx.query.page_size === "number" ? ctx.query.page_size : DEFAULT_PAGE_SIZE;
  // DRF: invalid/non-positive page_size falls back to the default; too large is clamped.
  const pageSize = requested > 0 ? Math.min(requested, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  const count = countOverride ?? rows.length;
  const totalPages = Math.max(1, Math.ceil(count / pageSize));
  const page = typeof ctx.query.page === "number" ? ctx.query.page : 1;
  if (page < 1 || page > totalPages) throw new ApiError(404, { detail: "Invalid page." });
  const start = (page - 1) * pageSize;
  const results = rows.slice(start, start + pageSize);
  return {
    pagination: {
      // authentik sends 0 (not null) when there is no next/previous page.
      next: page < totalPages ? page + 1 : 0,
      previous: page > 1 ? page - 1 : 0,
      count,
      current: page,
      total_pages: totalPages,
      // Django's Page.start_index()/end_index(): 1-based, 0 for an empty list.
      start_index: count === 0 ? 0 : start + 1,
      end_index: count === 0 ? 0 : Math.min(start + pageSize, count),
    },
    results,
    autocomplete: {},
  };
}

/** The writable fields present in the body. */
export function pick(ctx: HandlerContext, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (ctx.sent.has(f)) out[f] = ctx.body[f];
  return out;
}

/** PrimaryKeyRelatedField existence check for one or many references. */
export function checkRefs(errors: FieldErrorCollector, field: string, value: unknown, exists: (pk: never) => boolean): void {
  if (value === null || value === undefined) return;
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (!exists(v as never)) {
      errors.add(field, doesNotExist(v));
      return; // DRF reports the first bad pk of a many-field
    }
  }
}

export function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === "boolean" ? v : fallback;
}
