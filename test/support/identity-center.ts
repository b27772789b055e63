/**
 * IAM Identity Center for the tests, through the AWS SDK against moto (behind the shim):
 * the organization and instance to start from, what SCIM would provision, a small
 * identity-center configuration, and what AWS reports back (assignments by group name).
 */
import {
  CreateGroupCommand,
  CreateGroupMembershipCommand,
  CreateUserCommand,
  DeleteGroupMembershipCommand,
  IdentitystoreClient,
  ListGroupMembershipsCommand,
  ListGroupsCommand,
  ListUsersCommand,
} from "@aws-sdk/client-identitystore";
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import {
  DescribePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
  ListPermissionSetsCommand,
  SSOAdminClient,
  type AccountAssignment,
} from "@aws-sdk/client-sso-admin";
import { awsClientConfig } from "../peers/moto.js";
import { example } from "./peers.js";

/** The management account: default (static) credentials land here in moto. */
export const MANAGEMENT = "123456789012";

/** The SCIM token the identity-center tests give the tool (AWS_SCIM_TOKEN). */
export const SCIM_TOKEN = "scim-token-0123456789-abcdefghij";

/** The environment an identity-center run of the tool gets: the SCIM token, and polls every 20 ms. */
export const IDENTITY_CENTER_ENV: NodeJS.ProcessEnv = { AWS_SCIM_TOKEN: SCIM_TOKEN, AUTHENTIK_AWS_GITOPS_POLL_MS: "20" };

export interface OrgFixture {
  sandboxesOu: string;
  teamOu: string;
  /** An account directly in "sandboxes" and one in its child OU "team-a". */
  sandboxAccount: string;
  teamAccount: string;
  instanceArn: string;
  identityStoreId: string;
}

/** An organization with a nested OU tree and two member accounts, and the Identity Center instance. */
export async function createOrganization(endpoint: string): Promise<OrgFixture> {
  const org = new OrganizationsClient(awsClientConfig(endpoint, MANAGEMENT));
  await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const root = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const sandboxesOu = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: "sandboxes" }))).OrganizationalUnit!.Id!;
  const teamOu = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: sandboxesOu, Name: "team-a" }))).OrganizationalUnit!.Id!;
  const account = async (name: string, ou: string) => {
    const status = (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))).CreateAccountStatus!;
    await org.send(new MoveAccountCommand({ AccountId: status.AccountId!, SourceParentId: root, DestinationParentId: ou }));
    return status.AccountId!;
  };
  const sandboxAccount = await account("sandbox-1", sandboxesOu);
  const teamAccount = await account("team-a-dev", teamOu);
  const sso = new SSOAdminClient(awsClientConfig(endpoint, MANAGEMENT));
  const instance = (await sso.send(new ListInstancesCommand({}))).Instances![0]!;
  return { sandboxesOu, teamOu, sandboxAccount, teamAccount, instanceArn: instance.InstanceArn!, identityStoreId: instance.IdentityStoreId! };
}

/** What SCIM would do: put a group into the Identity Store. */
export async function provisionGroup(endpoint: string, identityStoreId: string, name: string): Promise<string> {
  const ids = new IdentitystoreClient(awsClientConfig(endpoint, MANAGEMENT));
  return (await ids.send(new CreateGroupCommand({ IdentityStoreId: identityStoreId, DisplayName: name }))).GroupId!;
}

/** examples/identity-center.yaml naming the organization's OU "sandboxes" (moto picks its own id). */
export function identityCenterExample(org: Pick<OrgFixture, "sandboxesOu">): string {
  return example("identity-center.yaml").replace("ou-ab12-cd34ef56", org.sandboxesOu);
}

/**
 * A small identity-center configuration for tests: accounts by alias → id, permission
 * sets and mappings as YAML lines (each indented two spaces), pruning on; `extra`, whole
 * sections (scim:, review:) after the mappings.
 */
export function identityCenterConfig(options: { slug?: string; appName?: string; accounts: Record<string, string>; permissionSets: string; mappings: string; extra?: string; prune?: boolean }): string {
  const slug = options.slug ?? "aws-identity-center";
  return `version: 1
mode: identity-center
authentik:
  url: https://authentik.company
  application: { slug: ${slug}, name: ${options.appName ?? slug} }
  provider: { name: ${slug} }
aws:
  accounts:
${Object.entries(options.accounts).map(([alias, id]) => `    ${alias}: { id: "${id}" }`).join("\n")}
  identityCenter:
    region: us-east-1
    accessPortalUrl: https://d-1234567890.awsapps.com/start
    spMetadata: identity-center-sp-metadata.xml
permissionSets:
${options.permissionSets}mappings:
${options.mappings}${options.extra ?? ""}options:
  prune: ${options.prune ?? true}
`;
}

/**
 * The stand-in for SCIM in tests: once authentik is asked to sync (a request whose path
 * ends in `pathSuffix` reaches the emulator), put the groups into the Identity Store.
 */
export async function provisionWhenSynced(
  authentik: { control: { requests(): Promise<{ method: string; path: string }[]> } },
  endpoint: string,
  identityStoreId: string,
  pathSuffix: "/send/" | "/sync/object/",
  groups: string[],
): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await authentik.control.requests()).some((r) => r.method === "POST" && r.path.endsWith(pathSuffix))) {
      for (const g of groups) await provisionGroup(endpoint, identityStoreId, g);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What AWS reports of Identity Center (as a test client, in the management account). */
export function identityCenterOf(endpoint: string, org: Pick<OrgFixture, "instanceArn" | "identityStoreId">) {
  const sso = new SSOAdminClient(awsClientConfig(endpoint, MANAGEMENT));
  const ids = new IdentitystoreClient(awsClientConfig(endpoint, MANAGEMENT));
  const InstanceArn = org.instanceArn;
  const reader = {
    sso,
    ids,
    /** Every permission set's ARN. */
    async permissionSetArns(): Promise<string[]> {
      return (await sso.send(new ListPermissionSetsCommand({ InstanceArn }))).PermissionSets ?? [];
    },
    /** The ARN of the permission set named `name` (an error if there is none). */
    async permissionSetArn(name: string): Promise<string> {
      for (const arn of await reader.permissionSetArns()) {
        if ((await sso.send(new DescribePermissionSetCommand({ InstanceArn, PermissionSetArn: arn }))).PermissionSet?.Name === name) return arn;
      }
      throw new Error(`no permission set ${name}`);
    },
    /** The assignments of permission set `arn` (by ARN) in an account. */
    async assignmentsOf(account: string, arn: string): Promise<AccountAssignment[]> {
      return (await sso.send(new ListAccountAssignmentsCommand({ InstanceArn, AccountId: account, PermissionSetArn: arn }))).AccountAssignments ?? [];
    },
    /** The assignments of the permission set named `name` in an account. */
    async assignments(account: string, name: string): Promise<AccountAssignment[]> {
      return reader.assignmentsOf(account, await reader.permissionSetArn(name));
    },
    /** The Identity Store's group id of a display name (an error if there is none). */
    async groupId(name: string): Promise<string> {
      const groups = (await ids.send(new ListGroupsCommand({ IdentityStoreId: org.identityStoreId }))).Groups ?? [];
      const id = groups.find((g) => g.DisplayName === name)?.GroupId;
      if (!id) throw new Error(`no group ${name} in the Identity Store`);
      return id;
    },
    /** Group display names assigned the permission set named `name` in an account, as AWS reports them, sorted. */
    async assignedGroups(account: string, name: string): Promise<string[]> {
      const assignments = await reader.assignments(account, name);
      const groups = (await ids.send(new ListGroupsCommand({ IdentityStoreId: org.identityStoreId }))).Groups ?? [];
      return assignments.map((a) => groups.find((g) => g.GroupId === a.PrincipalId)?.DisplayName ?? a.PrincipalId!).sort();
    },
  };
  return reader;
}

/**
 * The SCIM stand-in's push into the Identity Store: what the authentik emulator's syncs of
 * provider `providerName` left at the target (control.scimSyncs, the last sync's users and
 * groups; control.scimMembers, the memberships, with the drop/keep quirks the test set) written
 * through the AWS API: each pushed user (userName = their email, as the tool's SCIM user mapping
 * sends it, or the username with `userName: "username"`), each pushed group, and each group's
 * memberships made equal to the target's (missing ones added, others removed).
 */
export async function mirrorScim(
  authentik: { control: { scimSyncs(name: string): Promise<{ users: string[]; groups: string[] }[]>; scimMembers(name: string): Promise<Record<string, string[]>> } },
  ak: <T = any>(method: string, apiPath: string) => Promise<T>,
  endpoint: string,
  identityStoreId: string,
  providerName: string,
  options: { userName?: "email" | "username" } = {},
): Promise<{ users: string[]; groups: string[]; members: Record<string, string[]> }> {
  const push = (await authentik.control.scimSyncs(providerName)).at(-1) ?? { users: [], groups: [] };
  const members = await authentik.control.scimMembers(providerName);
  const ids = new IdentitystoreClient(awsClientConfig(endpoint, MANAGEMENT));
  const akUsers = (await ak<{ results: { username: string; name: string; email: string }[] }>("GET", "/core/users/?page_size=100&include_groups=false")).results;
  const userIds = new Map<string, string>(); // authentik username → Identity Store user id
  const existing = (await ids.send(new ListUsersCommand({ IdentityStoreId: identityStoreId }))).Users ?? [];
  // The users pushed, and members the target kept although the sync no longer pushes them.
  for (const username of new Set([...push.users, ...Object.values(members).flat()])) {
    const u = akUsers.find((x) => x.username === username);
    if (!u) continue;
    const userName = options.userName === "username" || !u.email ? username : u.email;
    let id = existing.find((x) => x.UserName === userName)?.UserId;
    if (!id) {
      const [given, ...rest] = (u.name || username).split(" ");
      id = (
        await ids.send(
          new CreateUserCommand({
            IdentityStoreId: identityStoreId,
            UserName: userName,
            DisplayName: u.name || username,
            Name: { GivenName: given || username, FamilyName: rest.join(" ") || given || username },
            ...(u.email ? { Emails: [{ Value: u.email, Type: "work", Primary: true }] } : {}),
          }),
        )
      ).UserId!;
    }
    userIds.set(username, id);
  }
  const groups = (await ids.send(new ListGroupsCommand({ IdentityStoreId: identityStoreId }))).Groups ?? [];
  for (const name of push.groups) {
    const groupId = groups.find((g) => g.DisplayName === name)?.GroupId ?? (await provisionGroup(endpoint, identityStoreId, name));
    const held = (await ids.send(new ListGroupMembershipsCommand({ IdentityStoreId: identityStoreId, GroupId: groupId }))).GroupMemberships ?? [];
    const want = new Set((members[name] ?? []).map((u) => userIds.get(u)).filter((id): id is string => id !== undefined));
    for (const m of held) {
      const userId = m.MemberId && "UserId" in m.MemberId ? m.MemberId.UserId : undefined;
      if (userId && !want.has(userId)) await ids.send(new DeleteGroupMembershipCommand({ IdentityStoreId: identityStoreId, MembershipId: m.MembershipId! }));
    }
    const heldIds = new Set(held.map((m) => (m.MemberId && "UserId" in m.MemberId ? m.MemberId.UserId : undefined)));
    for (const userId of want) if (!heldIds.has(userId)) await ids.send(new CreateGroupMembershipCommand({ IdentityStoreId: identityStoreId, GroupId: groupId, MemberId: { UserId: userId } }));
  }
  return { ...push, members };
}
