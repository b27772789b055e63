import { quoteName as q } from "../paths.js";
import type { RuleContext } from "./context.js";

/** Warnings for what is declared but nothing uses. Reads found.roleAccounts, found.usedRoles and found.usedPermissionSets. */
export function unused(ctx: RuleContext): void {
  const { mode, names, found } = ctx;
  if (mode === "classic-iam") {
    for (const name of names.roles) {
      if (!found.usedRoles.has(name)) ctx.warn(["roles", name], `role ${q(name)} is not granted to any group by a mapping; nobody can sign in to it`, "key");
    }
    for (const alias of names.accounts) {
      const hasRole = [...found.roleAccounts.values()].some((set) => set.has(alias));
      if (!hasRole) ctx.warn(["aws", "accounts", alias], `account ${q(alias)} has no roles; only the SAML identity provider will be created there`, "key");
    }
  }
  if (mode === "identity-center") {
    for (const name of names.permissionSets) {
      if (!found.usedPermissionSets.has(name)) ctx.warn(["permissionSets", name], `permission set ${q(name)} is not assigned to any group by a mapping`, "key");
    }
  }
}
