import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterConfig, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import { example, startFaultProxy, startPeers, type FaultProxyPeer, type Peers } from "../support/peers.js";

/**
 * AWS failing on its side, every time: the run ends on the retry budget (one policy for
 * the whole run, AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS, shortened here) with a message
 * naming the call and what was already written — not after minutes of retries nested in
 * retries. The tool (bin/) runs as its own process; a fault proxy answers the failing
 * call with HTTP 500 (or 429) and forwards everything else to the shim and moto.
 */
const PROD = "111111111111";
const DEV = "222222222222";
const BUDGET_SECONDS = 3;

let peers: Peers;
let org: OrgFixture;
let proxy: FaultProxyPeer;

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"], { shim: true });
  org = await createOrganization(peers.shim!.url);
  await provisionGroup(peers.shim!.url, org.identityStoreId, "aws-admins");
  await provisionGroup(peers.shim!.url, org.identityStoreId, "engineers");
  peers.copyExample("identity-center-sp-metadata.xml");
  proxy = await startFaultProxy(peers.shim!.url);
});

afterAll(async () => {
  await proxy?.stop();
  await peers?.stopAfterChecks();
});

const config = () =>
  peers.writeConfig(
    "failing.yaml",
    identityCenterConfig({
      accounts: { prod: PROD, dev: DEV },
      permissionSets: "  ReadOnly:\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n",
      mappings: "  - { group: engineers, permissionSets: [ReadOnly], accounts: [prod, dev] }\n  - { group: aws-admins, permissionSets: [ReadOnly], accounts: [prod, dev] }\n",
    }),
  );

const failing = (operation: string) => async () => (await proxy.control.log()).filter((e) => (e.operation ?? e.action) === operation && e.outcome === "answer").length;

describe("AWS failing persistently", () => {
  it("an Identity Center status listing answering 500 every time ends the apply on the retry budget or the call's attempts, whichever comes first, naming the call and what was written", async () => {
    await proxy.control.clearRules();
    await proxy.control.clearLog();
    await proxy.control.addRule({ action: "answer", operation: "ListAccountAssignmentCreationStatus", status: 500, times: 1_000_000 });
    const r = await peers.cli(["apply", "-c", config(), "--auto-approve"], {
      ...IDENTITY_CENTER_ENV,
      AWS_ENDPOINT_URL: proxy.url,
      AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS: String(BUDGET_SECONDS),
    });
    expect(r.code, r.stdout).toBe(1);
    // The call, where, that it kept failing, and that the budget ended it.
    expect(r.stderr).toContain("ListAccountAssignmentCreationStatus");
    expect(r.stderr).toMatch(/IAM Identity Center \(us-east-1\)/);
    expect(r.stderr).toMatch(/kept failing .* for \d+ s/);
    // What was already written before AWS failed: the permission set (the assignments wait on it).
    expect(r.stderr).toMatch(/already written:[\s\S]*create aws\.sso\.permission_set\[ReadOnly\]/);
    // One policy: the failing call was sent a bounded number of times, not retries inside retries.
    expect(await failing("ListAccountAssignmentCreationStatus")()).toBeLessThanOrEqual(12);
  }, 120_000);

  it("classic: IAM throttling CreateRole every time ends the apply on the budget, naming the call and the account", async () => {
    await proxy.control.clearRules();
    await proxy.control.clearLog();
    await proxy.control.addRule({ action: "answer", method: "POST", body: "Action=CreateRole", status: 400, errorType: "Throttling", times: 1_000_000 });
    const file = peers.writeConfig("classic-failing.yaml", example("classic-iam.yaml"));
    const r = await peers.cli(["apply", "-c", file, "--auto-approve"], { AWS_ENDPOINT_URL: proxy.url, AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS: String(BUDGET_SECONDS) });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/AWS kept failing CreateRole in IAM in account \w+ \(\d{12}\) for \d+ s/);
    expect(r.stderr).toContain("Throttling");
    // authentik's side and the SAML providers were written before the roles.
    expect(r.stderr).toMatch(/already written:[\s\S]*create aws\.iam\.saml_provider\[/);
    // At most the writes in flight (concurrency 4) each make their attempts (8) before the
    // budget ends them; after a failure no new change starts, and a given-up call is not sent.
    expect(await failing("CreateRole")()).toBeLessThanOrEqual(4 * 8);
  }, 120_000);
});
