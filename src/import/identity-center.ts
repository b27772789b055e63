/**
 * `import --mode identity-center`: authentik as IAM Identity Center's external
 * identity provider (a SAML provider built from AWS's SP metadata, optionally a
 * SCIM backchannel provider), permission sets and group assignments made by
 * hand, read into a configuration that assigns exactly what is assigned today.
 */
import { ListGroupsCommand, ListUsersCommand } from "@aws-sdk/client-identitystore";
import { ListAccountsCommand, ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand, ListRootsCommand } from "@aws-sdk/client-organizations";
import {
  DescribeInstanceAccessControlAttributeConfigurationCommand,
  DescribePermissionSetCommand,
  ListAccountAssignmentsForPrincipalCommand,
  ListInstancesCommand,
  ListPermissionSetsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-sso-admin";
import { parseDuration } from "../config/durations.js";
import { accessControlExpression, SAML_ATTRIBUTE } from "../domain/expressions.js";
import { UserError } from "../errors.js";
import { byCodePoint, deepEqual } from "../domain/canonical.js";
import { CONFIG_TAG, MANAGED_BY_TAG } from "../domain/plan-types.js";
import type { AuthentikClient } from "../providers/authentik/client.js";
import { awsFailure } from "../providers/aws/errors.js";
import { identityCenterClients, type IdentityCenterClients } from "../providers/aws/sso-clients.js";
import { allPages, permissionSetDetails } from "../providers/aws/sso-read.js";
import { safeAlias } from "./classic-iam.js";
import { durationText, policyForYaml, readAuthentikSetup } from "./read-authentik.js";
import type { ImportedConfig, ImportOptions } from "./types.js";

interface OrgTree {
  /** Account id → name. */
  names: Map<string, string>;
  /** OU id → { name, accounts (descendants included), depth }. */
  ous: Map<string, { name: string; accounts: string[]; depth: number }>;
}

async function readOrganization(clients: IdentityCenterClients): Promise<OrgTree> {
  const org = clients.organizations;
  const names = new Map<string, string>();
  for (const a of await allPages("ListAccounts", (NextToken) => org.send(new ListAccountsCommand({ ...(NextToken ? { NextToken } : {}) })), (p) => p.Accounts)) {
    if (a.Id) names.set(a.Id, a.Name ?? a.Id);
  }
  const ous: OrgTree["ous"] = new Map();
  const walk = async (parent: string, depth: number): Promise<string[]> => {
    if (depth > 6) return [];
    const accounts = (
      await allPages("ListAccountsForParent", (NextToken) => org.send(new ListAccountsForParentCommand({ ParentId: parent, ...(NextToken ? { NextToken } : {}) })), (p) => p.Accounts)
    ).flatMap((a) => (a.Id ? [a.Id] : []));
    const children = await allPages(
      "ListOrganizationalUnitsForParent",
      (NextToken) => org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.OrganizationalUnits,
    );
    for (const child of children) {
      if (!child.Id) continue;
      const below = await walk(child.Id, depth + 1);
      ous.set(child.Id, { name: child.Name ?? child.Id, accounts: [...below].sort(), depth: depth + 1 });
      accounts.push(...below);
    }
    return accounts;
  };
  for (const root of (await org.send(new ListRootsCommand({}))).Roots ?? []) if (root.Id) await walk(root.Id, 0);
  return { names, ous };
}

/** Minimal SP metadata from what the provider already trusts: IAM Identity Center's entity id (audience) and ACS URL. */
function spMetadataXml(entityId: string, acsUrl: string): string {
  const attr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by authentik-aws-gitops import from the values the authentik SAML provider
     already uses (audience and ACS URL). You may replace it with the file IAM Identity
     Center offers: Settings → Identity source → Actions → Change identity source. -->
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${attr(entityId)}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${attr(acsUrl)}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
}

/** The user attribute an attribute-for-access-control mapping sends, when its expression is the tool's own form (else undefined: not read). */
function sentAttribute(expression: string): string | undefined {
  const literal = /^for part in ("(?:[^"\\]|\\.)*")\.split\("\."\):$/m.exec(expression)?.[1];
  if (!literal) return undefined;
  const path = JSON.parse(literal) as string;
  return expression === accessControlExpression(path) ? path : undefined;
}

export async function importIdentityCenter(authentik: AuthentikClient, options: ImportOptions): Promise<ImportedConfig> {
  const notes: string[] = [];
  const files: Record<string, string> = {};
  const region = options.region;
  if (!region) throw new UserError("identity-center: give the region of IAM Identity Center (--region, or AWS_REGION)");
  const setup = await readAuthentikSetup(authentik, options.application, { scim: true });
  const { application, provider } = setup;
  const clients = identityCenterClients(region, { env: options.env });
  const fail = (what: string) => (error: unknown) => {
    throw awsFailure(error, `${what} in IAM Identity Center (${region})`);
  };

  const instances = await allPages("ListInstances", (NextToken) => clients.ssoAdmin.send(new ListInstancesCommand({ ...(NextToken ? { NextToken } : {}) })), (p) => p.Instances).catch(
    fail("listing instances"),
  );
  if (instances.length !== 1 || !instances[0]!.InstanceArn || !instances[0]!.IdentityStoreId) {
    throw new UserError(`${instances.length} IAM Identity Center instances are visible in ${region} with these credentials; import needs exactly one (use the credentials of its management or delegated administrator account)`);
  }
  const instanceArn = instances[0]!.InstanceArn!;
  notes.push(`IAM Identity Center instance ${instanceArn} in ${region}: plan and apply find it again from the credentials`);
  const identityStoreId = instances[0]!.IdentityStoreId!;
  const sso = clients.ssoAdmin;

  // --- permission sets: everything not another configuration's --------------------------------
  const arns = await allPages(
    "ListPermissionSets",
    (NextToken) => sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
    (p) => p.PermissionSets,
  ).catch(fail("listing permission sets"));
  const permissionSets: Record<string, Record<string, unknown>> = {};
  const nameOf = new Map<string, string>();
  const adopt: string[] = [];
  for (const PermissionSetArn of arns) {
    const [described, tagList] = await Promise.all([
      sso.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn })),
      allPages("ListTagsForResource", (NextToken) => sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: PermissionSetArn, ...(NextToken ? { NextToken } : {}) })), (p) => p.Tags),
    ]).catch(fail("reading a permission set"));
    const ps = described.PermissionSet!;
    const name = ps.Name!;
    const tags = Object.fromEntries(tagList.map((t) => [t.Key!, t.Value ?? ""]));
    if (tags[CONFIG_TAG] !== undefined && tags[CONFIG_TAG] !== options.application) {
      notes.push(`permission set ${name} belongs to another configuration (tag ${CONFIG_TAG}=${tags[CONFIG_TAG]}): not imported, and its assignments neither`);
      continue;
    }
    if (tags[MANAGED_BY_TAG] !== undefined && tags[CONFIG_TAG] === undefined) {
      notes.push(`permission set ${name} carries ${MANAGED_BY_TAG} but no ${CONFIG_TAG} tag (an earlier version of the tool, or another tool): imported as declared, and the plan adds the tag`);
    } else if (tags[MANAGED_BY_TAG] === undefined) adopt.push(name);
    nameOf.set(PermissionSetArn, name);
    const d = await permissionSetDetails(clients, instanceArn, PermissionSetArn).catch(fail(`reading permission set ${name}`));
    const seconds = parseDuration(String(ps.SessionDuration ?? "PT1H").replace(/^(\d+)$/, "$1s")) ?? 3600;
    const ownTags = Object.fromEntries(Object.entries(tags).filter(([k]) => k !== MANAGED_BY_TAG && k !== CONFIG_TAG && !k.startsWith("aws:")).sort(([a], [b]) => byCodePoint(a, b)));
    permissionSets[name] = {
      ...(ps.Description ? { description: ps.Description } : {}),
      ...(seconds !== 3600 ? { sessionDuration: durationText(seconds) } : {}),
      ...(ps.RelayState ? { relayState: ps.RelayState } : {}),
      ...(d.managed_policies.length ? { managedPolicies: d.managed_policies } : {}),
      ...(d.customer_managed_policies.length ? { customerManagedPolicies: d.customer_managed_policies } : {}),
      ...(d.inline_policy ? { inlinePolicy: policyForYaml(d.inline_policy) } : {}),
      ...(d.permissions_boundary ? { permissionsBoundary: d.permissions_boundary } : {}),
      ...(Object.keys(ownTags).length ? { tags: ownTags } : {}),
    };
  }

  // --- assignments of groups that authentik knows (SCIM provisioned them by name) ------------
  const storeGroups = await allPages(
    "ListGroups",
    (NextToken) => clients.identityStore.send(new ListGroupsCommand({ IdentityStoreId: identityStoreId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
    (p) => p.Groups,
  ).catch(fail("listing Identity Store groups"));
  const authentikGroups = new Set(setup.groups.map((g) => g.name));
  const grants = new Map<string, Map<string, Set<string>>>(); // group → permission set → account ids
  for (const g of storeGroups) {
    if (!g.GroupId || !g.DisplayName) continue;
    const assignments = await allPages(
      "ListAccountAssignmentsForPrincipal",
      (NextToken) =>
        sso.send(new ListAccountAssignmentsForPrincipalCommand({ InstanceArn: instanceArn, PrincipalId: g.GroupId!, PrincipalType: "GROUP", MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.AccountAssignments,
    ).catch(fail(`listing the assignments of group ${g.DisplayName}`));
    const imported = assignments.filter((a) => a.AccountId && nameOf.has(a.PermissionSetArn ?? ""));
    if (imported.length === 0) continue;
    if (!authentikGroups.has(g.DisplayName)) {
      notes.push(`Identity Store group '${g.DisplayName}' holds ${imported.length} assignment(s) but authentik has no group of that name (it was not provisioned from authentik): not imported — once their permission sets are adopted these assignments are the tool's, kept while pruning is off and removed with --prune`);
      continue;
    }
    const perSet = grants.get(g.DisplayName) ?? new Map<string, Set<string>>();
    grants.set(g.DisplayName, perSet);
    for (const a of imported) {
      const ps = nameOf.get(a.PermissionSetArn!)!;
      perSet.set(ps, (perSet.get(ps) ?? new Set()).add(a.AccountId!));
    }
  }

  // Assignments of these permission sets to users directly: a configuration maps groups
  // only, so they are said, never silently dropped (they stay as they are, unmanaged).
  const storeUsers = await allPages(
    "ListUsers",
    (NextToken) => clients.identityStore.send(new ListUsersCommand({ IdentityStoreId: identityStoreId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
    (p) => p.Users,
  ).catch(() => []);
  for (const u of storeUsers) {
    if (!u.UserId) continue;
    const direct = await allPages(
      "ListAccountAssignmentsForPrincipal",
      (NextToken) =>
        sso.send(new ListAccountAssignmentsForPrincipalCommand({ InstanceArn: instanceArn, PrincipalId: u.UserId!, PrincipalType: "USER", MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      (p) => p.AccountAssignments,
    ).catch(() => []);
    for (const a of direct.filter((x) => nameOf.has(x.PermissionSetArn ?? ""))) {
      notes.push(
        `user ${u.UserName ?? u.UserId} holds permission set ${nameOf.get(a.PermissionSetArn!)} in account ${a.AccountId} directly, not through a group: a configuration maps groups only, so it is not imported; it stays as it is, made by hand (the access report lists it)`,
      );
    }
  }

  // --- accounts and OUs ------------------------------------------------------------------------
  let tree: OrgTree | undefined;
  try {
    tree = await readOrganization(clients);
  } catch (error) {
    notes.push(`AWS Organizations could not be read (${(error as Error).name}: ${(error as Error).message}): accounts are named by id and no organizational unit is used`);
  }
  const given = new Map(options.accounts.map((a) => [a.id, a.alias]));
  const accountIds = new Set<string>([...given.keys()]);
  const ouAliases = new Map<string, { alias: string; id: string; name: string }>();
  const taken = new Set<string>();
  const unique = (wanted: string, id: string) => {
    let alias = safeAlias(wanted, id);
    for (let n = 2; taken.has(alias); n++) alias = `${safeAlias(wanted, id)}-${n}`;
    taken.add(alias);
    return alias;
  };
  const mappings: Record<string, unknown>[] = [];
  const mappingTargets: { group: string; sets: string[]; accounts: string[]; ous: string[] }[] = [];
  for (const group of [...grants.keys()].sort(byCodePoint)) {
    // Permission sets assigned in the same accounts share a mapping.
    const byTargets = new Map<string, { sets: string[]; accounts: string[] }>();
    for (const [ps, set] of [...grants.get(group)!].sort(([a], [b]) => byCodePoint(a, b))) {
      const accounts = [...set].sort();
      const key = accounts.join(",");
      const entry = byTargets.get(key) ?? { sets: [], accounts };
      entry.sets.push(ps);
      byTargets.set(key, entry);
    }
    for (const { sets, accounts } of byTargets.values()) {
      // An OU is written when the assignments cover exactly its accounts, two or more (the
      // deepest such OU: the narrowest statement of the same access); one account is named.
      const ou = tree && accounts.length > 1 ? [...tree.ous].filter(([, o]) => deepEqual(o.accounts, accounts)).sort(([, a], [, b]) => b.depth - a.depth)[0] : undefined;
      if (ou) {
        mappingTargets.push({ group, sets, accounts: [], ous: [ou[0]] });
      } else {
        for (const id of accounts) accountIds.add(id);
        mappingTargets.push({ group, sets, accounts, ous: [] });
      }
    }
  }
  // A configuration declares at least one account: with every assignment on an OU, its accounts.
  if (accountIds.size === 0) for (const t of mappingTargets) for (const ou of t.ous) for (const id of tree!.ous.get(ou)!.accounts) accountIds.add(id);
  const accountAlias = new Map<string, string>();
  for (const id of [...accountIds].sort()) accountAlias.set(id, unique(given.get(id) ?? tree?.names.get(id) ?? `account-${id}`, id));
  for (const ouId of [...new Set(mappingTargets.flatMap((t) => t.ous))].sort()) {
    const o = tree!.ous.get(ouId)!;
    ouAliases.set(ouId, { alias: unique(o.name, ouId), id: ouId, name: o.name });
  }
  for (const t of mappingTargets) {
    mappings.push({
      group: t.group,
      permissionSets: t.sets,
      ...(t.accounts.length ? { accounts: t.accounts.map((id) => accountAlias.get(id)!) } : {}),
      ...(t.ous.length ? { organizationalUnits: t.ous.map((id) => ouAliases.get(id)!.alias) } : {}),
    });
  }

  // --- authentik: the SAML provider trusts AWS's SP; the SCIM provider ------------------------
  const spFile = options.spMetadata ?? `${application.slug}-sp-metadata.xml`;
  if (!options.spMetadata) {
    if (!provider.acsUrl || !provider.audience) throw new UserError(`SAML provider '${provider.name}' has no ACS URL or audience: give IAM Identity Center's SP metadata file with --sp-metadata`);
    files[spFile] = spMetadataXml(provider.audience, provider.acsUrl);
  }
  const launch = application.metaLaunchUrl ?? "";
  const accessPortalUrl = options.accessPortalUrl ?? (/^https:\/\/[^/]+\.awsapps\.com\/start\/?/.test(launch) ? launch : undefined);
  if (!accessPortalUrl) throw new UserError(`the launch URL of application '${application.slug}' is not an AWS access portal URL (https://…awsapps.com/start): give it with --access-portal-url`);

  let scim: Record<string, unknown> | undefined;
  if (setup.scim) {
    const sp = setup.scim.provider;
    const filterGroup = (sp as unknown as { filterGroup?: string | null }).filterGroup; // before 2026.2
    const groupPks = (sp.groupFilters ?? []).length ? sp.groupFilters! : filterGroup ? [filterGroup] : [];
    const nameByPk = new Map(setup.groups.map((g) => [g.pk, g.name]));
    const scimGroups = groupPks.map((pk) => nameByPk.get(pk) ?? pk).sort(byCodePoint);
    const mapped = [...new Set(mappings.map((m) => m.group as string))].sort(byCodePoint);
    const handMade = setup.scim.mappings.filter((m) => !m.managed);
    if (handMade.length) {
      notes.push(`the SCIM provider's mappings made by hand (${handMade.map((m) => `'${m.name}'`).join(", ")}) are replaced on it by the tool's own (userName from email, photos dropped); they stay in authentik, unused: delete them after the first apply`);
    }
    if (groupPks.length === 0) notes.push(`SCIM provider '${sp.name}' has no group filter (it syncs every group); the configuration limits it to the mapped groups`);
    scim = {
      url: sp.url,
      tokenEnv: options.scimTokenEnv,
      providerName: sp.name,
      ...(scimGroups.length && !deepEqual(scimGroups, mapped) ? { groups: scimGroups } : {}),
    };
    notes.push(`the SCIM token is never read or written by import: set ${options.scimTokenEnv} to the token in use (or create a new one in IAM Identity Center and plan with --rotate-scim-token)`);
  }
  // --- attributes for access control (ABAC): the instance's, and those authentik sends ---------
  const accessControlAttributes: Record<string, unknown> = {};
  const abac = await sso
    .send(new DescribeInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn }))
    .catch((error: unknown) => (error instanceof ResourceNotFoundException ? undefined : fail("reading the attributes for access control")(error)));
  for (const a of abac?.InstanceAccessControlAttributeConfiguration?.AccessControlAttributes ?? []) {
    if (a.Key) accessControlAttributes[a.Key] = a.Value?.Source?.[0] ?? "";
  }
  const unreadable: string[] = [];
  for (const m of setup.providerMappings.filter((m) => !m.managed && m.samlName.startsWith(SAML_ATTRIBUTE.accessControlPrefix))) {
    const key = m.samlName.slice(SAML_ATTRIBUTE.accessControlPrefix.length);
    const from = sentAttribute(m.expression);
    if (from !== undefined && !(key in accessControlAttributes)) accessControlAttributes[key] = { fromAuthentik: from };
    else unreadable.push(`'${m.name}'`);
  }
  if (unreadable.length) {
    notes.push(`the SAML provider's attributes for access control ${unreadable.join(", ")} are not imported (their expression is not one import reads, or the Identity Store already gives the key): declare them in aws.identityCenter.accessControlAttributes`);
  }
  const handMadeSaml = setup.providerMappings.filter((m) => !m.managed && !m.samlName.startsWith(SAML_ATTRIBUTE.accessControlPrefix));
  if (handMadeSaml.length) notes.push(`the SAML provider's property mappings made by hand (${handMadeSaml.map((m) => `'${m.name}'`).join(", ")}) are taken off it (IAM Identity Center needs none); they stay in authentik, unused`);
  const signingKeypair = setup.signingKeypair ?? "authentik Self-signed Certificate";

  const document = {
    version: 1,
    mode: "identity-center",
    authentik: {
      url: options.authentikUrl.replace(/\/+$/, ""),
      application: {
        slug: application.slug,
        name: application.name,
        ...(application.group ? { group: application.group } : {}),
        ...(launch && launch !== accessPortalUrl ? { launchUrl: launch } : {}),
        ...(application.openInNewTab ? { openInNewTab: true } : {}),
      },
      provider: { name: provider.name, authorizationFlow: setup.authorizationFlow, invalidationFlow: setup.invalidationFlow, signingKeypair },
    },
    aws: {
      accounts: Object.fromEntries([...accountAlias].map(([id, alias]) => [alias, { id, ...(tree?.names.get(id) ? { name: tree.names.get(id) } : {}) }])),
      ...(ouAliases.size ? { organizationalUnits: Object.fromEntries([...ouAliases.values()].map((o) => [o.alias, { id: o.id, name: o.name }])) } : {}),
      // The instance is found again from the credentials (import read the only one there is).
      identityCenter: {
        region,
        accessPortalUrl,
        spMetadata: spFile,
        ...(abac || Object.keys(accessControlAttributes).length ? { accessControlAttributes: Object.fromEntries(Object.entries(accessControlAttributes).sort(([a], [b]) => byCodePoint(a, b))) } : {}),
      },
    },
    permissionSets,
    mappings,
    ...(scim ? { scim } : {}),
    adopt: { application: true, permissionSets: adopt.sort(byCodePoint) },
  };
  return { document, notes, files };
}
