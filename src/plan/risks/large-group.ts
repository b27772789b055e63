import { peopleText, type RiskRule } from "./context.js";

/** large-group: a group of more people than the threshold gains a grant. */
export const largeGroup: RiskRule = (ctx) => {
  const rule = ctx.rules.largeGroup;
  if (!rule.enabled) return;
  for (const r of ctx.gained) {
    if (!(r.people && r.people.count > rule.threshold)) continue;
    ctx.add("large-group", rule.severity ?? "medium", `group ${r.group}${peopleText(r.people.count)} gains ${r.grant} in ${r.account}: more than ${rule.threshold} people`, ctx.rowAddresses(r));
  }
};
