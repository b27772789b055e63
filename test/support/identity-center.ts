import { CreateGroupCommand, IdentitystoreClient } from "@aws-sdk/client-identitystore";
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { ListInstancesCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { awsClientConfig } from "../peers/moto.js";

/** The management account: default (static) credentials land here in moto. */
export const MANAGEMENT = "123456789012";

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

/**
 * A small identity-center configuration for tests: accounts by alias → id, permission
 * sets and mappings as YAML lines (each indented two spaces), pruning on.
 */
export function identityCenterConfig(options: { slug?: string; accounts: Record<string, string>; permissionSets: string; mappings: string; prune?: boolean }): string {
  const slug = options.slug ?? "aws-identity-center";
  return `version: 1
mode: identity-center
authentik:
  url: https://authentik.company
  application: { slug: ${slug}, name: ${slug} }
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
${options.mappings}options:
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
