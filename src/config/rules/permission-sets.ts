import { describePath } from "../paths.js";
import { entries, isRec, list, type RuleContext } from "./context.js";
import { checkDuration, checkNameCollisions, checkPolicy, LIMITS } from "./shared.js";

/**
 * permissionSets (identity-center): names, session duration, policies and boundary within AWS's
 * limits (tags: tags.ts; policy names and paths: names.ts; sizes and counts: limits.ts).
 */
export function permissionSets(ctx: RuleContext): void {
  checkNameCollisions(ctx, "permissionSets", LIMITS.permissionSetName, "permission set");
  for (const [name, ps] of entries(ctx.data.permissionSets)) {
    if (!isRec(ps)) continue;
    const path = ["permissionSets", name];
    checkDuration(ctx, [...path, "sessionDuration"], ps.sessionDuration, LIMITS.permissionSetSessionSeconds, `'${describePath([...path, "sessionDuration"])}'`);
    checkPolicy(ctx, [...path, "inlinePolicy"], ps.inlinePolicy);
    for (const [i, ref] of list(ps.managedPolicies).entries()) {
      if (typeof ref === "string" && !/:iam::aws:policy\//.test(ref)) {
        ctx.error([...path, "managedPolicies", i], "permission sets attach only AWS-managed policies by ARN; reference a customer-managed policy by name under customerManagedPolicies");
      }
    }
    const boundary = ps.permissionsBoundary;
    if (isRec(boundary)) {
      const kinds = ["managedPolicyArn", "customerManagedPolicy"].filter((k) => boundary[k] !== undefined);
      if (kinds.length !== 1) ctx.error([...path, "permissionsBoundary"], "a permissions boundary needs exactly one of managedPolicyArn or customerManagedPolicy", "key");
    }
  }
}
