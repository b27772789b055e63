/**
 * Attributes for access control (ABAC) end to end: aws.identityCenter.accessControlAttributes
 * — one key from the Identity Store, one sent by authentik in the assertion — validated,
 * planned, shown, applied, drift-checked and imported. The shipped CLI (bin/) against
 * moto_server behind the Identity Center shim (which supplies the ABAC operations moto
 * lacks, checked against botocore's model) and the authentik emulator, each in a process
 * of its own.
 */
import { DescribeInstanceAccessControlAttributeConfigurationCommand, UpdateInstanceAccessControlAttributeConfigurationCommand } from "@aws-sdk/client-sso-admin";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, identityCenterOf, provisionGroup, provisionWhenSynced, type OrgFixture } from "../support/identity-center.js";
import { startPeers, type AwsShimPeer, type Peers } from "../support/peers.js";
import { actions } from "../support/plan.js";

let peers: Peers;
let shim: AwsShimPeer;
let org: OrgFixture;
let config: string;

const ABAC = `    accessControlAttributes:
      Department: "\${path:enterprise.department}"
      CostCenter: { fromAuthentik: finance.cost_center }
`;

/** The example with ABAC declared. */
function withAbac(text: string, abac = ABAC): string {
  return text.replace("    spMetadata: identity-center-sp-metadata.xml\n", `    spMetadata: identity-center-sp-metadata.xml\n${abac}`);
}

const cli = (argv: string[]) => peers.cli(argv, IDENTITY_CENTER_ENV);
const planJson = (): Promise<Plan> => peers.planJson(config, { env: IDENTITY_CENTER_ENV });
const sso = () => identityCenterOf(shim.url, org).sso;
const describeAbac = () => sso().send(new DescribeInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: org.instanceArn }));

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"], { shim: true, shimArgs: ["--async-ms", "300"] });
  shim = peers.shim!;
  org = await createOrganization(shim.url);
  for (const g of ["aws-admins", "engineers", "data-eng"]) await provisionGroup(shim.url, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  config = peers.writeConfig("ic.yaml", withAbac(identityCenterExample(org)));
});

afterAll(() => peers.stopAfterChecks());

describe("attributes for access control (ABAC)", () => {
  it("validate refuses what IAM Identity Center refuses, at the key or value", async () => {
    const bad = peers.writeConfig(
      "bad.yaml",
      withAbac(identityCenterExample(org), `    accessControlAttributes:\n      "cost#center": "\${path:enterprise.costCenter}"\n      Team: "enterprise.department"\n      Owner: { fromAuthentik: "a b" }\n`),
    );
    const r = await cli(["validate", "-c", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error: .*must be 1-128 letters, digits, spaces and _ \. : \/ = \+ - @/);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error: .*must be an Identity Store attribute path like "\$\{path:enterprise\.department\}"/);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error: .*Owner.* must be|bad\.yaml:\d+:\d+: error: .*fromAuthentik.*must be the name of a user attribute/);
  });

  it("plans the instance's ABAC configuration and the mapping authentik sends, attached to the SAML provider", async () => {
    const plan = await planJson();
    expect(actions(plan)).toContain("create aws.sso.access_control_attributes[instance]");
    expect(actions(plan)).toContain("create authentik.property_mapping[aws-gitops aws-identity-center: AWS AccessControl CostCenter]");
    const abac = plan.changes.find((c) => c.type === "aws.sso.access_control_attributes")!;
    expect(abac.after).toEqual({ attributes: { Department: "${path:enterprise.department}" } });
    expect(abac.reason).toBe("is not enabled in IAM Identity Center");
    const provider = plan.changes.find((c) => c.type === "authentik.saml_provider")!;
    expect(provider.after!.property_mappings).toEqual([{ $ref: "authentik.property_mapping[aws-gitops aws-identity-center: AWS AccessControl CostCenter]" }]);
    const text = await cli(["plan", "-c", config]);
    expect(text.stdout).toContain("+ aws.sso.access_control_attributes[instance]");
    // A reviewer is told the session tags change, and that SCIM as set up here does not fill enterprise.department.
    expect(plan.risks).toContainEqual(
      expect.objectContaining({ rule: "session-tags-changed", severity: "medium", message: expect.stringContaining("Department added (${path:enterprise.department})") }),
    );
    expect(plan.risks).toContainEqual(expect.objectContaining({ rule: "session-tags-changed", message: expect.stringContaining("CostCenter now sent by authentik") }));
    expect(plan.warnings).toContainEqual(expect.stringContaining("attribute for access control 'Department' reads ${path:enterprise.department} from the Identity Store"));
  });

  it("applies (waiting until AWS has enabled it), authentik sends the attribute, and the next plan is clean", async () => {
    const scimSync = provisionWhenSynced(peers.authentik, shim.url, org.identityStoreId, "/send/", []);
    const r = await cli(["apply", "-c", config, "--auto-approve"]);
    await scimSync;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const live = await describeAbac();
    expect(live.Status).toBe("ENABLED");
    expect(live.InstanceAccessControlAttributeConfiguration?.AccessControlAttributes).toEqual([{ Key: "Department", Value: { Source: ["${path:enterprise.department}"] } }]);

    // authentik sends CostCenter from the user's nested attribute, in the assertion.
    const user = await peers.ak("POST", "/core/users/", { username: "fin.ance", name: "Fin", attributes: { finance: { cost_center: 4711 } } });
    const mapping = ((await peers.ak("GET", "/propertymappings/provider/saml/?page_size=100")).results as { pk: string; name: string; saml_name: string }[]).find((m) =>
      m.name.endsWith("AWS AccessControl CostCenter"),
    )!;
    expect(mapping.saml_name).toBe("https://aws.amazon.com/SAML/Attributes/AccessControl:CostCenter");
    const sent = await peers.authentik.control.evaluateInAssertion({ mapping: mapping.pk, user: user.pk });
    expect(sent).toEqual({ successful: true, result: JSON.stringify("4711") });
    const none = await peers.ak("POST", "/core/users/", { username: "no.attrs", name: "No" });
    expect((await peers.authentik.control.evaluateInAssertion({ mapping: mapping.pk, user: none.pk })).result).toBe("null");

    const again = await cli(["plan", "-c", config, "--detailed-exitcode"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
  });

  it("sees drift: an attribute changed in the console is planned back", async () => {
    await sso().send(
      new UpdateInstanceAccessControlAttributeConfigurationCommand({
        InstanceArn: org.instanceArn,
        InstanceAccessControlAttributeConfiguration: { AccessControlAttributes: [{ Key: "Department", Value: { Source: ["${path:title}"] } }] },
      }),
    );
    const plan = await planJson();
    expect(actions(plan)).toEqual(["update aws.sso.access_control_attributes[instance]"]);
    expect(plan.changes[0]!.fields).toEqual([{ field: "attributes.Department", before: "${path:title}", after: "${path:enterprise.department}" }]);
    expect(plan.risks).toContainEqual(expect.objectContaining({ rule: "session-tags-changed", message: expect.stringContaining("Department read from ${path:enterprise.department} instead of ${path:title}") }));
    expect((await cli(["apply", "-c", config, "--auto-approve"])).code).toBe(0);
    expect((await describeAbac()).InstanceAccessControlAttributeConfiguration?.AccessControlAttributes?.[0]?.Value?.Source).toEqual(["${path:enterprise.department}"]);
  });

  it("a configuration that does not declare it never changes it", async () => {
    const other = peers.writeConfig("no-abac.yaml", identityCenterExample(org));
    const r = await peers.cli(["plan", "-c", other, "--format", "json"], IDENTITY_CENTER_ENV);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(plan.changes.filter((c) => c.type === "aws.sso.access_control_attributes")).toEqual([]);
  });

  it("import writes the Identity Store attributes and those authentik sends", async () => {
    const out = path.join(peers.dir, "imported.yaml");
    const r = await peers.cli(
      ["import", "--mode", "identity-center", "--application", "aws-identity-center", "--region", "us-east-1", "--access-portal-url", "https://d-1234567890.awsapps.com/start", "-o", out],
      IDENTITY_CENTER_ENV,
    );
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain("    accessControlAttributes:\n      CostCenter:\n        fromAuthentik: finance.cost_center\n      Department: ${path:enterprise.department}\n");
    // It validates (import checks before writing), and plans no change to them.
    const plan = JSON.parse((await peers.cli(["plan", "-c", out, "--format", "json"], IDENTITY_CENTER_ENV)).stdout) as Plan;
    expect(plan.changes.filter((c) => c.type === "aws.sso.access_control_attributes" || c.address.includes("AccessControl"))).toEqual([]);
  });
});
