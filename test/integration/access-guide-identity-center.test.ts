// The access report against authentik's AWS guide for IAM Identity Center built by hand
// (guide-setup.ts), after a SCIM sync's stand-in put users and memberships into the Identity
// Store: the people × permission sets × accounts the report lists equal what AWS grants by the
// who-holds-what oracle's count (Identity Store memberships, no nested groups) — so a member of
// an authentik child group, whom SCIM sends only with their own group, holds nothing of the parent's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessReport } from "../../src/report/types.js";
import { buildIdentityCenterGuideSetup, heldPermissionSets, provisionScim, seedGuidePopulation } from "../support/guide-setup.js";
import { startPeers, type Peers } from "../support/peers.js";
import { createOrganization, identityCenterConfig, type OrgFixture } from "../support/identity-center.js";

const READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
let peers: Peers;
let org: OrgFixture;

beforeAll(async () => {
  peers = await startPeers(["engineers", "admins", "data-eng"], { shim: true });
  await seedGuidePopulation(peers);
  org = await createOrganization(peers.awsEndpoint);
  peers.copyExample("identity-center-sp-metadata.xml");
});

afterAll(() => peers.stopAfterChecks());

describe("access report on the guide's identity-center setup, checked against the oracle", () => {
  it("lists what AWS grants each Identity Store user, all by hand", async () => {
    const s = await buildIdentityCenterGuideSetup(peers, {
      org,
      groups: ["engineers", "admins", "data-eng"],
      permissionSets: [{ name: "ReadOnly", managedPolicies: [READONLY] }, { name: "Admin", managedPolicies: [READONLY] }],
      assignments: [
        { group: "engineers", permissionSet: "ReadOnly", ou: org.sandboxesOu },
        { group: "admins", permissionSet: "Admin", accounts: [org.sandboxAccount] },
        { group: "data-eng", permissionSet: "ReadOnly", accounts: [org.teamAccount] },
      ],
      scim: { token: "scim-token-by-hand-0123456789", tenant: "f00dcafe-1234" },
    });
    await provisionScim(peers, s);
    const config = peers.writeConfig(
      "ic.yaml",
      identityCenterConfig({
        accounts: { sandbox: org.sandboxAccount, team: org.teamAccount },
        permissionSets: `  ReadOnly: { description: Read only, managedPolicies: [${READONLY}] }\n`,
        mappings: `  - { group: engineers, permissionSets: [ReadOnly], accounts: [sandbox] }\n`,
      }),
    );
    const r = await peers.cli(["access", "-c", config, "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as AccessReport;
    // Made by hand: the permission sets carry no ownership tags.
    expect(report.rows.every((x) => !x.managed && x.reason!.includes("lacks the tag managed-by=authentik-aws-gitops"))).toBe(true);
    const listed: Record<string, string[]> = {};
    for (const row of report.rows) (listed[row.person] ??= []).push(`${row.grant}@${row.accountId}`);
    for (const k of Object.keys(listed)) listed[k] = [...new Set(listed[k])].sort();

    const held = await heldPermissionSets(peers, { instanceArn: s.instanceArn, identityStoreId: s.identityStoreId });
    const oracle = Object.fromEntries([...held.byIdentityStoreUser].filter(([, v]) => v.length > 0));
    expect(listed).toEqual(oracle);
    expect(Object.keys(listed).sort()).toEqual(["alice", "bob", "dave"]); // carol: only in data-eng-ml in the Identity Store
    expect(report.rows.find((x) => x.person === "alice")).toMatchObject({ via: "engineers", account: "sandbox", email: "alice@example.com" });
  });
});
