// verify in the shipped Action's drift mode (issue 21), identity-center with SCIM: dist/index.js
// under Node 24 against moto_server behind the Identity Center shim, the authentik emulator (whose
// SCIM stand-in can drop a member) and the GitHub emulator, each in a process of its own. A
// member the SCIM sync dropped is invisible to the plan; a permission set changed but not
// provisioned shows in it as "needs re-provisioning": the drift run names both, with the person,
// the group, the permission set and the account.
import { readFileSync } from "node:fs";
import { GetInlinePolicyForPermissionSetCommand, PutInlinePolicyToPermissionSetCommand } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifyReport } from "../../src/domain/verify.js";
import { actionBench } from "../support/action.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterConfig, identityCenterOf, mirrorScim, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import type { Peers } from "../support/peers.js";

const PROD = "111111111111";
const DEV = "222222222222";
const SCIM_PROVIDER = "aws-scim";
const POLICY = { Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };

const CONFIG = identityCenterConfig({
  slug: "aws",
  appName: "AWS",
  accounts: { prod: PROD, dev: DEV },
  permissionSets: `  Admin:\n    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n  Reader:\n    inlinePolicy: ${JSON.stringify(POLICY)}\n`,
  mappings: "  - { group: admins, permissionSets: [Admin], accounts: [prod] }\n  - { group: engineers, permissionSets: [Reader], accounts: [dev, prod] }\n",
  extra: `scim:\n  url: https://scim.us-east-1.amazonaws.com/abcd1234-5678-90ab-cdef-example11111/scim/v2\n  tokenEnv: AWS_SCIM_TOKEN\n  providerName: ${SCIM_PROVIDER}\n`,
});

const bench = actionBench({ groups: ["admins", "engineers"], peers: { shim: true }, env: IDENTITY_CENTER_ENV, inputs: { mode: "drift" } });
let peers: Peers;
let org: OrgFixture;

/** authentik's SCIM sync runs (its schedule), and what it leaves at the target reaches the Identity Store. */
async function scimSync() {
  await peers.authentik.control.scimSync(SCIM_PROVIDER);
  return mirrorScim(peers.authentik, peers.ak, peers.awsEndpoint, org.identityStoreId, SCIM_PROVIDER);
}

const drift = async () => bench.act(await bench.schedule("0 6 * * *"));
const verifyReport = (outputs: Record<string, string>) => JSON.parse(readFileSync(outputs["verify-json"]!, "utf8")) as VerifyReport;
const line = (f: VerifyReport["findings"][number]) => `${f.severity} ${f.check} ${f.subject.kind}:${f.subject.name} ${f.grant ?? "-"}@${f.account?.id ?? "-"}`;

beforeAll(async () => {
  ({ peers } = await bench.start());
  org = await createOrganization(peers.awsEndpoint);
  const groups = await peers.groupPks();
  for (const [username, group] of [["alice", "admins"], ["bob", "engineers"], ["carol", "engineers"]] as const) {
    await peers.ak("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: [groups[group]] });
  }
  // SCIM has provisioned the groups already (the apply then need not wait for them).
  for (const g of ["admins", "engineers"]) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  peers.writeConfig("aws-access.yaml", CONFIG);
  // What main's merge applied earlier; the verify after it finds nobody in the Identity Store yet,
  // but this apply started authentik's SCIM sync, which may still be running: warnings, exit 0.
  const r = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve", "--no-color"], IDENTITY_CENTER_ENV);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain("warning identity-store-user");
  expect(r.stdout).toContain("may still be running");
  await scimSync();
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("verify in the Action's drift mode, identity-center", () => {
  it("after a clean apply and sync: no drift, every sign-in works, the run passes", async () => {
    const r = await drift();
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs["has-changes"]).toBe("false");
    expect(r.outputs["verify-findings"]).toBe("0");
    expect(verifyReport(r.outputs)).toMatchObject({ mode: "identity-center", people: ["alice", "bob", "carol"], grantsChecked: 5, findings: [] });
    expect(r.summary).toContain("✅ No drift.");
    expect(r.summary).toContain("Sign-ins verified");
  });

  it("a member the SCIM stand-in dropped and a permission set changed but not provisioned: the run fails naming bob, the group and the permission set", async () => {
    await peers.authentik.control.scimDropMember({ group: "engineers", user: "bob" });
    expect((await scimSync()).members.engineers).toEqual(["carol"]);
    const ic = identityCenterOf(peers.awsEndpoint, org);
    const arn = await ic.permissionSetArn("Reader");
    // The same policy written again (a console save without "provision"): the accounts hold an older version.
    const current = (await ic.sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: arn }))).InlinePolicy!;
    await ic.sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: arn, InlinePolicy: current }));

    const r = await drift();
    expect(r.code).not.toBe(0);
    expect(r.outputs["has-changes"]).toBe("true");
    expect(verifyReport(r.outputs).findings.map(line)).toEqual([
      `error group-members person:bob Reader@${DEV}`,
      `error group-members person:bob Reader@${PROD}`,
      `error provisioning group:engineers Reader@${DEV}`,
      `error provisioning group:engineers Reader@${PROD}`,
    ]);
    expect(r.outputs["verify-findings"]).toBe("4");
    expect(r.summary).toContain("**Drift**");
    expect(r.summary).toContain("needs re-provisioning");
    expect(r.summary).toContain("Sign-ins that do not work");
    expect(r.summary).toContain("| ❌ error | person bob | Reader in prod \\(111111111111\\) | `group-members` |");
    expect(r.summary).toContain("| ❌ error | group engineers | Reader in dev \\(222222222222\\) | `provisioning` |");
    expect(r.summary).toContain("bob is a member of group 'engineers' in authentik but not in the Identity Store");
    expect(r.stdout).toMatch(/::error::aws-access\.yaml: drift: 1 change\(s\) between the configuration and the live state; verify found 4 sign-ins that do not work: /);
    expect(r.stdout).toContain("bob — Reader in prod (111111111111): group-members");
  });
});
