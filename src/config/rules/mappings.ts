import { nameText, quoteName as q } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import { isRec, list, suggestion, type RuleContext } from "./context.js";
import { mappingExpiry } from "./expiry.js";
import { checkAccountSelector } from "./shared.js";

/**
 * mappings: what each needs in the mode, the accounts and organizational units it
 * names, its expiry, and the roles or permission sets it grants (declared, and
 * present in the accounts named). Reads found.roleAccounts; fills found.usedRoles
 * and found.usedPermissionSets.
 */
export function mappings(ctx: RuleContext): void {
  const { mode, names, found } = ctx;
  for (const [index, mapping] of list(ctx.data.mappings).entries()) {
    if (!isRec(mapping)) continue;
    const path: DocPath = ["mappings", index];
    if (mode === "classic-iam") {
      if (mapping.permissionSets !== undefined) ctx.error([...path, "permissionSets"], "mappings in mode classic-iam grant 'roles', not 'permissionSets'", "key");
      if (mapping.organizationalUnits !== undefined) ctx.error([...path, "organizationalUnits"], "organizational units are only for mode identity-center; classic-iam roles live in the accounts they list", "key");
      if (mapping.roles === undefined && mapping.permissionSets === undefined) ctx.error(path, "a mapping needs 'roles' (the roles this group gets)");
    }
    if (mode === "identity-center") {
      if (mapping.roles !== undefined) ctx.error([...path, "roles"], "mappings in mode identity-center grant 'permissionSets', not 'roles'", "key");
      if (mapping.permissionSets === undefined && mapping.roles === undefined) ctx.error(path, "a mapping needs 'permissionSets' (the permission sets this group gets)");
      if (mapping.accounts === undefined && mapping.organizationalUnits === undefined) {
        ctx.error(path, "a mapping in mode identity-center needs 'accounts' and/or 'organizationalUnits' to assign its permission sets in");
      }
    }
    if (mapping.accounts !== undefined) checkAccountSelector(ctx, [...path, "accounts"], mapping.accounts);
    checkAccountSelector(ctx, [...path, "organizationalUnits"], mapping.organizationalUnits, "organizational unit");
    const group = typeof mapping.group === "string" ? mapping.group : "";
    mappingExpiry(ctx, path, mapping, group);

    for (const [i, role] of list(mapping.roles).entries()) {
      if (typeof role !== "string") continue;
      if (!names.roles.has(role)) {
        if (ctx.typeFailed(["roles"])) continue; // `roles: admin`: which roles exist is unknown
        const hint = names.permissionSets.has(role) ? " (it is a permission set)" : suggestion(role, names.roles);
        ctx.error([...path, "roles", i], `mapping for group ${q(group)} names role ${q(role)}, which is not defined in 'roles'${hint}`);
        continue;
      }
      found.usedRoles.add(role);
      const available = found.roleAccounts.get(role);
      if (!available) continue; // the role or its accounts have the wrong type
      for (const [j, alias] of (mapping.accounts === "*" ? [] : list(mapping.accounts)).entries()) {
        if (typeof alias === "string" && names.accounts.has(alias) && !available.has(alias)) {
          ctx.error([...path, "accounts", j], `role ${q(role)} does not exist in account ${q(alias)} (its accounts: ${[...available].map(nameText).join(", ") || "none"}); add the account to the role or drop it here`);
        }
      }
    }
    for (const [i, ps] of list(mapping.permissionSets).entries()) {
      if (typeof ps !== "string") continue;
      if (!names.permissionSets.has(ps)) {
        if (ctx.typeFailed(["permissionSets"])) continue;
        const hint = names.roles.has(ps) ? " (it is a role)" : suggestion(ps, names.permissionSets);
        ctx.error([...path, "permissionSets", i], `mapping for group ${q(group)} names permission set ${q(ps)}, which is not defined in 'permissionSets'${hint}`);
      } else found.usedPermissionSets.add(ps);
    }
  }
}
