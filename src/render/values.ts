/**
 * How plan values read to a person. Shared by the text and markdown renderers so
 * a value looks the same in the terminal and in the pull-request comment.
 *
 * Values come from a configuration that may hold anything (names with quotes,
 * newlines, control characters, bidi overrides), so everything produced here is
 * a single line with those characters made visible; each renderer adds the
 * escaping its own format needs on top.
 */
import { expiryLocationAsGiven, expiryPhrase } from "../config/expiry.js";
import { isDeferred, isLookup, isRef, type ActionChange, type Change, type Expiry, type Plan } from "../domain/plan-types.js";
import { isLifetimeRecord } from "../domain/lifetimes.js";
import { escapeUnsafe } from "../util/safe-text.js";

/** Longest compact form still shown inline; longer objects and strings become blocks. */
export const INLINE_LIMIT = 100;

/** Free text (titles, reasons, warnings) with unsafe characters shown as \uXXXX; newlines and tabs kept. */
export function safeText(s: string): string {
  return escapeUnsafe(s);
}

/** A string as a quoted literal: JSON escaping, plus the characters JSON.stringify leaves raw. */
export function quote(s: string): string {
  // JSON.stringify already writes lone surrogates as \uXXXX; the rest of the unsafe characters it leaves raw.
  return escapeUnsafe(JSON.stringify(s));
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function key(k: string): string {
  return IDENTIFIER.test(k) ? k : quote(k);
}

/**
 * One line for any value:
 * - `{$ref}` → `→ authentik.application[aws]` (another managed object)
 * - `{$lookup,key}` → `flow "default-authentication-flow"` (a named authentik object)
 * - `{$deferred}` → `(known after apply)`
 * - strings quoted, arrays/objects as compact JSON-ish, `undefined` → `(unset)`.
 */
export function formatValue(v: unknown): string {
  if (v === undefined) return "(unset)";
  if (v === null) return "null";
  if (typeof v === "string") return quote(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (isRef(v)) return `→ ${safeText(v.$ref)}`;
  if (isLookup(v)) return `${safeText(v.$lookup)} ${quote(v.key)}`;
  if (isDeferred(v)) return "(known after apply)";
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, x]) => `${key(k)}: ${formatValue(x)}`).join(", ")} }`;
  }
  return quote(String(v));
}

/** Whether a value reads better as a block of lines than inline (multi-line text, big documents). */
export function isBlockValue(v: unknown): boolean {
  if (typeof v === "string") return v.includes("\n") || quote(v).length > INLINE_LIMIT;
  if (v === null || typeof v !== "object" || isRef(v) || isLookup(v) || isDeferred(v)) return false;
  return formatValue(v).length > INLINE_LIMIT;
}

/**
 * A value as indented lines, for blocks: multi-line strings as their own lines
 * (a Python expression reads as code, not as one "\n"-studded literal), objects
 * pretty-printed like JSON with symbolic values shown as in formatValue.
 */
export function formatBlock(v: unknown): string[] {
  if (typeof v === "string") return safeText(v.replace(/\r\n?/g, "\n").replace(/\n$/, "")).split("\n");
  return pretty(v, "");
}

function pretty(v: unknown, indent: string): string[] {
  const inner = `${indent}  `;
  if (Array.isArray(v) && v.length > 0 && formatValue(v).length > INLINE_LIMIT) {
    const items = v.map((x) => pretty(x, inner));
    return ["[", ...items.flatMap((lines, i) => withComma(lines, i < items.length - 1, inner)), `${indent}]`];
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v) && !isRef(v) && !isLookup(v) && !isDeferred(v)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length > 0 && formatValue(v).length > INLINE_LIMIT) {
      const items = entries.map(([k, x]) => {
        const lines = pretty(x, inner);
        return [`${key(k)}: ${lines[0]}`, ...lines.slice(1)];
      });
      return ["{", ...items.flatMap((lines, i) => withComma(lines, i < items.length - 1, inner)), `${indent}}`];
    }
  }
  return [formatValue(v)];
}

/** Indent an element's lines (its first line is placed by the caller's prefix) and add the separating comma. */
function withComma(lines: string[], comma: boolean, inner: string): string[] {
  const out = lines.map((l, i) => (i === 0 ? `${inner}${l}` : l));
  if (comma) out[out.length - 1] += ",";
  return out;
}

/** What an access row grants, in the words of the mode: an IAM role or an Identity Center permission set. */
export function grantKind(mode: string): string {
  return mode === "identity-center" ? "permission set" : "role";
}

/** "3 to create, 1 to update, 0 to delete" (adoptions and replacements only when there are any). */
export function summaryCounts(summary: { adopt?: number; create: number; update: number; delete: number; replace: number }): string {
  const parts = [`${summary.create} to create`, `${summary.update} to update`, `${summary.delete} to delete`];
  if (summary.adopt) parts.unshift(`${summary.adopt} to adopt`);
  if (summary.replace > 0) parts.push(`${summary.replace} to replace`);
  return parts.join(", ");
}

/**
 * The one line for a plan with changes but an empty access diff. Taking a setup over
 * (adopt) must be seen to change nobody's access.
 */
export function noAccessChange(plan: { summary: { adopt?: number }; accessCaveats?: string[]; lifetimes?: readonly unknown[] }): string {
  // "Nobody" only when the access diff is the whole story.
  if (plan.accessCaveats?.length) return "No access changes by group — but see what people hold below.";
  // Made permanent, or set to end: who holds what is unchanged today, how long is not.
  if (plan.lifetimes?.length) return `No one gains or loses access today, but how long ${plan.lifetimes.length === 1 ? "a grant lasts changes" : `${plan.lifetimes.length} grants last changes`}: see "Access that expires".`;
  return plan.summary.adopt
    ? `No access changes: nobody gains or loses anything; ${plan.summary.adopt} existing ${plan.summary.adopt === 1 ? "object is" : "objects are"} taken over (adopt) and the rest only restructures.`
    : "No access changes.";
}

/**
 * "the live sessions of bob, carol as role 'admin' in prod (111111111111) will be ended":
 * one line per role and account (options.revokeSessions). Names are raw: each renderer escapes them.
 */
export function sessionsEndedGroups(plan: Pick<Plan, "sessionsEnded">): { grant: string; account: string; accountId: string; people: string[]; count: number }[] {
  const groups = new Map<string, { grant: string; account: string; accountId: string; people: string[]; count: number }>();
  for (const e of plan.sessionsEnded ?? []) {
    const k = `${e.grant}\u0000${e.account}`;
    const g = groups.get(k) ?? { grant: e.grant, account: e.account, accountId: e.accountId, people: [], count: 0 };
    g.count++;
    if (e.person !== undefined) g.people.push(e.person);
    groups.set(k, g);
  }
  return [...groups.values()];
}

/** At most this many names are shown unfolded; the rest are folded (markdown) or counted (text). */
export const MAX_NAMES_SHOWN = 10;

export function peopleCount(n: number): string {
  return `${n} ${n === 1 ? "person" : "people"}`;
}

/**
 * Fields a new object of a kind holds at their default (authentik's own, which the tool
 * writes as it is): not worth a reviewer's line, so creations and deletions leave them out
 * and say so once.
 */
export const DEFAULT_FIELDS: Record<string, Record<string, unknown>> = {
  "authentik.policy_binding": { order: 0, enabled: true, negate: false, timeout: 30, failure_result: false },
};

/** The props without the fields at their kind's default, and the names of those left out. */
export function withoutDefaults(type: string, props: Record<string, unknown>): { shown: Record<string, unknown>; hidden: string[] } {
  const defaults = DEFAULT_FIELDS[type] ?? {};
  const shown: Record<string, unknown> = {};
  const hidden: string[] = [];
  for (const [k, v] of Object.entries(props)) {
    if (k in defaults && defaults[k] === v) hidden.push(k);
    else shown[k] = v;
  }
  return { shown, hidden };
}

/**
 * What the group bound to the authentik application itself gets, in the words of the
 * mode: in classic-iam only the application's tile (what it signs in to comes from the
 * role grants); in identity-center sign-in to the AWS access portal, and with SCIM its
 * members provisioned into IAM Identity Center.
 */
export function applicationWords(mode: string): string {
  return mode === "identity-center"
    ? "authentik: sign-in to the AWS access portal (with SCIM, its members are provisioned into IAM Identity Center)"
    : "authentik: the application's tile (which roles it offers comes from the role grants)";
}

export const SEVERITY_MARK: Record<string, string> = { high: "🔴", medium: "🟠", low: "🟡" };

/** A policy statement row as words (see policy-diff.ts): `Allow s3:PutObject on arn:…`. */
export function statementWords(r: { effect: string; action: string; resource: string; condition?: unknown; notAction?: true; notResource?: true }): { effect: string; action: string; resource: string; condition?: string } {
  return {
    effect: r.effect,
    action: r.notAction ? `every action except ${r.action}` : r.action,
    resource: r.notResource ? `every resource except ${r.resource}` : r.resource,
    ...(r.condition ? { condition: JSON.stringify(r.condition) } : {}),
  };
}

/** "expired on 2026-11-30" / "expires at 2026-12-31T18:00:00Z" (the value as written). */
export function expiryWords(e: Expiry, past: boolean): string {
  return `${past ? "expired" : "expires"} ${expiryPhrase(e.value)}`;
}

/**
 * Where an expiry is written, as errors and validate warnings name the file: as given on
 * the command line (the plan's `config`). The plan itself keeps the file's base name, so
 * that its hash does not depend on how -c spelled the path.
 */
export function expiryWhere(e: Expiry, configFile: string): string {
  return expiryLocationAsGiven(e.location, configFile);
}

/** A change's reason as printed: an expired grant's with the location as given (see expiryWhere). */
export function reasonShown(change: { reason: string; expired?: Expiry }, configFile: string): string {
  return change.expired ? `expired ${expiryPhrase(change.expired.value)} (${change.expired.field}, ${expiryWhere(change.expired, configFile)})` : change.reason;
}

/** "in 3 days", "in 1 day", "in less than a day" from a row's whole days left. */
export function daysLeftWords(days: number): string {
  return days >= 1 ? `in ${days} ${days === 1 ? "day" : "days"}` : "in less than a day";
}

/** "now expires on 2027-01-31, was on 2026-12-31", "made permanent, was expiring on 2026-12-31", "now expires on 2026-12-31, was permanent". */
export function lifetimeWords(before: string | null, after: string | null): string {
  if (after === null) return `made permanent, was expiring ${before === null ? "never" : expiryPhrase(before)}`;
  return `now expires ${expiryPhrase(after)}, was ${before === null ? "permanent" : expiryPhrase(before)}`;
}

/** "renamed admin → administrator in prod, dev: nobody gains or loses anything" */
export function renameWords(r: { kind: string; from: string; to: string; accounts: readonly string[] }): string {
  const where = r.accounts.length ? ` in ${r.accounts.join(", ")}` : "";
  return r.from === r.to
    ? `moved ${r.kind} ${r.from}${where}: nobody gains or loses anything`
    : `renamed ${r.kind} ${r.from} → ${r.to}${where}: nobody gains or loses anything`;
}

/**
 * What the deletion warning names: deletes and replaces, except what a rename only
 * re-creates (it says "renamed") and the identity-center record of when access ends
 * (it grants nothing; "Access that expires" says what its delete means).
 */
export function removedChanges(plan: Pick<Plan, "changes" | "renames">): Change[] {
  const renamed = new Set((plan.renames ?? []).flatMap((r) => r.addresses));
  const record = (c: Change) => c.type === "authentik.entitlement" && isLifetimeRecord((c.before?.attributes ?? {}) as Record<string, unknown>);
  return plan.changes.filter((c) => (c.action === "delete" || c.action === "replace") && !renamed.has(c.address) && !record(c));
}

/** The order access levels are said in: "38 Write, 9 Permissions management, 12 Tagging, 66 Read, 18 List". */
const LEVELS_SAID = ["Write", "Permissions management", "Tagging", "Read", "List"] as const;

/**
 * What one statement newly allows (or no longer allows), in words: "newly allows 180 s3
 * actions — 57 Write, 27 Permissions management, … (s3:PutBucketPolicy, …)", and where
 * the statement is, and the statement (cut at `max` characters).
 */
export function actionChangeWords(a: ActionChange, max = 300): { headline: string; examples: string[]; more: boolean; source: string; statement: string } {
  const verb = a.change === "allows" ? "newly allows" : "no longer allows";
  const levels = LEVELS_SAID.filter((l) => a.levels[l]).map((l) => `${a.levels[l]} ${l}`).join(", ");
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const services = a.services.length + (a.otherServices?.services ?? 0);
  const first = a.services[0];
  const headline =
    services === 1 && first
      ? `${verb} ${plural(a.actions, `${first.service} action`)} — ${levels}`
      : `${verb} ${plural(a.actions, "action")} of ${services} services (${a.services
          .slice(0, 3)
          .map((s) => `${s.service} ${s.actions}`)
          .join(", ")}${services > 3 ? ", …" : ""}) — ${levels}`;
  const examples = services === 1 && first ? first.examples : a.services.slice(0, 3).map((s) => s.examples[0]!).filter(Boolean);
  const statement = a.statement.length > max ? `${a.statement.slice(0, max - 1)}…` : a.statement;
  return { headline, examples, more: a.actions > examples.length, source: a.source, statement };
}
