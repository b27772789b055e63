import { expiryPhrase, parseExpiry } from "../expiry.js";
import { describePath, quoteName as q } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import type { Rec, RuleContext } from "./context.js";

/**
 * A mapping's `expires`: a date that exists (the schema checks the form), and a
 * warning when it is already past as of ctx.now. Run by the mappings rule, per mapping.
 */
export function mappingExpiry(ctx: RuleContext, path: DocPath, mapping: Rec, group: string): void {
  if (typeof mapping.expires !== "string") return;
  const expiry = parseExpiry(mapping.expires);
  if (!expiry.ok && expiry.kind === "calendar") ctx.error([...path, "expires"], `'${describePath([...path, "expires"])}' ${expiry.reason}`);
  else if (expiry.ok && ctx.now && expiry.endsAt.getTime() <= ctx.now.getTime()) {
    ctx.warn(
      [...path, "expires"],
      `the mapping for group ${q(group)} expired ${expiryPhrase(mapping.expires)}: it grants nothing any more, and plan removes what it granted (even with pruning off); delete the mapping, or set a later date to grant it again`,
    );
  }
}
