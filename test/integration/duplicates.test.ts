import { CreateAccountAssignmentCommand } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { startFaultProxy, startPeers, type Peers } from "../support/peers.js";
import { createOrganization, identityCenterConfig, identityCenterOf, provisionGroup, type OrgFixture } from "../support/identity-center.js";

/**
 * Objects held twice must be seen twice: a reader that shows one copy lets a removal
 * report success while the other copy keeps the access. moto stores a repeated
 * account assignment twice (whether AWS can is not documented), so it is the test.
 */
const PROD = "111111111111";
let peers: Peers;
let org: OrgFixture;
let config: string;

const ic = () => identityCenterOf(peers.awsEndpoint, org);

function configText(mappings: string, extraSets = ""): string {
  return identityCenterConfig({
    accounts: { prod: PROD },
    permissionSets: `${extraSets}  Set0: { description: Set 0, managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n`,
    mappings,
  });
}

/** The group's assignments in prod, of every permission set, copies counted. */
async function assignmentsOf(group: string): Promise<number> {
  const groupId = await ic().groupId(group);
  let n = 0;
  for (const arn of await ic().permissionSetArns()) n += (await ic().assignmentsOf(PROD, arn)).filter((a) => a.PrincipalId === groupId).length;
  return n;
}

const planJson = (): Promise<Plan> => peers.planJson(config);

beforeAll(async () => {
  peers = await startPeers(["engineers", "admins"], { shim: true });
  org = await createOrganization(peers.awsEndpoint);
  for (const g of ["engineers", "admins"]) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  config = peers.writeConfig("dup.yaml", configText("  - { group: engineers, permissionSets: [Set0], accounts: [prod] }\n  - { group: admins, permissionSets: [Set0], accounts: [prod] }\n"));
  const r = await peers.cli(["apply", "-c", config, "--auto-approve"], { AUTHENTIK_AWS_GITOPS_POLL_MS: "20" });
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => peers.stop());

describe("an account assignment held twice", () => {
  it("shows the second copy, and prunes it", async () => {
    // The same assignment again, behind the tool's back (or by a retried create).
    const again = {
      InstanceArn: org.instanceArn,
      TargetId: PROD,
      TargetType: "AWS_ACCOUNT" as const,
      PermissionSetArn: await ic().permissionSetArn("Set0"),
      PrincipalType: "GROUP" as const,
      PrincipalId: await ic().groupId("engineers"),
    };
    await ic().sso.send(new CreateAccountAssignmentCommand(again));
    await ic().sso.send(new CreateAccountAssignmentCommand({ ...again, PrincipalId: await ic().groupId("admins") }));
    expect(await assignmentsOf("engineers")).toBe(2);

    const plan = await planJson();
    expect(plan.changes.map((c) => `${c.action} ${c.address}`).sort()).toEqual([
      `delete aws.sso.account_assignment[admins→Set0@${PROD}]#2`,
      `delete aws.sso.account_assignment[engineers→Set0@${PROD}]#2`,
    ]);
    // The twin keeps the access: nobody loses anything.
    expect(plan.access).toEqual([]);
  });

  it("a removed mapping removes every copy: nobody keeps the access", async () => {
    config = peers.writeConfig("dup.yaml", configText("  - { group: admins, permissionSets: [Set0], accounts: [prod] }\n"));
    const plan = await planJson();
    expect(plan.access.filter((a) => a.change === "lost").map((a) => `${a.group} ${a.grant}`)).toContain("engineers Set0");
    const r = await peers.cli(["apply", "-c", config, "--auto-approve"], { AUTHENTIK_AWS_GITOPS_POLL_MS: "20" });
    expect(r.code, r.stderr).toBe(0);
    expect(await assignmentsOf("engineers")).toBe(0);
    expect(await assignmentsOf("admins")).toBe(1);
    expect((await planJson()).changes).toEqual([]);
  });
});

describe("Identity Center creates whose answers are lost", () => {
  it("are not made twice: the assignment or permission set that exists is the one asked for", async () => {
    const proxy = await startFaultProxy(peers.awsEndpoint);
    try {
      await proxy.control.addRule({ action: "after-commit", method: "POST", operation: "CreatePermissionSet", status: 500, times: 1 });
      await proxy.control.addRule({ action: "after-commit", method: "POST", operation: "CreateAccountAssignment", status: 500, times: 1 });
      config = peers.writeConfig(
        "dup.yaml",
        configText(
          "  - { group: admins, permissionSets: [Set0], accounts: [prod] }\n  - { group: engineers, permissionSets: [Set1], accounts: [prod] }\n",
          "  Set1: { description: Set 1, managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n",
        ),
      );
      const r = await peers.cli(["apply", "-c", config, "--auto-approve"], { AUTHENTIK_AWS_GITOPS_POLL_MS: "20", AWS_ENDPOINT_URL: proxy.url });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(await proxy.control.pendingRules()).toEqual([]);
      expect(await assignmentsOf("engineers")).toBe(1);
      const sets = await ic().permissionSetArns();
      expect(sets).toHaveLength(2);
      expect((await planJson()).changes).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
