import { writeFileSync } from "node:fs";
import path from "node:path";
import { DescribePermissionSetCommand, GetInlinePolicyForPermissionSetCommand } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, identityCenterOf, provisionGroup, provisionWhenSynced, SCIM_TOKEN, type OrgFixture } from "../support/identity-center.js";
import { startPeers, type AwsShimPeer, type Peers } from "../support/peers.js";
import { actions, withoutPeople } from "../support/plan.js";

const PROD = "111111111111";
const DEV = "222222222222";

let peers: Peers;
let shim: AwsShimPeer;
let org: OrgFixture;
let config: string;
let baseConfig: string;

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return peers.cli(argv, { ...IDENTITY_CENTER_ENV, ...env });
}

async function planJson(file = config): Promise<Plan> {
  return withoutPeople(await peers.planJson(file, { env: IDENTITY_CENTER_ENV }));
}

const ic = () => identityCenterOf(shim.url, org);
const sso = () => ic().sso;
const permissionSetArn = (name: string) => ic().permissionSetArn(name);
/** Group display names assigned a permission set in an account, as AWS reports them. */
const assignedGroups = (account: string, ps: string) => ic().assignedGroups(account, ps);

beforeAll(async () => {
  // AWS goes through the shim, which supplies the Identity Center operations moto lacks
  // (and refuses what AWS refuses, e.g. an empty Description or RelayState).
  peers = await startPeers(["aws-admins", "engineers", "data-eng", "finance"], { shim: true });
  shim = peers.shim!;
  org = await createOrganization(shim.url);
  // SCIM has provisioned two of the three mapped groups so far.
  await provisionGroup(shim.url, org.identityStoreId, "aws-admins");
  await provisionGroup(shim.url, org.identityStoreId, "engineers");
  peers.copyExample("identity-center-sp-metadata.xml");
  baseConfig = identityCenterExample(org);
  config = peers.writeConfig("ic.yaml", baseConfig);
});

afterAll(() => peers.stopAfterChecks());

describe("identity-center with SCIM end to end (moto_server + shim, authentik emulator)", () => {
  it("plans authentik's SAML and SCIM side, permission sets and assignments, OUs expanded", async () => {
    const plan = await planJson();
    expect(actions(plan)).toEqual([
      "create authentik.application[aws-identity-center]",
      // only the mapped groups see the application, and only their members are provisioned by SCIM
      "create authentik.policy_binding[aws-identity-center→group:aws-admins]",
      "create authentik.policy_binding[aws-identity-center→group:data-eng]",
      "create authentik.policy_binding[aws-identity-center→group:engineers]",
      "create authentik.saml_provider[aws-identity-center]",
      "create authentik.scim_mapping[aws-gitops aws-identity-center: AWS SCIM User]",
      "create authentik.scim_provider[aws-identity-center-scim]",
      `create aws.sso.account_assignment[aws-admins→AdministratorAccess@${DEV}]`,
      `create aws.sso.account_assignment[aws-admins→AdministratorAccess@${PROD}]`,
      `create aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]`,
      `create aws.sso.account_assignment[engineers→ReadOnly@${PROD}]`,
      `create aws.sso.account_assignment[engineers→ReadOnly@${DEV}]`,
      `create aws.sso.account_assignment[engineers→ReadOnly@${org.sandboxAccount}]`,
      `create aws.sso.account_assignment[engineers→ReadOnly@${org.teamAccount}]`,
      "create aws.sso.permission_set[AdministratorAccess]",
      "create aws.sso.permission_set[DataEngineer]",
      "create aws.sso.permission_set[ReadOnly]",
    ].sort());
    expect(plan.access).toContainEqual({ group: "engineers", grant: "ReadOnly", account: "team-a-dev", accountId: org.teamAccount, change: "gained" });
    // data-eng is not in the Identity Store yet: said by name, not an error.
    expect(plan.warnings.join("\n")).toContain("group 'data-eng'");
    expect(plan.warnings.join("\n")).toContain("SCIM has not provisioned it");
    // The console-only steps, with the values to paste.
    const steps = plan.manualSteps.join("\n");
    expect(steps).toContain("External identity provider");
    // Built from authentik.url (the public URL), not from the URL this run used.
    expect(steps).toContain("https://authentik.company/application/saml/aws-identity-center/metadata/");
    expect(steps).not.toContain(peers.authentik.url);
    expect(steps).toContain("https://us-east-1.signin.aws.amazon.com/platform/saml/acs/");
    expect(steps).toContain("AWS_SCIM_TOKEN");
    expect(steps).not.toContain(SCIM_TOKEN);
  });

  it("applies: starts authentik's SCIM sync, waits for the missing group, then assigns", async () => {
    // Stand-in for SCIM: when authentik's sync is triggered, the group reaches the Identity Store.
    const scimSync = provisionWhenSynced(peers.authentik, shim.url, org.identityStoreId, "/send/", ["data-eng"]);
    const r = await cli(["apply", "-c", config, "--auto-approve"]);
    await scimSync;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("started authentik's SCIM sync");
    expect(r.stdout).toContain("group 'data-eng' is now in the Identity Store");
    expect(r.stdout).toContain("Apply complete: 17 created, 0 updated, 0 deleted.");

    expect(await assignedGroups(DEV, "DataEngineer")).toEqual(["data-eng"]);
    expect(await assignedGroups(org.teamAccount, "ReadOnly")).toEqual(["engineers"]);
    expect(await assignedGroups(PROD, "AdministratorAccess")).toEqual(["aws-admins"]);
    const ps = await sso().send(new DescribePermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: await permissionSetArn("ReadOnly") }));
    expect(ps.PermissionSet?.SessionDuration).toBe("PT8H");
    expect(ps.PermissionSet?.RelayState).toBe("https://console.aws.amazon.com/console/home");
    // AWS allows at most 10 CreateAccountAssignment in flight.
    expect((await shim.control.stats()).maxInFlight.CreateAccountAssignment ?? 0).toBeLessThanOrEqual(10);

    // authentik: SAML provider from the SP metadata, SCIM provider attached as backchannel.
    const saml = (await peers.ak("GET", "/providers/saml/")).results.find((p: { name: string }) => p.name === "aws-identity-center");
    expect(saml.acs_url).toBe("https://us-east-1.signin.aws.amazon.com/platform/saml/acs/d1234567-89ab-cdef-0123-456789abcdef");
    expect(saml.audience).toBe("https://us-east-1.signin.aws.amazon.com/platform/saml/d-1234567890");
    const app = await peers.ak("GET", "/core/applications/aws-identity-center/");
    expect(app.meta_launch_url).toBe("https://d-1234567890.awsapps.com/start");
    const scim = (await peers.ak("GET", "/providers/scim/")).results[0];
    expect(app.backchannel_providers).toEqual([scim.pk]);
    expect(scim.compatibility_mode).toBe("aws");
    expect(scim.url).toBe("https://scim.us-east-1.amazonaws.com/abcd1234-5678-90ab-cdef-example11111/scim/v2");
    expect(scim).not.toHaveProperty("token");
    const mappings = (await peers.ak("GET", "/propertymappings/provider/scim/?page_size=100")).results as { pk: string; name: string; expression: string }[];
    const names = scim.property_mappings.map((pk: string) => mappings.find((m) => m.pk === pk)!.name).sort();
    expect(names).toEqual(["authentik default SCIM Mapping: User", "aws-gitops aws-identity-center: AWS SCIM User"]);
    // The tool's mapping sorts after authentik's default one, so its values win.
    expect([...names].sort((a, b) => a.localeCompare(b))[1]).toBe("aws-gitops aws-identity-center: AWS SCIM User");
  });

  it("re-plans clean, without touching the SCIM provider (a save would start a full sync)", async () => {
    const writesBefore = (await peers.authentik.control.requests()).filter((r) => r.method !== "GET").length;
    const plan = await planJson();
    expect(plan.changes).toEqual([]);
    expect(plan.manualSteps).toEqual([]);
    expect((await cli(["apply", "-c", config, "--auto-approve"])).code).toBe(0);
    expect((await peers.authentik.control.requests()).filter((r) => r.method !== "GET").length).toBe(writesBefore);
  });

  it("shows exactly the edits: a new permission set, an assignment moved to an OU, a policy edited, a group removed", async () => {
    const edited = baseConfig
      // a new permission set, for a new group (already provisioned by SCIM)
      .replace("permissionSets:\n", "permissionSets:\n  Billing:\n    description: Billing\n    managedPolicies: [arn:aws:iam::aws:policy/PowerUserAccess]\n")
      .replace("mappings:\n", "mappings:\n  - group: finance\n    permissionSets: [Billing]\n    accounts: [prod]\n")
      // an assignment moved to an OU
      .replace("  - group: aws-admins\n    permissionSets: [AdministratorAccess]\n    accounts: [prod, dev]\n", "  - group: aws-admins\n    permissionSets: [AdministratorAccess]\n    organizationalUnits: [sandboxes]\n")
      // a policy edited, and a session shortened (a set without relay state: AWS rejects an empty one)
      .replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject]")
      .replace("    sessionDuration: 4h\n", "    sessionDuration: 2h\n")
      // a group removed
      .replace("  - group: data-eng\n    permissionSets: [DataEngineer]\n    accounts: [dev]\n", "");
    await provisionGroup(shim.url, org.identityStoreId, "finance");
    config = peers.writeConfig("ic.yaml", edited);
    const plan = await planJson();
    expect(actions(plan)).toEqual([
      // scim.groups and the application's bindings follow the mapped groups: finance in, data-eng out
      "update authentik.scim_provider[aws-identity-center-scim]",
      "create authentik.policy_binding[aws-identity-center→group:finance]",
      "delete authentik.policy_binding[aws-identity-center→group:data-eng]",
      `create aws.sso.account_assignment[aws-admins→AdministratorAccess@${org.sandboxAccount}]`,
      `create aws.sso.account_assignment[aws-admins→AdministratorAccess@${org.teamAccount}]`,
      `create aws.sso.account_assignment[finance→Billing@${PROD}]`,
      "create aws.sso.permission_set[Billing]",
      `delete aws.sso.account_assignment[aws-admins→AdministratorAccess@${DEV}]`,
      `delete aws.sso.account_assignment[aws-admins→AdministratorAccess@${PROD}]`,
      `delete aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]`,
      "update aws.sso.permission_set[AdministratorAccess]",
      "update aws.sso.permission_set[DataEngineer]",
    ].sort());
    const scimUpdate = plan.changes.find((c) => c.type === "authentik.scim_provider")!;
    expect(scimUpdate.fields.map((f) => f.field)).toEqual(["group_filters"]);
    const psUpdate = plan.changes.find((c) => c.address === "aws.sso.permission_set[DataEngineer]")!;
    expect(psUpdate.fields.map((f) => f.field)).toEqual(["inline_policy"]);
    expect(psUpdate.fields[0]!.patch).toContain('-        "s3:ListBucket"');
    expect(plan.access.filter((a) => a.change === "lost").map((a) => `${a.group} ${a.grant} ${a.account}`)).toEqual([
      "aws-admins AdministratorAccess dev",
      "aws-admins AdministratorAccess prod",
      "data-eng DataEngineer dev",
      "data-eng aws-identity-center authentik",
    ]);
    expect(plan.access.filter((a) => a.change === "gained").map((a) => `${a.group} ${a.grant} ${a.account}`)).toEqual([
      "aws-admins AdministratorAccess sandbox-1",
      "aws-admins AdministratorAccess team-a-dev",
      "finance Billing prod",
      "finance aws-identity-center authentik",
    ]);
  });

  it("applies the edits (re-provisioning the changed permission set) and converges", async () => {
    const accepted = (s: { byOperation: Record<string, number>; refused?: Record<string, number> }) => (s.byOperation.ProvisionPermissionSet ?? 0) - (s.refused?.ProvisionPermissionSet ?? 0);
    const before = accepted(await shim.control.stats());
    const r = await cli(["apply", "-c", config, "--auto-approve"]);
    expect(r.stderr).toBe(`${config}:45:3: warning: permission set 'DataEngineer' is not assigned to any group by a mapping\n`);
    expect(r.code).toBe(0);
    // Two re-provisionings accepted (AWS may refuse one while an assignment provisions the set: retried).
    expect(accepted(await shim.control.stats())).toBe(before + 2);
    const admin = await sso().send(new DescribePermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: await permissionSetArn("AdministratorAccess") }));
    expect(admin.PermissionSet?.SessionDuration).toBe("PT2H");
    expect(admin.PermissionSet?.Description).toBe("Full administrator access");
    // Waited for in bulk: the provisioning status list, not a Describe per operation.
    expect((await shim.control.stats()).byOperation.ListPermissionSetProvisioningStatus ?? 0).toBeGreaterThan(0);
    expect((await shim.control.stats()).byOperation.DescribePermissionSetProvisioningStatus ?? 0).toBe(0);
    expect((await planJson()).changes).toEqual([]);
    expect(await assignedGroups(PROD, "AdministratorAccess")).toEqual([]);
    expect(await assignedGroups(org.sandboxAccount, "AdministratorAccess")).toEqual(["aws-admins"]);
    expect(await assignedGroups(DEV, "DataEngineer")).toEqual([]);
    const inline = await sso().send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: await permissionSetArn("DataEngineer") }));
    expect(inline.InlinePolicy).not.toContain("s3:ListBucket");
  });

  it("keeps a description AWS cannot clear, with a warning instead of an update that never settles", async () => {
    const cleared = peers.writeConfig("ic.yaml", (await import("node:fs")).readFileSync(config, "utf8").replace("    description: Read-only access\n", ""));
    const plan = await planJson(cleared);
    expect(plan.changes).toEqual([]);
    expect(plan.warnings.join("\n")).toContain("permission set ReadOnly: AWS cannot clear its description through the API");
    config = peers.writeConfig("ic.yaml", (await import("node:fs")).readFileSync(cleared, "utf8"));
  });

  it("pushes a rotated SCIM token only when asked, showing the change but never the value", async () => {
    const scimToken = () => peers.authentik.control.scimProviderToken();
    expect(await scimToken()).toBe(SCIM_TOKEN);
    const rotated = "rotated-scim-token-9876543210";
    // Without the flag nothing shows: authentik never returns the token to compare.
    expect((await cli(["plan", "-c", config, "--format", "json"], { AWS_SCIM_TOKEN: rotated })).stdout).toContain('"changes": []');
    const r = await cli(["plan", "-c", config, "--format", "json", "--rotate-scim-token"], { AWS_SCIM_TOKEN: rotated });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(actions(plan)).toEqual(["update authentik.scim_provider[aws-identity-center-scim]"]);
    expect(plan.changes[0]!.fields).toEqual([{ field: "token", after: "(new value from AWS_SCIM_TOKEN)" }]);
    expect(r.stdout).not.toContain(rotated);
    expect((await cli(["apply", "-c", config, "--auto-approve", "--rotate-scim-token"], { AWS_SCIM_TOKEN: rotated })).code).toBe(0);
    expect(await scimToken()).toBe(rotated);
    expect((await planJson()).changes).toEqual([]);
  });

  it("without authentik's task schedule, syncs just the missing group and still waits for it", async () => {
    await peers.ak("POST", "/core/groups/", { name: "auditors" });
    const withAuditors = peers.writeConfig("ic.yaml", (await import("node:fs")).readFileSync(config, "utf8").replace("mappings:\n", "mappings:\n  - group: auditors\n    permissionSets: [ReadOnly]\n    accounts: [dev]\n"));
    await peers.authentik.control.clearSchedules(); // as on an authentik without the tasks API
    const groupSync = provisionWhenSynced(peers.authentik, shim.url, org.identityStoreId, "/sync/object/", ["auditors"]);
    const r = await cli(["apply", "-c", withAuditors, "--auto-approve"]);
    await groupSync;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("asked authentik to sync group 'auditors' through SCIM");
    expect(await assignedGroups(DEV, "ReadOnly")).toContain("auditors");
    config = withAuditors;
  });

  it("stops with a clear error and changes nothing: a group missing from the Identity Store without SCIM", async () => {
    const noScim = peers.writeConfig(
      "no-scim.yaml",
      baseConfig.replace(/\nscim:\n(?:  .*\n)+/, "\n").replace("mappings:\n", "mappings:\n  - group: nobody-provisioned-this\n    permissionSets: [ReadOnly]\n    accounts: [dev]\n"),
    );
    await peers.ak("POST", "/core/groups/", { name: "nobody-provisioned-this" });
    const writes = (await peers.authentik.control.requests()).filter((r) => r.method !== "GET").length;
    const awsCreates = (await shim.control.stats()).byOperation.CreateAccountAssignment ?? 0;
    const r = await cli(["apply", "-c", noScim, "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-scim\.yaml:\d+:\d+: error: group 'nobody-provisioned-this' does not exist in the IAM Identity Center identity store/);
    expect(r.stderr).toContain("No changes were made.");
    expect((await peers.authentik.control.requests()).filter((r) => r.method !== "GET").length).toBe(writes);
    expect((await shim.control.stats()).byOperation.CreateAccountAssignment ?? 0).toBe(awsCreates);
  });

  it("stops with a clear error and changes nothing: a bad SP metadata file", async () => {
    writeFileSync(path.join(peers.dir, "broken-sp.xml"), "<html>this is the console page, not metadata</html>");
    const bad = peers.writeConfig("bad-sp.yaml", baseConfig.replace("spMetadata: identity-center-sp-metadata.xml", "spMetadata: broken-sp.xml"));
    const requests = (await peers.authentik.control.requests()).length;
    const r = await cli(["plan", "-c", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad-sp\.yaml:\d+:\d+: .*broken-sp\.xml is not usable IAM Identity Center SAML metadata: no EntityDescriptor element/);
    expect((await peers.authentik.control.requests()).length).toBe(requests); // failed before contacting anything
  });

  it("stops with a clear error and changes nothing: the SCIM token is missing when an apply must write the SCIM provider", async () => {
    // The SCIM provider's group filters change, so the apply would write it (and send the token).
    const current = (await import("node:fs")).readFileSync(config, "utf8");
    const narrowed = peers.writeConfig("ic.yaml", current.replace("  tokenEnv: AWS_SCIM_TOKEN", "  groups: [aws-admins]\n  tokenEnv: AWS_SCIM_TOKEN"));
    try {
      const requests = (await peers.authentik.control.requests()).length;
      const r = await cli(["apply", "-c", narrowed, "--auto-approve"], { AWS_SCIM_TOKEN: "" });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ic\.yaml:\d+:\d+: error: the environment variable AWS_SCIM_TOKEN \(scim\.tokenEnv\) is not set/);
      const writes = (await peers.authentik.control.requests()).slice(requests).filter((q) => q.method !== "GET");
      expect(writes).toEqual([]);
    } finally {
      peers.writeConfig("ic.yaml", current);
    }
  });

  it("plans without the SCIM token (only a write of the SCIM provider sends it): a pull request's plan needs no such secret", async () => {
    const r = await cli(["plan", "-c", config, "--detailed-exitcode"], { AWS_SCIM_TOKEN: "" });
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);
    const rotate = await cli(["plan", "-c", config, "--rotate-scim-token"], { AWS_SCIM_TOKEN: "" });
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toContain("AWS_SCIM_TOKEN (scim.tokenEnv) is not set");
  });

  it("reports an AWS refusal during plan as a clear error, not a crash", async () => {
    await shim.control.addFault({ operation: "ListPermissionSets", times: 1, error: { type: "AccessDeniedException", message: "User is not authorized to perform sso:ListPermissionSets" } });
    const r = await cli(["plan", "-c", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: AWS refused reading IAM Identity Center in us-east-1 (ListPermissionSets): AccessDeniedException: User is not authorized to perform sso:ListPermissionSets");
    expect(r.stderr).not.toContain("internal error");
  });

  it("never prints the SCIM token", async () => {
    const r = await cli(["plan", "-c", config, "--format", "markdown"]);
    expect(r.stdout + r.stderr).not.toContain(SCIM_TOKEN);
  });
});
