import { section, type RuleContext } from "./context.js";

/**
 * authentik names its own mappings "authentik default … Mapping: …" and manages them
 * (managed set); a prefix like theirs would make the tool's names read as authentik's.
 */
export function propertyMappingPrefix(ctx: RuleContext): void {
  const prefix = section(section(ctx.data, "authentik"), "provider").propertyMappingPrefix;
  if (typeof prefix === "string" && /^\s*authentik\s+default\b/i.test(prefix)) {
    ctx.error(["authentik", "provider", "propertyMappingPrefix"], `propertyMappingPrefix '${prefix}' names authentik's own mappings ("authentik default … Mapping: …"), which are never the tool's; choose a prefix of your own (the default is "aws-gitops <application slug>")`);
  }
}
