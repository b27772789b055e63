import { describePath, quoteName as q } from "../paths.js";
import { entries, isRec, type RuleContext } from "./context.js";
import { REVOCATION_POLICY_NAME } from "../../domain/session-revocation.js";
import { checkAccountSelector, checkDuration, checkNameCollisions, checkPolicy, LIMITS } from "./shared.js";

/**
 * roles (classic-iam): names, accounts, session duration and inline policies within
 * AWS's limits (tags: tags.ts; policy ARNs: names.ts and partitions.ts; counts: limits.ts). Fills found.roleAccounts and found.roleMaxSession, for the roles whose
 * accounts and session duration have a type the schema allows.
 */
export function roles(ctx: RuleContext): void {
  checkNameCollisions(ctx, "roles", LIMITS.roleName, "role");
  for (const [name, role] of entries(ctx.data.roles)) {
    if (!isRec(role)) continue;
    const path = ["roles", name];
    const accounts = checkAccountSelector(ctx, [...path, "accounts"], role.accounts);
    // Accounts of the wrong type (`accounts: 5`) are not "no accounts".
    if (ctx.typeSound([...path, "accounts"])) ctx.found.roleAccounts.set(name, new Set(accounts));
    const max = checkDuration(ctx, [...path, "maxSessionDuration"], role.maxSessionDuration, LIMITS.roleSessionSeconds, `'${describePath([...path, "maxSessionDuration"])}'`);
    if (!ctx.typeFailed([...path, "maxSessionDuration"])) ctx.found.roleMaxSession.set(name, max ?? 3600);
    let inlineSize = 0;
    for (const [policyName, doc] of entries(role.inlinePolicies)) {
      inlineSize += checkPolicy(ctx, [...path, "inlinePolicies", policyName], doc) ?? 0;
      // The tool keeps the sessions it ends (options.revokeSessions) in a policy of that name.
      if (policyName.toLowerCase() === REVOCATION_POLICY_NAME) ctx.error([...path, "inlinePolicies", policyName], `the inline policy name ${q(policyName)} is the one authentik-aws-gitops keeps ended sessions in (options.revokeSessions); choose another`, "key");
    }
    if (inlineSize > LIMITS.roleInlinePoliciesChars) {
      ctx.error([...path, "inlinePolicies"], `the inline policies of role ${q(name)} add up to ${inlineSize} characters; IAM allows ${LIMITS.roleInlinePoliciesChars} per role (white space not counted) — move some into a managed policy`, "key");
    }
  }
}
