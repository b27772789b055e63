import { describePath, quoteName as q } from "../paths.js";
import { entries, isRec, list, type RuleContext } from "./context.js";
import { checkDuration, checkNameCollisions, checkPolicy, checkTags, globalTagCount, LIMITS } from "./shared.js";

/** permissionSets (identity-center): names, session duration, policies, boundary and tags within AWS's limits. */
export function permissionSets(ctx: RuleContext): void {
  checkNameCollisions(ctx, "permissionSets", LIMITS.permissionSetName, "permission set");
  const globalTags = globalTagCount(ctx);
  for (const [name, ps] of entries(ctx.data.permissionSets)) {
    if (!isRec(ps)) continue;
    const path = ["permissionSets", name];
    checkDuration(ctx, [...path, "sessionDuration"], ps.sessionDuration, LIMITS.permissionSetSessionSeconds, `'${describePath([...path, "sessionDuration"])}'`);
    const size = checkPolicy(ctx, [...path, "inlinePolicy"], ps.inlinePolicy);
    if (size !== undefined && size > LIMITS.permissionSetInlinePolicyChars) {
      ctx.error([...path, "inlinePolicy"], `the inline policy of permission set ${q(name)} has ${size} characters; IAM Identity Center allows ${LIMITS.permissionSetInlinePolicyChars}`, "key");
    }
    const managed = list(ps.managedPolicies).length + list(ps.customerManagedPolicies).length;
    if (managed > LIMITS.managedPoliciesPerPermissionSetDefault) {
      ctx.warn(path, `permission set ${q(name)} attaches ${managed} managed policies; AWS allows ${LIMITS.managedPoliciesPerPermissionSetDefault} per permission set unless the quota was raised`, "key");
    }
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
    checkTags(ctx, [...path, "tags"], ps.tags, globalTags);
  }
}
