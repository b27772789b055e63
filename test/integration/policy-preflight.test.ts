import { CreatePolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrganization, IDENTITY_CENTER_ENV, MANAGEMENT, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import { example, startPeers, type Peers } from "../support/peers.js";

/**
 * `plan` looks up, before anything is written, the managed policies the plan attaches
 * (classic-iam) or provisions by reference (identity-center), in each account where AWS
 * would need them — moto holds the accounts' policies; the tool (bin/) runs as its own
 * process. Without it the apply failed half-way: AttachRolePolicy after the role was
 * created, or Identity Center's provisioning after the permission set and assignments.
 */
const PROD = "111111111111";
const DEV = "222222222222";
const STAGING = "333333333333";

let peers: Peers;
let org: OrgFixture;

const EMPTY_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }] });

async function createPolicy(accountId: string, name: string, path = "/"): Promise<void> {
  await new IAMClient(peers.aws(accountId)).send(new CreatePolicyCommand({ PolicyName: name, Path: path, PolicyDocument: EMPTY_POLICY }));
}

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"], { shim: true });
  org = await createOrganization(peers.shim!.url);
  for (const g of ["aws-admins", "engineers", "data-eng"]) await provisionGroup(peers.shim!.url, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
});

afterAll(() => peers.stopAfterChecks());

function icConfig(accounts: string): string {
  return `version: 1
mode: identity-center
authentik:
  url: https://authentik.company
  application: { slug: aws-ic, name: AWS }
  provider: { name: aws-ic }
aws:
  accounts:
${accounts}
  identityCenter:
    region: us-east-1
    accessPortalUrl: https://d-1234567890.awsapps.com/start
    spMetadata: identity-center-sp-metadata.xml
permissionSets:
  DataEngineer:
    customerManagedPolicies:
      - { name: DataAccess, path: /team/ }
    permissionsBoundary:
      customerManagedPolicy: { name: DataBoundary }
mappings:
  - { group: data-eng, permissionSets: [DataEngineer], accounts: [prod, dev] }
`;
}

describe("identity-center: customer-managed policies in every account a permission set is provisioned to", () => {
  it("reports each policy missing per account, names the permission set, and passes once they exist", async () => {
    await createPolicy(PROD, "DataAccess", "/team/");
    await createPolicy(PROD, "DataBoundary");
    await createPolicy(DEV, "DataBoundary");
    const file = peers.writeConfig(
      "ic-preflight.yaml",
      icConfig(`    prod: { id: "${PROD}", assumeRole: "arn:aws:iam::${PROD}:role/gitops" }\n    dev: { id: "${DEV}", assumeRole: "arn:aws:iam::${DEV}:role/gitops" }`),
    );
    const r = await peers.cli(["plan", "-c", file], IDENTITY_CENTER_ENV);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`customer-managed policy /team/DataAccess does not exist in account dev (${DEV}), and permission set DataEngineer (customerManagedPolicies) needs it there`);
    expect(r.stderr).toContain("IAM Identity Center would fail to provision the permission set there");
    // Only where it is missing: prod has it, and the boundary exists in both.
    expect(r.stderr).not.toContain(`account prod (${PROD})`);
    expect(r.stderr).not.toContain("DataBoundary does not exist");

    await createPolicy(DEV, "DataAccess", "/team/");
    const plan = await peers.planJson(file, { env: IDENTITY_CENTER_ENV });
    expect(plan.warnings.join("\n")).not.toContain("not checked");
    expect(plan.changes.some((c) => c.address === "aws.sso.permission_set[DataEngineer]")).toBe(true);
  });

  it("an account the tool has no credentials in is said to be unchecked; the account the credentials are in is looked up with them", async () => {
    await createPolicy(MANAGEMENT, "DataBoundary");
    const file = peers.writeConfig(
      "ic-unchecked.yaml",
      icConfig(`    prod: { id: "${STAGING}" }\n    dev: { id: "${MANAGEMENT}" }`),
    );
    const r = await peers.cli(["plan", "-c", file], IDENTITY_CENTER_ENV);
    // Missing in the management account (looked up with the tool's own credentials) …
    expect(r.stderr).toContain(`customer-managed policy /team/DataAccess does not exist in account dev (${MANAGEMENT})`);
    expect(r.code).toBe(1);
    await createPolicy(MANAGEMENT, "DataAccess", "/team/");
    const plan = await peers.planJson(file, { env: IDENTITY_CENTER_ENV });
    // … and not looked up in an account without assumeRole that the credentials are not in.
    const warnings = plan.warnings.join("\n");
    expect(warnings).toContain("not checked whether these 2 policies exist where this plan needs them (the tool has no credentials in account prod: give aws.accounts.prod.assumeRole");
    expect(warnings).toContain(`customer-managed policy /team/DataAccess in prod (${STAGING})`);
    expect(warnings).not.toContain(MANAGEMENT);
  });
});

describe("classic-iam: the managed policies and boundaries a role attaches", () => {
  it("a missing policy is an error per account; a policy of another account is refused before any lookup, at validate, naming the role and both accounts", async () => {
    const text = example("classic-iam.yaml")
      .replace("managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]", `managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess, arn:aws:iam::aws:policy/AdministratorAcess]`);
    expect(text).toContain("AdministratorAcess");
    const file = peers.writeConfig("classic-preflight.yaml", text);
    const r = await peers.cli(["plan", "-c", file]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`AWS-managed policy arn:aws:iam::aws:policy/AdministratorAcess does not exist in account prod (${PROD})`);
    expect(r.stderr).toContain(`AWS-managed policy arn:aws:iam::aws:policy/AdministratorAcess does not exist in account dev (${DEV})`);
    expect(r.stderr).toContain("IAM would refuse to attach it");
    expect(r.stderr).not.toContain("AdministratorAccess does not exist");

    const pinned = example("classic-iam.yaml").replace(
      "managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]",
      `managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n    permissionsBoundary: arn:aws:iam::${PROD}:policy/Boundary`,
    );
    await createPolicy(PROD, "Boundary");
    const r2 = await peers.cli(["plan", "-c", peers.writeConfig("classic-pinned.yaml", pinned)]);
    expect(r2.code, r2.stdout + r2.stderr).toBe(1);
    // The file alone says it (config/rules/partitions.ts), located; the plan looks nothing up.
    expect(r2.stderr).toMatch(new RegExp(`classic-pinned\\.yaml:\\d+:\\d+: error: role '\\S+' exists in account 'dev' \\(${DEV}\\), but '\\S+\\.permissionsBoundary' is a policy of account ${PROD}`));
    expect(r2.stderr).not.toContain(`'prod' (${PROD}), but`);
    expect(r2.stderr).not.toContain("does not exist");
  });
});
