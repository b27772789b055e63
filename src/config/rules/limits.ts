import { signInEndpoints, trustPolicy } from "../../domain/aws-iam.js";
import { AWS_LIMITS, AWS_QUOTAS } from "../../domain/aws-quotas.js";
import { policyJson, normalizePolicy } from "../../domain/policy-normalize.js";
import { quoteName as q } from "../paths.js";
import { parsePolicyDocument } from "../policy-documents.js";
import { entries, isRec, list, section, type RuleContext } from "./context.js";

/**
 * Sizes and counts AWS holds what the tool writes to: hard limits are errors, and
 * adjustable quotas (src/domain/aws-quotas.ts) warnings when this file alone exceeds
 * their default — the plan compares them with what the accounts hold. Reads
 * found.roleAccounts (roles), so it runs after the roles rule.
 */
export function limits(ctx: RuleContext): void {
  if (ctx.mode === "classic-iam") classicLimits(ctx);
  if (ctx.mode === "identity-center") identityCenterLimits(ctx);
}

/** What IAM counts of a policy: its characters, white space not counted. */
const nonWhiteSpace = (text: string) => text.replace(/\s/g, "").length;

function classicLimits(ctx: RuleContext): void {
  const managed = AWS_QUOTAS.managedPoliciesPerRole;
  for (const [name, role] of entries(ctx.data.roles)) {
    if (!isRec(role)) continue;
    const count = list(role.managedPolicies).length;
    if (count > managed.default) {
      ctx.warn(
        ["roles", name, "managedPolicies"],
        `role ${q(name)} attaches ${count} managed policies; IAM allows ${managed.default} per role by default (quota "${managed.name}", adjustable up to ${managed.max}): raise it in the role's accounts first`,
        "key",
      );
    }
  }

  // Roles per account: every role of this file in the account (others count too; the plan can tell).
  const roles = AWS_QUOTAS.rolesPerAccount;
  const perAccount = new Map<string, number>();
  for (const accounts of ctx.found.roleAccounts.values()) for (const alias of accounts) perAccount.set(alias, (perAccount.get(alias) ?? 0) + 1);
  for (const [alias, count] of perAccount) {
    if (count > roles.default) {
      ctx.warn(
        ["aws", "accounts", alias],
        `account ${q(alias)} would hold ${count} roles of this file; IAM allows ${roles.default} roles per account by default (quota "${roles.name}", adjustable) — and roles made outside this file count too`,
        "key",
      );
    }
  }

  // The trust policy grows with the sign-in endpoints it allows.
  const aws = section(ctx.data, "aws");
  const regions = list(aws.signInRegions).filter((r): r is string => typeof r === "string");
  if (regions.length > 1) {
    const provider = typeof aws.samlProvider === "string" ? aws.samlProvider : "authentik";
    const size = nonWhiteSpace(policyJson(trustPolicy("123456789012", provider, signInEndpoints(regions))));
    const quota = AWS_QUOTAS.trustPolicyChars;
    if (size > quota.default) {
      ctx.warn(
        ["aws", "signInRegions"],
        `with ${regions.length} sign-in endpoints, each role's trust policy has ${size} characters (white space not counted); IAM allows ${quota.default} by default (quota "${quota.name}", adjustable): raise it in every account, or list fewer regions`,
        "key",
      );
    }
  }
}

function identityCenterLimits(ctx: RuleContext): void {
  const names = new Set(Object.keys(isRec(ctx.data.permissionSets) ? ctx.data.permissionSets : {}));
  const perRole = AWS_QUOTAS.managedPoliciesPerRole;
  for (const [name, ps] of entries(ctx.data.permissionSets)) {
    if (!isRec(ps)) continue;
    const path = ["permissionSets", name];

    // The inline policy as it is sent (compact JSON of the normalized document).
    const parsed = ps.inlinePolicy === undefined ? undefined : parsePolicyDocument(ps.inlinePolicy);
    if (parsed?.ok) {
      const text = policyJson(normalizePolicy(parsed.document));
      const solid = nonWhiteSpace(text);
      if (solid > AWS_LIMITS.permissionSetInlinePolicyNonWhiteSpace) {
        ctx.error(
          [...path, "inlinePolicy"],
          `the inline policy of permission set ${q(name)} has ${solid} characters that are not white space; IAM Identity Center allows at most ${AWS_LIMITS.permissionSetInlinePolicyNonWhiteSpace} per permission set (and ${AWS_LIMITS.permissionSetInlinePolicyChars} with white space), not adjustable — move some into customer-managed policies`,
          "key",
        );
      } else if (text.length > AWS_LIMITS.permissionSetInlinePolicyChars) {
        ctx.error(
          [...path, "inlinePolicy"],
          `the inline policy of permission set ${q(name)} has ${text.length} characters with its white space; IAM Identity Center allows at most ${AWS_LIMITS.permissionSetInlinePolicyChars} per permission set, not adjustable`,
          "key",
        );
      }
    }

    // AWS-managed and customer-managed policies: 20 per permission set, and IAM's quota per role in every account.
    const awsManaged = list(ps.managedPolicies).length;
    const customer = list(ps.customerManagedPolicies).length;
    const count = awsManaged + customer;
    const detail = `${count} managed policies (${awsManaged} AWS-managed, ${customer} customer-managed)`;
    if (count > AWS_LIMITS.policiesPerPermissionSet) {
      ctx.error(path, `permission set ${q(name)} attaches ${detail}; IAM Identity Center allows at most ${AWS_LIMITS.policiesPerPermissionSet} per permission set, not adjustable`, "key");
    } else if (count > perRole.default) {
      ctx.warn(
        path,
        `permission set ${q(name)} attaches ${detail}; it becomes an IAM role in each account it is provisioned to, and IAM allows ${perRole.default} managed policies per role by default (quota "${perRole.name}", adjustable up to ${perRole.max}): raise it in those accounts first`,
        "key",
      );
    }
  }

  const perInstance = AWS_QUOTAS.permissionSetsPerInstance;
  if (names.size > perInstance.default) {
    ctx.warn(
      ["permissionSets"],
      `this file declares ${names.size} permission sets; IAM Identity Center allows ${perInstance.default} per instance by default (quota "${perInstance.name}", adjustable) — and permission sets made outside this file count too`,
      "key",
    );
  }

  // Provisioned per account: the permission sets mappings assign in each declared account
  // (organizational units are read from AWS Organizations by plan, which counts them).
  const provisioned = new Map<string, Set<string>>();
  const declared = new Set(Object.keys(section(section(ctx.data, "aws"), "accounts")));
  for (const [index, mapping] of list(ctx.data.mappings).entries()) {
    if (!isRec(mapping) || !ctx.typeSound(["mappings", index])) continue;
    const accounts = mapping.accounts === "*" ? [...declared] : list(mapping.accounts).filter((a): a is string => typeof a === "string" && declared.has(a));
    for (const alias of accounts) {
      const set = provisioned.get(alias) ?? new Set<string>();
      for (const ps of list(mapping.permissionSets)) if (typeof ps === "string" && names.has(ps)) set.add(ps);
      provisioned.set(alias, set);
    }
  }
  const perAccount = AWS_QUOTAS.provisionedPermissionSetsPerAccount;
  for (const [alias, set] of provisioned) {
    if (set.size > perAccount.default) {
      ctx.warn(
        ["aws", "accounts", alias],
        `account ${q(alias)} would have ${set.size} permission sets of this file provisioned to it; IAM Identity Center allows ${perAccount.default} per account by default (quota "${perAccount.name}", adjustable) — and those of other configurations count too`,
        "key",
      );
    }
  }
}
