// mode: expire in identity-center mode with SCIM: dist/index.js under Node 24 against
// moto_server behind the Identity Center shim, the authentik emulator and the GitHub
// emulator. The expired assignment and the group's application binding are removed on
// schedule; SCIM's group filter (by default the mapped groups) does not change, so it
// never turns the scheduled removal into "drift"; the tool's record of when access ends
// (an entitlement bound to no group) goes with the last grant it records.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionBench, type ActionResult } from "../support/action.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, identityCenterOf, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import type { Peers } from "../support/peers.js";

const DEV = "222222222222";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], peers: { shim: true }, inputs: { mode: "expire" }, env: IDENTITY_CENTER_ENV });
let peers: Peers;
let org: OrgFixture;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function configText(expires: string): string {
  const text = identityCenterExample(org)
    .replace("    permissionSets: [DataEngineer]\n    accounts: [dev]\n", `    permissionSets: [DataEngineer]\n    accounts: [dev]\n    expires: ${expires}\n`);
  expect(text).toContain(`expires: ${expires}`);
  return text;
}

async function expireRun(): Promise<ActionResult> {
  return bench.act(await bench.schedule("23 * * * *"));
}

async function dataEngineerAssignments(): Promise<number> {
  return (await identityCenterOf(peers.awsEndpoint, org).assignments(DEV, "DataEngineer")).length;
}

beforeAll(async () => {
  ({ peers } = await bench.start());
  org = await createOrganization(peers.awsEndpoint);
  for (const g of ["aws-admins", "engineers", "data-eng"]) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  peers.writeConfig("aws-access.yaml", configText(day(1)));
  const r = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"], IDENTITY_CENTER_ENV);
  expect(r.code).toBe(0);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("the Action's mode: expire in identity-center mode with SCIM", () => {
  it("does nothing before the date, removes the expired assignment after it, and is clean again", async () => {
    const before = await expireRun();
    expect(before.code).toBe(0);
    expect(before.outputs["has-changes"]).toBe("false");
    expect(await dataEngineerAssignments()).toBe(1);

    peers.writeConfig("aws-access.yaml", configText(day(-1)));
    const r = await expireRun();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ delete aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]`);
    expect(r.stdout).toContain("✓ delete authentik.policy_binding[aws-identity-center→group:data-eng]");
    // The record of when it ended goes with it (its last entry), unreviewed like the grant.
    expect(r.stdout).toContain("✓ delete authentik.entitlement[aws-identity-center/aws-gitops access lifetimes]");
    expect(r.stdout).not.toMatch(/✓ \w+ authentik\.scim_provider/);
    expect(r.summary).toContain("Expired access removed");
    expect(r.summary).toContain(`group 'data-eng': permission set 'DataEngineer' in dev \\(${DEV}\\), expired on ${day(-1)}`); // markdown-escaped
    expect(await dataEngineerAssignments()).toBe(0);

    const after = await expireRun();
    expect(after.code).toBe(0);
    expect(after.outputs["has-changes"]).toBe("false");
  });
});
