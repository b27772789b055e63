/**
 * What the access report reads from IAM Identity Center: wider than the plan — every
 * permission set (with its tags), every account assignment of each Identity Store
 * group and user (ListAccountAssignmentsForPrincipal: one paged call per principal,
 * in every account, whichever permission set), the Identity Store's users
 * (ListUsers) and each assigned group's members (ListGroupMemberships) — the
 * memberships AWS enforces. Nothing is written.
 */
import { ListGroupMembershipsCommand, ListGroupsCommand, ListUsersCommand } from "@aws-sdk/client-identitystore";
import { DescribePermissionSetCommand, ListAccountAssignmentsForPrincipalCommand, ListPermissionSetsCommand, ListTagsForResourceCommand } from "@aws-sdk/client-sso-admin";
import type { ResolvedConfig } from "../config/model.js";
import type { IdentityCenterAccessLive } from "./identity-center.js";
import pLimit from "p-limit";
import { allPages, discoverInstance, readOuAccounts } from "../providers/aws/sso-read.js";
import type { IdentityCenterClients } from "../providers/aws/sso-clients.js";

export async function readIdentityCenterAccess(clients: IdentityCenterClients, config: ResolvedConfig, concurrency = 8): Promise<IdentityCenterAccessLive> {
  const { instanceArn, identityStoreId } = await discoverInstance(clients, config);
  const sso = clients.ssoAdmin;
  const ids = clients.identityStore;

  const [arns, groupList, userList] = await Promise.all([
    allPages(
      "ListPermissionSets",
      (NextToken) => sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.PermissionSets,
    ),
    allPages(
      "ListGroups",
      (NextToken) => ids.send(new ListGroupsCommand({ IdentityStoreId: identityStoreId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.Groups,
    ),
    allPages(
      "ListUsers",
      (NextToken) => ids.send(new ListUsersCommand({ IdentityStoreId: identityStoreId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.Users,
    ),
  ]);
  const permissionSets = await pLimit(Math.max(1, concurrency)).map(arns, async (PermissionSetArn) => {
    const [described, tags] = await Promise.all([
      sso.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn })),
      allPages(
        "ListTagsForResource",
        (NextToken) => sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: PermissionSetArn, ...(NextToken ? { NextToken } : {}) })),
        (p) => p.Tags,
      ),
    ]);
    return { arn: PermissionSetArn, name: described.PermissionSet?.Name ?? PermissionSetArn, tags: Object.fromEntries(tags.map((t) => [t.Key!, t.Value ?? ""])) };
  });
  const groups = groupList.filter((g) => g.GroupId).map((g) => ({ id: g.GroupId!, name: g.DisplayName ?? g.GroupId! }));
  const users = userList
    .filter((u) => u.UserId)
    .map((u) => {
      const email = (u.Emails ?? []).find((e) => e.Primary)?.Value ?? u.Emails?.[0]?.Value;
      return { id: u.UserId!, username: u.UserName ?? u.UserId!, ...(email ? { email } : {}) };
    });

  const principals: { type: "GROUP" | "USER"; id: string }[] = [...groups.map((g) => ({ type: "GROUP" as const, id: g.id })), ...users.map((u) => ({ type: "USER" as const, id: u.id }))];
  const assignments = (
    await pLimit(Math.max(1, concurrency)).map(principals, async (p) => {
      const list = await allPages(
        "ListAccountAssignmentsForPrincipal",
        (NextToken) =>
          sso.send(
            new ListAccountAssignmentsForPrincipalCommand({ InstanceArn: instanceArn, PrincipalId: p.id, PrincipalType: p.type, MaxResults: 100, ...(NextToken ? { NextToken } : {}) }),
          ),
        (page) => page.AccountAssignments,
      );
      return list
        .filter((a) => a.AccountId && a.PermissionSetArn)
        .map((a) => ({ principalType: p.type, principalId: p.id, permissionSetArn: a.PermissionSetArn!, accountId: a.AccountId! }));
    })
  ).flat();

  // Members only of the groups that hold something: one paged call per such group.
  const assignedGroups = [...new Set(assignments.filter((a) => a.principalType === "GROUP").map((a) => a.principalId))];
  const memberships: Record<string, string[]> = {};
  await pLimit(Math.max(1, concurrency)).map(assignedGroups, async (GroupId) => {
    const list = await allPages(
      "ListGroupMemberships",
      (NextToken) => ids.send(new ListGroupMembershipsCommand({ IdentityStoreId: identityStoreId, GroupId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.GroupMemberships,
    );
    memberships[GroupId] = list.map((m) => (m.MemberId && "UserId" in m.MemberId ? m.MemberId.UserId : undefined)).filter((id): id is string => typeof id === "string");
  });

  const ouAccounts = await readOuAccounts(clients, config);
  return { permissionSets, groups, users, memberships, assignments, ouAccounts };
}
