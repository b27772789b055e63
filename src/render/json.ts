/**
 * The plan as JSON: what `plan --out` saves, `apply --plan` reads back and
 * other tools consume. The shape is the Plan type, versioned by `version`.
 *
 * parsePlanJson checks the shape far enough that a wrong file (a config, a
 * plan of another version, a truncated download) fails with a message saying
 * what is wrong, rather than deep inside apply. Whether the plan still matches
 * the live state is apply's question (by hash), not this one's.
 */
import { UserError } from "../errors.js";
import type { Plan } from "../domain/plan-types.js";

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

const ACTIONS = ["adopt", "create", "update", "delete", "replace"];
const MODES = ["classic-iam", "identity-center"];

type Json = Record<string, unknown>;

class Shape {
  constructor(private readonly problems: string[]) {}

  object(v: unknown, path: string): v is Json {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return true;
    this.problems.push(`${path} must be an object (got ${describe(v)})`);
    return false;
  }
  array(v: unknown, path: string): v is unknown[] {
    if (Array.isArray(v)) return true;
    this.problems.push(`${path} must be an array (got ${describe(v)})`);
    return false;
  }
  string(v: unknown, path: string): void {
    if (typeof v !== "string") this.problems.push(`${path} must be a string (got ${describe(v)})`);
  }
  count(v: unknown, path: string): void {
    if (!Number.isInteger(v) || (v as number) < 0) this.problems.push(`${path} must be a whole number (got ${describe(v)})`);
  }
  oneOf(v: unknown, allowed: readonly string[], path: string): void {
    if (typeof v !== "string" || !allowed.includes(v)) this.problems.push(`${path} must be one of ${allowed.join(", ")} (got ${describe(v)})`);
  }
  strings(v: unknown, path: string): void {
    if (this.array(v, path)) v.forEach((s, i) => this.string(s, `${path}[${i}]`));
  }
  propsOrNull(v: unknown, path: string): void {
    if (v !== null) this.object(v, path);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Where JSON.parse gave up, without its message: that quotes the start of the
 * file, and a wrong file given as the plan may be one holding secrets.
 */
function jsonErrorWhere(text: string, error: Error): string {
  const at = /at position (\d+)/.exec(error.message);
  if (at) {
    const before = text.slice(0, Number(at[1]));
    const line = before.split("\n").length;
    return ` (at line ${line}, column ${before.length - before.lastIndexOf("\n")})`;
  }
  if (/end of JSON input/i.test(error.message)) return " (it ends too early)";
  return "";
}

/** At most this many problems in the message: a wrong file would otherwise list thousands. */
const MAX_PROBLEMS = 10;

export function parsePlanJson(text: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`not a plan: the file is not valid JSON${jsonErrorWhere(text, e as Error)}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new UserError(`not a plan: expected a JSON object written by "plan --out", got ${describe(data)}`);
  }
  const plan = data as Json;
  if (plan.version === undefined) {
    throw new UserError('not a plan: it has no "version" (a plan saved by "authentik-aws-gitops plan --out" has version 2)');
  }
  if (plan.version !== 2) {
    throw new UserError(`unsupported plan version ${describe(plan.version)}: this authentik-aws-gitops reads plans of version 2; make the plan again with this version`);
  }

  const problems: string[] = [];
  const s = new Shape(problems);
  if (s.object(plan.tool, "tool")) {
    s.string(plan.tool.name, "tool.name");
    s.string(plan.tool.version, "tool.version");
  }
  s.oneOf(plan.mode, MODES, "mode");
  s.string(plan.config, "config");
  s.string(plan.hash, "hash");
  if (s.object(plan.summary, "summary")) {
    // summary.adopt came with `adopt:` (plans saved before it have none).
    if (plan.summary.adopt === undefined) plan.summary.adopt = 0;
    for (const k of ACTIONS) s.count(plan.summary[k], `summary.${k}`);
  }
  if (s.array(plan.access, "access")) {
    plan.access.forEach((r, i) => {
      const p = `access[${i}]`;
      if (!s.object(r, p)) return;
      for (const k of ["group", "grant", "account", "accountId"]) s.string(r[k], `${p}.${k}`);
      s.oneOf(r.change, ["gained", "lost"], `${p}.change`);
      if (r.kind !== undefined) s.oneOf(r.kind, ["application"], `${p}.kind`);
      if (r.reason !== undefined) s.oneOf(r.reason, ["expired"], `${p}.reason`);
    });
  }
  if (s.array(plan.permissions, "permissions")) {
    plan.permissions.forEach((r, i) => {
      const p = `permissions[${i}]`;
      if (!s.object(r, p)) return;
      for (const k of ["grant", "account", "accountId", "address"]) s.string(r[k], `${p}.${k}`);
      s.oneOf(r.change, ["widened", "narrowed", "changed"], `${p}.change`);
      for (const k of ["added", "removed"]) s.array(r[k], `${p}.${k}`);
      for (const k of ["managedPoliciesAdded", "managedPoliciesRemoved", "customerManagedPoliciesAdded", "customerManagedPoliciesRemoved"]) s.strings(r[k], `${p}.${k}`);
    });
  }
  if (s.array(plan.risks, "risks")) {
    plan.risks.forEach((r, i) => {
      const p = `risks[${i}]`;
      if (!s.object(r, p)) return;
      s.string(r.rule, `${p}.rule`);
      s.string(r.message, `${p}.message`);
      s.oneOf(r.severity, ["high", "medium", "low"], `${p}.severity`);
      s.strings(r.addresses, `${p}.addresses`);
    });
  }
  // Plans saved before expiries existed have no "expiring".
  if (plan.expiring !== undefined && s.array(plan.expiring, "expiring")) {
    plan.expiring.forEach((r, i) => {
      const p = `expiring[${i}]`;
      if (!s.object(r, p)) return;
      for (const k of ["group", "grant", "account", "accountId"]) s.string(r[k], `${p}.${k}`);
      s.count(r.daysLeft, `${p}.daysLeft`);
      if (s.object(r.expires, `${p}.expires`)) for (const k of ["value", "endsAt", "field", "location"]) s.string(r.expires[k], `${p}.expires.${k}`);
    });
  }
  // Added within version 2: absent in older plans.
  if (plan.lifetimes !== undefined && s.array(plan.lifetimes, "lifetimes")) {
    plan.lifetimes.forEach((r, i) => {
      const p = `lifetimes[${i}]`;
      if (!s.object(r, p)) return;
      for (const k of ["group", "grant", "account", "accountId", "address"]) s.string(r[k], `${p}.${k}`);
      for (const k of ["before", "after"]) if (r[k] !== null) s.string(r[k], `${p}.${k}`);
    });
  }
  if (plan.renames !== undefined && s.array(plan.renames, "renames")) {
    plan.renames.forEach((r, i) => {
      const p = `renames[${i}]`;
      if (!s.object(r, p)) return;
      for (const k of ["kind", "from", "to"]) s.string(r[k], `${p}.${k}`);
      s.strings(r.accounts, `${p}.accounts`);
      s.strings(r.addresses, `${p}.addresses`);
    });
  }
  if (s.array(plan.changes, "changes")) {
    plan.changes.forEach((c, i) => {
      const p = `changes[${i}]`;
      if (!s.object(c, p)) return;
      for (const k of ["address", "type", "system", "title", "reason"]) s.string(c[k], `${p}.${k}`);
      s.oneOf(c.action, ACTIONS, `${p}.action`);
      s.propsOrNull(c.before, `${p}.before`);
      s.propsOrNull(c.after, `${p}.after`);
      s.strings(c.dependsOn, `${p}.dependsOn`);
      if (s.array(c.fields, `${p}.fields`)) {
        c.fields.forEach((f, j) => {
          if (s.object(f, `${p}.fields[${j}]`)) s.string(f.field, `${p}.fields[${j}].field`);
        });
      }
    });
  }
  if (s.array(plan.notPruned, "notPruned")) {
    plan.notPruned.forEach((n, i) => {
      if (!s.object(n, `notPruned[${i}]`)) return;
      s.string(n.address, `notPruned[${i}].address`);
      s.string(n.title, `notPruned[${i}].title`);
    });
  }
  s.strings(plan.warnings, "warnings");
  s.strings(plan.manualSteps, "manualSteps");
  if (plan.accessCaveats !== undefined) s.strings(plan.accessCaveats, "accessCaveats");
  if (plan.sessionsEnded !== undefined && s.array(plan.sessionsEnded, "sessionsEnded")) {
    plan.sessionsEnded.forEach((e, i) => {
      if (!s.object(e, `sessionsEnded[${i}]`)) return;
      for (const key of ["grant", "account", "accountId"] as const) s.string(e[key], `sessionsEnded[${i}].${key}`);
      for (const key of ["person", "session"] as const) if (e[key] !== undefined) s.string(e[key], `sessionsEnded[${i}].${key}`);
    });
  }

  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `  - ${p}`);
    if (problems.length > MAX_PROBLEMS) shown.push(`  - … and ${problems.length - MAX_PROBLEMS} more`);
    throw new UserError(`not a valid plan of version 2:\n${shown.join("\n")}`);
  }
  return plan as unknown as Plan;
}
