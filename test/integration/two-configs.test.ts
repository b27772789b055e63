import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { example, startPeers, type Peers } from "../support/peers.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterConfig, provisionGroup } from "../support/identity-center.js";

/**
 * Two configurations on one authentik and one AWS: each owns only what it made.
 * A role or permission set tagged managed-by was "ours" whichever configuration made
 * it, so a second configuration with pruning on planned to delete the first one's.
 */
const PROD = "111111111111";
let peers: Peers;

const cli = (argv: string[]) => peers.cli(argv, IDENTITY_CENTER_ENV);
const planJson = (file: string): Promise<Plan> => peers.planJson(file, { env: IDENTITY_CENTER_ENV });
const deletes = (plan: Plan) => plan.changes.filter((c) => c.action === "delete").map((c) => c.address);

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng", "auditors"], { shim: true });
  peers.copyExample("identity-center-sp-metadata.xml");
});
afterAll(() => peers.stop());

describe("two classic-iam configurations sharing accounts and the role path", () => {
  const second = (roles: string) => `version: 1
mode: classic-iam
authentik:
  url: https://authentik.company
  application: { slug: aws-audit, name: AWS audit }
  provider: { name: aws-audit }
aws:
  samlProvider: authentik-audit
  rolePath: /authentik/
  accounts:
    prod: { id: "${PROD}", assumeRole: "arn:aws:iam::${PROD}:role/gitops" }
roles:
${roles}mappings:
  - { group: auditors, roles: [auditor] }
options:
  prune: true
`;

  it("never plans to delete the other configuration's roles", async () => {
    const first = peers.writeConfig("first.yaml", example("classic-iam.yaml"));
    expect((await cli(["apply", "-c", first, "--auto-approve"])).code).toBe(0);
    const file = peers.writeConfig("second.yaml", second("  auditor: { accounts: \"*\", managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n"));
    const plan = await planJson(file);
    expect(deletes(plan)).toEqual([]);
    expect((await cli(["apply", "-c", file, "--auto-approve"])).code).toBe(0);
    await new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "admin" })); // still there
    // …and the first configuration does not claim the second one's role either.
    expect(deletes(await planJson(first))).toEqual([]);
  });

  it("says whose a colliding role is", async () => {
    const file = peers.writeConfig("second.yaml", second("  auditor: { accounts: \"*\" }\n  admin: { accounts: \"*\" }\n"));
    const r = await cli(["plan", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("it belongs to another configuration: authentik application 'aws' (tag managed-by-config=aws)");
  });
});

describe("two identity-center configurations on one instance", () => {
  const config = (slug: string, permissionSets: string, mappings: string) => identityCenterConfig({ slug, accounts: { prod: PROD }, permissionSets, mappings });

  it("never plans to delete the other configuration's permission sets and assignments", async () => {
    const org = await createOrganization(peers.awsEndpoint);
    for (const g of ["aws-admins", "auditors"]) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
    const a = peers.writeConfig("ic-a.yaml", config("ic-a", "  Admin: { managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess] }\n", "  - { group: aws-admins, permissionSets: [Admin], accounts: [prod] }\n"));
    const b = peers.writeConfig("ic-b.yaml", config("ic-b", "  Audit: { managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n", "  - { group: auditors, permissionSets: [Audit], accounts: [prod] }\n"));
    expect((await cli(["apply", "-c", a, "--auto-approve"])).code).toBe(0);
    expect(deletes(await planJson(b))).toEqual([]);
    expect((await cli(["apply", "-c", b, "--auto-approve"])).code).toBe(0);
    expect(deletes(await planJson(a))).toEqual([]);
    expect((await planJson(a)).changes).toEqual([]);

    const collide = peers.writeConfig("ic-c.yaml", config("ic-c", "  Admin: { managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess] }\n", "  - { group: auditors, permissionSets: [Admin], accounts: [prod] }\n"));
    const r = await cli(["plan", "-c", collide]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("it belongs to another configuration: authentik application 'ic-a' (tag managed-by-config=ic-a)");
  });
});
