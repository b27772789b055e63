import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, startPeers, type FaultProxyPeer, type Peers } from "../support/peers.js";
import { createOrganization, provisionGroup } from "../support/identity-center.js";

/**
 * Request counts pinned at a small scale, so that a regression of what reads and
 * writes cost fails CI (speed itself is measured by `npm run bench`, not here).
 */
let peers: Peers;
let awsLog: FaultProxyPeer;

beforeAll(async () => {
  const groups = Array.from({ length: 10 }, (_, i) => `team-${i}`);
  peers = await startPeers(groups, { shim: true });
  // A proxy without rules: it forwards everything and logs what it saw.
  awsLog = await startFaultProxy(peers.awsEndpoint);
});
afterAll(async () => {
  await awsLog.stop();
  await peers.stop();
});

const ids = ["111111111111", "222222222222", "333333333333"];

describe("classic-iam reads", () => {
  it("a no-op plan of 3 small accounts makes exactly 12 AWS requests (assume the role, ListRoles, GetAccountAuthorizationDetails, GetSAMLProvider each)", async () => {
    const file = peers.writeConfig(
      "three.yaml",
      `version: 1
mode: classic-iam
authentik:
  url: https://authentik.company
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:
${ids.map((id, i) => `    a${i}: { id: "${id}", assumeRole: "arn:aws:iam::${id}:role/gitops" }`).join("\n")}
roles:
  admin: { accounts: "*" }
  readonly: { accounts: "*" }
mappings:
  - { group: team-0, roles: [admin] }
  - { group: team-1, roles: [readonly] }
`,
    );
    const env = { AWS_ENDPOINT_URL: awsLog.url };
    expect((await peers.cli(["apply", "-c", file, "--auto-approve"], env)).code).toBe(0);
    await awsLog.control.clearLog();
    const r = await peers.cli(["plan", "-c", file, "--detailed-exitcode"], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const actions = (await awsLog.control.log()).map((e) => e.action ?? e.operation ?? e.path);
    expect(actions.sort()).toEqual(
      ids.flatMap(() => ["AssumeRole", "GetAccountAuthorizationDetails", "GetSAMLProvider", "ListRoles"]).sort(),
    );
  });
});

describe("identity-center writes", () => {
  it("an apply of 50 assignments makes 50 creations, waits through the status list, and describes none", async () => {
    const org = await createOrganization(peers.awsEndpoint);
    const groups = Array.from({ length: 10 }, (_, i) => `team-${i}`);
    for (const g of groups) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
    peers.copyExample("identity-center-sp-metadata.xml");
    const accounts = ["111111111111", "222222222222", "333333333333", "444444444444", "555555555555"];
    const file = peers.writeConfig(
      "fifty.yaml",
      `version: 1
mode: identity-center
authentik:
  url: https://authentik.company
  application: { slug: aws-ic, name: AWS }
  provider: { name: aws-ic }
aws:
  accounts:
${accounts.map((id, i) => `    a${i}: { id: "${id}" }`).join("\n")}
  identityCenter:
    region: us-east-1
    accessPortalUrl: https://d-1234567890.awsapps.com/start
    spMetadata: identity-center-sp-metadata.xml
permissionSets:
  ReadOnly: { managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }
mappings:
${groups.map((g) => `  - { group: ${g}, permissionSets: [ReadOnly], accounts: "*" }`).join("\n")}
`,
    );
    await peers.shim!.control.resetStats();
    const r = await peers.cli(["apply", "-c", file, "--auto-approve"], { AUTHENTIK_AWS_GITOPS_POLL_MS: "50" });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const stats = await peers.shim!.control.stats();
    expect(stats.byOperation.CreateAccountAssignment).toBe(50);
    expect(stats.byOperation.DescribeAccountAssignmentCreationStatus ?? 0).toBe(0);
    // One status page per polling round for all outstanding creations (each under 100).
    expect(stats.byOperation.ListAccountAssignmentCreationStatus ?? 0).toBeGreaterThan(0);
    expect(stats.byOperation.ListAccountAssignmentCreationStatus ?? 0).toBeLessThanOrEqual(50);
    expect(stats.throttled).toBe(0);
    expect(stats.maxOutstanding?.creation ?? stats.maxInFlight.CreateAccountAssignment ?? 0).toBeLessThanOrEqual(10);
  });
});
