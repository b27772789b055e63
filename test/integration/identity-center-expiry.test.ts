// mappings[].expires end to end, identity-center with SCIM: the shipped CLI against
// moto_server behind the Identity Center shim and the authentik emulator, each in a
// process of its own. An assignment with an expiry ahead is applied and shown with its
// date; once past, plan shows its loss with reason expired even with pruning off
// (and a copy of it, and the group's application binding); SCIM's groups are left as
// they are; apply removes them and the next plan is clean.
import path from "node:path";
import { CreateAccountAssignmentCommand } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { startPeers, type Peers } from "../support/peers.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, identityCenterOf, provisionGroup, type OrgFixture } from "../support/identity-center.js";

const DEV = "222222222222";

let peers: Peers;
let org: OrgFixture;
let config: string;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function configText(expires: string): string {
  const text = identityCenterExample(org)
    .replace("    permissionSets: [DataEngineer]\n    accounts: [dev]\n", `    permissionSets: [DataEngineer]\n    accounts: [dev]\n    expires: ${expires}\n`)
    .replace(/options:\n {2}prune: true/, "options:\n  prune: false");
  expect(text).toContain(`expires: ${expires}`);
  expect(text).toContain("prune: false");
  return text;
}
const expiresLine = () => configText("X").split("\n").findIndex((l) => l.startsWith("    expires: ")) + 1;

const cli = (argv: string[]) => peers.cli(argv, IDENTITY_CENTER_ENV);

const planJson = (extra: string[] = []): Promise<Plan> => peers.planJson(config, { args: extra, env: IDENTITY_CENTER_ENV });

const ic = () => identityCenterOf(peers.awsEndpoint, org);
const assignments = (account: string, ps: string) => ic().assignments(account, ps);

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"], { shim: true });
  org = await createOrganization(peers.awsEndpoint);
  // SCIM has provisioned every mapped group already: this test is about expiry, not the sync.
  for (const g of ["aws-admins", "engineers", "data-eng"]) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  config = peers.writeConfig("ic.yaml", configText(day(5)));
});

afterAll(() => peers.stopAfterChecks());

describe("identity-center: access that expires", () => {
  it("applies an assignment with an expiry ahead, and plans show its date", async () => {
    const first = await planJson();
    expect(first.access.find((a) => a.group === "data-eng" && a.kind === undefined)).toMatchObject({ grant: "DataEngineer", accountId: DEV, change: "gained", expires: { value: day(5) } });
    const r = await cli(["apply", "-c", config, "--auto-approve"]);
    expect(r.code).toBe(0);
    expect((await assignments(DEV, "DataEngineer")).length).toBe(1);
    const plan = await planJson();
    expect(plan.changes).toEqual([]);
    expect(plan.expiring!.map((e) => `${e.group} ${e.grant}@${e.accountId} ${e.expires.value}`)).toEqual([`data-eng DataEngineer@${DEV} ${day(5)}`]);
    expect(plan.warnings).toContainEqual(expect.stringContaining(`access ends in 5 days: group 'data-eng' loses permission set 'DataEngineer' in dev (${DEV}) — expires on ${day(5)} (mappings[2].expires, ${config}:${expiresLine()}:14)`));
  });

  it("once past, plans the removal with reason expired even with --no-prune, copies included, SCIM's groups untouched", async () => {
    // A second copy of the assignment, as AWS (and moto) may hold one.
    await ic().sso.send(
      new CreateAccountAssignmentCommand({
        InstanceArn: org.instanceArn,
        TargetId: DEV,
        TargetType: "AWS_ACCOUNT",
        PermissionSetArn: await ic().permissionSetArn("DataEngineer"),
        PrincipalType: "GROUP",
        PrincipalId: await ic().groupId("data-eng"),
      }),
    );
    peers.writeConfig("ic.yaml", configText(day(-1)));
    const plan = await planJson(["--no-prune"]);
    const reason = `expired on ${day(-1)} (mappings[2].expires, ${path.basename(config)}:${expiresLine()}:14)`;
    expect(plan.changes.map((c) => [c.action, c.address, c.reason])).toEqual([
      // The tool's record of when access ends (bound to no group) goes with its last grant, pruning off or not.
      ["delete", "authentik.entitlement[aws-identity-center/aws-gitops access lifetimes]", `${reason}: the recorded end goes with the grant`],
      ["delete", "authentik.policy_binding[aws-identity-center→group:data-eng]", reason],
      ["delete", `aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]`, reason],
      ["delete", `aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]#2`, reason],
    ]);
    expect(plan.changes.every((c) => c.expired?.endsAt === new Date(`${day(0)}T00:00:00Z`).toISOString())).toBe(true);
    expect(plan.access.filter((a) => a.kind === undefined)).toEqual([expect.objectContaining({ group: "data-eng", grant: "DataEngineer", change: "lost", reason: "expired" })]);
    // The SCIM provider keeps data-eng among its groups (no provider save, no filter change).
    expect(plan.changes.some((c) => c.type === "authentik.scim_provider")).toBe(false);
  });

  it("apply removes them, and the next plan is clean", async () => {
    const r = await cli(["apply", "-c", config, "--auto-approve", "--no-prune"]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Apply complete: 0 created, 0 updated, 4 deleted.");
    expect(await assignments(DEV, "DataEngineer")).toEqual([]);
    const again = await cli(["plan", "-c", config, "--no-prune", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);
  });
});
