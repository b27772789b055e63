import { isRec, section, type RuleContext } from "./context.js";

/** aws.tags may not set the tags the tool marks what it owns with. */
export function reservedTags(ctx: RuleContext): void {
  const tags = section(ctx.data, "aws").tags;
  if (!isRec(tags)) return;
  for (const key of Object.keys(tags)) {
    if (key.toLowerCase() === "managed-by" || key.toLowerCase() === "managed-by-config") {
      ctx.error(["aws", "tags", key], `the tag '${key}' is reserved: the tool sets it to mark what it owns and for which configuration`, "key");
    }
  }
}
