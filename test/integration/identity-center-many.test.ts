import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { startPeers, type AwsShimPeer, type Peers } from "../support/peers.js";
import { createOrganization, identityCenterConfig, provisionGroup } from "../support/identity-center.js";
import { IDENTITY_CENTER_TPS } from "../../src/providers/aws/sso-clients.js";

/**
 * Identity Center at a size where reads and writes need far more calls than the
 * client-side rate limiter's burst, run as users run it: the shipped CLI in a
 * process of its own, moto_server, the shim and the authentik emulator in theirs.
 * (The limiter's unref()'d timer once made exactly this exit 13 with no output.)
 */
const SETS = 12;
// + a binding of each group to the application, + authentik's application and SAML provider
const GROUPS = Array.from({ length: 32 }, (_, i) => `team-${String(i).padStart(2, "0")}`);

let peers: Peers;
let shim: AwsShimPeer;
let config: string;

function configText(): string {
  const sets = Array.from({ length: SETS }, (_, i) => `  Set${String(i).padStart(2, "0")}:\n    description: Set ${i}\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n`).join("");
  const mappings = GROUPS.map((g, i) => `  - group: ${g}\n    permissionSets: [Set${String(i % SETS).padStart(2, "0")}]\n    accounts: [prod, dev]\n`).join("");
  return identityCenterConfig({ accounts: { prod: "111111111111", dev: "222222222222" }, permissionSets: sets, mappings });
}

beforeAll(async () => {
  peers = await startPeers(GROUPS, { shim: true, shimArgs: ["--latency-ms", "5"] });
  shim = peers.shim!;
  const org = await createOrganization(shim.url);
  for (const g of GROUPS) await provisionGroup(shim.url, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  config = peers.writeConfig("many.yaml", configText());
  await shim.control.resetStats();
}, 180_000);

afterAll(() => peers.stopAfterChecks());

const identityCenterCalls = async () => Object.values((await shim.control.stats()).byOperation).reduce((a, b) => a + b, 0);

describe(`identity-center with ${SETS} permission sets and ${GROUPS.length} groups, the CLI as its own process`, () => {
  it("plans in every output form", async () => {
    const text = await peers.cli(["plan", "-c", config, "--detailed-exitcode"], { AUTHENTIK_AWS_GITOPS_POLL_MS: "20" });
    expect(text.stderr).toBe("");
    expect(text.code).toBe(2);
    expect(text.stdout).toContain(`${SETS + GROUPS.length * 3 + 2} to create`);

    const json = await peers.cli(["plan", "-c", config, "--format", "json"]);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as Plan;
    expect(plan.changes.filter((c) => c.type === "aws.sso.account_assignment")).toHaveLength(GROUPS.length * 2);
    expect(plan.changes.filter((c) => c.type === "aws.sso.permission_set")).toHaveLength(SETS);
  });

  it("applies every change, then re-plans clean", async () => {
    await shim.control.resetStats();
    const r = await peers.cli(["apply", "-c", config, "--auto-approve"], { AUTHENTIK_AWS_GITOPS_POLL_MS: "20" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Apply complete: ${SETS + GROUPS.length * 3 + 2} created, 0 updated, 0 deleted.`);
    const stats = await shim.control.stats();
    expect(stats.byOperation.CreateAccountAssignment).toBe(GROUPS.length * 2);
    expect(stats.maxInFlight.CreateAccountAssignment ?? 0).toBeLessThanOrEqual(10);
    // Many times the limiter's burst: most calls waited for a token.
    expect(await identityCenterCalls()).toBeGreaterThan(IDENTITY_CENTER_TPS * 5);

    await shim.control.resetStats();
    const again = await peers.cli(["plan", "-c", config, "--detailed-exitcode"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes");
    expect(await identityCenterCalls()).toBeGreaterThan(IDENTITY_CENTER_TPS * 2);

    const json = await peers.cli(["plan", "-c", config, "--format", "json", "--detailed-exitcode"]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as Plan).changes).toEqual([]);
  });
});
