import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { example, startFaultProxy, startPeers, type FaultProxyPeer, type Peers } from "../support/peers.js";

/**
 * Faults after commit: the peer did the write, the answer is lost (a 502 from a proxy,
 * a dropped connection). The tool must neither create a second object nor lose track
 * of one; the next plan converges. A fault-injecting proxy process sits in front of
 * authentik; the tool (bin/) runs as its own process.
 */
const GROUPS = ["aws-admins", "engineers", "data-eng"];

let peers: Peers;
let proxy: FaultProxyPeer;

/** A fresh authentik and fresh AWS for each scenario, authentik behind the proxy. */
beforeEach(async () => {
  peers = await startPeers(GROUPS);
  proxy = await startFaultProxy(peers.authentik.url);
});
afterEach(async () => {
  await proxy.stop();
  await peers.stop();
});

const throughProxy = () => ({ AUTHENTIK_URL: proxy.url });

async function bindingCopies(): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (let page = 1; ; page++) {
    const body = await peers.ak("GET", `/policies/bindings/?page=${page}&page_size=100`);
    for (const b of body.results as { target: string; group: string | null }[]) {
      const key = `${b.target}/${b.group}`;
      copies.set(key, (copies.get(key) ?? 0) + 1);
    }
    if (!body.pagination.next) break;
  }
  return copies;
}

const planJson = (file: string): Promise<Plan> => peers.planJson(file, { env: throughProxy() });

describe("answers lost after authentik committed the write", () => {
  it("a create answered 502 after commit is not created twice (pruning off)", async () => {
    const file = peers.writeConfig("faults.yaml", example("classic-iam.yaml").replace("prune: true", "prune: false"));
    // Every binding POST is committed, then its answer replaced by a proxy's 502.
    await proxy.control.addRule({ action: "after-commit", method: "POST", path: "^/api/v3/policies/bindings/", times: 100 });
    const r = await peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy());
    // However the apply ends, nothing is held twice and the next plan converges.
    const duplicates = [...(await bindingCopies())].filter(([, n]) => n > 1);
    expect(duplicates).toEqual([]);
    await proxy.control.clearRules();
    if (r.code !== 0) expect((await peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy())).code).toBe(0);
    const plan = await planJson(file);
    expect(plan.changes).toEqual([]);
    expect(plan.notPruned).toEqual([]);
  });

  it("a create whose connection drops after commit is not created twice", async () => {
    const file = peers.writeConfig("faults.yaml", example("classic-iam.yaml"));
    for (const p of ["^/api/v3/core/application_entitlements/", "^/api/v3/policies/bindings/", "^/api/v3/propertymappings/provider/saml/", "^/api/v3/providers/saml/", "^/api/v3/core/applications/"]) {
      await proxy.control.addRule({ action: "drop-after-commit", method: "POST", path: p, times: 1 });
    }
    const r = await peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy());
    expect(await proxy.control.pendingRules()).toEqual([]);
    expect([...(await bindingCopies())].filter(([, n]) => n > 1)).toEqual([]);
    if (r.code !== 0) expect((await peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy())).code).toBe(0);
    const plan = await planJson(file);
    expect(plan.changes).toEqual([]);
    const entitlements = (await peers.ak("GET", "/core/application_entitlements/?page_size=100")).results as { name: string }[];
    expect(entitlements.map((e) => e.name).sort()).toEqual(["admin@dev", "admin@prod", "data-engineer@dev", "readonly@dev", "readonly@prod"]);
  });
});

describe("an AWS endpoint that accepts connections and never answers", () => {
  it("fails the plan with a clear error naming the account and the call, instead of hanging", async () => {
    const aws = await startFaultProxy(peers.awsEndpoint);
    try {
      await aws.control.addRule({ action: "hang", method: "POST", body: "Action=ListRoles", times: 1000 });
      const file = peers.writeConfig("hang.yaml", example("classic-iam.yaml"));
      const r = await peers.cli(["plan", "-c", file], { AWS_ENDPOINT_URL: aws.url, AUTHENTIK_AWS_GITOPS_AWS_TIMEOUT_SECONDS: "1" });
      expect(r.code).toBe(1);
      // The retry policy (main, 0b67def) names the call, the place and the last failure — a timeout — once the SDK's attempts run out.
      expect(r.stderr).toMatch(
        /error: AWS kept failing ListRoles in IAM in account (prod|dev) \(\d{12}\) for \d+ s \(\d+ attempt\(s\), last: TimeoutError.*\), while reading IAM roles and the SAML provider in account (prod|dev) \(\d{12}\)/,
      );
      expect(r.stderr).not.toContain("internal error");
    } finally {
      await aws.stop();
    }
  });
});

describe("two applies of one configuration at once", () => {
  it("never both report success over duplicates, and the next plan and apply remove every copy", async () => {
    const file = peers.writeConfig("twice.yaml", example("classic-iam.yaml"));
    expect((await peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy())).code).toBe(0);
    // New grants only: bindings, which authentik does not make unique.
    peers.writeConfig("twice.yaml", example("classic-iam.yaml").replace("  - group: engineers\n    roles: [readonly]\n", "  - group: engineers\n    roles: [readonly, admin, data-engineer]\n"));
    // Both runs read before either writes: every binding create is held back a moment.
    await proxy.control.addRule({ action: "delay", method: "POST", path: "^/api/v3/policies/bindings/", delayMs: 5_000, times: 100 });
    const [a, b] = await Promise.all([
      peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy()),
      peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy()),
    ]);
    await proxy.control.clearRules();
    const copies = [...(await bindingCopies())].filter(([, n]) => n > 1);
    expect(copies.length).toBeGreaterThan(0); // the race happened
    // Each run reads everything back before reporting, so the one that finished after
    // the copies were made (at least the later one) does not claim success.
    const failed = [a, b].filter((r) => r.code === 1);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.stderr).toContain("apply finished, but reading authentik and AWS again still shows");
    expect(failed[0]!.stderr).toMatch(/delete authentik\.policy_binding\[aws\/(admin|data-engineer)@(dev|prod)→group:engineers\]#2/);
    const again = await peers.cli(["apply", "-c", file, "--auto-approve"], throughProxy());
    expect(again.code, again.stderr).toBe(0);
    expect([...(await bindingCopies())].filter(([, n]) => n > 1)).toEqual([]);
    expect((await planJson(file)).changes).toEqual([]);
  });
});

describe("AWS answers lost after the write was done", () => {
  it("classic: a role or SAML provider created, its answer lost and the create resent, is the one asked for", async () => {
    const aws = await startFaultProxy(peers.awsEndpoint);
    try {
      await aws.control.addRule({ action: "after-commit", method: "POST", body: "Action=CreateRole", status: 500, times: 2 });
      await aws.control.addRule({ action: "after-commit", method: "POST", body: "Action=CreateSAMLProvider", status: 500, times: 1 });
      const file = peers.writeConfig("aws-lost.yaml", example("classic-iam.yaml"));
      const env = { ...throughProxy(), AWS_ENDPOINT_URL: aws.url };
      const r = await peers.cli(["apply", "-c", file, "--auto-approve"], env);
      expect(await aws.control.pendingRules()).toEqual([]);
      expect(r.code, r.stderr).toBe(0);
      const plan = await peers.cli(["plan", "-c", file, "--detailed-exitcode"], env);
      expect(plan.code, plan.stdout).toBe(0);
    } finally {
      await aws.stop();
    }
  });
});
