// verify, identity-center, against the peers (issue 21): the readers
// (src/providers/aws/sso-verify-read.ts, src/providers/authentik/read-people.ts) and the checks
// (src/verify/identity-center.ts) called in this process, the tool's plan and apply through bin/.
// Each defect is first shown unseen by what the tool had before verify (the plan: no changes).
import { GetInlinePolicyForPermissionSetCommand, PutInlinePolicyToPermissionSetCommand } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load-config.js";
import { AuthentikClient } from "../../src/providers/authentik/client.js";
import { readVerifyPeople } from "../../src/providers/authentik/read-people.js";
import { identityCenterClients } from "../../src/providers/aws/sso-clients.js";
import { readIdentityCenterVerify } from "../../src/providers/aws/sso-verify-read.js";
import { identityCenterVerification } from "../../src/verify/identity-center.js";
import { runIdentityCenterVerify } from "../../src/verify/identity-center-run.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterConfig, identityCenterOf, mirrorScim, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import { startPeers, TOKEN, type AwsShimPeer, type Peers } from "../support/peers.js";

const PROD = "111111111111";
const DEV = "222222222222";
const SCIM_PROVIDER = "aws-scim";
const POLICY = { Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };

let peers: Peers;
let shim: AwsShimPeer;
let org: OrgFixture;
let config: string;
const savedEnv: Record<string, string | undefined> = {};

const CONFIG = identityCenterConfig({
  slug: "aws",
  appName: "AWS",
  accounts: { prod: PROD, dev: DEV },
  permissionSets: `  Admin:\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n  Reader:\n    inlinePolicy: ${JSON.stringify(POLICY)}\n`,
  mappings: "  - { group: admins, permissionSets: [Admin], accounts: [prod] }\n  - { group: engineers, permissionSets: [Reader], accounts: [dev, prod] }\n",
  extra: `scim:\n  url: https://scim.us-east-1.amazonaws.com/abcd1234-5678-90ab-cdef-example11111/scim/v2\n  tokenEnv: AWS_SCIM_TOKEN\n  providerName: ${SCIM_PROVIDER}\n`,
});

/** verify's identity-center checks, as the command runs them (read both sides, check), in one call. */
async function verify(people?: string[]) {
  const { config: resolved } = await loadConfigFile(config);
  return runIdentityCenterVerify({ config: resolved, authentik: new AuthentikClient({ url: peers.authentik.url, token: TOKEN }), env: peers.env, ...(people ? { people } : {}) });
}

/** The same, step by step: what each reader saw, and the checks. */

async function read(people?: string[]) {
  const { config: resolved } = await loadConfigFile(config);
  const now = new Date();
  const [aws, authentik] = await Promise.all([
    readIdentityCenterVerify(identityCenterClients("us-east-1", { env: peers.env }), resolved, { now }),
    readVerifyPeople(new AuthentikClient({ url: peers.authentik.url, token: TOKEN }), { samlProvider: resolved.authentik.provider.name }),
  ]);
  return { authentik, aws, verification: identityCenterVerification({ config: resolved, now, authentik, aws, ...(people ? { people } : {}) }) };
}

/** authentik's SCIM sync runs (its schedule), and what it leaves at the target reaches the Identity Store. */
async function scimSync() {
  await peers.authentik.control.scimSync(SCIM_PROVIDER);
  return mirrorScim(peers.authentik, peers.ak, shim.url, org.identityStoreId, SCIM_PROVIDER);
}

const cli = (argv: string[]) => peers.cli(argv, IDENTITY_CENTER_ENV);
const planChanges = async () => (await peers.planJson(config, { env: IDENTITY_CENTER_ENV })).changes;

beforeAll(async () => {
  peers = await startPeers(["admins", "engineers"], { shim: true });
  shim = peers.shim!;
  // The SDK in this process reaches the peers the way the tool does: through the environment.
  for (const k of ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) {
    savedEnv[k] = process.env[k];
    process.env[k] = peers.env[k];
  }
  org = await createOrganization(shim.url);
  const groups = await peers.groupPks();
  for (const [username, group] of [["alice", "admins"], ["bob", "engineers"], ["carol", "engineers"]] as const) {
    await peers.ak("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: [groups[group]] });
  }
  // SCIM has provisioned the groups already (the apply then need not wait for them).
  for (const g of ["admins", "engineers"]) await provisionGroup(shim.url, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  config = peers.writeConfig("ic.yaml", CONFIG);
  const r = await cli(["apply", "-c", config, "--auto-approve"]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  await scimSync();
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await peers?.stopAfterChecks();
});

describe("verify identity-center against the peers", () => {
  it("a clean apply and sync: no findings, every person checked", async () => {
    expect(await planChanges()).toEqual([]);
    const v = await verify();
    expect(v.findings).toEqual([]);
    expect(v.people).toEqual(["alice", "bob", "carol"]);
    expect(v.grantsChecked).toBe(5); // alice: Admin in prod; bob, carol: Reader in dev and prod
    // The shipped command (bin/): exit 0, the same report.
    const shipped = await cli(["verify", "-c", config, "--format", "json"]);
    expect(shipped.code, shipped.stdout + shipped.stderr).toBe(0);
    expect(JSON.parse(shipped.stdout)).toMatchObject({ version: 1, mode: "identity-center", people: ["alice", "bob", "carol"], grantsChecked: 5, findings: [] });
    // What the readers saw: the NameID is the email (the tool's provider), each person a user with it.
    const { authentik, aws, verification } = await read();
    expect(verification).toEqual(v);
    expect(authentik.nameId).toEqual({ source: "email" });
    expect(aws.users.map((u) => u.userName).sort()).toEqual(["alice@example.com", "bob@example.com", "carol@example.com"]);
    expect(aws.permissionSets).toEqual([
      { name: "Admin", provisionedTo: [PROD], notLatestIn: [] },
      { name: "Reader", provisionedTo: [PROD, DEV].sort(), notLatestIn: [] },
    ]);
  });

  it("a member the SCIM stand-in dropped: unseen by the plan, found by name", async () => {
    await peers.authentik.control.scimDropMember({ group: "engineers", user: "bob" });
    expect((await scimSync()).members.engineers).toEqual(["carol"]);
    // Unseen by what the tool had: nothing the tool writes changed.
    expect(await planChanges()).toEqual([]);
    const v = await verify();
    expect(v.findings.map((f) => [f.check, f.subject.name, f.grant, f.account?.id])).toEqual([
      ["group-members", "bob", "Reader", PROD],
      ["group-members", "bob", "Reader", DEV],
    ]);
    expect(v.findings[0]!.reason).toContain("bob is a member of group 'engineers' in authentik but not in the Identity Store: authentik's SCIM sync did not provision the membership");
    // The shipped command: exit 1, naming bob, the permission set and the accounts.
    const shipped = await cli(["verify", "-c", config]);
    expect(shipped.code, shipped.stdout + shipped.stderr).toBe(1);
    expect(shipped.stdout).toContain("bob");
    expect(shipped.stdout).toContain("Reader");
    expect((await verify(["carol"])).findings).toEqual([]);

    await peers.authentik.control.scimClearQuirks();
    await scimSync();
    expect((await verify()).findings).toEqual([]);
  });

  it("a member the SCIM stand-in kept after authentik removed them: what they still hold", async () => {
    await peers.authentik.control.scimKeepMember({ group: "engineers", user: "carol" });
    const groups = await peers.groupPks();
    const carol = (await peers.ak<{ results: { pk: number; username: string }[] }>("GET", "/core/users/?page_size=100")).results.find((u) => u.username === "carol")!.pk;
    await peers.ak("POST", `/core/groups/${groups.engineers}/remove_user/`, { pk: carol });
    expect((await scimSync()).members.engineers).toEqual(["bob", "carol"]);
    expect(await planChanges()).toEqual([]);
    const v = await verify();
    expect(v.people).toEqual(["alice", "bob"]);
    expect(v.findings.map((f) => [f.check, f.subject.name, f.grant, f.account?.id, f.severity])).toEqual([
      ["group-members", "carol", "Reader", PROD, "error"],
      ["group-members", "carol", "Reader", DEV, "error"],
    ]);
    expect(v.findings[0]!.reason).toContain("is a member of the Identity Store group 'engineers' but not of authentik's");

    await peers.authentik.control.scimClearQuirks();
    await scimSync();
    expect((await verify()).findings).toEqual([]);
  });

  it("a permission set changed but not provisioned: found; the plan says 'needs re-provisioning', apply re-provisions, re-plan clean", async () => {
    const ic = identityCenterOf(shim.url, org);
    const arn = await ic.permissionSetArn("Reader");
    // The same policy written again (as a console save without "provision" does): AWS's accounts now hold an older version.
    const current = (await ic.sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: arn }))).InlinePolicy!;
    await ic.sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: arn, InlinePolicy: current }));

    const found = await verify();
    expect(found.findings.map((f) => [f.check, f.subject.name, f.grant, f.account?.id])).toEqual([
      ["provisioning", "engineers", "Reader", PROD],
      ["provisioning", "engineers", "Reader", DEV],
    ]);
    expect(found.findings[0]!.reason).toContain("LATEST_PERMISSION_SET_NOT_PROVISIONED");

    const plan = await cli(["plan", "-c", config]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("aws.sso.permission_set[Reader]");
    expect(plan.stdout).toContain("needs re-provisioning");
    expect(plan.stdout).toContain("Plan: 0 to create, 1 to update, 0 to delete.");
    const changes = await planChanges();
    expect(changes.map((c) => `${c.action} ${c.address}`)).toEqual(["update aws.sso.permission_set[Reader]"]);
    expect(changes[0]!.fields).toEqual([
      { field: "provisioning", before: "needs re-provisioning: dev (222222222222), prod (111111111111) hold an older version", after: "the latest version in every account it is provisioned to" },
    ]);

    const before = (await shim.control.stats()).byOperation.ProvisionPermissionSet ?? 0;
    const apply = await cli(["apply", "-c", config, "--auto-approve"]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Apply complete: 0 created, 1 updated, 0 deleted.");
    expect((await shim.control.stats()).byOperation.ProvisionPermissionSet).toBe(before + 1);
    expect(await planChanges()).toEqual([]);
    expect((await verify()).findings).toEqual([]);
  });
});
