import { canonicalJson, sha256 } from "../domain/canonical.js";
import type { Change, Plan } from "../domain/plan-types.js";

/** A change as it was reviewed: what is done, to which object, and a digest of exactly how. */
export type ReviewedChange = [action: string, address: string, digest: string];

export function reviewedChanges(plan: Plan): ReviewedChange[] {
  return plan.changes.map((c: Change) => [c.action, c.address, sha256(canonicalJson(c)).slice(0, 16)]);
}

/**
 * What differs between the plan a person reviewed and the plan made now, for
 * refusing to apply (`apply --plan`, the Action on merge) with a reason.
 */
export function planDrift(reviewed: readonly ReviewedChange[] | undefined, now: Plan): string[] {
  if (!reviewed) return ["(the reviewed plan was too large to keep its change list; compare the hashes)"];
  const before = new Map(reviewed.map(([action, address, digest]) => [`${action} ${address}`, digest]));
  const after = new Map(reviewedChanges(now).map(([action, address, digest]) => [`${action} ${address}`, digest]));
  const lines: string[] = [];
  for (const key of before.keys()) if (!after.has(key)) lines.push(`- reviewed, no longer planned: ${key}`);
  for (const key of after.keys()) if (!before.has(key)) lines.push(`+ planned now, never reviewed: ${key}`);
  for (const [key, digest] of after) if (before.has(key) && before.get(key) !== digest) lines.push(`~ planned differently: ${key}`);
  if (lines.length === 0) lines.push("~ the same changes, made differently (e.g. a value edited outside the review)");
  return lines;
}
