// From "I followed authentik's AWS guide" to "the tool owns it": a setup is built by hand in
// the peers (guide-setup.ts), `import` writes the configuration, the first plan changes
// nobody's access (only adopt and restructure), apply, a clean re-plan — and the same people
// hold the same roles, asked of the emulator's expression evaluation and of AWS (the oracles).
import { readFileSync } from "node:fs";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { ListRoleTagsCommand, TagRoleCommand } from "@aws-sdk/client-iam";
import { parse, stringify } from "yaml";
import { CreateUserCommand, IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { CreateAccountAssignmentCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsClientConfig } from "../peers/moto.js";
import type { Plan } from "../../src/domain/plan-types.js";
import {
  buildClassicGuideSetup,
  buildIdentityCenterGuideSetup,
  heldPermissionSets,
  heldRoles,
  iamInAccount,
  seedGuidePopulation,
  type ClassicGuideOptions,
  type RoleMappingStyle,
} from "../support/guide-setup.js";
import { startPeers, type Peers } from "../support/peers.js";
import { createOrganization, MANAGEMENT, type OrgFixture } from "../support/identity-center.js";

const READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const ROLES: ClassicGuideOptions["roles"] = [
  { name: "readonly", managedPolicies: [READONLY], inlinePolicy: { name: "deny-billing", document: { Version: "2012-10-17", Statement: [{ Sid: "NoBilling", Effect: "Deny", Action: "aws-portal:*", Resource: "*" }] } } },
  { name: "admin", managedPolicies: [ADMIN], maxSessionDuration: 4 * 3600, description: "break glass" },
  { name: "data", managedPolicies: [READONLY] },
];

let peers: Peers;
let org: OrgFixture;
let groupPk: Record<string, string> = {};

beforeAll(async () => {
  peers = await startPeers(["engineers", "admins", "data-eng"], { shim: true });
  ({ groups: groupPk } = await seedGuidePopulation(peers));
  org = await createOrganization(peers.awsEndpoint);
});

afterAll(() => peers.stopAfterChecks());

async function planJson(file: string, env: NodeJS.ProcessEnv = {}): Promise<Plan> {
  const r = await peers.cli(["plan", "-c", file, "--format", "json"], env);
  // Warnings only (e.g. a role that trusts the provider but no group is sent today).
  expect(r.stderr.split("\n").filter((l) => l && !l.includes(": warning: "))).toEqual([]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Plan;
}

/** The first plan after import: nobody gains or loses anything, nothing is deleted, the hand-made objects are adopted. */
async function expectTakeOverPlan(file: string, env: NodeJS.ProcessEnv, adopted: string[]): Promise<void> {
  const plan = await planJson(file, env);
  expect(plan.access).toEqual([]);
  expect(plan.accessCaveats).toBeUndefined();
  expect(plan.changes.filter((c) => c.action === "delete" || c.action === "replace")).toEqual([]);
  const adopts = plan.changes.filter((c) => c.action === "adopt").map((c) => c.address);
  for (const a of adopted) expect(adopts).toContain(a);
  expect(plan.summary.adopt).toBe(adopts.length);
  const text = await peers.cli(["plan", "-c", file], env);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain("No access changes: nobody gains or loses anything;");
  expect(text.stdout).toContain(`${adopts.length} to adopt`);
}

async function applyAndReplanClean(file: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const applied = await peers.cli(["apply", "-c", file, "--auto-approve"], env);
  expect(applied.stderr.split("\n").filter((l) => l && !l.includes(": warning: "))).toEqual([]);
  expect(applied.code).toBe(0);
  expect(applied.stdout).toMatch(/Apply complete: \d+ adopted, /);
  const again = await peers.cli(["plan", "-c", file, "--detailed-exitcode"], env);
  expect(again.stdout).toContain("No changes.");
  expect(again.code).toBe(0);
}

describe("import, classic IAM, each of the guide's Role-mapping styles", () => {
  const cases: { name: string; account: string; slug: string; mapping: RoleMappingStyle; bindGroups?: string[] }[] = [
    { name: "static ARN", account: "111111111111", slug: "aws-static", mapping: { style: "static", role: "readonly" }, bindGroups: ["engineers", "admins"] },
    {
      name: "group attribute",
      account: "222222222222",
      slug: "aws-attribute",
      mapping: { style: "group-attribute", groupRoles: { engineers: "readonly", "data-eng": "data" } },
      bindGroups: ["engineers", "data-eng"],
    },
    { name: "list of ARNs", account: "333333333333", slug: "aws-list", mapping: { style: "list", roles: ["readonly", "admin"] }, bindGroups: ["admins"] },
  ];
  for (const c of cases) {
    it(`${c.name}: import, a plan that changes nobody's access, apply, clean — the same people hold the same roles`, async () => {
      await buildClassicGuideSetup(peers, {
        accountId: c.account,
        roles: ROLES,
        mapping: c.mapping,
        ...(c.bindGroups ? { bindGroups: c.bindGroups } : {}),
        applicationSlug: c.slug,
        providerName: c.slug,
        mappingNames: { role: `AWS Role (${c.slug})`, sessionName: `AWS RoleSessionName (${c.slug})` },
      });
      const before = await heldRoles(peers, { applicationSlug: c.slug });
      expect(before.failures).toEqual([]);
      expect([...before.byUser.values()].some((pairs) => pairs.length > 0)).toBe(true);

      const file = path.join(peers.dir, `${c.slug}.yaml`);
      const imported = await peers.cli([
        "import", "--mode", "classic-iam", "--application", c.slug, "--accounts", `prod=${c.account}`,
        "--assume-role", "OrganizationAccountAccessRole", "--url", "https://authentik.company", "-o", file,
      ]);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain(`wrote ${file}: mode classic-iam, 1 account(s)`);
      const text = readFileSync(file, "utf8");
      expect(text).toContain("adopt:");
      expect(text).toContain("assumeRole: arn:aws:iam::");
      // It validates on its own (import refuses to write a file that does not).
      expect((await peers.cli(["validate", "-c", file])).code).toBe(0);

      await expectTakeOverPlan(file, {}, [`authentik.application[${c.slug}]`, `aws.iam.role[prod:/readonly]`]);
      await applyAndReplanClean(file);

      const after = await heldRoles(peers, { applicationSlug: c.slug });
      expect(after.failures).toEqual([]);
      expect(Object.fromEntries(after.byUser)).toEqual(Object.fromEntries(before.byUser));
      expect(Object.fromEntries(after.refused)).toEqual(Object.fromEntries(before.refused));
      // Taken over, not recreated: the hand-made role now carries the tool's tags.
      const iam = await iamInAccount(peers.awsEndpoint, c.account);
      const tags = Object.fromEntries(((await iam.send(new ListRoleTagsCommand({ RoleName: "readonly" }))).Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags).toMatchObject({ "managed-by": "authentik-aws-gitops", "managed-by-config": c.slug });
      expect((await peers.ak("GET", `/core/applications/${c.slug}/`)).meta_publisher).toBe("authentik-aws-gitops");
    });
  }

  it("a group-attribute setup where a person is in two attribute groups: import says that person gets both roles afterwards", async () => {
    // Earlier setups left aws_role on groups: start from none.
    for (const pk of Object.values(groupPk)) await peers.ak("PATCH", `/core/groups/${pk}/`, { attributes: {} });
    await buildClassicGuideSetup(peers, {
      accountId: "444444444444",
      roles: ROLES,
      mapping: { style: "group-attribute", groupRoles: { admins: "admin", engineers: "readonly" } },
      bindGroups: ["engineers", "admins"],
      applicationSlug: "aws-conflict",
      providerName: "aws-conflict",
      mappingNames: { role: "AWS Role (conflict)", sessionName: "AWS RoleSessionName (conflict)" },
    });
    const file = path.join(peers.dir, "aws-conflict.yaml");
    const r = await peers.cli(["import", "--mode", "classic-iam", "--application", "aws-conflict", "--accounts", "prod=444444444444", "--assume-role", "OrganizationAccountAccessRole", "-o", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("note: bob is in 'admins' (aws_role: admin) and 'engineers' (aws_role: readonly): today authentik sends one role");
    expect(readFileSync(file, "utf8")).toContain("# - bob is in 'admins'");
    // And the plan says it too: no group's access changes, but bob's does.
    const plan = await planJson(file);
    // Nobody holds admin through 'admins' today (bob's engineers attribute wins): the group gains it.
    expect(plan.access).toMatchObject([{ group: "admins", grant: "admin", accountId: "444444444444", change: "gained", people: { names: ["bob"] } }]);
    expect(plan.accessCaveats).toEqual([expect.stringContaining("1 person holds different roles after this plan"), "  bob gains admin in prod (444444444444)"]);
    const text = await peers.cli(["plan", "-c", file]);
    expect(text.stdout).toContain("bob gains admin in prod (444444444444)");
    expect(text.stdout).not.toContain("nobody gains or loses anything");
  });

  it("a group whose attribute names a role but none of whose people may sign in is not mapped (nobody holds the role through it today)", async () => {
    for (const pk of Object.values(groupPk)) await peers.ak("PATCH", `/core/groups/${pk}/`, { attributes: {} });
    const auditors = (await peers.ak("POST", "/core/groups/", { name: "auditors", attributes: { aws_role: "admin" } })).pk;
    await peers.ak("POST", "/core/users/", { username: "frank", name: "frank", email: "frank@example.com", groups: [auditors] });
    try {
      await buildClassicGuideSetup(peers, {
        accountId: "777777777777",
        roles: ROLES,
        mapping: { style: "group-attribute", groupRoles: { engineers: "readonly" } },
        bindGroups: ["engineers"],
        applicationSlug: "aws-unbound",
        providerName: "aws-unbound",
        mappingNames: { role: "AWS Role (unbound)", sessionName: "AWS RoleSessionName (unbound)" },
      });
      const file = path.join(peers.dir, "aws-unbound.yaml");
      const r = await peers.cli(["import", "--mode", "classic-iam", "--application", "aws-unbound", "--accounts", "prod=777777777777", "--assume-role", "OrganizationAccountAccessRole", "-o", file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("note: group 'auditors' has aws_role: admin, but none of its people may sign in to application 'aws-unbound'");
      expect(parse(readFileSync(file, "utf8")).mappings.map((m: { group: string }) => m.group)).not.toContain("auditors");
      const plan = await planJson(file);
      expect(plan.access).toEqual([]);
      expect(plan.accessCaveats).toBeUndefined();
    } finally {
      await peers.ak("PATCH", `/core/groups/${auditors}/`, { attributes: {} });
    }
  });

  it("a role that carries another configuration's tags is never imported, and never adopted even when listed in adopt", async () => {
    const account = "666666666666";
    await buildClassicGuideSetup(peers, {
      accountId: account,
      roles: ROLES,
      mapping: { style: "static", role: "readonly" },
      bindGroups: ["admins"],
      applicationSlug: "aws-shared",
      providerName: "aws-shared",
      mappingNames: { role: "AWS Role (shared)", sessionName: "AWS RoleSessionName (shared)" },
    });
    const iam = await iamInAccount(peers.awsEndpoint, account);
    await iam.send(new TagRoleCommand({ RoleName: "readonly", Tags: [{ Key: "managed-by", Value: "authentik-aws-gitops" }, { Key: "managed-by-config", Value: "someone-else" }] }));
    const file = path.join(peers.dir, "aws-shared.yaml");
    const r = await peers.cli(["import", "--mode", "classic-iam", "--application", "aws-shared", "--assume-role", "OrganizationAccountAccessRole", "-o", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("belongs to another configuration (tag managed-by-config=someone-else): not imported");
    const config = parse(readFileSync(file, "utf8"));
    expect(Object.keys(config.roles)).not.toContain("readonly");
    // Someone declares it and lists it under adopt anyway: the plan refuses, naming the owner.
    const alias = Object.keys(config.aws.accounts)[0];
    config.roles.readonly = { accounts: [alias], managedPolicies: [READONLY] };
    config.adopt.roles.push("readonly");
    config.mappings = [{ group: "admins", roles: ["readonly"] }];
    writeFileSync(file, stringify(config));
    const plan = await peers.cli(["plan", "-c", file]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("belongs to another configuration: authentik application 'someone-else'");
  });

  it("an expression it cannot read is reported with its text and where it is in authentik, and nothing is written", async () => {
    const s = await buildClassicGuideSetup(peers, { accountId: "555555555555", roles: ROLES, mapping: { style: "static", role: "readonly" }, bindGroups: ["admins"], applicationSlug: "aws-custom", providerName: "aws-custom", mappingNames: { role: "AWS Role (custom)", sessionName: "AWS RoleSessionName (custom)" } });
    await peers.ak("PATCH", `/propertymappings/provider/saml/${s.roleMappingPk}/`, {
      expression: `if ak_is_group_member(request.user, name="admins"):\n    return "arn:aws:iam::555555555555:role/admin,arn:aws:iam::555555555555:saml-provider/authentik"\nreturn None`,
    });
    const file = path.join(peers.dir, "aws-custom.yaml");
    const r = await peers.cli(["import", "--mode", "classic-iam", "--application", "aws-custom", "-o", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read the Role expression of SAML property mapping 'AWS Role (custom)' (pk ${s.roleMappingPk}`);
    expect(r.stderr).toContain("line 1:");
    expect(r.stderr).toContain('1 | if ak_is_group_member(request.user, name="admins"):');
    expect(() => readFileSync(file)).toThrow();
  });

  it("regional sign-in endpoints (authentik posts to eu-west-1, every role allows it and the global one) are kept as aws.signInRegions: no trust policy or ACS change, the same people hold the same roles", async () => {
    const account = "888888888888";
    const endpoints = ["https://eu-west-1.signin.aws.amazon.com/saml", "https://signin.aws.amazon.com/saml"];
    await buildClassicGuideSetup(peers, {
      accountId: account,
      roles: ROLES,
      mapping: { style: "list", roles: ["readonly", "admin"] },
      bindGroups: ["admins"],
      applicationSlug: "aws-regional",
      providerName: "aws-regional",
      mappingNames: { role: "AWS Role (regional)", sessionName: "AWS RoleSessionName (regional)" },
      signInEndpoints: endpoints,
    });
    const before = await heldRoles(peers, { applicationSlug: "aws-regional" });
    expect(before.failures).toEqual([]);
    expect([...before.byUser.values()].some((pairs) => pairs.length > 0)).toBe(true);

    const file = path.join(peers.dir, "aws-regional.yaml");
    const imported = await peers.cli([
      "import", "--mode", "classic-iam", "--application", "aws-regional", "--accounts", `prod=${account}`,
      "--assume-role", "OrganizationAccountAccessRole", "--url", "https://authentik.company", "-o", file,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).not.toContain("trust policy differs");
    expect(imported.stderr).not.toContain("sign-in endpoint");
    expect(parse(readFileSync(file, "utf8")).aws.signInRegions).toEqual(["eu-west-1", "us-east-1"]);

    await expectTakeOverPlan(file, {}, ["authentik.application[aws-regional]", "aws.iam.role[prod:/readonly]"]);
    const plan = await planJson(file);
    const fields = plan.changes.flatMap((c) => c.fields.map((f) => `${c.address} ${f.field}`));
    expect(fields.filter((f) => / (trust_policy|acs_url)$/.test(f))).toEqual([]);
    await applyAndReplanClean(file);

    const after = await heldRoles(peers, { applicationSlug: "aws-regional" });
    expect(after.failures).toEqual([]);
    expect(Object.fromEntries(after.byUser)).toEqual(Object.fromEntries(before.byUser));
    const app = await peers.ak("GET", "/core/applications/aws-regional/");
    expect((await peers.ak("GET", `/providers/saml/${app.provider}/`)).acs_url).toBe(endpoints[0]);
  });
});

describe("import, IAM Identity Center with SCIM", () => {
  it("permission sets, assignments (an OU where they cover exactly its accounts), SCIM settings without the token: a plan that changes nobody's access, apply, clean", async () => {
    const token = "scim-token-kept-out-of-every-file";
    const setup = await buildIdentityCenterGuideSetup(peers, {
      org,
      groups: ["engineers", "data-eng"],
      permissionSets: [
        { name: "ReadOnly", description: "Read only", sessionDuration: "PT8H", managedPolicies: [READONLY] },
        { name: "DataAdmin", managedPolicies: [ADMIN], inlinePolicy: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "iam:*", Resource: "*" }] } },
      ],
      assignments: [
        { group: "engineers", permissionSet: "ReadOnly", ou: org.sandboxesOu },
        { group: "data-eng", permissionSet: "DataAdmin", accounts: [org.teamAccount] },
      ],
      scim: { token },
    });
    // One permission set also held by a user directly (made by hand in the console).
    const store = new IdentitystoreClient(awsClientConfig(peers.awsEndpoint, MANAGEMENT));
    const user = await store.send(new CreateUserCommand({ IdentityStoreId: setup.identityStoreId, UserName: "contractor@example.com", DisplayName: "Contractor", Name: { GivenName: "C", FamilyName: "Ontractor" } }));
    await new SSOAdminClient(awsClientConfig(peers.awsEndpoint, MANAGEMENT)).send(
      new CreateAccountAssignmentCommand({ InstanceArn: setup.instanceArn, TargetId: org.sandboxAccount, TargetType: "AWS_ACCOUNT", PermissionSetArn: setup.permissionSetArns.ReadOnly, PrincipalType: "USER", PrincipalId: user.UserId! }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // the shim's operation finishes
    const before = await heldPermissionSets(peers, { instanceArn: setup.instanceArn, identityStoreId: setup.identityStoreId });

    const file = path.join(peers.dir, "identity-center.yaml");
    const r = await peers.cli(["import", "--mode", "identity-center", "--application", setup.applicationSlug, "--url", "https://authentik.company", "-o", file]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(token);
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(text).toContain("organizationalUnits:\n      - sandboxes");
    expect(text).toContain("tokenEnv: AWS_SCIM_TOKEN");
    expect(r.stderr).toContain(`note: user contractor@example.com holds permission set ReadOnly in account ${org.sandboxAccount} directly, not through a group`);
    expect(text).toContain("permissionSets:\n    - DataAdmin\n    - ReadOnly");

    const env = { AWS_SCIM_TOKEN: token };
    await expectTakeOverPlan(file, env, [`authentik.application[${setup.applicationSlug}]`, "aws.sso.permission_set[ReadOnly]", "aws.sso.permission_set[DataAdmin]"]);
    await applyAndReplanClean(file, env);
    const after = await heldPermissionSets(peers, { instanceArn: setup.instanceArn, identityStoreId: setup.identityStoreId });
    expect(Object.fromEntries(after.byGroup)).toEqual(Object.fromEntries(before.byGroup));
    expect(Object.fromEntries(after.byAuthentikUser)).toEqual(Object.fromEntries(before.byAuthentikUser));
  });
});
