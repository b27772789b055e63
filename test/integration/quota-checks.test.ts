import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import { example, startFaultProxy, startPeers, type Peers } from "../support/peers.js";

/**
 * `plan` checks AWS's adjustable quotas against what the accounts hold now plus what the
 * plan creates (src/plan/quota-checks.ts), reading the values in force from AWS: IAM's
 * GetAccountSummary (moto answers it, with AWS's defaults), Service Quotas for IAM Identity
 * Center (moto does not know sso; the AWS shim answers as Service Quotas does: no applied
 * value until one is set, and the default). When Service Quotas refuses, the plan says it
 * used AWS's published default.
 * The tool (bin/) runs as its own process against the peers.
 */
const PROD = "111111111111";

let peers: Peers;
let org: OrgFixture;

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"], { shim: true });
  org = await createOrganization(peers.shim!.url);
  for (const g of ["aws-admins", "engineers", "data-eng"]) await provisionGroup(peers.shim!.url, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
});

afterAll(() => peers.stopAfterChecks());

const ELEVEN = [
  "AdministratorAccess",
  "PowerUserAccess",
  "ReadOnlyAccess",
  "IAMReadOnlyAccess",
  "AmazonS3ReadOnlyAccess",
  "AmazonEC2ReadOnlyAccess",
  "AmazonDynamoDBReadOnlyAccess",
  "AmazonRDSReadOnlyAccess",
  "CloudWatchReadOnlyAccess",
  "AmazonSQSReadOnlyAccess",
  "AmazonSNSReadOnlyAccess",
].map((n) => `arn:aws:iam::aws:policy/${n}`);

describe("classic-iam: IAM's quotas, read from GetAccountSummary", () => {
  it("a role attaching more managed policies than the account's quota: a located warning at validate, an error in plan naming the quota, its value and where it was read", async () => {
    const text = example("classic-iam.yaml").replace("managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]", `managedPolicies: [${ELEVEN.join(", ")}]`);
    expect(text).toContain("AmazonSNSReadOnlyAccess");
    const file = peers.writeConfig("eleven.yaml", text);
    // Offline: only the default is known, and it is adjustable (up to 20) — a warning.
    const v = await peers.cli(["validate", "-c", file]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout + v.stderr).toMatch(/eleven\.yaml:\d+:\d+: warning: .*11 managed policies.*Managed policies per role/);
    // The plan reads the quota in force in each account the role is in.
    const r = await peers.cli(["plan", "-c", file]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `role admin in account prod (${PROD}) attaches 11 managed policies, over the quota "Managed policies per role" of 10 (IAM's GetAccountSummary in account prod (${PROD})); ask AWS to raise it (Service Quotas) before applying, or plan fewer`,
    );
    expect(r.stderr).toMatch(/role admin in account dev \(222222222222\) attaches 11 managed policies/);
  });

  it("a plan creating roles reads the roles the account holds and its quota, and passes when they fit", async () => {
    const file = peers.writeConfig("fits.yaml", example("classic-iam.yaml"));
    const r = await peers.cli(["plan", "-c", file, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { warnings: string[] };
    // moto gives both quotas: no default stands in, so nothing to say.
    expect(plan.warnings.join("\n")).not.toContain("quota");
  });
});

describe("identity-center: Service Quotas (the shim answers for sso, which moto does not know), else AWS's default — said", () => {
  const plan = async (env: NodeJS.ProcessEnv = {}) => {
    const file = peers.writeConfig("ic.yaml", identityCenterExample(org));
    return peers.cli(["plan", "-c", file, "--format", "json"], { ...IDENTITY_CENTER_ENV, ...env });
  };
  const warningsOf = (stdout: string) => (JSON.parse(stdout) as { warnings: string[] }).warnings.join("\n");

  it("quotas never raised: Service Quotas' default is the value in force, and nothing needs saying", async () => {
    const r = await plan();
    expect(r.code, r.stderr).toBe(0);
    expect(warningsOf(r.stdout)).not.toMatch(/quota/i);
  });

  it("a plan that would pass a raised (here: lowered) quota fails before anything is written, naming the quota, its value and where it was read", async () => {
    // The example creates 3 permission sets and assigns them in 2 accounts of the OU and prod.
    await peers.shim!.control.setServiceQuota("sso", "L-B44C7A29", 2);
    await peers.shim!.control.setServiceQuota("sso", "L-89954265", 1);
    try {
      const r = await plan();
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/the IAM Identity Center instance holds 0 permission sets and this plan creates \d+: \d+ in all, over the quota "Permission sets per instance" of 2 \(Service Quotas sso L-B44C7A29\)/);
      expect(r.stderr).toMatch(/account \S+ \(\d{12}\) has 0 permission sets provisioned and this plan adds \d+: \d+ in all, over the quota "Provisioned permission sets per account" of 1 \(Service Quotas sso L-89954265\)/);
      // Nothing was written: the permission sets are still to be created.
      const again = await plan();
      expect(again.stdout + again.stderr).toMatch(/over the quota "Permission sets per instance"/);
    } finally {
      await peers.shim!.control.setServiceQuota("sso", "L-B44C7A29", undefined);
      await peers.shim!.control.setServiceQuota("sso", "L-89954265", undefined);
    }
  });

  it("Service Quotas refusing the tool: the plan checks against AWS's published defaults and says why", async () => {
    const proxy = await startFaultProxy(peers.shim!.url);
    try {
      await proxy.control.addRule({ action: "answer", operation: "GetServiceQuota", status: 400, errorType: "AccessDeniedException", times: 1_000 });
      const r = await plan({ AWS_ENDPOINT_URL: proxy.url });
      expect(r.code, r.stderr).toBe(0);
      const warnings = warningsOf(r.stdout);
      expect(warnings).toMatch(/quota "Permission sets per instance" of the IAM Identity Center instance: Service Quotas did not give sso L-B44C7A29 \(AccessDeniedException.*\); checked against AWS's default of 2000 — if it was raised for you, that is what counts/);
      expect(warnings).toMatch(/quota "Provisioned permission sets per account" of each account: Service Quotas did not give sso L-89954265 \(AccessDeniedException.*\); checked against AWS's default of 250/);
    } finally {
      await proxy.stop();
    }
  });
});
