import { formatDuration, parseDuration } from "../durations.js";
import { describePath, quoteName as q } from "../paths.js";
import { parsePolicyDocument, policySize } from "../policy-documents.js";
import type { DocPath } from "../yaml-source.js";
import { AWS_LIMITS, AWS_QUOTAS } from "../../domain/aws-quotas.js";
import { entries, isRec, list, suggestion, type RuleContext } from "./context.js";

/** Checks several rules make: account selectors, durations, policy documents, name collisions. */

// AWS limits (IAM and IAM Identity Center quotas that are not adjustable, or their defaults): see src/domain/aws-quotas.ts.
export const LIMITS = {
  ...AWS_LIMITS,
  managedPoliciesPerRoleDefault: AWS_QUOTAS.managedPoliciesPerRole.default,
} as const;

/**
 * An account (or organizational unit) selector: "*" or a list of declared aliases.
 * Reports the aliases that are not declared (unless the section that declares them
 * has the wrong type, when nobody knows); returns those that are.
 */
export function checkAccountSelector(ctx: RuleContext, path: DocPath, selector: unknown, what: "account" | "organizational unit" = "account"): string[] {
  const allowed = what === "account" ? ctx.names.accounts : ctx.names.organizationalUnits;
  if (selector === "*") return [...allowed];
  const declaredUnknown = ctx.typeFailed(["aws", what === "account" ? "accounts" : "organizationalUnits"]);
  const resolved: string[] = [];
  for (const [i, alias] of list(selector).entries()) {
    if (typeof alias !== "string") continue;
    if (!allowed.has(alias)) {
      if (declaredUnknown) continue;
      const declared = what === "account" ? "aws.accounts" : "aws.organizationalUnits";
      const extra = what === "account" && ctx.names.organizationalUnits.has(alias) ? " (it is an organizational unit: list it under organizationalUnits)" : "";
      ctx.error([...path, i], `unknown ${what} ${q(alias)}${extra}${extra ? "" : suggestion(alias, allowed)}; declare it in ${declared}`);
    } else resolved.push(alias);
  }
  return resolved;
}

/** A duration within AWS's range; its seconds, or undefined when it does not parse (the schema reports the form). */
export function checkDuration(ctx: RuleContext, path: DocPath, value: unknown, range: { min: number; max: number }, what: string): number | undefined {
  if (typeof value !== "number" && typeof value !== "string") return undefined;
  const seconds = parseDuration(value);
  if (seconds === undefined) return undefined; // the schema reports the form
  if (seconds < range.min || seconds > range.max) {
    ctx.error(path, `${what} must be between ${formatDuration(range.min)} and ${formatDuration(range.max)}, not ${formatDuration(seconds)}`);
  }
  return seconds;
}

/** A policy document IAM accepts; its size in characters as IAM counts them, when it parses. */
export function checkPolicy(ctx: RuleContext, path: DocPath, value: unknown): number | undefined {
  if (value === undefined || (typeof value !== "string" && !isRec(value))) return undefined;
  const parsed = parsePolicyDocument(value);
  if (!parsed.ok) {
    ctx.error(path, `policy document '${describePath(path)}' ${parsed.reason}`);
    return undefined;
  }
  const outside = /[^\t\n\r\u0020-\u00ff]/u.exec(JSON.stringify(parsed.document));
  if (outside) {
    const code = outside[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    ctx.error(path, `policy document '${describePath(path)}' holds U+${code}; IAM accepts in a policy only ASCII and Latin-1 characters (U+0020–U+00FF), tabs and line breaks`);
  }
  if (parsed.document.Version === undefined) {
    ctx.warn(path, `policy document '${describePath(path)}' has no Version; IAM then assumes "2008-10-17", which has no policy variables — write Version: "2012-10-17"`);
  }
  return policySize(parsed.document);
}

/** Names AWS compares case-insensitively, and holds to a length. */
export function checkNameCollisions(ctx: RuleContext, sectionName: string, maxLength: number, kind: string): void {
  const seen = new Map<string, string>();
  for (const [name] of entries(ctx.data[sectionName])) {
    if (name.length > maxLength) ctx.error([sectionName, name], `${kind} name is ${[...name].length} characters long; AWS allows at most ${maxLength}`, "key");
    const folded = name.toLowerCase();
    const first = seen.get(folded);
    if (first !== undefined) ctx.error([sectionName, name], `${kind} ${q(name)} differs from ${q(first)} only in letter case; AWS treats ${kind} names case-insensitively`, "key");
    else seen.set(folded, name);
  }
}
