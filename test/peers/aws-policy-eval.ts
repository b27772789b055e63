/**
 * IAM's policy evaluation, as far as the AWS shim models it (see aws-sessions.ts and
 * MOTO-NOTES.md, "Role sessions"): does a request — an action and its request context —
 * find an applicable Deny or Allow in a set of policies?
 *
 * moto 5.2.1's own access control cannot answer this (its conditions cover sts:ExternalId only,
 * and it denies on any condition it does not know), and the IAM policy simulators on npm are
 * AGPL-3.0 (DESIGN.md). So the rules are written here, each from AWS's documentation (IAM User
 * Guide; the page is named next to the rule). Nothing here comes from the tool (src/): a mistake
 * in the tool's idea of IAM must not become the stand-in's.
 *
 * What it will not guess — it throws PolicyModelError, which the shim answers as a loud HTTP 500
 * naming it, never as a decision:
 *   - condition operators other than String*, Date*, Bool, Null and their …IfExists forms
 *     (ForAnyValue:/ForAllValues:, Numeric*, Arn*, IpAddress, Binary*);
 *   - context keys the request context does not model (neither a value nor known to be absent);
 *   - policy variables (`${…}`) in condition values;
 *   - an operator of the wrong family for its key (a String operator on a date key, …).
 *
 * The resource of a request is not known to the shim: a statement counts as applying to the
 * request only when its Resource is "*" (every resource). A statement whose Resource is narrower
 * (or that uses NotResource) is *not evaluated*; it is reported as `narrower`, and the caller
 * (decide) refuses to answer when such a statement could change the decision.
 */

/** The shim does not model this: answer loudly, never decide. */
export class PolicyModelError extends Error {
  override name = "PolicyModelError";
}

/** The type of a context key's value, for the operator families that may compare it. */
export type ContextKeyType = "string" | "date" | "bool";

/**
 * The request context: keys (lower-cased: "Context key names are not case-sensitive", IAM JSON
 * policy elements: Condition) with their single value and type, and keys known to be absent.
 * Any other key is not modelled.
 */
export interface RequestContext {
  present: Map<string, { value: string; type: ContextKeyType }>;
  absent: Set<string>;
}

export type Effect = "Allow" | "Deny";

/** A policy as read from IAM: a name for messages, and its document (JSON text or parsed). */
export interface NamedPolicy {
  name: string;
  document: string | Record<string, unknown>;
}

export interface StatementRef {
  policy: string;
  /** position in the policy's Statement list */
  index: number;
  sid?: string;
  effect: Effect;
}

export interface PolicyVerdict {
  /** statements that apply to the request (every resource, action and conditions match), by effect */
  deny: StatementRef[];
  allow: StatementRef[];
  /** statements on the action whose Resource is narrower than "*": not evaluated (the resource is unknown) */
  narrower: StatementRef[];
}

/** Who the statement's Principal must match (trust policies only; identity policies have none). */
export interface PrincipalSpec {
  /** e.g. { Federated: "arn:aws:iam::111111111111:saml-provider/authentik" } */
  type: "Federated" | "AWS";
  value: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** IAM answers policy documents URL-encoded (GetRolePolicy, GetPolicyVersion, GetRole); moto's ListRoles does not. */
export function parsePolicyDocument(text: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = JSON.parse(decodeURIComponent(text));
  }
  if (!isObject(parsed)) throw new PolicyModelError(`policy document is not a JSON object: ${text.slice(0, 200)}`);
  return parsed;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * IAM's wildcard match: `*` any run of characters, `?` one character. Actions: "The prefix and
 * the action name are case insensitive" (IAM JSON policy elements: Action).
 */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, ignoreCase ? "is" : "s");
  return re.test(value);
}

function actionApplies(statement: Json, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((a) => typeof a === "string" && wildcard(a, action, true));
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((a) => typeof a === "string" && wildcard(a, action, true));
  return false;
}

/** "every resource" only for Resource "*"; anything narrower (or NotResource) depends on the resource, which the shim does not know. */
function resourceScope(statement: Json): "all" | "narrower" | "none" {
  if (statement.Resource !== undefined) return list(statement.Resource).includes("*") ? "all" : "narrower";
  if (statement.NotResource !== undefined) return "narrower";
  return "none";
}

function principalApplies(statement: Json, principal: PrincipalSpec): boolean {
  if (statement.NotPrincipal !== undefined) throw new PolicyModelError("NotPrincipal in a trust policy is not modelled by the shim");
  const p = statement.Principal;
  if (p === "*") return true;
  if (!isObject(p)) return false;
  // "Principal": {"AWS": "*"} is every principal (IAM JSON policy elements: Principal, "All principals").
  if (list(p.AWS).includes("*")) return true;
  return list(p[principal.type]).some((v) => v === principal.value);
}

// ---- conditions -------------------------------------------------------------------------

/** Condition operators the shim evaluates (IAM JSON policy elements: Condition operators). */
const STRING_OPS = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"] as const;
const DATE_OPS = ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"] as const;
const NEGATED = new Set(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "DateNotEquals"]);
/** The positive operator a negated one negates. */
const POSITIVE: Record<string, string> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  DateNotEquals: "DateEquals",
};

function familyOf(op: string): ContextKeyType | "null" | undefined {
  if ((STRING_OPS as readonly string[]).includes(op)) return "string";
  if ((DATE_OPS as readonly string[]).includes(op)) return "date";
  if (op === "Bool") return "bool";
  if (op === "Null") return "null";
  return undefined;
}

/**
 * A date in a policy or the context: "You must specify date/time values with one of the W3C
 * implementations of the ISO 8601 date formats or in epoch (UNIX) time" (Condition operators,
 * Date). Epoch values are seconds.
 */
function parseDate(value: string, where: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new PolicyModelError(`${where}: ${JSON.stringify(value)} is not an ISO 8601 date or epoch time`);
  return ms;
}

function compare(op: string, contextValue: string, policyValue: string, where: string): boolean {
  switch (op) {
    case "StringEquals":
      return contextValue === policyValue;
    case "StringEqualsIgnoreCase":
      return contextValue.toLowerCase() === policyValue.toLowerCase();
    // "Case-sensitive matching. The values can include multi-character match wildcards (*) and
    // single-character match wildcards (?) anywhere in the string."
    case "StringLike":
      return wildcard(policyValue, contextValue, false);
    case "DateEquals":
      return parseDate(contextValue, where) === parseDate(policyValue, where);
    case "DateLessThan":
      return parseDate(contextValue, where) < parseDate(policyValue, where);
    case "DateLessThanEquals":
      return parseDate(contextValue, where) <= parseDate(policyValue, where);
    case "DateGreaterThan":
      return parseDate(contextValue, where) > parseDate(policyValue, where);
    case "DateGreaterThanEquals":
      return parseDate(contextValue, where) >= parseDate(policyValue, where);
    case "Bool":
      return contextValue.toLowerCase() === policyValue.toLowerCase();
    default:
      throw new PolicyModelError(`${where}: condition operator ${op} is not modelled by the shim`);
  }
}

/** A policy value as IAM reads it: JSON strings, numbers and booleans all compare as text. */
function policyValues(v: unknown, where: string): string[] {
  return list(v).map((x) => {
    if (typeof x === "string") {
      // Policy variables (IAM policy elements: Variables and tags) — and their ${*}, ${?}, ${$} escapes.
      if (x.includes("${")) throw new PolicyModelError(`${where}: policy variables (${JSON.stringify(x)}) are not modelled by the shim`);
      return x;
    }
    if (typeof x === "number" || typeof x === "boolean") return String(x);
    throw new PolicyModelError(`${where}: condition value ${JSON.stringify(x)} is not a string`);
  });
}

/**
 * Whether a statement's Condition block holds (Conditions with multiple context keys or values):
 * operators AND, keys within an operator AND, values of one key OR — NOR for a negated operator.
 * A key missing from the context: "the values do not match and the condition is false", except
 * for negated operators (true), …IfExists ("evaluate the condition element as true") and Null,
 * which tests exactly that (Condition operators, "Important" and "…IfExists", "Null").
 */
export function conditionHolds(condition: unknown, context: RequestContext, where: string): boolean {
  if (condition === undefined) return true;
  if (!isObject(condition)) throw new PolicyModelError(`${where}: Condition is not an object`);
  for (const [rawOp, block] of Object.entries(condition)) {
    if (rawOp.includes(":")) throw new PolicyModelError(`${where}: condition set operator ${rawOp} (ForAnyValue:/ForAllValues:) is not modelled by the shim`);
    const ifExists = rawOp.endsWith("IfExists") && rawOp !== "IfExists";
    const op = ifExists ? rawOp.slice(0, -"IfExists".length) : rawOp;
    const family = familyOf(op);
    if (family === undefined || (family === "null" && ifExists)) throw new PolicyModelError(`${where}: condition operator ${rawOp} is not modelled by the shim`);
    if (!isObject(block)) throw new PolicyModelError(`${where}: ${rawOp} is not an object`);
    for (const [key, raw] of Object.entries(block)) {
      const values = policyValues(raw, `${where} ${rawOp} ${key}`);
      const lower = key.toLowerCase();
      const entry = context.present.get(lower);
      if (entry === undefined && !context.absent.has(lower)) {
        throw new PolicyModelError(`${where}: context key ${key} is not modelled by the shim (neither its value nor its absence)`);
      }
      if (family === "null") {
        // "true (the key doesn't exist — it is null) or false (the key exists and its value is not null)"
        if (!values.some((v) => (v.toLowerCase() === "true") === (entry === undefined))) return false;
        continue;
      }
      if (entry === undefined) {
        if (ifExists || NEGATED.has(op)) continue;
        return false;
      }
      if (entry.type !== family) throw new PolicyModelError(`${where}: ${rawOp} compares ${key}, whose value is a ${entry.type}, not a ${family}`);
      const at = `${where} ${rawOp} ${key}`;
      const holds = NEGATED.has(op) ? !values.some((v) => compare(POSITIVE[op]!, entry.value, v, at)) : values.some((v) => compare(op, entry.value, v, at));
      if (!holds) return false;
    }
  }
  return true;
}

// ---- statements -------------------------------------------------------------------------

/**
 * The statements of `policies` that apply to `action` in `context` (and, for a trust policy,
 * to `principal`). Statements on other actions are skipped without looking at their
 * conditions (a condition of a statement that cannot apply never decides anything).
 */
export function evaluatePolicies(policies: readonly NamedPolicy[], action: string, context: RequestContext, principal?: PrincipalSpec): PolicyVerdict {
  const verdict: PolicyVerdict = { deny: [], allow: [], narrower: [] };
  for (const policy of policies) {
    const doc = typeof policy.document === "string" ? parsePolicyDocument(policy.document) : policy.document;
    list(doc.Statement).forEach((raw, index) => {
      if (!isObject(raw)) throw new PolicyModelError(`${policy.name}: statement ${index} is not an object`);
      const effect = raw.Effect;
      if (effect !== "Allow" && effect !== "Deny") throw new PolicyModelError(`${policy.name}: statement ${index} has Effect ${JSON.stringify(effect)}`);
      const ref: StatementRef = { policy: policy.name, index, effect, ...(typeof raw.Sid === "string" && raw.Sid !== "" ? { sid: raw.Sid } : {}) };
      const where = `policy ${policy.name} statement ${ref.sid ?? index}`;
      if (!actionApplies(raw, action)) return;
      if (principal !== undefined) {
        if (!principalApplies(raw, principal)) return;
      } else {
        const scope = resourceScope(raw);
        if (scope === "none") throw new PolicyModelError(`${where}: an identity policy statement without Resource/NotResource`);
        if (scope === "narrower") {
          // Its conditions might rule it out whatever the resource; when they cannot be decided it stays a candidate.
          let holds = true;
          try {
            holds = conditionHolds(raw.Condition, context, where);
          } catch (e) {
            if (!(e instanceof PolicyModelError)) throw e;
          }
          if (holds) verdict.narrower.push(ref);
          return;
        }
      }
      if (!conditionHolds(raw.Condition, context, where)) return;
      (effect === "Deny" ? verdict.deny : verdict.allow).push(ref);
    });
  }
  return verdict;
}

// ---- the decision -----------------------------------------------------------------------

/** The policy types of a role session within one account, in the order AWS names them. */
export type PolicyLayer = "identity-based policy" | "permissions boundary" | "session policy";

export type Decision =
  | { decision: "allow" }
  | { decision: "explicit-deny"; layer: PolicyLayer; statement: StatementRef }
  | { decision: "implicit-deny"; layer: PolicyLayer };

/**
 * Policy evaluation for a role session within a single account (Policy evaluation logic, "How
 * AWS enforcement code logic evaluates requests"): an applicable Deny in any policy → Deny;
 * then the identity-based policies must allow, then the permissions boundary (when the role has
 * one), then the session policy (when one was passed); otherwise a role session is allowed.
 * SCPs, RCPs and resource-based policies are not modelled (see MOTO-NOTES.md).
 *
 * Throws PolicyModelError when a statement the shim could not evaluate (narrower Resource)
 * could change the answer.
 */
export function decide(layers: ReadonlyArray<{ layer: PolicyLayer; verdict: PolicyVerdict }>, action: string): Decision {
  for (const { layer, verdict } of layers) {
    const deny = verdict.deny[0];
    if (deny) return { decision: "explicit-deny", layer, statement: deny };
  }
  const undecidable = (refs: StatementRef[], what: string): never => {
    const named = refs.map((r) => `${r.policy} statement ${r.sid ?? r.index}`).join(", ");
    throw new PolicyModelError(
      `the shim cannot decide ${action}: ${named} ${what} on resources narrower than "*", and the shim does not know the request's resource (only statements with Resource "*" are evaluated)`,
    );
  };
  for (const { layer, verdict } of layers) {
    if (verdict.allow.length > 0) continue;
    const narrowAllows = verdict.narrower.filter((r) => r.effect === "Allow");
    if (narrowAllows.length > 0) undecidable(narrowAllows, "could allow it");
    // Denied whatever the resource; a narrower Deny could only change the message's wording.
    return { decision: "implicit-deny", layer };
  }
  const narrowDenies = layers.flatMap((l) => l.verdict.narrower.filter((r) => r.effect === "Deny"));
  if (narrowDenies.length > 0) undecidable(narrowDenies, "could deny it");
  return { decision: "allow" };
}

/**
 * AWS's access-denied message ("Troubleshoot access denied error messages"): `User: <arn> is not
 * authorized to perform: <action> [on resource: <arn>] with an explicit deny in a(n) <type>` /
 * `because no <type> allows the <action> action`. The "on resource" part is left out — the shim
 * does not know the resource, and AWS's own examples show messages without it.
 */
export function accessDeniedMessage(principalArn: string, action: string, d: Exclude<Decision, { decision: "allow" }>): string {
  const head = `User: ${principalArn} is not authorized to perform: ${action}`;
  if (d.decision === "explicit-deny") return `${head} with an explicit deny in ${d.layer === "identity-based policy" ? "an" : "a"} ${d.layer}`;
  return `${head} because no ${d.layer} allows the ${action} action`;
}
