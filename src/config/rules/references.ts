import { quoteName as q } from "../paths.js";
import { isRec, list, section, type RuleContext } from "./context.js";
import { checkAccountSelector } from "./shared.js";

/** Names used outside the mappings: custom risk rules name declared accounts, adopt names declared roles and permission sets. */
export function references(ctx: RuleContext): void {
  const risks = section(section(ctx.data, "review"), "risks");
  for (const [i, rule] of list(risks.custom).entries()) {
    if (isRec(rule) && rule.accounts !== undefined) checkAccountSelector(ctx, ["review", "risks", "custom", i, "accounts"], rule.accounts);
  }

  // adopt: only what is declared can be taken over.
  const adopt = section(ctx.data, "adopt");
  for (const [sectionName, names, what] of [
    ["roles", ctx.names.roles, "role"],
    ["permissionSets", ctx.names.permissionSets, "permission set"],
  ] as const) {
    for (const [i, name] of list(adopt[sectionName]).entries()) {
      if (typeof name === "string" && !names.has(name) && !ctx.typeFailed([sectionName])) {
        ctx.error(["adopt", sectionName, i], `adopt names ${what} ${q(name)}, which is not declared in '${sectionName}'; only declared objects can be taken over`);
      }
    }
  }
}
