import { ListGroupsCommand } from "@aws-sdk/client-identitystore";
import { ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand } from "@aws-sdk/client-organizations";
import {
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  GetPermissionsBoundaryForPermissionSetCommand,
  ListAccountAssignmentsForPrincipalCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  DescribeInstanceAccessControlAttributeConfigurationCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-sso-admin";
import type { ResolvedConfig } from "../../config/model.js";
import { parseDuration, toIsoDuration } from "../../config/durations.js";
import { address } from "../../domain/addresses.js";
import type { TargetAccount } from "../../domain/accounts.js";
import { UserError } from "../../errors.js";
import pLimit from "p-limit";
import { collectPages } from "../../util/paging.js";
import { byCodePoint } from "../../domain/canonical.js";
import { normalizePolicy } from "../../domain/policy-normalize.js";
import { notProvisionedPhrase } from "../../domain/provisioning.js";
import { adoption, comparableTags, configOwnership, MANAGED_BY_TAG, ownedUnless, type LiveResource } from "../../domain/plan-types.js";
import { configId } from "../../config/model.js";
import type { IdentityCenterClients } from "./sso-clients.js";

/** A NextToken-paged AWS list (see collectPages for the loop guard). */
export function allPages<P extends { NextToken?: string | undefined }, T>(
  what: string,
  fetch: (token: string | undefined) => Promise<P>,
  items: (page: P) => T[] | undefined,
): Promise<T[]> {
  return collectPages<T, string>(`AWS ${what}`, async (token) => {
    const page = await fetch(token);
    return { items: items(page), next: page.NextToken };
  });
}

export interface IdentityCenterLive {
  instanceArn: string;
  identityStoreId: string;
  resources: LiveResource[];
  /** Identity Store groups: display name → group id. */
  groups: Map<string, string>;
  /** Permission set ARNs by address (managed ones and name collisions). */
  permissionSetArns: Map<string, string>;
  /** How many permission sets the instance holds, anyone's (for its quota). */
  permissionSetCount: number;
  /** Accounts of each declared OU, descendants included. */
  ouAccounts: Map<string, TargetAccount[]>;
}

export function permissionSetIdentity(name: string): string {
  return `aws.sso.permission_set:${name.toLowerCase()}`;
}

export async function discoverInstance(clients: IdentityCenterClients, config: ResolvedConfig): Promise<{ instanceArn: string; identityStoreId: string }> {
  const ic = config.aws.identityCenter!;
  if (ic.instanceArn && ic.identityStoreId) return { instanceArn: ic.instanceArn, identityStoreId: ic.identityStoreId };
  const instances = await allPages(
    "ListInstances",
    (NextToken) => clients.ssoAdmin.send(new ListInstancesCommand({ ...(NextToken ? { NextToken } : {}) })),
    (p) => p.Instances,
  );
  const match = ic.instanceArn ? instances.find((i) => i.InstanceArn === ic.instanceArn) : instances.length === 1 ? instances[0] : undefined;
  if (!match?.InstanceArn || !match.IdentityStoreId) {
    throw new UserError(
      instances.length === 0
        ? `no IAM Identity Center instance is visible in ${ic.region} with these AWS credentials; enable Identity Center or use credentials of its management (or delegated administrator) account`
        : ic.instanceArn
          ? `IAM Identity Center instance ${ic.instanceArn} is not among the instances visible in ${ic.region}`
          : `${instances.length} IAM Identity Center instances are visible in ${ic.region}; set aws.identityCenter.instanceArn`,
    );
  }
  return { instanceArn: match.InstanceArn, identityStoreId: match.IdentityStoreId };
}

export async function accountsUnder(clients: IdentityCenterClients, parentId: string, depth = 0): Promise<{ Id?: string; Name?: string }[]> {
  if (depth > 5) return []; // Organizations nests OUs at most five levels deep
  const accounts = await allPages(
    "ListAccountsForParent",
    (NextToken) => clients.organizations.send(new ListAccountsForParentCommand({ ParentId: parentId, ...(NextToken ? { NextToken } : {}) })),
    (p) => p.Accounts,
  );
  const children = await allPages(
    "ListOrganizationalUnitsForParent",
    (NextToken) => clients.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, ...(NextToken ? { NextToken } : {}) })),
    (p) => p.OrganizationalUnits,
  );
  for (const child of children) if (child.Id) accounts.push(...(await accountsUnder(clients, child.Id, depth + 1)));
  return accounts;
}

/**
 * Reads the Identity Center side: permission sets (tagged managed-by = owned),
 * the Identity Store's groups, and every group's assignments with one paged
 * ListAccountAssignmentsForPrincipal per group — instead of one
 * ListAccountAssignments per (account × permission set).
 */
export async function readIdentityCenter(clients: IdentityCenterClients, config: ResolvedConfig, concurrency = 8): Promise<IdentityCenterLive> {
  const { instanceArn, identityStoreId } = await discoverInstance(clients, config);
  const resources: LiveResource[] = [];
  const permissionSetArns = new Map<string, string>();
  const desiredNames = new Set(config.permissionSets.map((p) => p.name.toLowerCase()));
  const sso = clients.ssoAdmin;

  const arns = await allPages(
    "ListPermissionSets",
    (NextToken) => sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
    (p) => p.PermissionSets,
  );
  const managedArns = new Map<string, string>(); // arn → name
  const notProvisioned = new Map<string, string[]>(); // address → accounts holding an older version of the set
  const adoptingArns = new Set<string>();
  const adoptNames = new Set(config.adopt?.permissionSets ?? []);
  const declaredNames = new Set(config.permissionSets.map((p) => p.name));
  await pLimit(Math.max(1, concurrency)).map(arns, async (PermissionSetArn) => {
    const [described, tagList] = await Promise.all([
      sso.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn })),
      allPages(
        "ListTagsForResource",
        (NextToken) => sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: PermissionSetArn, ...(NextToken ? { NextToken } : {}) })),
        (p) => p.Tags,
      ),
    ]);
    const ps = described.PermissionSet!;
    const name = ps.Name!;
    const tags = Object.fromEntries(tagList.map((t) => [t.Key!, t.Value ?? ""]).sort(([a], [b]) => byCodePoint(a, b)));
    const notOurs = configOwnership(tags, configId(config), desiredNames.has(name.toLowerCase()));
    // Made by hand (no managed-by tag at all) and named in adopt.permissionSets: taken
    // over with its assignments, never recreated.
    const adopting = adoption(tags, configId(config), declaredNames.has(name), adoptNames.has(name));
    const owned = !notOurs || adopting !== undefined;
    if (!owned && !desiredNames.has(name.toLowerCase())) return; // not ours and in nobody's way
    const addr = address.permissionSet(name);
    permissionSetArns.set(addr, PermissionSetArn);
    if (owned) managedArns.set(PermissionSetArn, name);
    if (adopting && tags[MANAGED_BY_TAG] === undefined) adoptingArns.add(PermissionSetArn); // made by hand: its assignments come with it
    const [details, outdated] = owned
      ? await Promise.all([permissionSetDetails(clients, instanceArn, PermissionSetArn), provisionedAccounts(clients, instanceArn, PermissionSetArn, "LATEST_PERMISSION_SET_NOT_PROVISIONED")])
      : [{}, []];
    if (outdated.length > 0) notProvisioned.set(addr, outdated);
    // moto returns an unset session duration as the number 3600; AWS as "PT1H".
    const seconds = parseDuration(String(ps.SessionDuration ?? "PT1H").replace(/^(\d+)$/, "$1s")) ?? 3600;
    resources.push({
      address: addr,
      type: "aws.sso.permission_set",
      system: "aws",
      title: `permission set ${name}`,
      id: PermissionSetArn,
      props: {
        name,
        description: ps.Description ?? "",
        session_duration: toIsoDuration(seconds),
        relay_state: ps.RelayState ?? "",
        ...details,
        tags: comparableTags(tags),
      },
      ...(adopting ? { owned: true, adopting } : ownedUnless(notOurs)),
    });
  });

  const groupList = await allPages(
    "ListGroups",
    (NextToken) => clients.identityStore.send(new ListGroupsCommand({ IdentityStoreId: identityStoreId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
    (p) => p.Groups,
  );
  const groups = new Map(groupList.filter((g) => g.DisplayName && g.GroupId).map((g) => [g.DisplayName!, g.GroupId!]));

  const declaredById = new Map(config.aws.accounts.map((a) => [a.id, a.alias]));
  const ouAccounts = await readOuAccounts(clients, config);
  const labels = new Map<string, string>([...declaredById]);
  for (const list of ouAccounts.values()) for (const a of list) if (!labels.has(a.id)) labels.set(a.id, a.label);

  // A permission set changed since it was last provisioned to an account: the account's role
  // still carries the old version until the set is provisioned again (the plan re-provisions it).
  for (const r of resources) {
    const accounts = notProvisioned.get(r.address);
    if (accounts) r.props.provisioning = notProvisionedPhrase(accounts.map((id) => accountLabel(labels, id)));
  }

  // Assignments of managed permission sets, per group.
  if (managedArns.size > 0) {
    await pLimit(Math.max(1, concurrency)).map([...groups], async ([groupName, groupId]) => {
      const assignments = await allPages(
        "ListAccountAssignmentsForPrincipal",
        (NextToken) =>
          sso.send(
            new ListAccountAssignmentsForPrincipalCommand({
              InstanceArn: instanceArn,
              PrincipalId: groupId,
              PrincipalType: "GROUP",
              MaxResults: 100,
              ...(NextToken ? { NextToken } : {}),
            }),
          ),
        (p) => p.AccountAssignments,
      );
      for (const a of assignments) {
        const psName = managedArns.get(a.PermissionSetArn ?? "");
        if (!psName || !a.AccountId) continue;
        // Every copy: AWS does not say it deduplicates (moto stores a repeated
        // assignment twice). The planner numbers copies (…#2) so that a removal
        // removes each one and an extra copy is pruned, never hidden.
        const addr = address.assignment(groupName, psName, a.AccountId);
        const label = labels.get(a.AccountId) ?? a.AccountId;
        resources.push({
          address: addr,
          type: "aws.sso.account_assignment",
          system: "aws",
          account: label,
          title: `group "${groupName}" → ${psName} in ${label}${label === a.AccountId ? "" : ` (${a.AccountId})`}`,
          id: JSON.stringify({ principalId: groupId, permissionSetArn: a.PermissionSetArn, accountId: a.AccountId }),
          props: { group: groupName, permission_set: { $ref: address.permissionSet(psName) }, account_id: a.AccountId },
          owned: true,
          ...(adoptingArns.has(a.PermissionSetArn ?? "") ? { adopting: `it comes with permission set ${psName}, which this configuration adopts` } : {}),
        });
      }
    });
  }
  // Only a configuration that declares them reads them: the others never change them, and
  // need no permission for them.
  const abac = config.aws.identityCenter?.accessControlAttributes ? await readAccessControlAttributes(clients, instanceArn) : undefined;
  if (abac) resources.push(abac);
  return { instanceArn, identityStoreId, resources, groups, permissionSetArns, permissionSetCount: arns.length, ouAccounts };
}

/** "prod (111111111111)", or the id alone when the account has no label. */
export function accountLabel(labels: ReadonlyMap<string, string>, id: string): string {
  const label = labels.get(id);
  return label && label !== id ? `${label} (${id})` : id;
}

/**
 * The accounts a permission set is provisioned to (ListAccountsForProvisionedPermissionSet):
 * all of them, or those holding its latest version (LATEST_PERMISSION_SET_PROVISIONED) or an
 * older one (LATEST_PERMISSION_SET_NOT_PROVISIONED: changed since, not provisioned again). Sorted.
 */
export async function provisionedAccounts(
  clients: IdentityCenterClients,
  InstanceArn: string,
  PermissionSetArn: string,
  status?: "LATEST_PERMISSION_SET_PROVISIONED" | "LATEST_PERMISSION_SET_NOT_PROVISIONED",
): Promise<string[]> {
  const ids = await allPages(
    "ListAccountsForProvisionedPermissionSet",
    (NextToken) =>
      clients.ssoAdmin.send(
        new ListAccountsForProvisionedPermissionSetCommand({ InstanceArn, PermissionSetArn, MaxResults: 100, ...(status ? { ProvisioningStatus: status } : {}), ...(NextToken ? { NextToken } : {}) }),
      ),
    (p) => p.AccountIds,
  );
  return [...new Set(ids)].sort(byCodePoint);
}

/**
 * The instance's attributes for access control (ABAC), if enabled. An instance setting
 * carries no tag: it is the configuration's when the configuration declares
 * aws.identityCenter.accessControlAttributes (only then is it read), and otherwise never
 * read, changed or removed. A configuration AWS failed to enable shows as its status, so
 * the plan writes it again.
 */
async function readAccessControlAttributes(clients: IdentityCenterClients, instanceArn: string): Promise<LiveResource | undefined> {
  const answer = await clients.ssoAdmin.send(new DescribeInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn })).catch((error: unknown) => {
    if (error instanceof ResourceNotFoundException) return undefined; // not enabled
    throw error;
  });
  if (!answer) return undefined;
  const attributes = Object.fromEntries(
    (answer.InstanceAccessControlAttributeConfiguration?.AccessControlAttributes ?? [])
      .map((a) => [a.Key ?? "", a.Value?.Source?.[0] ?? ""] as const)
      .sort(([a], [b]) => byCodePoint(a, b)),
  );
  return {
    address: address.accessControlAttributes(),
    type: "aws.sso.access_control_attributes",
    system: "aws",
    title: "attributes for access control (ABAC) of the IAM Identity Center instance",
    id: instanceArn,
    props: { attributes, ...(answer.Status === "CREATION_FAILED" ? { status: `CREATION_FAILED: ${answer.StatusReason ?? "no reason given"}` } : {}) },
    owned: true,
  };
}

/** The accounts of each declared OU (descendants included), labelled by their alias, else their name in Organizations. */
export async function readOuAccounts(clients: IdentityCenterClients, config: ResolvedConfig): Promise<Map<string, TargetAccount[]>> {
  const declaredById = new Map(config.aws.accounts.map((a) => [a.id, a.alias]));
  const ouAccounts = new Map<string, TargetAccount[]>();
  for (const ou of config.aws.organizationalUnits) {
    const accounts = await accountsUnder(clients, ou.id).catch((error: Error) => {
      throw new UserError(`cannot list the accounts of organizational unit '${ou.alias}' (${ou.id}) through AWS Organizations: ${error.name}: ${error.message}`);
    });
    ouAccounts.set(
      ou.alias,
      accounts.filter((a) => a.Id).map((a) => ({ id: a.Id!, label: declaredById.get(a.Id!) ?? a.Name ?? a.Id! })).sort((x, y) => byCodePoint(x.id, y.id)),
    );
  }
  return ouAccounts;
}

export async function permissionSetDetails(clients: IdentityCenterClients, InstanceArn: string, PermissionSetArn: string) {
  const sso = clients.ssoAdmin;
  const [managed, customer, inline, boundary] = await Promise.all([
    allPages(
      "ListManagedPoliciesInPermissionSet",
      (NextToken) => sso.send(new ListManagedPoliciesInPermissionSetCommand({ InstanceArn, PermissionSetArn, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.AttachedManagedPolicies,
    ),
    allPages(
      "ListCustomerManagedPolicyReferencesInPermissionSet",
      (NextToken) => sso.send(new ListCustomerManagedPolicyReferencesInPermissionSetCommand({ InstanceArn, PermissionSetArn, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.CustomerManagedPolicyReferences,
    ),
    sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn, PermissionSetArn })),
    sso.send(new GetPermissionsBoundaryForPermissionSetCommand({ InstanceArn, PermissionSetArn })).catch((error: unknown) => {
      if (error instanceof ResourceNotFoundException) return undefined; // no boundary set
      throw error;
    }),
  ]);
  const b = boundary?.PermissionsBoundary;
  return {
    managed_policies: managed.map((m) => m.Arn!).sort(byCodePoint),
    customer_managed_policies: customer.map((c) => ({ name: c.Name!, path: c.Path ?? "/" })).sort(byCodePoint),
    inline_policy: inline.InlinePolicy ? normalizePolicy(inline.InlinePolicy) : null,
    permissions_boundary: b?.ManagedPolicyArn
      ? { managedPolicyArn: b.ManagedPolicyArn }
      : b?.CustomerManagedPolicyReference?.Name
        ? { customerManagedPolicy: { name: b.CustomerManagedPolicyReference.Name, path: b.CustomerManagedPolicyReference.Path ?? "/" } }
        : null,
  };
}
