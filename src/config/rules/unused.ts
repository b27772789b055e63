import { quoteName as q } from "../paths.js";
import { list, type RuleContext } from "./context.js";

/**
 * Warnings for what is declared but nothing uses. Reads found.roleAccounts,
 * found.usedRoles and found.usedPermissionSets. Each is only given when what it
 * concludes from has the types the schema allows: with a mapping's `roles: admin`
 * (a string), whether role admin is granted is not known.
 */
export function unused(ctx: RuleContext): void {
  const { mode, names, found } = ctx;
  /** Whether every mapping's `field` (roles, permissionSets) can be read. */
  const grantsKnown = (field: string) =>
    !ctx.typeFailed(["mappings"]) && list(ctx.data.mappings).every((_, i) => !ctx.typeFailed(["mappings", i]) && ctx.typeSound(["mappings", i, field]));
  if (mode === "classic-iam") {
    if (grantsKnown("roles")) {
      for (const name of names.roles) {
        if (!found.usedRoles.has(name)) ctx.warn(["roles", name], `role ${q(name)} is not granted to any group by a mapping; nobody can sign in to it`, "key");
      }
    }
    // Every role's accounts were read (found.roleAccounts has them all).
    const roleAccountsKnown = !ctx.typeFailed(["roles"]) && [...names.roles].every((name) => found.roleAccounts.has(name));
    for (const alias of roleAccountsKnown ? names.accounts : []) {
      const hasRole = [...found.roleAccounts.values()].some((set) => set.has(alias));
      if (!hasRole) ctx.warn(["aws", "accounts", alias], `account ${q(alias)} has no roles; only the SAML identity provider will be created there`, "key");
    }
  }
  if (mode === "identity-center") {
    for (const name of grantsKnown("permissionSets") ? names.permissionSets : []) {
      if (!found.usedPermissionSets.has(name)) ctx.warn(["permissionSets", name], `permission set ${q(name)} is not assigned to any group by a mapping`, "key");
    }
  }
}
