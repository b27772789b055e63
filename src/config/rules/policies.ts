import { didYouMean } from "../../util/did-you-mean.js";
import type { Severity } from "../diagnostics.js";
import { describePath, quoteName as q } from "../paths.js";
import { parsePolicyDocument, policyLocator, type PolicyPath } from "../policy-documents.js";
import type { DocPath } from "../yaml-source.js";
import { entries, isRec, type Rec, type RuleContext } from "./context.js";
import { checkActionReference, checkArnReference, checkConditionKeys, suggestPrefixed, type StatementActions } from "./policy-reference.js";

/**
 * The inline policies of roles and permission sets, statement by statement: the IAM
 * policy grammar (AWS's "IAM JSON policy element reference" and "Grammar of the IAM JSON
 * policy language": elements, Sid, Effect, Action/NotAction, Resource/NotResource,
 * Condition operators), what IAM requires of an identity-based policy (a Resource or
 * NotResource in every statement, no Principal), then every action, resource ARN and
 * condition key against AWS's service authorization reference (policy-reference.ts).
 *
 * Every message points at the element it is about — inside a policy written as a string
 * of JSON too, at the line and column of the JSON's key or value. Whether the document
 * is JSON at all, its Statement and its size are checked by checkPolicy (shared.ts);
 * a document that fails those is not read here.
 */
export function policies(ctx: RuleContext): void {
  for (const [name, role] of entries(ctx.data.roles)) {
    if (!isRec(role)) continue;
    for (const [policyName, doc] of entries(role.inlinePolicies)) checkPolicyDocument(ctx, ["roles", name, "inlinePolicies", policyName], doc);
  }
  for (const [name, ps] of entries(ctx.data.permissionSets)) {
    if (isRec(ps)) checkPolicyDocument(ctx, ["permissionSets", name, "inlinePolicy"], ps.inlinePolicy);
  }
}

/** Reports about one policy document: where (a place inside it), how bad, what. */
export type PolicyReport = (severity: Severity, sub: PolicyPath, message: string, target?: "key" | "value") => void;

const POLICY_ELEMENTS = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
const VERSIONS = ["2012-10-17", "2008-10-17"];

/**
 * The condition operators of the IAM policy grammar; each but Null may end in IfExists,
 * and each may start with ForAllValues: or ForAnyValue: (for keys with several values).
 */
const CONDITION_OPERATORS = [
  "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
  "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
  "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
  "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
];
const SET_PREFIXES = ["ForAllValues:", "ForAnyValue:"];

function checkPolicyDocument(ctx: RuleContext, path: DocPath, value: unknown): void {
  if ((typeof value !== "string" && !isRec(value)) || ctx.typeFailed(path)) return;
  const asJson = typeof value === "string";
  let doc: unknown = value;
  if (asJson) {
    try {
      doc = JSON.parse(value);
    } catch {
      return; // checkPolicy says where the JSON breaks
    }
  }
  if (!isRec(doc)) return;
  const locate = policyLocator(ctx.source, path, value);
  const label = `policy document '${describePath(path)}'`;
  const report: PolicyReport = (severity, sub, message, target = "value") => {
    const { line, column } = locate.at(sub, target);
    // A document written as JSON is one value of the file: its path is the string's.
    ctx.add({ severity, message: `${label}${message}`, file: ctx.source.file, line, column, path: asJson ? path : [...path, ...sub] });
  };

  for (const key of Object.keys(doc)) {
    if (POLICY_ELEMENTS.includes(key)) continue;
    const match = nearest(key, POLICY_ELEMENTS);
    report("error", [key], `: ${q(key)} is not a policy element${match === undefined ? "" : ` — did you mean '${match}'?`} (a policy has Version, Id and Statement)`, "key");
  }
  // Written as YAML, the schema checks Version; inside a string of JSON, only this can.
  if (asJson && doc.Version !== undefined && !VERSIONS.includes(doc.Version as string)) {
    report("error", ["Version"], `: Version must be "2012-10-17" (or the older "2008-10-17"), the versions of the policy language`);
  }
  if (doc.Id !== undefined && typeof doc.Id !== "string") report("error", ["Id"], ": Id must be a string");

  if (!parsePolicyDocument(doc).ok) return; // checkPolicy says what is wrong with the Statement
  const list = Array.isArray(doc.Statement);
  const statements = (list ? doc.Statement : [doc.Statement]) as Rec[];
  const sids = new Map<string, number>();
  for (const [i, statement] of statements.entries()) {
    const sub: PolicyPath = list ? ["Statement", i] : ["Statement"];
    const at = (severity: Severity, rest: PolicyPath, message: string, target?: "key" | "value") =>
      report(severity, [...sub, ...rest], ` statement ${i + 1}${message}`, target);
    checkStatement(statement, at, sids, i);
  }
}

type StatementReport = (severity: Severity, rest: PolicyPath, message: string, target?: "key" | "value") => void;

function checkStatement(statement: Rec, report: StatementReport, sids: Map<string, number>, index: number): void {
  // A misspelt element (Actions) is reported as such, not also as the element it misses.
  const meant = new Set<string>();
  for (const key of Object.keys(statement)) {
    if (!STATEMENT_ELEMENTS.includes(key)) {
      const match = nearest(key, STATEMENT_ELEMENTS);
      if (match !== undefined) meant.add(match);
      report("error", [key], `: ${q(key)} is not an element of a policy statement${match === undefined ? "" : ` — did you mean '${match}'?`}`, "key");
    }
  }

  // Sid: letters and digits, unique in the policy (IAM; other services' policies allow more).
  const sid = statement.Sid;
  if (sid !== undefined) {
    if (typeof sid !== "string") report("error", ["Sid"], ": Sid must be a string of letters and digits");
    else if (!/^[A-Za-z0-9]*$/.test(sid)) report("error", ["Sid"], `: Sid ${q(sid)} may hold only letters and digits (A–Z, a–z, 0–9); IAM refuses other characters`);
    else if (sid !== "") {
      const first = sids.get(sid);
      if (first !== undefined) report("error", ["Sid"], `: Sid ${q(sid)} is already the Sid of statement ${first + 1}; the Sids of one policy must differ`);
      else sids.set(sid, index);
    }
  }

  const effect = statement.Effect;
  if (effect === undefined) {
    if (!meant.has("Effect")) report("error", [], ` needs Effect "Allow" or "Deny"`);
  } else if (effect !== "Allow" && effect !== "Deny") {
    const match = typeof effect === "string" ? nearest(effect, ["Allow", "Deny"]) : undefined;
    const hint = match === undefined ? "" : ` — did you mean '${match}'?`;
    report("error", ["Effect"], `: Effect must be "Allow" or "Deny"${hint}`);
  }

  // An identity-based policy applies to whoever holds it: no principal to name.
  for (const key of ["Principal", "NotPrincipal"]) {
    if (statement[key] !== undefined) {
      report("error", [key], `: ${key} has no place in the policy of a role or permission set: an identity-based policy applies to whoever holds it, and IAM refuses ${key} in it (who holds it is what mappings say)`, "key");
    }
  }

  const pair = (one: string, not: string, needed: string) => {
    if (statement[one] !== undefined && statement[not] !== undefined) {
      report("error", [not], ` has both ${one} and ${not}; a statement has exactly one of them`, "key");
    } else if (statement[one] === undefined && statement[not] === undefined && !meant.has(one) && !meant.has(not)) {
      report("error", [], ` needs ${one} or ${not}${needed}`);
    }
  };
  pair("Action", "NotAction", "");
  pair("Resource", "NotResource", ` — a policy of a role or permission set (an identity-based policy) names the resources it applies to ("*" for all)`);

  let actions: StatementActions | undefined;
  for (const key of ["Action", "NotAction"] as const) {
    const value = statement[key];
    if (value === undefined) continue;
    const found = stringList(value, key, "an action (SERVICE:ACTION) or a list of actions", report);
    const resolved = found.map(({ text, rest }) => checkAction(text, rest, report));
    if (key === "Action" && statement.NotAction === undefined) actions = resolved;
  }
  for (const key of ["Resource", "NotResource"] as const) {
    const value = statement[key];
    if (value === undefined) continue;
    for (const { text, rest } of stringList(value, key, `an ARN, "*", or a list of them`, report)) checkResource(text, rest, report);
  }
  if (statement.Condition !== undefined) checkCondition(statement.Condition, report, actions);
}

/** The strings of an element that holds one string or a non-empty list of strings, each with where it is. */
function stringList(value: unknown, key: string, what: string, report: StatementReport): { text: string; rest: PolicyPath }[] {
  if (typeof value === "string") return [{ text: value, rest: [key] }];
  if (!Array.isArray(value)) {
    report("error", [key], `: ${key} must be ${what}`);
    return [];
  }
  if (value.length === 0) {
    report("error", [key], `: ${key} is an empty list; name at least one${key.endsWith("Action") ? " action (SERVICE:ACTION)" : ' resource ("*" for all)'}`);
    return [];
  }
  const out: { text: string; rest: PolicyPath }[] = [];
  for (const [i, item] of value.entries()) {
    if (typeof item === "string") out.push({ text: item, rest: [key, i] });
    else report("error", [key, i], `: each entry of ${key} must be a string`);
  }
  return out;
}

function checkAction(action: string, rest: PolicyPath, report: StatementReport): StatementActions[number] {
  if (action === "*") return { kind: "all" };
  const colon = action.indexOf(":");
  if (colon < 0) {
    report("error", rest, `: action ${q(action)} has no service prefix; an action is SERVICE:ACTION${suggestPrefixed(action)}`);
    return { kind: "unknown" };
  }
  if (!/^[A-Za-z0-9.*?-]+:[A-Za-z0-9*?_-]+$/.test(action)) {
    report("error", rest, `: ${q(action)} is not an action: SERVICE:ACTION, of letters, digits and -, with * and ? as wildcards`);
    return { kind: "unknown" };
  }
  return checkActionReference(action, colon, (message) => report("error", rest, message));
}

function checkResource(resource: string, rest: PolicyPath, report: StatementReport): void {
  if (resource === "*") return;
  if (!resource.startsWith("arn:")) {
    report("error", rest, `: resource ${q(resource)} is neither "*" nor an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, as arn:aws:s3:::my-bucket)`);
    return;
  }
  if (resource.split(":").length < 6 && !/[*?]|\$\{/.test(resource)) {
    report("error", rest, `: ARN ${q(resource)} has fewer than six parts; an ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (REGION and ACCOUNT may be empty, as in arn:aws:s3:::my-bucket)`);
    return;
  }
  checkArnReference(resource, (severity, message) => report(severity, rest, message));
}

function checkCondition(condition: unknown, report: StatementReport, actions: StatementActions | undefined): void {
  if (!isRec(condition)) {
    report("error", ["Condition"], ": Condition must map condition operators (StringEquals, Bool, …) to keys and values");
    return;
  }
  for (const [operator, block] of Object.entries(condition)) {
    const at: PolicyPath = ["Condition", operator];
    const problem = operatorProblem(operator);
    if (problem) report("error", at, `: ${problem}`, "key");
    if (!isRec(block)) {
      report("error", at, `: condition operator ${q(operator)} must map condition keys to values`);
      continue;
    }
    for (const [key, values] of Object.entries(block)) {
      const list = Array.isArray(values) ? values : [values];
      const scalar = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";
      if (list.length === 0 || !list.every(scalar)) {
        report("error", [...at, key], `: the value of condition key ${q(key)} must be a string or a list of strings`);
      }
    }
    checkConditionKeys(Object.keys(block), actions, (severity, key, message) => report(severity, [...at, key], message, "key"));
  }
}

/** The name among `names` (the grammar's own) that `text` from the file may mean; long text is compared with none. */
function nearest(text: string, names: readonly string[]): string | undefined {
  return text.length > 64 ? undefined : didYouMean(text, names);
}

/** What is wrong with a condition operator's name, or undefined when IAM knows it. */
function operatorProblem(operator: string): string | undefined {
  const prefix = SET_PREFIXES.find((p) => operator.startsWith(p)) ?? "";
  const rest = operator.slice(prefix.length);
  const ifExists = rest.endsWith("IfExists") && rest !== "IfExists";
  const base = ifExists ? rest.slice(0, -"IfExists".length) : rest;
  if (CONDITION_OPERATORS.includes(base)) {
    return base === "Null" && ifExists ? "Null takes no IfExists (it tests whether the key is present)" : undefined;
  }
  const match = nearest(base, CONDITION_OPERATORS);
  const meant = match === undefined ? "" : ` — did you mean '${prefix}${match}${ifExists && match !== "Null" ? "IfExists" : ""}'?`;
  return `${q(operator)} is not a condition operator${meant} (operators: StringEquals, StringLike, ArnLike, Bool, IpAddress, NumericLessThan, DateGreaterThan, Null…; IfExists may follow, ForAllValues: or ForAnyValue: precede)`;
}
