/**
 * identity-center: live IAM Identity Center state → who holds which permission set in
 * which account. Pure. People are Identity Store users, and a group's people its
 * Identity Store memberships: what AWS enforces, whatever authentik (or SCIM) meant.
 * Every account assignment of every permission set is listed — to groups, and
 * directly to users (always made by hand).
 */
import type { ResolvedConfig } from "../config/model.js";
import { configId } from "../config/model.js";
import type { TargetAccount } from "../domain/accounts.js";
import { configOwnership } from "../domain/plan-types.js";
import type { GroupGrant, Person } from "./types.js";

export interface IdentityCenterAccessLive {
  permissionSets: { arn: string; name: string; tags: Record<string, string> }[];
  groups: { id: string; name: string }[];
  users: { id: string; username: string; email?: string }[];
  /** Group id → user ids (Identity Store group memberships). */
  memberships: Record<string, string[]>;
  /** Every copy AWS lists, to groups and users. */
  assignments: { principalType: "GROUP" | "USER"; principalId: string; permissionSetArn: string; accountId: string }[];
  /** Accounts of each declared OU (for what the configuration declares). */
  ouAccounts: Map<string, TargetAccount[]>;
}

/** (group, permission set, account id) the configuration assigns, as keys; OUs expanded. */
export function declaredAssignments(config: ResolvedConfig, ouAccounts: Map<string, TargetAccount[]>): Set<string> {
  const ids = new Map(config.aws.accounts.map((a) => [a.alias, a.id]));
  const out = new Set<string>();
  for (const m of config.mappings) {
    const targets: string[] = [];
    if (Array.isArray(m.accounts)) for (const alias of m.accounts) targets.push(ids.get(alias)!);
    for (const ou of m.organizationalUnits) targets.push(...(ouAccounts.get(ou) ?? []).map((a) => a.id));
    for (const ps of m.grants) for (const id of targets) out.add(`${m.group}\u0000${ps}\u0000${id}`);
  }
  return out;
}

export function identityCenterAccess(live: IdentityCenterAccessLive, config: ResolvedConfig): { grants: GroupGrant[]; notes: string[] } {
  const notes: string[] = [];
  const grants: GroupGrant[] = [];
  const declared = declaredAssignments(config, live.ouAccounts);
  const declaredSets = new Set(config.permissionSets.map((p) => p.name.toLowerCase()));
  const setByArn = new Map(live.permissionSets.map((p) => [p.arn, p]));
  const groupById = new Map(live.groups.map((g) => [g.id, g]));
  const userById = new Map(live.users.map((u) => [u.id, u]));
  const person = (u: IdentityCenterAccessLive["users"][number]): Person => ({ username: u.username, ...(u.email ? { email: u.email } : {}) });

  for (const a of live.assignments) {
    const ps = setByArn.get(a.permissionSetArn);
    const psName = ps?.name ?? a.permissionSetArn;
    const source = `permission set ${psName} (${a.permissionSetArn})`;
    const notOurs = ps ? configOwnership(ps.tags, configId(config), declaredSets.has(ps.name.toLowerCase())) : "the permission set is not listed by IAM Identity Center";
    if (a.principalType === "USER") {
      const u = userById.get(a.principalId);
      grants.push({
        via: "(direct assignment)",
        viaKind: "user",
        grant: psName,
        grantKind: "permission-set",
        accountId: a.accountId,
        managed: false,
        reason: "assigned directly to a user (the tool only assigns groups)",
        source,
        people: u ? [person(u)] : [{ username: `(unknown user ${a.principalId})` }],
      });
      continue;
    }
    const g = groupById.get(a.principalId);
    const via = g?.name ?? `(unknown group ${a.principalId})`;
    const reason = notOurs
      ? `the permission set is not this configuration's: ${notOurs}`
      : !g || !declared.has(`${g.name}\u0000${psName}\u0000${a.accountId}`)
        ? `the configuration does not assign ${psName} to group '${via}' in this account: the assignment was made by hand`
        : undefined;
    grants.push({
      via,
      viaKind: "group",
      grant: psName,
      grantKind: "permission-set",
      accountId: a.accountId,
      managed: reason === undefined,
      ...(reason ? { reason } : {}),
      source,
      people: (live.memberships[a.principalId] ?? []).map((id) => userById.get(id)).filter((u) => u !== undefined).map(person),
    });
  }
  return { grants, notes };
}
