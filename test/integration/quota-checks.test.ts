import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import { example, startPeers, type Peers } from "../support/peers.js";

/**
 * `plan` checks AWS's adjustable quotas against what the accounts hold now plus what the
 * plan creates (src/plan/quota-checks.ts), reading the values in force from AWS: IAM's
 * GetAccountSummary (moto answers it, with AWS's defaults), Service Quotas for IAM Identity
 * Center (which moto does not know for sso: the plan then says it used AWS's default).
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

describe("identity-center: Service Quotas, else AWS's default — said", () => {
  it("moto's Service Quotas does not know sso: the plan checks against the defaults and says so", async () => {
    const file = peers.writeConfig("ic.yaml", identityCenterExample(org));
    const r = await peers.cli(["plan", "-c", file, "--format", "json"], IDENTITY_CENTER_ENV);
    expect(r.code, r.stderr).toBe(0);
    const warnings = (JSON.parse(r.stdout) as { warnings: string[] }).warnings.join("\n");
    expect(warnings).toMatch(/quota "Permission sets per instance" of the IAM Identity Center instance: Service Quotas did not give sso L-B44C7A29 \(.+\); checked against AWS's default of 2000/);
    expect(warnings).toMatch(/quota "Provisioned permission sets per account" of each account: Service Quotas did not give sso L-89954265 \(.+\); checked against AWS's default of 250/);
  });
});
