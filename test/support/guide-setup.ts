// Test support for `import`: the setups a human builds by following authentik's AWS
// integration guide, made through the peers' public APIs only (authentik's /api/v3 as a
// test client, the AWS SDK against moto / the Identity Center shim) — nothing from src/ —
// and the "who holds what" oracles that say, for those setups and for whatever the tool
// later makes of them, which AWS roles / permission sets each person would get.
//
//   const setup = await buildClassicGuideSetup(peers, { accountId, roles, mapping: { style: "list", roles: [...] }, bindGroups: [...] });
//   const before = await heldRoles(peers, { applicationSlug: setup.applicationSlug });
//   … run the tool's import/apply …
//   expect((await heldRoles(peers, { applicationSlug: setup.applicationSlug })).byUser).toEqual(before.byUser);
//   await removeClassicGuideSetup(peers, setup);
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteSAMLProviderCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetSAMLProviderCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateGroupCommand,
  CreateGroupMembershipCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  GetGroupIdCommand,
  IdentitystoreClient,
  ListGroupMembershipsCommand,
  ListGroupMembershipsForMemberCommand,
  ListGroupsCommand,
  ListUsersCommand,
  type Group as IdentityStoreGroup,
  type User as IdentityStoreUser,
} from "@aws-sdk/client-identitystore";
import { ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import {
  AttachManagedPolicyToPermissionSetCommand,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteAccountAssignmentCommand,
  DeletePermissionSetCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  ListAccountAssignmentsForPrincipalCommand,
  PutInlinePolicyToPermissionSetCommand,
  SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { compareVersions } from "../peers/authentik/release.js";
import { awsClientConfig } from "../peers/moto.js";
import type { Peers } from "./peers.js";
import { MANAGEMENT, type OrgFixture } from "./identity-center.js";

// ---- constants of the guide -----------------------------------------------------------

export const ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role";
export const ROLE_SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
export const AWS_SIGNIN_ACS = "https://signin.aws.amazon.com/saml";
export const AWS_AUDIENCE = "urn:amazon:webservices";
export const SELF_SIGNED_KEYPAIR = "authentik Self-signed Certificate";
const AUTHORIZATION_FLOW = "default-provider-authorization-implicit-consent";
const INVALIDATION_FLOW = "default-provider-invalidation-flow";

type Ak = Peers["ak"];

// ---- the population ---------------------------------------------------------------------

/**
 * The people of the guide's tests, besides authentik's own akadmin: alice (engineers), bob
 * (admins, engineers), carol (only in data-eng-ml, a child group of data-eng), dave
 * (data-eng), erin (no group). The groups engineers, admins and data-eng must exist
 * (startPeers makes them); `hierarchy` says how data-eng-ml names its parent (`parent`:
 * one, as before 2025.12). Returns the pks of the groups (data-eng-ml too) and the users.
 */
export async function seedGuidePopulation(
  peers: Pick<Peers, "ak" | "groupPks">,
  options: { hierarchy?: "parents" | "parent"; name?: (username: string) => string } = {},
): Promise<{ groups: Record<string, string>; users: Record<string, number> }> {
  const groups = await peers.groupPks();
  const parent = groups["data-eng"]!;
  groups["data-eng-ml"] = (await peers.ak("POST", "/core/groups/", options.hierarchy === "parent" ? { name: "data-eng-ml", parent } : { name: "data-eng-ml", parents: [parent] })).pk;
  const people: [string, string[]][] = [
    ["alice", ["engineers"]],
    ["bob", ["admins", "engineers"]],
    ["carol", ["data-eng-ml"]],
    ["dave", ["data-eng"]],
    ["erin", []],
  ];
  const users: Record<string, number> = {};
  for (const [username, member] of people) {
    const name = options.name?.(username) ?? username;
    users[username] = (await peers.ak("POST", "/core/users/", { username, name, email: `${username}@example.com`, groups: member.map((g) => groups[g]) })).pk;
  }
  return { groups, users };
}

// ---- small helpers --------------------------------------------------------------------

/** Every result of an authentik list, page by page (`next` is 0 on the last page). */
export async function akAll<T = any>(peers: Pick<Peers, "ak">, listPath: string): Promise<T[]> {
  const out: T[] = [];
  const sep = listPath.includes("?") ? "&" : "?";
  for (let page = 1; page > 0; ) {
    const r = await peers.ak<{ pagination: { next: number }; results: T[] }>("GET", `${listPath}${sep}page_size=100&page=${page}`);
    out.push(...r.results);
    page = r.pagination.next;
  }
  return out;
}

async function akOne<T = any>(ak: Ak, listPath: string, what: string): Promise<T> {
  const r = await ak<{ results: T[] }>("GET", listPath);
  if (r.results.length !== 1) throw new Error(`guide setup: expected one ${what}, found ${r.results.length} (${listPath})`);
  return r.results[0]!;
}

async function groupPk(ak: Ak, name: string): Promise<string> {
  return (await akOne<{ pk: string }>(ak, `/core/groups/?name=${encodeURIComponent(name)}&include_users=false`, `group ${JSON.stringify(name)}`)).pk;
}

async function flowPk(ak: Ak, slug: string): Promise<string> {
  return (await akOne<{ pk: string }>(ak, `/flows/instances/?slug=${slug}`, `flow ${slug}`)).pk;
}

/** The release the emulator plays (what GET /admin/version/ reports), for the fields that differ. */
async function release(peers: Peers): Promise<{ version: string; atLeast(v: string): boolean }> {
  const { version } = await peers.authentik.control.release();
  return { version, atLeast: (v) => compareVersions(version, v) >= 0 };
}

/** The X.509 certificate (base64, no whitespace) of a SAML metadata document. */
export function metadataCertificate(xml: string): string | undefined {
  return /<(?:ds:)?X509Certificate>([^<]+)</.exec(xml)?.[1]?.replace(/\s+/g, "");
}

/** IAM (and the shim) may hand policy documents back URL-encoded; moto's ListRoles does not. */
function parsePolicy(doc: string): any {
  try {
    return JSON.parse(doc);
  } catch {
    return JSON.parse(decodeURIComponent(doc));
  }
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/**
 * An IAM client inside `accountId`, reached the way a person (and the tool) does: sts:AssumeRole
 * into a role of that account with the default credentials (moto files the minted keys under the
 * role's account; the role need not exist there).
 */
export async function iamInAccount(endpoint: string, accountId: string, roleName = "OrganizationAccountAccessRole"): Promise<IAMClient> {
  const sts = new STSClient(awsClientConfig(endpoint));
  const creds = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: "guide-setup" }))).Credentials!;
  return new IAMClient({
    ...awsClientConfig(endpoint),
    credentials: { accessKeyId: creds.AccessKeyId!, secretAccessKey: creds.SecretAccessKey!, sessionToken: creds.SessionToken! },
  });
}

// ---- classic IAM: the guide's setup ---------------------------------------------------

/** An IAM role as the guide has you make it in the console: trust the SAML provider, attach a policy. */
export interface GuideRole {
  name: string;
  managedPolicies?: string[];
  inlinePolicy?: { name: string; document: Record<string, unknown> };
  /** seconds (IAM's default 3600 when absent) */
  maxSessionDuration?: number;
  description?: string;
}

/**
 * The three ways authentik's guide writes the Role mapping's expression, its text exactly,
 * with the account id, role names and IAM SAML provider name substituted:
 *   - `static`: every user gets one role;
 *   - `group-attribute`: a role per group, read from the groups' `aws_role` attribute
 *     (`groupRoles`: group name → role name, written onto those groups);
 *   - `list`: every user gets every listed role and picks one at AWS's sign-in page.
 */
export type RoleMappingStyle =
  | { style: "static"; role: string }
  | { style: "group-attribute"; groupRoles: Record<string, string> }
  | { style: "list"; roles: string[] };

export interface ClassicGuideOptions {
  accountId: string;
  roles: GuideRole[];
  mapping: RoleMappingStyle;
  /** groups bound to the application (policy bindings, in this order); none → everyone may use it */
  bindGroups?: string[];
  applicationSlug?: string; // "aws"
  applicationName?: string; // "AWS"
  providerName?: string; // "aws"
  samlProviderName?: string; // "authentik"
  mappingNames?: { role?: string; sessionName?: string }; // "AWS Role", "AWS RoleSessionName"
  /** the application's launch URL (authentik requires an absolute URL; default none) */
  launchUrl?: string;
  /** the role assumed to work inside the account (default OrganizationAccountAccessRole) */
  assumeRoleName?: string;
  /** where AWS calls go (default peers.awsEndpoint) */
  endpoint?: string;
  /**
   * the SAML sign-in endpoints, as AWS's regional-endpoint guidance has them set up: authentik
   * posts to the first (the provider's ACS URL), every role's SAML:aud allows them all
   * (default: https://signin.aws.amazon.com/saml alone)
   */
  signInEndpoints?: string[];
}

export interface ClassicGuideSetup {
  accountId: string;
  endpoint: string;
  assumeRoleName: string;
  applicationSlug: string;
  applicationPk: string;
  providerPk: number;
  providerName: string;
  roleMappingPk: string;
  roleMappingName: string;
  roleMappingExpression: string;
  sessionNameMappingPk: string;
  sessionNameMappingName: string;
  /** policy bindings of the application, by group name */
  bindingPks: Record<string, string>;
  /** groups whose attributes the setup changed (group-attribute style), with what they held before */
  groupAttributesBefore: Record<string, { pk: string; attributes: Record<string, unknown> }>;
  /** authentik's metadata for the provider, as uploaded to IAM */
  metadata: string;
  samlProviderName: string;
  samlProviderArn: string;
  /** role name → ARN */
  roleArns: Record<string, string>;
}

/** The guide's trust policy: the SAML provider may assume the role, for AWS's sign-in endpoint. */
export function guideTrustPolicy(accountId: string, samlProviderName = "authentik", audiences: string[] = [AWS_SIGNIN_ACS]): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${accountId}:saml-provider/${samlProviderName}` },
        Action: "sts:AssumeRoleWithSAML",
        Condition: { StringEquals: { "SAML:aud": audiences.length === 1 ? audiences[0]! : audiences } },
      },
    ],
  };
}

/** The Role mapping's expression as authentik's docs write it (account id and names substituted). */
export function guideRoleExpression(accountId: string, mapping: RoleMappingStyle, samlProviderName = "authentik"): string {
  const pair = (role: string) => `arn:aws:iam::${accountId}:role/${role},arn:aws:iam::${accountId}:saml-provider/${samlProviderName}`;
  switch (mapping.style) {
    case "static":
      return `return "${pair(mapping.role)}"`;
    case "group-attribute":
      return `role_name = user.group_attributes().get("aws_role", "")\nreturn f"${pair("{role_name}")}"`;
    case "list":
      return `return [\n${mapping.roles.map((r) => `    "${pair(r)}",`).join("\n")}\n]`;
  }
}

/**
 * Builds the classic setup of authentik's AWS guide for one account: in authentik the two SAML
 * property mappings, the SAML provider (signed with the default self-signed keypair), the
 * application (not published by the tool) and its group bindings; in the account an IAM SAML
 * provider holding authentik's metadata and the roles trusting it. No managed-by tags anywhere.
 */
export async function buildClassicGuideSetup(peers: Peers, options: ClassicGuideOptions): Promise<ClassicGuideSetup> {
  const made: Partial<ClassicGuideSetup> = {};
  try {
    return await buildClassic(peers, options, made);
  } catch (err) {
    // Leave nothing half-built behind (names are unique: a leftover would break the next build).
    await removeClassicGuideSetup(peers, made).catch(() => undefined);
    throw err;
  }
}

async function buildClassic(peers: Peers, options: ClassicGuideOptions, made: Partial<ClassicGuideSetup>): Promise<ClassicGuideSetup> {
  const { ak } = peers;
  const accountId = options.accountId;
  const endpoint = options.endpoint ?? peers.awsEndpoint;
  const assumeRoleName = options.assumeRoleName ?? "OrganizationAccountAccessRole";
  const applicationSlug = options.applicationSlug ?? "aws";
  const providerName = options.providerName ?? "aws";
  const samlProviderName = options.samlProviderName ?? "authentik";
  const roleMappingName = options.mappingNames?.role ?? "AWS Role";
  const sessionNameMappingName = options.mappingNames?.sessionName ?? "AWS RoleSessionName";
  const rel = await release(peers);
  Object.assign(made, { accountId, endpoint, assumeRoleName, applicationSlug, roleArns: {} as Record<string, string>, groupAttributesBefore: {} });

  // 1. Property mappings (Customization → Property Mappings → SAML Provider Property Mapping).
  const roleMappingExpression = guideRoleExpression(accountId, options.mapping, samlProviderName);
  const roleMapping = await ak<{ pk: string }>("POST", "/propertymappings/provider/saml/", { name: roleMappingName, saml_name: ROLE_ATTRIBUTE, expression: roleMappingExpression });
  made.roleMappingPk = roleMapping.pk;
  const sessionMapping = await ak<{ pk: string }>("POST", "/propertymappings/provider/saml/", {
    name: sessionNameMappingName,
    saml_name: ROLE_SESSION_NAME_ATTRIBUTE,
    expression: "return user.email",
  });
  made.sessionNameMappingPk = sessionMapping.pk;

  // group-attribute style: the guide has you put {aws_role: <role>} on each group.
  const groupAttributesBefore = made.groupAttributesBefore!;
  if (options.mapping.style === "group-attribute") {
    for (const [name, role] of Object.entries(options.mapping.groupRoles)) {
      const pk = await groupPk(ak, name);
      const group = await ak<{ attributes: Record<string, unknown> }>("GET", `/core/groups/${pk}/`);
      groupAttributesBefore[name] = { pk, attributes: group.attributes };
      await ak("PATCH", `/core/groups/${pk}/`, { attributes: { ...group.attributes, aws_role: role } });
    }
  }

  // 2. The SAML provider.
  const keypair = await akOne<{ pk: string }>(ak, `/crypto/certificatekeypairs/?name=${encodeURIComponent(SELF_SIGNED_KEYPAIR)}`, "self-signed keypair");
  const provider = await ak<{ pk: number }>("POST", "/providers/saml/", {
    name: providerName,
    authorization_flow: await flowPk(ak, AUTHORIZATION_FLOW),
    invalidation_flow: await flowPk(ak, INVALIDATION_FLOW),
    acs_url: options.signInEndpoints?.[0] ?? AWS_SIGNIN_ACS,
    audience: AWS_AUDIENCE,
    // `issuer` (default "authentik") up to 2026.2; from 2026.5 it is `issuer_override`, left empty.
    ...(rel.atLeast("2026.5") ? {} : { issuer: "authentik" }),
    sp_binding: "post",
    signing_kp: keypair.pk,
    sign_assertion: true,
    sign_response: true,
    property_mappings: [roleMapping.pk, sessionMapping.pk],
  });
  made.providerPk = provider.pk;

  // 3. The application, and who may use it.
  const app = await ak<{ pk: string }>("POST", "/core/applications/", {
    name: options.applicationName ?? "AWS",
    slug: applicationSlug,
    provider: provider.pk,
    meta_launch_url: options.launchUrl ?? "",
    meta_publisher: "",
    policy_engine_mode: "any",
  });
  made.applicationPk = app.pk;
  const bindingPks: Record<string, string> = {};
  for (const [order, name] of (options.bindGroups ?? []).entries()) {
    const b = await ak<{ pk: string }>("POST", "/policies/bindings/", { target: app.pk, group: await groupPk(ak, name), order, enabled: true, negate: false, timeout: 30 });
    bindingPks[name] = b.pk;
  }

  // 4. In the AWS account: the IAM SAML provider from authentik's metadata, then the roles.
  const { metadata } = await ak<{ metadata: string }>("GET", `/providers/saml/${provider.pk}/metadata/`);
  if (!metadata) throw new Error("guide setup: authentik served no metadata for the provider");
  const iam = await iamInAccount(endpoint, accountId, assumeRoleName);
  const samlProviderArn = (await iam.send(new CreateSAMLProviderCommand({ Name: samlProviderName, SAMLMetadataDocument: metadata }))).SAMLProviderArn!;
  made.samlProviderArn = samlProviderArn;
  const roleArns = made.roleArns!;
  for (const role of options.roles) {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: role.name,
        AssumeRolePolicyDocument: JSON.stringify(guideTrustPolicy(accountId, samlProviderName, options.signInEndpoints)),
        ...(role.description ? { Description: role.description } : {}),
        ...(role.maxSessionDuration ? { MaxSessionDuration: role.maxSessionDuration } : {}),
      }),
    );
    roleArns[role.name] = created.Role!.Arn!;
    for (const arn of role.managedPolicies ?? []) await iam.send(new AttachRolePolicyCommand({ RoleName: role.name, PolicyArn: arn }));
    if (role.inlinePolicy) {
      await iam.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: role.inlinePolicy.name, PolicyDocument: JSON.stringify(role.inlinePolicy.document) }));
    }
  }

  return {
    accountId,
    endpoint,
    assumeRoleName,
    applicationSlug,
    applicationPk: app.pk,
    providerPk: provider.pk,
    providerName,
    roleMappingPk: roleMapping.pk,
    roleMappingName,
    roleMappingExpression,
    sessionNameMappingPk: sessionMapping.pk,
    sessionNameMappingName,
    bindingPks,
    groupAttributesBefore,
    metadata,
    samlProviderName,
    samlProviderArn,
    roleArns,
  };
}

/**
 * Removes what buildClassicGuideSetup made (whatever still exists: the tool may have taken
 * some of it over or replaced it): the application (its bindings go with it), provider,
 * both mappings, the groups' attributes as they were, the roles and the IAM SAML provider.
 */
export async function removeClassicGuideSetup(peers: Peers, setup: Partial<ClassicGuideSetup>): Promise<void> {
  const { ak } = peers;
  const quiet = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      if (!/: 404 |NoSuchEntity/.test(String(err)) && !(err instanceof NoSuchEntityException)) throw err;
    }
  };
  if (setup.applicationPk !== undefined) await quiet(() => ak("DELETE", `/core/applications/${setup.applicationSlug}/`));
  if (setup.providerPk !== undefined) await quiet(() => ak("DELETE", `/providers/saml/${setup.providerPk}/`));
  for (const pk of [setup.roleMappingPk, setup.sessionNameMappingPk]) if (pk) await quiet(() => ak("DELETE", `/propertymappings/provider/saml/${pk}/`));
  for (const { pk, attributes } of Object.values(setup.groupAttributesBefore ?? {})) await quiet(() => ak("PATCH", `/core/groups/${pk}/`, { attributes }));
  if (!setup.endpoint || !setup.accountId) return;
  const iam = await iamInAccount(setup.endpoint, setup.accountId, setup.assumeRoleName);
  for (const name of Object.keys(setup.roleArns ?? {})) {
    await quiet(async () => {
      for (const p of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? []) {
        await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn! }));
      }
      for (const p of (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) {
        await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: p }));
      }
      await iam.send(new DeleteRoleCommand({ RoleName: name }));
    });
  }
  if (setup.samlProviderArn) await quiet(() => iam.send(new DeleteSAMLProviderCommand({ SAMLProviderArn: setup.samlProviderArn })));
}

// ---- classic IAM: the oracle ----------------------------------------------------------

export interface HeldRoles {
  /**
   * Every authentik user → the sorted "role ARN,SAML provider ARN" pairs AWS would let them
   * assume at sign-in ([] for someone the application turns away or who is sent nothing usable).
   */
  byUser: Map<string, string[]>;
  /** username → pairs the Role attribute carried that AWS would refuse, each with the reason (sorted) */
  refused: Map<string, string[]>;
  /** mappings whose evaluation failed for a user (authentik then leaves the attribute out) */
  failures: string[];
}

export interface HeldRolesOptions {
  /** the application users sign in to AWS through */
  applicationSlug: string;
  /** where AWS calls go (default peers.awsEndpoint) */
  endpoint?: string;
  assumeRoleName?: string;
}

/** "role,provider" or "provider,role" → the two ARNs (AWS accepts both orders). */
function parsePair(value: string): { role: string; provider: string } | undefined {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length !== 2) return undefined;
  const role = parts.find((p) => /^arn:aws:iam::\d{12}:role\//.test(p));
  const provider = parts.find((p) => /^arn:aws:iam::\d{12}:saml-provider\//.test(p));
  return role && provider ? { role, provider } : undefined;
}

/**
 * Who would get which AWS role at sign-in, from what authentik and AWS hold right now (the
 * evaluation passes `context: {provider: <pk>}`, which the emulator reads as the provider the
 * expression sees; real authentik's test endpoint would hand the expression that raw value):
 *
 *   1. authentik: the user is active and may use the application — its policy engine, asked through
 *      GET /core/applications/{slug}/check_access/?for_user=PK (mode any/all; a group binding
 *      lets in members of the group and of its descendants; no bindings lets everyone in);
 *   2. authentik: every SAML property mapping attached to the application's provider whose
 *      saml_name is the Role attribute — whichever is attached now (the guide's, or the tool's
 *      entitlement-based one after a takeover) — evaluated for that user as the SAML assertion
 *      does, with the provider (the emulator's evaluateInAssertion control: authentik's
 *      POST /propertymappings/all/{pk}/test/ passes no provider); a string is one value, a list several,
 *      None nothing; the values of all such mappings are taken together;
 *   3. AWS (inside the role's account, via sts:AssumeRole): each "role,provider" pair counts
 *      only if the role exists with exactly that ARN, its trust policy allows
 *      sts:AssumeRoleWithSAML from that provider (and a SAML:aud StringEquals condition, if
 *      any, names the endpoint authentik posts to: the provider's ACS URL), the SAML provider exists in the role's
 *      account and its metadata carries the certificate authentik signs with.
 *
 * Limits: other trust-policy conditions, permissions boundaries and SCPs are not evaluated;
 * the evaluation runs in the emulator's stub of authentik's context (expression_runner.py);
 * authentik's RoleSessionName/SessionDuration attributes are not checked.
 */
export async function heldRoles(peers: Peers, options: HeldRolesOptions): Promise<HeldRoles> {
  const { ak } = peers;
  const endpoint = options.endpoint ?? peers.awsEndpoint;
  const app = await ak<{ provider: number | null }>("GET", `/core/applications/${options.applicationSlug}/`);
  const byUser = new Map<string, string[]>();
  const refused = new Map<string, string[]>();
  const failures: string[] = [];
  const users = await akAll<{ pk: number; username: string; is_active: boolean }>(peers, "/core/users/");
  if (app.provider === null) {
    for (const u of users) byUser.set(u.username, []);
    return { byUser, refused, failures };
  }
  const provider = await ak<{ pk: number; property_mappings: string[]; signing_kp: string | null; acs_url: string }>("GET", `/providers/saml/${app.provider}/`);
  const samlMappings = await akAll<{ pk: string; name: string; saml_name: string }>(peers, "/propertymappings/provider/saml/");
  const roleMappings = samlMappings.filter((m) => provider.property_mappings.includes(m.pk) && m.saml_name === ROLE_ATTRIBUTE).sort((a, b) => (a.name < b.name ? -1 : 1));
  const { metadata } = await ak<{ metadata: string }>("GET", `/providers/saml/${provider.pk}/metadata/`);
  const signingCertificate = provider.signing_kp ? metadataCertificate(metadata) : undefined;

  const verdicts = new Map<string, string | null>(); // pair → reason AWS refuses it, or null
  const iams = new Map<string, Promise<IAMClient>>();
  const iamFor = (account: string) => {
    if (!iams.has(account)) iams.set(account, iamInAccount(endpoint, account, options.assumeRoleName));
    return iams.get(account)!;
  };
  const judge = async (pair: { role: string; provider: string }): Promise<string | null> => {
    const account = pair.role.split(":")[4]!;
    if (pair.provider.split(":")[4] !== account) return "the SAML provider is not in the role's account";
    const iam = await iamFor(account);
    const roleName = pair.role.slice(pair.role.lastIndexOf("/") + 1);
    // e.g. the group-attribute style for a user whose groups carry no aws_role: "…:role/,…"
    if (!/^[\w+=,.@-]{1,64}$/.test(roleName)) return "no such role (not a role name)";
    let role;
    try {
      role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    } catch (err) {
      if (err instanceof NoSuchEntityException) return "no such role";
      throw err;
    }
    if (role.Arn !== pair.role) return `the role's ARN is ${role.Arn}`;
    const trust = parsePolicy(role.AssumeRolePolicyDocument ?? "{}");
    const trusting = asList<any>(trust.Statement).some((s) => {
      if (s.Effect !== "Allow" || !asList<string>(s.Action).some((a) => a === "sts:AssumeRoleWithSAML" || a === "sts:*")) return false;
      if (!asList<string>(s.Principal?.Federated).includes(pair.provider)) return false;
      const aud = s.Condition?.StringEquals?.["SAML:aud"];
      // SAML:aud is the endpoint the assertion is posted to: the provider's ACS URL.
      return aud === undefined || asList<string>(aud).includes(provider.acs_url);
    });
    if (!trusting) return "the role's trust policy does not let the SAML provider assume it";
    let samlMetadata: string;
    try {
      samlMetadata = (await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: pair.provider }))).SAMLMetadataDocument ?? "";
    } catch (err) {
      if (err instanceof NoSuchEntityException) return "no such SAML provider";
      throw err;
    }
    if (!signingCertificate) return "authentik does not sign the assertion";
    if (metadataCertificate(samlMetadata) !== signingCertificate) return "the SAML provider does not hold authentik's signing certificate";
    return null;
  };

  for (const user of users) {
    const held = new Set<string>();
    const bad = new Set<string>();
    // An inactive user cannot sign in to authentik at all.
    const access = user.is_active ? await ak<{ passing: boolean }>("GET", `/core/applications/${options.applicationSlug}/check_access/?for_user=${user.pk}`) : { passing: false };
    if (access.passing) {
      for (const m of roleMappings) {
        // As the SAML assertion evaluates it, with `provider` (authentik's test endpoint passes none).
        const r = await peers.authentik.control.evaluateInAssertion({ mapping: m.pk, user: user.pk, provider: provider.pk });
        if (!r.successful) {
          failures.push(`${m.name} for ${user.username}: ${r.result.split("\n").at(-1)}`);
          continue;
        }
        const value = JSON.parse(r.result) as unknown;
        for (const v of value === null ? [] : Array.isArray(value) ? value : [value]) {
          const pair = typeof v === "string" ? parsePair(v) : undefined;
          if (!pair) {
            bad.add(`${JSON.stringify(v)}: not a role ARN and a SAML provider ARN`);
            continue;
          }
          const key = `${pair.role},${pair.provider}`;
          if (!verdicts.has(key)) verdicts.set(key, await judge(pair));
          const reason = verdicts.get(key)!;
          if (reason === null) held.add(key);
          else bad.add(`${key}: ${reason}`);
        }
      }
    }
    byUser.set(user.username, sorted(held));
    if (bad.size > 0) refused.set(user.username, sorted(bad));
  }
  return { byUser, refused, failures };
}

// ---- identity center: the guide's setup -----------------------------------------------

export interface GuidePermissionSet {
  name: string;
  description?: string;
  /** ISO-8601, e.g. "PT4H" (AWS's default PT1H when absent) */
  sessionDuration?: string;
  managedPolicies?: string[];
  inlinePolicy?: Record<string, unknown>;
}

/** A group assigned a permission set in accounts, picked one by one or as every account of an OU (child OUs included). */
export interface GuideAssignment {
  group: string;
  permissionSet: string;
  accounts?: string[];
  ou?: string;
}

export interface IdentityCenterGuideOptions {
  org: OrgFixture;
  /** groups the application is bound to and SCIM sends (group_filters from 2026.2) */
  groups: string[];
  permissionSets: GuidePermissionSet[];
  assignments: GuideAssignment[];
  /** default: scim.us-east-1.amazonaws.com/<tenant>/scim/v2 with a made-up tenant; false: no SCIM provider */
  scim?: { token: string; tenant?: string; region?: string } | false;
  /** the SP metadata AWS offers for download (default examples/identity-center-sp-metadata.xml) */
  spMetadataXml?: string;
  accessPortalUrl?: string; // https://d-1234567890.awsapps.com/start
  applicationSlug?: string; // "aws-identity-center"
  applicationName?: string; // "AWS Identity Center"
  providerName?: string; // "aws-identity-center"
  scimProviderName?: string; // "aws-identity-center-scim"
  scimMappingName?: string; // "AWS SCIM User (no photos)"
  /** before 2026.2 a SCIM provider takes one filter_group (which limits users, not groups); default none */
  filterGroup?: string;
  endpoint?: string;
}

export interface IdentityCenterGuideSetup {
  endpoint: string;
  instanceArn: string;
  identityStoreId: string;
  applicationSlug: string;
  applicationPk: string;
  providerPk: number;
  providerName: string;
  scimProviderPk?: number;
  scimProviderName?: string;
  scimMappingPk?: string;
  bindingPks: Record<string, string>;
  /** what the SP metadata said */
  acsUrl: string;
  audience: string;
  /** permission set name → ARN */
  permissionSetArns: Record<string, string>;
  /** Identity Store group display name → GroupId */
  groupIds: Record<string, string>;
  /** the groups of groupIds this setup put into the Identity Store (the others were there) */
  createdGroups: string[];
  /** every (group, permission set, account) assigned, accounts resolved from OUs */
  assignments: Array<{ group: string; permissionSet: string; account: string }>;
}

/** entityID and the HTTP-POST AssertionConsumerService of the SP metadata Identity Center offers. */
export function parseSpMetadata(xml: string): { entityId: string; acsUrl: string } {
  const entityId = /<(?:md:)?EntityDescriptor\b[^>]*\bentityID="([^"]+)"/.exec(xml)?.[1];
  const acs = [...xml.matchAll(/<(?:md:)?AssertionConsumerService\b([^>]*)>/g)].map((m) => m[1]!);
  const post = acs.find((a) => a.includes("bindings:HTTP-POST")) ?? acs[0];
  const acsUrl = post ? /\bLocation="([^"]+)"/.exec(post)?.[1] : undefined;
  if (!entityId || !acsUrl) throw new Error("guide setup: the SP metadata has no entityID or AssertionConsumerService");
  return { entityId, acsUrl };
}

function ssoClient(endpoint: string) {
  return new SSOAdminClient(awsClientConfig(endpoint, MANAGEMENT));
}
function identityStore(endpoint: string) {
  return new IdentitystoreClient(awsClientConfig(endpoint, MANAGEMENT));
}

/** Accounts of an OU and of its descendant OUs, as a person ticks them in the console. */
export async function accountsOfOu(endpoint: string, ou: string): Promise<string[]> {
  const org = new OrganizationsClient(awsClientConfig(endpoint, MANAGEMENT));
  const out: string[] = [];
  const queue = [ou];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    let token: string | undefined;
    do {
      const r = await org.send(new ListAccountsForParentCommand({ ParentId: parent, NextToken: token }));
      out.push(...(r.Accounts ?? []).map((a) => a.Id!));
      token = r.NextToken;
    } while (token);
    do {
      const r = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent, NextToken: token }));
      queue.push(...(r.OrganizationalUnits ?? []).map((o) => o.Id!));
      token = r.NextToken;
    } while (token);
  }
  return sorted(out);
}

/** A group in the Identity Store by display name, if there is one. */
export async function identityStoreGroupId(endpoint: string, identityStoreId: string, name: string): Promise<string | undefined> {
  try {
    return (await identityStore(endpoint).send(new GetGroupIdCommand({ IdentityStoreId: identityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "displayName", AttributeValue: name } } }))).GroupId;
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return undefined;
    throw err;
  }
}

/** The group in the Identity Store, as SCIM would have put it there (made unless it exists). */
export async function ensureIdentityStoreGroup(endpoint: string, identityStoreId: string, name: string): Promise<string> {
  return (await identityStoreGroupId(endpoint, identityStoreId, name)) ?? (await identityStore(endpoint).send(new CreateGroupCommand({ IdentityStoreId: identityStoreId, DisplayName: name }))).GroupId!;
}

async function waitForAssignment(sso: SSOAdminClient, instanceArn: string, requestId: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const s = (await sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, AccountAssignmentCreationRequestId: requestId }))).AccountAssignmentCreationStatus!;
    if (s.Status === "SUCCEEDED") return;
    if (s.Status === "FAILED") throw new Error(`guide setup: account assignment failed: ${s.FailureReason}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("guide setup: account assignment still in progress");
}

/**
 * Builds the Identity Center setup of authentik's AWS guide: in AWS the permission sets (made
 * by hand: no tags), the groups in the Identity Store (as SCIM would have provisioned them) and
 * their account assignments, each waited for; in authentik the SAML provider from AWS's SP
 * metadata (NameID = email), the application (launch URL = the access portal), the SCIM
 * provider (compatibility mode aws, the default mappings plus a hand-made one that drops
 * photos) as its backchannel provider, and the application's group bindings.
 */
export async function buildIdentityCenterGuideSetup(peers: Peers, options: IdentityCenterGuideOptions): Promise<IdentityCenterGuideSetup> {
  const { ak } = peers;
  const endpoint = options.endpoint ?? peers.awsEndpoint;
  const { instanceArn, identityStoreId } = options.org;
  const rel = await release(peers);
  const sso = ssoClient(endpoint);

  // AWS: permission sets.
  const permissionSetArns: Record<string, string> = {};
  for (const ps of options.permissionSets) {
    const arn = (
      await sso.send(
        new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: ps.name, Description: ps.description ?? `${ps.name} (made by hand)`, ...(ps.sessionDuration ? { SessionDuration: ps.sessionDuration } : {}) }),
      )
    ).PermissionSet!.PermissionSetArn!;
    permissionSetArns[ps.name] = arn;
    for (const policy of ps.managedPolicies ?? []) await sso.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, ManagedPolicyArn: policy }));
    if (ps.inlinePolicy) await sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, InlinePolicy: JSON.stringify(ps.inlinePolicy) }));
  }

  // AWS: the groups SCIM pushed, and their assignments (one at a time, each waited for).
  const groupIds: Record<string, string> = {};
  const createdGroups: string[] = [];
  for (const name of sorted([...options.groups, ...options.assignments.map((a) => a.group)])) {
    const existing = await identityStoreGroupId(endpoint, identityStoreId, name);
    if (!existing) createdGroups.push(name);
    groupIds[name] = existing ?? (await ensureIdentityStoreGroup(endpoint, identityStoreId, name));
  }
  const assignments: IdentityCenterGuideSetup["assignments"] = [];
  for (const a of options.assignments) {
    const accounts = sorted([...(a.accounts ?? []), ...(a.ou ? await accountsOfOu(endpoint, a.ou) : [])]);
    const permissionSetArn = permissionSetArns[a.permissionSet];
    if (!permissionSetArn) throw new Error(`guide setup: no permission set ${a.permissionSet}`);
    for (const account of accounts) {
      const status = (
        await sso.send(
          new CreateAccountAssignmentCommand({ InstanceArn: instanceArn, TargetId: account, TargetType: "AWS_ACCOUNT", PermissionSetArn: permissionSetArn, PrincipalType: "GROUP", PrincipalId: groupIds[a.group]! }),
        )
      ).AccountAssignmentCreationStatus!;
      if (status.Status !== "SUCCEEDED") await waitForAssignment(sso, instanceArn, status.RequestId!);
      assignments.push({ group: a.group, permissionSet: a.permissionSet, account });
    }
  }

  // authentik: the SAML provider from the SP metadata.
  const { entityId, acsUrl } = parseSpMetadata(options.spMetadataXml ?? readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "identity-center-sp-metadata.xml"), "utf8"));
  const keypair = await akOne<{ pk: string }>(ak, `/crypto/certificatekeypairs/?name=${encodeURIComponent(SELF_SIGNED_KEYPAIR)}`, "self-signed keypair");
  const defaults = (await akAll<{ pk: string; managed: string | null }>(peers, "/propertymappings/provider/saml/")).filter((m) => m.managed?.startsWith("goauthentik.io/providers/saml/"));
  const email = defaults.find((m) => m.managed === "goauthentik.io/providers/saml/email");
  const providerName = options.providerName ?? "aws-identity-center";
  const provider = await ak<{ pk: number }>("POST", "/providers/saml/", {
    name: providerName,
    authorization_flow: await flowPk(ak, AUTHORIZATION_FLOW),
    invalidation_flow: await flowPk(ak, INVALIDATION_FLOW),
    acs_url: acsUrl,
    audience: entityId,
    ...(rel.atLeast("2026.5") ? {} : { issuer: "authentik" }),
    sp_binding: "post",
    signing_kp: keypair.pk,
    sign_assertion: true,
    sign_response: true,
    property_mappings: defaults.map((m) => m.pk),
    ...(email ? { name_id_mapping: email.pk } : {}),
  });

  // authentik: the SCIM provider.
  let scimProviderPk: number | undefined;
  let scimMappingPk: string | undefined;
  const scimProviderName = options.scim === false ? undefined : (options.scimProviderName ?? "aws-identity-center-scim");
  const groupPks = Object.fromEntries(await Promise.all(options.groups.map(async (g) => [g, await groupPk(ak, g)] as const)));
  if (options.scim !== false) {
    const scim = options.scim ?? { token: "scim-token-made-by-hand-0123456789" };
    const scimMappings = await akAll<{ pk: string; managed: string | null }>(peers, "/propertymappings/provider/scim/");
    const userDefault = scimMappings.find((m) => m.managed === "goauthentik.io/providers/scim/user");
    const groupDefault = scimMappings.find((m) => m.managed === "goauthentik.io/providers/scim/group");
    scimMappingPk = (await ak<{ pk: string }>("POST", "/propertymappings/provider/scim/", { name: options.scimMappingName ?? "AWS SCIM User (no photos)", expression: 'return {"photos": None}' })).pk;
    const filters = rel.atLeast("2026.2")
      ? { group_filters: options.groups.map((g) => groupPks[g]!) }
      : { filter_group: options.filterGroup ? await groupPk(ak, options.filterGroup) : null };
    scimProviderPk = (
      await ak<{ pk: number }>("POST", "/providers/scim/", {
        name: scimProviderName,
        url: `https://scim.${scim.region ?? "us-east-1"}.amazonaws.com/${scim.tenant ?? "a1b2c3d4e5-f6a7-b8c9-d0e1-f2a3b4c5d6e7"}/scim/v2`,
        token: scim.token,
        compatibility_mode: "aws",
        exclude_users_service_account: true,
        property_mappings: [...(userDefault ? [userDefault.pk] : []), scimMappingPk],
        property_mappings_group: groupDefault ? [groupDefault.pk] : [],
        ...filters,
      })
    ).pk;
  }

  // authentik: the application and its bindings.
  const applicationSlug = options.applicationSlug ?? "aws-identity-center";
  const app = await ak<{ pk: string }>("POST", "/core/applications/", {
    name: options.applicationName ?? "AWS Identity Center",
    slug: applicationSlug,
    provider: provider.pk,
    backchannel_providers: scimProviderPk === undefined ? [] : [scimProviderPk],
    meta_launch_url: options.accessPortalUrl ?? "https://d-1234567890.awsapps.com/start",
    meta_publisher: "",
    policy_engine_mode: "any",
  });
  const bindingPks: Record<string, string> = {};
  for (const [order, name] of options.groups.entries()) {
    bindingPks[name] = (await ak<{ pk: string }>("POST", "/policies/bindings/", { target: app.pk, group: groupPks[name]!, order, enabled: true, negate: false, timeout: 30 })).pk;
  }

  return {
    endpoint,
    instanceArn,
    identityStoreId,
    applicationSlug,
    applicationPk: app.pk,
    providerPk: provider.pk,
    providerName,
    ...(scimProviderPk !== undefined ? { scimProviderPk, scimProviderName, scimMappingPk } : {}),
    bindingPks,
    acsUrl,
    audience: entityId,
    permissionSetArns,
    groupIds,
    createdGroups,
    assignments,
  };
}

/**
 * Removes what buildIdentityCenterGuideSetup made, whatever still exists: in authentik the
 * application (its bindings and backchannel SCIM provider go with it), the SAML and SCIM
 * providers and the hand-made SCIM mapping; in AWS the account assignments (each deletion
 * waited for), the permission sets and the Identity Store groups the setup created. Users and
 * memberships provisionScim pushed stay (the Identity Store keeps what SCIM sent).
 */
export async function removeIdentityCenterGuideSetup(peers: Peers, setup: IdentityCenterGuideSetup): Promise<void> {
  const { ak } = peers;
  const quiet = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      if (!/: 404 |ResourceNotFound/.test(`${String(err)} ${(err as { name?: string }).name ?? ""}`)) throw err;
    }
  };
  await quiet(() => ak("DELETE", `/core/applications/${setup.applicationSlug}/`));
  await quiet(() => ak("DELETE", `/providers/saml/${setup.providerPk}/`));
  if (setup.scimProviderPk !== undefined) await quiet(() => ak("DELETE", `/providers/scim/${setup.scimProviderPk}/`));
  if (setup.scimMappingPk) await quiet(() => ak("DELETE", `/propertymappings/provider/scim/${setup.scimMappingPk}/`));
  const sso = ssoClient(setup.endpoint);
  for (const a of setup.assignments) {
    await quiet(async () => {
      const status = (
        await sso.send(
          new DeleteAccountAssignmentCommand({
            InstanceArn: setup.instanceArn,
            TargetId: a.account,
            TargetType: "AWS_ACCOUNT",
            PermissionSetArn: setup.permissionSetArns[a.permissionSet]!,
            PrincipalType: "GROUP",
            PrincipalId: setup.groupIds[a.group]!,
          }),
        )
      ).AccountAssignmentDeletionStatus!;
      for (let i = 0, s = status; s.Status === "IN_PROGRESS" && i < 400; i++) {
        await new Promise((r) => setTimeout(r, 25));
        s = (await sso.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: setup.instanceArn, AccountAssignmentDeletionRequestId: status.RequestId! }))).AccountAssignmentDeletionStatus!;
      }
    });
  }
  for (const arn of Object.values(setup.permissionSetArns)) await quiet(() => sso.send(new DeletePermissionSetCommand({ InstanceArn: setup.instanceArn, PermissionSetArn: arn })));
  for (const name of setup.createdGroups) await quiet(() => identityStore(setup.endpoint).send(new DeleteGroupCommand({ IdentityStoreId: setup.identityStoreId, GroupId: setup.groupIds[name]! })));
}

/**
 * The stand-in for a SCIM sync (the emulator pushes nothing to AWS): puts into the Identity Store
 * what a full sync of the setup's SCIM provider would push now (the emulator's view,
 * control.scimWouldProvision: users by the backchannel application's bindings from 2026.2,
 * groups by the group filters) — each user (userName = the authentik username, as the default
 * mapping sends it) and each group with its *direct* authentik members among the pushed users
 * (authentik's SCIM group payload lists `group.users`; the Identity Store has no nested groups).
 * Adds what is missing, removes nothing. Returns what it pushed.
 */
export async function provisionScim(peers: Peers, setup: IdentityCenterGuideSetup): Promise<{ users: string[]; groups: string[] }> {
  if (!setup.scimProviderName) throw new Error("guide setup: no SCIM provider");
  const push = await peers.authentik.control.scimWouldProvision(setup.scimProviderName);
  const ids = identityStore(setup.endpoint);
  const existingUsers = new Map((await listIdentityStoreUsers(setup.endpoint, setup.identityStoreId)).map((u) => [u.UserName!, u.UserId!]));
  const akUsers = await akAll<{ pk: number; username: string; name: string; email: string }>(peers, "/core/users/");
  const userIds = new Map<number, string>();
  for (const username of push.users) {
    const u = akUsers.find((x) => x.username === username)!;
    let id = existingUsers.get(username);
    if (!id) {
      const [given, ...rest] = (u.name || username).split(" ");
      id = (
        await ids.send(
          new CreateUserCommand({
            IdentityStoreId: setup.identityStoreId,
            UserName: username,
            DisplayName: u.name || username,
            Name: { GivenName: given || username, FamilyName: rest.join(" ") || given || username },
            ...(u.email ? { Emails: [{ Value: u.email, Type: "work", Primary: true }] } : {}),
          }),
        )
      ).UserId!;
    }
    userIds.set(u.pk, id);
  }
  const akGroups = await akAll<{ pk: string; name: string; users: number[] }>(peers, "/core/groups/?include_users=false");
  for (const name of push.groups) {
    const groupId = await ensureIdentityStoreGroup(setup.endpoint, setup.identityStoreId, name);
    const members = new Set<string>();
    let token: string | undefined;
    do {
      const r = await ids.send(new ListGroupMembershipsCommand({ IdentityStoreId: setup.identityStoreId, GroupId: groupId, NextToken: token }));
      for (const m of r.GroupMemberships ?? []) if (m.MemberId?.UserId) members.add(m.MemberId.UserId);
      token = r.NextToken;
    } while (token);
    for (const pk of akGroups.find((g) => g.name === name)?.users ?? []) {
      const userId = userIds.get(pk);
      if (userId && !members.has(userId)) await ids.send(new CreateGroupMembershipCommand({ IdentityStoreId: setup.identityStoreId, GroupId: groupId, MemberId: { UserId: userId } }));
    }
  }
  return push;
}

async function listIdentityStoreUsers(endpoint: string, identityStoreId: string): Promise<IdentityStoreUser[]> {
  const out: IdentityStoreUser[] = [];
  let token: string | undefined;
  do {
    const r = await identityStore(endpoint).send(new ListUsersCommand({ IdentityStoreId: identityStoreId, NextToken: token }));
    out.push(...(r.Users ?? []));
    token = r.NextToken;
  } while (token);
  return out;
}

async function listIdentityStoreGroups(endpoint: string, identityStoreId: string): Promise<IdentityStoreGroup[]> {
  const out: IdentityStoreGroup[] = [];
  let token: string | undefined;
  do {
    const r = await identityStore(endpoint).send(new ListGroupsCommand({ IdentityStoreId: identityStoreId, NextToken: token }));
    out.push(...(r.Groups ?? []));
    token = r.NextToken;
  } while (token);
  return out;
}

// ---- identity center: the oracle ------------------------------------------------------

export interface HeldPermissionSets {
  /** Identity Store group display name → sorted "permission set name@account id" (AWS's answer) */
  byGroup: Map<string, string[]>;
  /**
   * Identity Store userName → sorted "permission set@account" through the groups AWS counts them in
   * (ListGroupMembershipsForMember) and assignments to the user themself: what AWS grants.
   */
  byIdentityStoreUser: Map<string, string[]>;
  /**
   * authentik username → sorted "permission set@account" of the Identity Store groups named like the
   * groups authentik counts them in — their groups and those groups' ancestors, i.e. a member of a
   * child group counts as a member of the parent (as the tool's review counts people) — and only if
   * they are active and the application lets them in (check_access). See the note on heldPermissionSets.
   */
  byAuthentikUser: Map<string, string[]>;
}

/**
 * Who holds which permission set in which account, from what AWS holds right now: for every group
 * in the Identity Store, ListAccountAssignmentsForPrincipal (permission sets by name via
 * DescribePermissionSet; moto's duplicate assignments folded).
 *
 * Per person there are two honest answers, and they differ:
 *   - byIdentityStoreUser is AWS's: membership as the Identity Store holds it. authentik's SCIM sync
 *     sends each group with its *direct* members only, and the Identity Store has no nested groups,
 *     so a member of an authentik child group does not hold what the parent group is assigned —
 *     unless the child group is sent and assigned too. It is empty until users and memberships are
 *     in the Identity Store (provisionScim is the stand-in for a sync).
 *   - byAuthentikUser is authentik's way of counting (members of a group and of its descendants),
 *     which is how the tool's review shows people; it over-counts child-group members relative to
 *     AWS, and needs no SCIM sync.
 * Neither evaluates AWS's sign-in itself (the SAML assertion's NameID must match a userName/email).
 */
export async function heldPermissionSets(peers: Peers, options: { instanceArn: string; identityStoreId: string; endpoint?: string; applicationSlug?: string }): Promise<HeldPermissionSets> {
  const endpoint = options.endpoint ?? peers.awsEndpoint;
  const sso = ssoClient(endpoint);
  const names = new Map<string, string>();
  const psName = async (arn: string) => {
    if (!names.has(arn)) names.set(arn, (await sso.send(new DescribePermissionSetCommand({ InstanceArn: options.instanceArn, PermissionSetArn: arn }))).PermissionSet!.Name!);
    return names.get(arn)!;
  };
  const assignmentsOf = async (principalId: string, principalType: "GROUP" | "USER") => {
    const out = new Set<string>();
    let token: string | undefined;
    const seen = new Set<string>();
    do {
      const r = await sso.send(new ListAccountAssignmentsForPrincipalCommand({ InstanceArn: options.instanceArn, PrincipalId: principalId, PrincipalType: principalType, NextToken: token }));
      for (const a of r.AccountAssignments ?? []) out.add(`${await psName(a.PermissionSetArn!)}@${a.AccountId}`);
      token = r.NextToken;
      if (token && seen.has(token)) break; // moto repeats a token forever over duplicates
      if (token) seen.add(token);
    } while (token);
    return out;
  };

  const byGroup = new Map<string, string[]>();
  const groupIdToName = new Map<string, string>();
  for (const g of await listIdentityStoreGroups(endpoint, options.identityStoreId)) {
    groupIdToName.set(g.GroupId!, g.DisplayName!);
    byGroup.set(g.DisplayName!, sorted(await assignmentsOf(g.GroupId!, "GROUP")));
  }

  const byIdentityStoreUser = new Map<string, string[]>();
  const ids = identityStore(endpoint);
  for (const u of await listIdentityStoreUsers(endpoint, options.identityStoreId)) {
    const held = await assignmentsOf(u.UserId!, "USER");
    let token: string | undefined;
    do {
      const r = await ids.send(new ListGroupMembershipsForMemberCommand({ IdentityStoreId: options.identityStoreId, MemberId: { UserId: u.UserId! }, NextToken: token }));
      for (const m of r.GroupMemberships ?? []) for (const x of byGroup.get(groupIdToName.get(m.GroupId!) ?? "") ?? []) held.add(x);
      token = r.NextToken;
    } while (token);
    byIdentityStoreUser.set(u.UserName!, sorted(held));
  }

  // authentik's count: a user's groups and their ancestors (parents from 2025.12, parent in 2025.10).
  const groups = await akAll<{ pk: string; name: string; parents?: string[]; parent?: string | null }>(peers, "/core/groups/?include_users=false");
  const byPk = new Map(groups.map((g) => [g.pk, g]));
  const parentsOf = (g: { parents?: string[]; parent?: string | null }) => g.parents ?? (g.parent ? [g.parent] : []);
  const byAuthentikUser = new Map<string, string[]>();
  for (const u of await akAll<{ pk: number; username: string; groups: string[]; is_active: boolean }>(peers, "/core/users/")) {
    const held = new Set<string>();
    const allowed = !u.is_active ? false : options.applicationSlug ? (await peers.ak<{ passing: boolean }>("GET", `/core/applications/${options.applicationSlug}/check_access/?for_user=${u.pk}`)).passing : true;
    if (allowed) {
      const seen = new Set<string>();
      const queue = [...u.groups];
      while (queue.length > 0) {
        const pk = queue.shift()!;
        const g = byPk.get(pk);
        if (!g || seen.has(pk)) continue;
        seen.add(pk);
        queue.push(...parentsOf(g));
        for (const x of byGroup.get(g.name) ?? []) held.add(x);
      }
    }
    byAuthentikUser.set(u.username, sorted(held));
  }
  return { byGroup, byIdentityStoreUser, byAuthentikUser };
}
