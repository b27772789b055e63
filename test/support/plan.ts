// Reading the tool's JSON plan in tests.
import type { Plan } from "../../src/domain/plan-types.js";

/** "action address" of every change, sorted. */
export const actions = (plan: Plan): string[] => plan.changes.map((c) => `${c.action} ${c.address}`).sort();

/** Access rows as grants only: the people they affect are checked in review.test.ts. */
export function withoutPeople(plan: Plan): Plan {
  return { ...plan, access: plan.access.map(({ people: _people, ...row }) => row) };
}
