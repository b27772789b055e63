import type { Severity } from "../diagnostics.js";
import {
  actionSupportsKey,
  checkArn,
  findConditionKey,
  hasKeyVariable,
  matchingActions,
  referenceAction,
  serviceReference,
  servicesWithAction,
  suggestAction,
  suggestConditionKey,
  suggestService,
  type ReferenceAction,
  type ServiceReference,
} from "../../domain/iam-reference.js";
import { quoteName as q } from "../paths.js";

/**
 * The checks of a policy statement against AWS's service authorization reference
 * (iam-reference.ts): that every action exists (or, with wildcards, matches one), that
 * every resource ARN fits one of its service's ARN formats, and that the actions
 * support the condition keys the statement tests. Global condition keys (aws:*) apply
 * to every action and are not checked.
 */

const REFERENCE = "AWS's service authorization reference";

/** What each entry of a statement's Action stands for, for the condition-key check. */
export type StatementActions = readonly (
  | { kind: "all" } // "*"
  | { kind: "unknown" } // reported already
  | { kind: "unchecked" } // a wildcard in the service prefix
  | { kind: "some"; written: string; service: ServiceReference; actions: readonly ReferenceAction[]; wildcard: boolean }
)[];

/** An action "SERVICE:NAME" (its form already checked) against the reference; `error` gets the message after the statement's label. */
export function checkActionReference(action: string, colon: number, error: (message: string) => void): StatementActions[number] {
  const prefix = action.slice(0, colon);
  const name = action.slice(colon + 1);
  if (/[*?]/.test(prefix)) return { kind: "unchecked" };
  const service = serviceReference(prefix);
  if (!service) {
    error(`: action ${q(action)}: ${q(prefix)} is not a service prefix in ${REFERENCE}${suggestService(prefix)}`);
    return { kind: "unknown" };
  }
  if (!/[*?]/.test(name)) {
    const found = referenceAction(service, name);
    if (!found) {
      const meant = suggestAction(service, name);
      error(`: action ${q(action)} is not in ${REFERENCE}${meant ? ` — did you mean '${meant}'?` : ` (no action of ${service.prefix} is close to it)`}`);
      return { kind: "unknown" };
    }
    return { kind: "some", written: action, service, actions: [found], wildcard: false };
  }
  const found = matchingActions(service, name);
  if (found.length === 0) {
    error(`: ${q(action)} matches no action of ${service.prefix} in ${REFERENCE}`);
    return { kind: "unknown" };
  }
  return { kind: "some", written: action, service, actions: found, wildcard: true };
}

/** " — did you mean 's3:GetObject'?" for an action written without its service prefix, naming the services that have it. */
export function suggestPrefixed(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) return " (as s3:GetObject)";
  const found = servicesWithAction(name);
  if (found.length === 0) return " (as s3:GetObject)";
  const shown = found.slice(0, 3).map((a) => `'${a}'`);
  const more = found.length > 3 ? ` or one of ${found.length - 3} more` : "";
  return ` — did you mean ${shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(", ")}${more ? ", " : " or "}${shown.at(-1)}`}${more}?`;
}

/** A resource ARN (with six parts, or wildcards) against the ARN formats of its service in the reference. */
export function checkArnReference(arn: string, report: (severity: Severity, message: string) => void): void {
  const check = checkArn(arn);
  const service = arn.split(":")[2] ?? "";
  if (check.result === "no-format") {
    report("error", `: ARN ${q(arn)} fits none of the resource ARN formats of ${service.toLowerCase()} in ${REFERENCE} (closest: ${check.closest})`);
  } else if (check.result === "unknown-service") {
    report("warning", `: ARN ${q(arn)} names the service ${q(service)}, which has no resource type in ${REFERENCE}${check.suggestion}`);
  }
}

/**
 * The condition keys of one operator: known to the reference (a warning when not), and
 * supported by the statement's actions (a warning naming those that do not: their
 * requests never carry the key, so the condition cannot work as meant for them). For an
 * action with a wildcard, it is enough that one action it matches supports the key.
 */
export function checkConditionKeys(
  keys: readonly string[],
  actions: StatementActions | undefined,
  report: (severity: Severity, key: string, message: string) => void,
): void {
  for (const key of keys) {
    const lower = key.toLowerCase();
    if (lower.startsWith("aws:")) continue;
    if (!/^[^:]+:./.test(key)) {
      report("warning", key, `: condition key ${q(key)} has no prefix (aws:, s3:, iam:, …); no request carries such a key`);
      continue;
    }
    const known = findConditionKey(key);
    if (!known) {
      report("warning", key, `: condition key ${q(key)} is not in ${REFERENCE}, so no request carries it${suggestConditionKey(key)}`);
      continue;
    }
    if (!actions || actions.some((a) => a.kind === "all")) continue;
    // Names the reference has are shown as it spells them (they are no secret); a wildcard as written.
    const unsupported = new Set<string>();
    for (const entry of actions) {
      if (entry.kind !== "some" || entry.actions.some((action) => actionSupportsKey(entry.service, action, key))) continue;
      const count = entry.actions.length;
      unsupported.add(entry.wildcard ? `${q(entry.written)} (none of the ${count === 1 ? "one action" : `${count} actions`} it matches)` : `'${entry.service.prefix}:${entry.actions[0]!.name}'`);
    }
    const keyName = hasKeyVariable(known.name) ? q(key) : `'${known.name}'`;
    if (unsupported.size === 0) continue;
    const names = [...unsupported];
    const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
    const one = names.length === 1;
    report(
      "warning",
      key,
      `: ${one ? "action" : "actions"} ${shown} ${one ? "does" : "do"} not support condition key ${keyName} in ${REFERENCE}: ${one ? "its" : "their"} requests never carry the key, so the condition cannot work as meant for ${one ? "it" : "them"} — give ${one ? "it" : "them"} a statement of ${one ? "its" : "their"} own`,
    );
  }
}
