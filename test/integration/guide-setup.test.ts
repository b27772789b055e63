// The guide's setups as a person builds them, and the oracles that say who holds what in them
// (guide-setup.ts): each answer is checked for a small population, and each oracle is shown to
// move when what it reads moves (a binding, a group attribute, a role's trust, an assignment).
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  ListTagsForResourceCommand,
  SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsClientConfig } from "../peers/moto.js";
import {
  AWS_AUDIENCE,
  AWS_SIGNIN_ACS,
  buildClassicGuideSetup,
  buildIdentityCenterGuideSetup,
  type ClassicGuideOptions,
  type ClassicGuideSetup,
  guideRoleExpression,
  guideTrustPolicy,
  heldPermissionSets,
  heldRoles,
  iamInAccount,
  metadataCertificate,
  provisionScim,
  removeClassicGuideSetup,
  removeIdentityCenterGuideSetup,
  ROLE_ATTRIBUTE,
  seedGuidePopulation,
} from "../support/guide-setup.js";
import { startPeers, type Peers } from "../support/peers.js";
import { createOrganization, MANAGEMENT, type OrgFixture } from "../support/identity-center.js";

const ACCOUNT = "111111111111";
const READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

let peers: Peers;
let org: OrgFixture;
let userPk: Record<string, number> = {};
let groupPk: Record<string, string> = {};

const pair = (role: string) => `arn:aws:iam::${ACCOUNT}:role/${role},arn:aws:iam::${ACCOUNT}:saml-provider/authentik`;
const ROLES: ClassicGuideOptions["roles"] = [
  { name: "readonly", managedPolicies: [READONLY], inlinePolicy: { name: "deny-billing", document: { Version: "2012-10-17", Statement: [{ Sid: "NoBilling", Effect: "Deny", Action: "aws-portal:*", Resource: "*" }] } } },
  { name: "admin", managedPolicies: [ADMIN], maxSessionDuration: 4 * 3600, description: "break glass" },
  { name: "data", managedPolicies: [READONLY] },
];

/** username → pairs, as a plain object (everyone listed, [] for nothing). */
async function held(slug = "aws"): Promise<Record<string, string[]>> {
  const r = await heldRoles(peers, { applicationSlug: slug });
  expect(r.failures).toEqual([]);
  return Object.fromEntries(r.byUser);
}

const nobody = { akadmin: [], alice: [], bob: [], carol: [], dave: [], erin: [] };

/** The population (seedGuidePopulation), with full names: "alice Example", … */
const population = (p: Peers, hierarchy: "parents" | "parent" = "parents") => seedGuidePopulation(p, { hierarchy, name: (username) => `${username} Example` });

beforeAll(async () => {
  // The shim passes IAM and STS through to moto untouched; Identity Center needs it.
  peers = await startPeers(["engineers", "admins", "data-eng"], { shim: true });
  ({ groups: groupPk, users: userPk } = await population(peers));
  org = await createOrganization(peers.awsEndpoint);
});

// The setups and oracles only sent requests authentik's schema allows.
afterAll(() => peers.stopAfterChecks());

describe("classic IAM, as authentik's guide builds it", () => {
  let setup: ClassicGuideSetup | undefined;
  const build = async (options: Omit<ClassicGuideOptions, "accountId" | "roles">) => {
    setup = await buildClassicGuideSetup(peers, { accountId: ACCOUNT, roles: ROLES, ...options });
    return setup;
  };
  const cleanUp = async () => {
    if (setup) await removeClassicGuideSetup(peers, setup);
    setup = undefined;
  };

  it("static role: the guide's objects in authentik and in the account, and everyone the application lets in gets the one role", async () => {
    try {
      const s = await build({ mapping: { style: "static", role: "readonly" }, bindGroups: ["engineers", "admins"] });
      // authentik
      const provider = await peers.ak("GET", `/providers/saml/${s.providerPk}/`);
      expect(provider).toMatchObject({ name: "aws", acs_url: AWS_SIGNIN_ACS, audience: AWS_AUDIENCE, issuer_override: "", sp_binding: "post", sign_assertion: true, sign_response: true, assigned_application_slug: "aws" });
      expect(provider.signing_kp).toBe((await peers.ak("GET", "/crypto/certificatekeypairs/?name=authentik%20Self-signed%20Certificate")).results[0].pk);
      expect(provider.property_mappings.sort()).toEqual([s.roleMappingPk, s.sessionNameMappingPk].sort());
      const role = await peers.ak("GET", `/propertymappings/provider/saml/${s.roleMappingPk}/`);
      expect(role).toMatchObject({ name: "AWS Role", saml_name: ROLE_ATTRIBUTE, expression: `return "${pair("readonly")}"` });
      expect(await peers.ak("GET", `/propertymappings/provider/saml/${s.sessionNameMappingPk}/`)).toMatchObject({ name: "AWS RoleSessionName", expression: "return user.email" });
      const app = await peers.ak("GET", "/core/applications/aws/");
      expect(app).toMatchObject({ name: "AWS", provider: s.providerPk, meta_publisher: "", policy_engine_mode: "any" });
      const bindings = (await peers.ak("GET", `/policies/bindings/?target=${app.pk}`)).results.map((b: { group: string }) => b.group);
      expect(bindings.sort()).toEqual([groupPk.engineers, groupPk.admins].sort());

      // AWS, inside the account
      const iam = await iamInAccount(peers.awsEndpoint, ACCOUNT);
      expect(s.samlProviderArn).toBe(`arn:aws:iam::${ACCOUNT}:saml-provider/authentik`);
      const readonly = (await iam.send(new GetRoleCommand({ RoleName: "readonly" }))).Role!;
      expect(JSON.parse(decodeURIComponent(readonly.AssumeRolePolicyDocument!))).toEqual(guideTrustPolicy(ACCOUNT));
      expect((await iam.send(new ListRoleTagsCommand({ RoleName: "readonly" }))).Tags ?? []).toEqual([]);
      expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "readonly" }))).AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([READONLY]);
      expect(JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: "readonly", PolicyName: "deny-billing" }))).PolicyDocument!)).Statement[0].Sid).toBe("NoBilling");
      expect((await iam.send(new GetRoleCommand({ RoleName: "admin" }))).Role!.MaxSessionDuration).toBe(4 * 3600);
      expect(metadataCertificate(s.metadata)).toMatch(/^MII/);

      // Who holds what
      expect(await held()).toEqual({ ...nobody, alice: [pair("readonly")], bob: [pair("readonly")] });
      // Binding data-eng lets in its members and its child group's members.
      const extra = await peers.ak("POST", "/policies/bindings/", { target: s.applicationPk, group: groupPk["data-eng"], order: 5 });
      expect(await held()).toEqual({ ...nobody, alice: [pair("readonly")], bob: [pair("readonly")], carol: [pair("readonly")], dave: [pair("readonly")] });
      await peers.ak("DELETE", `/policies/bindings/${extra.pk}/`);
      expect(await held()).toEqual({ ...nobody, alice: [pair("readonly")], bob: [pair("readonly")] });
      // A deactivated user cannot sign in at all.
      await peers.ak("PATCH", `/core/users/${userPk.alice}/`, { is_active: false });
      try {
        expect(await held()).toEqual({ ...nobody, bob: [pair("readonly")] });
      } finally {
        await peers.ak("PATCH", `/core/users/${userPk.alice}/`, { is_active: true });
      }
    } finally {
      await cleanUp();
    }
  });

  it("group attribute: each group's aws_role; in two such groups the one whose name sorts last wins; a missing role is refused by AWS", async () => {
    try {
      const s = await build({ mapping: { style: "group-attribute", groupRoles: { admins: "admin", engineers: "readonly", "data-eng": "data" } }, bindGroups: ["engineers", "admins", "data-eng"] });
      expect(s.roleMappingExpression).toBe(guideRoleExpression(ACCOUNT, { style: "group-attribute", groupRoles: {} }));
      expect(s.roleMappingExpression).toBe(`role_name = user.group_attributes().get("aws_role", "")\nreturn f"arn:aws:iam::${ACCOUNT}:role/{role_name},arn:aws:iam::${ACCOUNT}:saml-provider/authentik"`);
      expect((await peers.ak("GET", `/core/groups/${groupPk.admins}/`)).attributes).toEqual({ aws_role: "admin" });
      // bob is in admins and engineers: "engineers" sorts after "admins" and overwrites its aws_role.
      // carol's child group inherits data-eng's attributes (group_attributes() walks all_groups()).
      expect(await held()).toEqual({ ...nobody, alice: [pair("readonly")], bob: [pair("readonly")], carol: [pair("data")], dave: [pair("data")] });

      // A role name that does not exist in the account: the attribute is sent, AWS refuses it.
      await peers.ak("PATCH", `/core/groups/${groupPk.engineers}/`, { attributes: { aws_role: "no-such-role" } });
      const r = await heldRoles(peers, { applicationSlug: "aws" });
      expect(Object.fromEntries(r.byUser)).toEqual({ ...nobody, carol: [pair("data")], dave: [pair("data")] });
      expect(Object.fromEntries(r.refused)).toEqual({ alice: [`${pair("no-such-role")}: no such role`], bob: [`${pair("no-such-role")}: no such role`] });

      // A bound group without aws_role: the guide's expression sends "…:role/,…", which AWS refuses.
      await peers.ak("PATCH", `/core/groups/${groupPk["data-eng"]}/`, { attributes: {} });
      const bare = await heldRoles(peers, { applicationSlug: "aws" });
      expect(bare.byUser.get("dave")).toEqual([]);
      expect(bare.refused.get("carol")).toEqual([`${pair("")}: no such role (not a role name)`]);
    } finally {
      await cleanUp();
    }
    // The groups' attributes are as they were.
    expect((await peers.ak("GET", `/core/groups/${groupPk.engineers}/`)).attributes).toEqual({});
  });

  it("list: without bindings everyone (in no group too) gets every listed role; a binding narrows it; a role that stops trusting the provider is refused", async () => {
    try {
      const s = await build({ mapping: { style: "list", roles: ["readonly", "admin"] } });
      expect(s.roleMappingExpression).toBe(`return [\n    "${pair("readonly")}",\n    "${pair("admin")}",\n]`);
      const both = [pair("admin"), pair("readonly")];
      expect(await held()).toEqual({ akadmin: both, alice: both, bob: both, carol: both, dave: both, erin: both });

      await peers.ak("POST", "/policies/bindings/", { target: s.applicationPk, group: groupPk.admins, order: 0 });
      expect(await held()).toEqual({ ...nobody, bob: both });

      const iam = await iamInAccount(peers.awsEndpoint, ACCOUNT);
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "admin", PolicyDocument: JSON.stringify(guideTrustPolicy(ACCOUNT, "someone-else")) }));
      const r = await heldRoles(peers, { applicationSlug: "aws" });
      expect(Object.fromEntries(r.byUser)).toEqual({ ...nobody, bob: [pair("readonly")] });
      expect(r.refused.get("bob")).toEqual([`${pair("admin")}: the role's trust policy does not let the SAML provider assume it`]);
    } finally {
      await cleanUp();
    }
    // Nothing of the setup is left in the account.
    const iam = await iamInAccount(peers.awsEndpoint, ACCOUNT);
    await expect(iam.send(new GetRoleCommand({ RoleName: "admin" }))).rejects.toThrow(/cannot be found|not found/i);
  });

  it("reads whatever Role mapping is attached now: a second one adds its values, a detached one counts no more", async () => {
    try {
      const s = await build({ mapping: { style: "static", role: "readonly" }, bindGroups: ["engineers"] });
      const second = await peers.ak("POST", "/propertymappings/provider/saml/", { name: "AWS Role (data)", saml_name: ROLE_ATTRIBUTE, expression: `return "${pair("data")}"` });
      // Not attached yet: no effect.
      expect(await held()).toEqual({ ...nobody, alice: [pair("readonly")], bob: [pair("readonly")] });
      await peers.ak("PATCH", `/providers/saml/${s.providerPk}/`, { property_mappings: [s.roleMappingPk, s.sessionNameMappingPk, second.pk] });
      expect(await held()).toEqual({ ...nobody, alice: [pair("data"), pair("readonly")], bob: [pair("data"), pair("readonly")] });
      await peers.ak("PATCH", `/providers/saml/${s.providerPk}/`, { property_mappings: [s.sessionNameMappingPk, second.pk] });
      expect(await held()).toEqual({ ...nobody, alice: [pair("data")], bob: [pair("data")] });
      await peers.ak("DELETE", `/propertymappings/provider/saml/${second.pk}/`);

      // An entitlement-based mapping (the shape the tool takes over with): per-user values from the
      // application's entitlements, which the provider context makes reachable.
      const ent = await peers.ak("POST", "/core/application_entitlements/", {
        name: "data@111111111111",
        app: s.applicationPk,
        attributes: { aws_role_arn: `arn:aws:iam::${ACCOUNT}:role/data`, aws_saml_provider_arn: `arn:aws:iam::${ACCOUNT}:saml-provider/authentik` },
      });
      await peers.ak("POST", "/policies/bindings/", { target: ent.pbm_uuid, group: groupPk.admins, order: 0 });
      const entitled = await peers.ak("POST", "/propertymappings/provider/saml/", {
        name: "AWS Role (entitlements)",
        saml_name: ROLE_ATTRIBUTE,
        expression: 'return [f"{e.attributes[\'aws_role_arn\']},{e.attributes[\'aws_saml_provider_arn\']}" for e in request.user.app_entitlements(provider.application)]',
      });
      await peers.ak("PATCH", `/providers/saml/${s.providerPk}/`, { property_mappings: [s.sessionNameMappingPk, entitled.pk] });
      expect(await held()).toEqual({ ...nobody, bob: [pair("data")] });
      await peers.ak("DELETE", `/propertymappings/provider/saml/${entitled.pk}/`);
    } finally {
      await cleanUp();
    }
  });
});

describe("identity center, as authentik's guide builds it", () => {
  it("permission sets, groups and assignments in AWS, SAML and SCIM providers in authentik; who holds what, by AWS's count and by authentik's", async () => {
    const s = await buildIdentityCenterGuideSetup(peers, {
      org,
      groups: ["engineers", "admins", "data-eng"],
      permissionSets: [
        { name: "ReadOnly", managedPolicies: [READONLY], sessionDuration: "PT4H" },
        { name: "Admin", managedPolicies: [ADMIN], inlinePolicy: { Version: "2012-10-17", Statement: [{ Sid: "NoLeaving", Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" }] } },
      ],
      assignments: [
        { group: "engineers", permissionSet: "ReadOnly", ou: org.sandboxesOu },
        { group: "admins", permissionSet: "Admin", accounts: [org.sandboxAccount] },
        { group: "data-eng", permissionSet: "ReadOnly", accounts: [org.teamAccount] },
      ],
      scim: { token: "scim-token-by-hand-0123456789", tenant: "f00dcafe-1234" },
    });
    const [SB, TEAM] = [org.sandboxAccount, org.teamAccount];
    const ro = (...accounts: string[]) => accounts.map((a) => `ReadOnly@${a}`);

    // AWS
    expect(s.assignments.filter((a) => a.group === "engineers").map((a) => a.account)).toEqual([SB, TEAM].sort());
    const sso = new SSOAdminClient(awsClientConfig(peers.awsEndpoint, MANAGEMENT));
    const readOnly = (await sso.send(new DescribePermissionSetCommand({ InstanceArn: s.instanceArn, PermissionSetArn: s.permissionSetArns.ReadOnly }))).PermissionSet!;
    expect(readOnly.SessionDuration).toBe("PT4H");
    // Made by hand: no managed-by tag (the shim keeps permission-set tags, which moto cannot).
    expect((await sso.send(new ListTagsForResourceCommand({ InstanceArn: s.instanceArn, ResourceArn: s.permissionSetArns.ReadOnly }))).Tags ?? []).toEqual([]);
    expect((await sso.send(new ListManagedPoliciesInPermissionSetCommand({ InstanceArn: s.instanceArn, PermissionSetArn: s.permissionSetArns.Admin }))).AttachedManagedPolicies?.map((p) => p.Arn)).toEqual([ADMIN]);
    expect(JSON.parse((await sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: s.instanceArn, PermissionSetArn: s.permissionSetArns.Admin }))).InlinePolicy!).Statement[0].Sid).toBe("NoLeaving");

    // authentik
    const provider = await peers.ak("GET", `/providers/saml/${s.providerPk}/`);
    expect(provider).toMatchObject({
      acs_url: "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/d1234567-89ab-cdef-0123-456789abcdef",
      audience: "https://us-east-1.signin.aws.amazon.com/platform/saml/d-1234567890",
      sp_binding: "post",
      assigned_application_slug: "aws-identity-center",
    });
    expect((await peers.ak("GET", `/propertymappings/provider/saml/${provider.name_id_mapping}/`)).managed).toBe("goauthentik.io/providers/saml/email");
    const app = await peers.ak("GET", "/core/applications/aws-identity-center/");
    expect(app).toMatchObject({ meta_launch_url: "https://d-1234567890.awsapps.com/start", meta_publisher: "", backchannel_providers: [s.scimProviderPk] });
    const scim = await peers.ak("GET", `/providers/scim/${s.scimProviderPk}/`);
    expect(scim).toMatchObject({ url: "https://scim.us-east-1.amazonaws.com/f00dcafe-1234/scim/v2", compatibility_mode: "aws" });
    expect(scim.group_filters.sort()).toEqual([groupPk.engineers, groupPk.admins, groupPk["data-eng"]].sort());
    expect(await peers.authentik.control.scimMappingOrder(s.scimProviderName!)).toEqual(["authentik default SCIM Mapping: User", "AWS SCIM User (no photos)"]);

    // Who holds what: groups first (AWS's answer), nobody per person before a sync.
    const before = await heldPermissionSets(peers, { instanceArn: s.instanceArn, identityStoreId: s.identityStoreId, applicationSlug: s.applicationSlug });
    expect(Object.fromEntries(before.byGroup)).toEqual({ admins: [`Admin@${SB}`], "data-eng": ro(TEAM), engineers: ro(SB, TEAM).sort() });
    expect(before.byIdentityStoreUser.size).toBe(0);
    const engineersRo = ro(SB, TEAM).sort();
    expect(Object.fromEntries(before.byAuthentikUser)).toEqual({
      akadmin: [],
      alice: engineersRo,
      bob: [`Admin@${SB}`, ...engineersRo],
      carol: ro(TEAM), // authentik counts the child group's members in data-eng
      dave: ro(TEAM),
      erin: [], // bound to nothing: the application turns her away
    });

    // The SCIM stand-in pushes the users the application lets in and the filtered groups with their direct members.
    expect(await provisionScim(peers, s)).toEqual({ users: ["alice", "bob", "carol", "dave"], groups: ["admins", "data-eng", "engineers"] });
    const after = await heldPermissionSets(peers, { instanceArn: s.instanceArn, identityStoreId: s.identityStoreId, applicationSlug: s.applicationSlug });
    expect(Object.fromEntries(after.byIdentityStoreUser)).toEqual({
      alice: engineersRo,
      bob: [`Admin@${SB}`, ...engineersRo],
      carol: [], // in AWS only direct members of data-eng are: the child group is not sent, nor nested
      dave: ro(TEAM),
    });
    expect(after.byAuthentikUser).toEqual(before.byAuthentikUser);

    // Unbinding data-eng from the application: authentik turns dave and carol away.
    await peers.ak("DELETE", `/policies/bindings/${s.bindingPks["data-eng"]}/`);
    const unbound = await heldPermissionSets(peers, { instanceArn: s.instanceArn, identityStoreId: s.identityStoreId, applicationSlug: s.applicationSlug });
    expect(unbound.byAuthentikUser.get("dave")).toEqual([]);
    expect(unbound.byAuthentikUser.get("carol")).toEqual([]);
    expect(unbound.byAuthentikUser.get("alice")).toEqual(engineersRo);

    // Removed: nothing assigned, no permission set, no application.
    await removeIdentityCenterGuideSetup(peers, s);
    const gone = await heldPermissionSets(peers, { instanceArn: s.instanceArn, identityStoreId: s.identityStoreId });
    expect([...gone.byGroup.values()].flat()).toEqual([]);
    expect([...gone.byIdentityStoreUser.values()].flat()).toEqual([]);
    expect((await sso.send(new ListPermissionSetsCommand({ InstanceArn: s.instanceArn }))).PermissionSets ?? []).toEqual([]);
    await expect(peers.ak("GET", "/core/applications/aws-identity-center/")).rejects.toThrow(/404/);
    await expect(peers.ak("GET", `/providers/saml/${s.providerPk}/`)).rejects.toThrow(/404/);
  });
});

describe("on authentik 2025.10 (issuer, one parent per group, filter_group)", () => {
  let old: Peers;
  let oldOrg: OrgFixture;
  beforeAll(async () => {
    old = await startPeers(["engineers", "admins", "data-eng"], { shim: true, authentikArgs: ["--version", "2025.10.4"] });
    await population(old, "parent");
    oldOrg = await createOrganization(old.awsEndpoint);
  });
  afterAll(() => old.stopAfterChecks());

  it("builds both setups with the release's fields, and the oracles answer the same way", async () => {
    const classic = await buildClassicGuideSetup(old, { accountId: ACCOUNT, roles: ROLES, mapping: { style: "static", role: "readonly" }, bindGroups: ["data-eng"] });
    const provider = await old.ak("GET", `/providers/saml/${classic.providerPk}/`);
    expect(provider.issuer).toBe("authentik");
    expect(provider).not.toHaveProperty("issuer_override");
    const r = await heldRoles(old, { applicationSlug: "aws" });
    // carol's group has data-eng as its (only) parent: the binding lets her in.
    expect(Object.fromEntries(r.byUser)).toEqual({ ...nobody, carol: [pair("readonly")], dave: [pair("readonly")] });

    const ic = await buildIdentityCenterGuideSetup(old, {
      org: oldOrg,
      groups: ["engineers", "data-eng"],
      permissionSets: [{ name: "ReadOnly", managedPolicies: [READONLY] }],
      assignments: [{ group: "data-eng", permissionSet: "ReadOnly", ou: oldOrg.sandboxesOu }],
    });
    const scim = await old.ak("GET", `/providers/scim/${ic.scimProviderPk}/`);
    expect(scim.filter_group).toBeNull();
    expect(scim).not.toHaveProperty("group_filters");
    // Before 2026.2 a sync pushes every user and every group, whatever the application's bindings.
    const pushed = await provisionScim(old, ic);
    expect(pushed.users).toEqual(["akadmin", "alice", "bob", "carol", "dave", "erin"]);
    expect(pushed.groups).toEqual(["admins", "authentik Admins", "data-eng", "data-eng-ml", "engineers"]);
    const h = await heldPermissionSets(old, { instanceArn: ic.instanceArn, identityStoreId: ic.identityStoreId, applicationSlug: ic.applicationSlug });
    const both = [oldOrg.sandboxAccount, oldOrg.teamAccount].sort().map((a) => `ReadOnly@${a}`);
    expect(h.byGroup.get("data-eng")).toEqual(both);
    expect(h.byGroup.get("data-eng-ml")).toEqual([]);
    expect(Object.fromEntries(h.byIdentityStoreUser)).toEqual({ akadmin: [], alice: [], bob: [], carol: [], dave: both, erin: [] });
    expect(Object.fromEntries(h.byAuthentikUser)).toEqual({ akadmin: [], alice: [], bob: [], carol: both, dave: both, erin: [] });
  });
});
