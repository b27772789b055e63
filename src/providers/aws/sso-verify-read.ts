/**
 * What verify reads from IAM Identity Center (issue 21), as plain data for
 * src/verify/identity-center.ts: the plan's read (permission sets, the Identity Store's groups,
 * every group's assignments), the Identity Store's users (ListUsers), the members of each mapped
 * group (ListGroupMemberships, one paged call per group), and where each of this configuration's
 * permission sets is provisioned (ListAccountsForProvisionedPermissionSet, all accounts and those
 * holding an older version). Nothing is written.
 */
import { ListGroupMembershipsCommand, ListUsersCommand } from "@aws-sdk/client-identitystore";
import pLimit from "p-limit";
import type { ResolvedConfig } from "../../config/model.js";
import { address } from "../../domain/addresses.js";
import type { IdentityCenterVerifyLive } from "../../domain/verify.js";
import type { IdentityCenterClients } from "./sso-clients.js";
import { allPages, provisionedAccounts, readIdentityCenter } from "./sso-read.js";

export async function readIdentityCenterVerify(clients: IdentityCenterClients, config: ResolvedConfig, options: { now: Date; concurrency?: number }): Promise<IdentityCenterVerifyLive> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const live = await readIdentityCenter(clients, config, concurrency);
  const { instanceArn, identityStoreId } = live;
  const ids = clients.identityStore;

  const users = (
    await allPages(
      "ListUsers",
      (NextToken) => ids.send(new ListUsersCommand({ IdentityStoreId: identityStoreId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.Users,
    )
  )
    .filter((u) => u.UserId)
    .map((u) => ({ id: u.UserId!, userName: u.UserName ?? "", emails: (u.Emails ?? []).map((e) => e.Value ?? "").filter(Boolean) }));

  // The groups of the mappings in force (an expired mapping grants nothing: src/desired/expiry.ts).
  const mapped = [...new Set(config.mappings.filter((m) => !m.expires || Date.parse(m.expires.endsAt) > options.now.getTime()).map((m) => m.group))];
  const groups = (
    await pLimit(concurrency).map(
      mapped.filter((name) => live.groups.has(name)),
      async (name) => {
        const GroupId = live.groups.get(name)!;
        const members = await allPages(
          "ListGroupMemberships",
          (NextToken) => ids.send(new ListGroupMembershipsCommand({ IdentityStoreId: identityStoreId, GroupId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
          (p) => p.GroupMemberships,
        );
        const memberIds = [...new Set(members.map((m) => (m.MemberId && "UserId" in m.MemberId ? m.MemberId.UserId : undefined)).filter((id): id is string => typeof id === "string"))];
        return { id: GroupId, name, memberIds };
      },
    )
  ).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // The names of the permission sets the plan read (this configuration's, and name collisions it does not own).
  const setNames = new Map<string, string>(); // address → name
  for (const r of live.resources) if (r.type === "aws.sso.permission_set" && r.owned) setNames.set(r.address, String(r.props.name));
  const assignments = live.resources
    .filter((r) => r.type === "aws.sso.account_assignment")
    .map((r) => ({ group: String(r.props.group), permissionSet: setNames.get((r.props.permission_set as { $ref: string }).$ref) ?? "", accountId: String(r.props.account_id) }))
    .filter((a) => a.permissionSet !== "");

  const declared = config.permissionSets.map((p) => p.name).filter((name) => setNames.has(address.permissionSet(name)));
  const permissionSets = await pLimit(concurrency).map(declared, async (name) => {
    const arn = live.permissionSetArns.get(address.permissionSet(name))!;
    const [provisionedTo, notLatestIn] = await Promise.all([
      provisionedAccounts(clients, instanceArn, arn),
      provisionedAccounts(clients, instanceArn, arn, "LATEST_PERMISSION_SET_NOT_PROVISIONED"),
    ]);
    return { name, provisionedTo, notLatestIn };
  });

  return { identityStoreId, users, groups, assignments, permissionSets, ouAccounts: live.ouAccounts };
}
