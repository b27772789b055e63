// The access report against authentik's AWS guide built by hand (guide-setup.ts), in each of
// the guide's three Role-mapping styles: the people × roles the report lists as usable in AWS
// are exactly what the who-holds-what oracle finds by evaluating the mapping for every user in
// authentik and checking each role in IAM. The shipped CLI, in a child process, against peers
// in their own processes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessReport } from "../../src/report/types.js";
import { buildClassicGuideSetup, heldRoles, removeClassicGuideSetup, seedGuidePopulation, type ClassicGuideOptions, type ClassicGuideSetup } from "../support/guide-setup.js";
import { startPeers, type Peers } from "../support/peers.js";

const ACCOUNT = "111111111111";
const READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const ROLES: ClassicGuideOptions["roles"] = [{ name: "readonly", managedPolicies: [READONLY] }, { name: "admin", managedPolicies: [READONLY] }, { name: "data", managedPolicies: [READONLY] }];

let peers: Peers;
let config: string;

/** A configuration naming the guide's application and account (the tool manages nothing there yet). */
const CONFIG = `version: 1
mode: classic-iam
authentik:
  url: https://authentik.company
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  samlProvider: authentik
  rolePath: /authentik/
  accounts:
    prod: { id: "${ACCOUNT}", assumeRole: "arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole" }
roles:
  readonly: { accounts: [prod], managedPolicies: [${READONLY}] }
mappings:
  - { group: engineers, roles: [readonly] }
`;

beforeAll(async () => {
  peers = await startPeers(["engineers", "admins", "data-eng"]);
  await seedGuidePopulation(peers);
  config = peers.writeConfig("aws-access.yaml", CONFIG);
});

afterAll(() => peers.stopAfterChecks());

/** username → "role@account" the report lists as usable in AWS (the role exists and trusts the provider). */
async function reported(): Promise<Record<string, string[]>> {
  const r = await peers.cli(["access", "-c", config, "--format", "json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as AccessReport;
  expect(report.unlisted).toEqual([]);
  expect(report.rows.every((x) => !x.managed && x.source === "Role mapping 'AWS Role'")).toBe(true);
  const out: Record<string, Set<string>> = {};
  for (const row of report.rows.filter((x) => x.awsRole === "trusted")) (out[row.person] ??= new Set()).add(`${row.grant}@${row.accountId}`);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

/** The oracle, in the same shape (people who hold nothing left out). */
async function oracle(): Promise<Record<string, string[]>> {
  const held = await heldRoles(peers, { applicationSlug: "aws" });
  expect(held.failures).toEqual([]);
  const out: Record<string, string[]> = {};
  for (const [user, pairs] of held.byUser) {
    const roles = pairs.map((p) => /role\/([^,]+)/.exec(p.split(",").find((x) => x.includes(":role/"))!)![1]! + `@${ACCOUNT}`).sort();
    if (roles.length) out[user] = roles;
  }
  return out;
}

describe("access report on the guide's classic setup, checked against the who-holds-what oracle", () => {
  let setup: ClassicGuideSetup | undefined;
  afterAll(async () => {
    if (setup) await removeClassicGuideSetup(peers, setup);
  });
  const cases: [string, Omit<ClassicGuideOptions, "accountId" | "roles">, Record<string, string[]>][] = [
    ["static", { mapping: { style: "static", role: "readonly" }, bindGroups: ["engineers", "admins"] }, { alice: ["readonly@111111111111"], bob: ["readonly@111111111111"] }],
    [
      "group-attribute",
      { mapping: { style: "group-attribute", groupRoles: { admins: "admin", engineers: "readonly", "data-eng": "data" } }, bindGroups: ["engineers", "admins", "data-eng"] },
      // bob: admins and engineers both set aws_role; "engineers" sorts last and wins. carol: through data-eng, her group's parent.
      { alice: ["readonly@111111111111"], bob: ["readonly@111111111111"], carol: ["data@111111111111"], dave: ["data@111111111111"] },
    ],
    ["list", { mapping: { style: "list", roles: ["readonly", "admin"] }, bindGroups: ["data-eng"] }, { carol: ["admin@111111111111", "readonly@111111111111"], dave: ["admin@111111111111", "readonly@111111111111"] }],
  ];
  it.each(cases)("%s style", async (_style, options, expected) => {
    if (setup) await removeClassicGuideSetup(peers, setup);
    setup = await buildClassicGuideSetup(peers, { accountId: ACCOUNT, roles: ROLES, ...options });
    const report = await reported();
    expect(report).toEqual(await oracle());
    expect(report).toEqual(expected);
  });
});
