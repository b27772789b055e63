// The access report (`access`) for identity-center, end to end: the shipped CLI in a child
// process against moto_server behind the Identity Center shim (own processes) and the
// authentik emulator. People come from the Identity Store: its users and group memberships.
import { CreateGroupMembershipCommand, CreateUserCommand } from "@aws-sdk/client-identitystore";
import { CreateAccountAssignmentCommand, CreatePermissionSetCommand } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessReport } from "../../src/report/types.js";
import { startPeers, type Peers } from "../support/peers.js";
import { createOrganization, identityCenterConfig, identityCenterOf, provisionGroup, type OrgFixture } from "../support/identity-center.js";

const PROD = "111111111111";
const DEV = "222222222222";
const OTHER = "333333333333";

let peers: Peers;
let org: OrgFixture;
let config: string;
const groupIds: Record<string, string> = {};
const userIds: Record<string, string> = {};

const text = identityCenterConfig({
  accounts: { prod: PROD, dev: DEV },
  permissionSets: `  ReadOnly: { description: Read only, managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n`,
  mappings: `  - { group: engineers, permissionSets: [ReadOnly], accounts: [prod, dev] }\n`,
});

async function access(file: string, format: "json" | "csv" | "markdown") {
  const r = await peers.cli(["access", "-c", file, "--format", format]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}
const line = (r: AccessReport["rows"][number]) => `${r.person} ${r.grant}@${r.account} via ${r.via} ${r.managed ? "managed" : "by hand"}`;

beforeAll(async () => {
  peers = await startPeers(["engineers", "ops"], { shim: true });
  org = await createOrganization(peers.awsEndpoint);
  for (const g of ["engineers", "ops"]) groupIds[g] = await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
  const { ids } = identityCenterOf(peers.awsEndpoint, org);
  for (const [name, email, groups] of [
    ["ann@example.com", "ann@example.com", ["engineers"]],
    ["bob@example.com", "bob@example.com", ["engineers", "ops"]],
    ["cid@example.com", "cid@example.com", []],
  ] as const) {
    const { UserId } = await ids.send(
      new CreateUserCommand({ IdentityStoreId: org.identityStoreId, UserName: name, DisplayName: name, Name: { GivenName: name, FamilyName: "x" }, Emails: [{ Value: email, Primary: true }] }),
    );
    userIds[name] = UserId!;
    for (const g of groups) await ids.send(new CreateGroupMembershipCommand({ IdentityStoreId: org.identityStoreId, GroupId: groupIds[g], MemberId: { UserId: UserId! } }));
  }
  peers.copyExample("identity-center-sp-metadata.xml");
  config = peers.writeConfig("ic.yaml", text);
  // --no-verify: the Identity Store holds people authentik does not know (made here for the
  // report to list), whom the verify after an apply rightly reports as members never removed.
  const r = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-verify"], { AUTHENTIK_AWS_GITOPS_POLL_MS: "20" });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
});

afterAll(() => peers.stopAfterChecks());

describe("access report, identity-center", () => {
  it("lists managed assignments, a hand-made permission set on a group and a direct user assignment, marked", async () => {
    const { sso } = identityCenterOf(peers.awsEndpoint, org);
    const { PermissionSet } = await sso.send(new CreatePermissionSetCommand({ InstanceArn: org.instanceArn, Name: "BreakGlass", Description: "by hand" }));
    const assign = (PrincipalType: "GROUP" | "USER", PrincipalId: string, TargetId: string) =>
      sso.send(new CreateAccountAssignmentCommand({ InstanceArn: org.instanceArn, PermissionSetArn: PermissionSet!.PermissionSetArn!, PrincipalType, PrincipalId, TargetType: "AWS_ACCOUNT", TargetId }));
    await assign("GROUP", groupIds.ops!, PROD);
    await assign("USER", userIds["cid@example.com"]!, OTHER);

    const r = JSON.parse(await access(config, "json")) as AccessReport;
    expect(r).toMatchObject({ version: 1, mode: "identity-center", people: "names", unlisted: [] });
    expect(r.rows.map(line)).toEqual([
      "ann@example.com ReadOnly@dev via engineers managed",
      "ann@example.com ReadOnly@prod via engineers managed",
      "bob@example.com BreakGlass@prod via ops by hand",
      "bob@example.com ReadOnly@dev via engineers managed",
      "bob@example.com ReadOnly@prod via engineers managed",
      `cid@example.com BreakGlass@${OTHER} via (direct assignment) by hand`,
    ]);
    const breakGlass = r.rows.find((x) => x.via === "ops")!;
    expect(breakGlass.reason).toContain("not this configuration's");
    expect(breakGlass.source).toBe(`permission set BreakGlass (${PermissionSet!.PermissionSetArn})`);
    expect(r.rows.find((x) => x.person === "cid@example.com")).toMatchObject({ accountId: OTHER, account: OTHER, reason: expect.stringContaining("directly to a user") });
    expect(r.summary).toMatchObject({ people: 3, grants: 4, managedGrants: 2, unmanagedGrants: 2 });
    expect(r.peopleSource).toContain("Identity Store");

    const csv = (await access(config, "csv")).split("\r\n");
    expect(csv).toContain(`cid@example.com,cid@example.com,BreakGlass,permission-set,${OTHER},${OTHER},(direct assignment),no,assigned directly to a user (the tool only assigns groups),permission set BreakGlass (${PermissionSet!.PermissionSetArn}),`);
    const md = await access(config, "markdown");
    expect(md).toContain("| bob<span>@</span>example.com<br>bob<span>@</span>example.com | BreakGlass | prod (`111111111111`) | ops | ⚠️ no —");
  });

  it("review.people: off lists grants only, with no people and no counts", async () => {
    const file = peers.writeConfig("off.yaml", `${text}review:\n  people: off\n`);
    const json = await access(file, "json");
    for (const name of ["ann@", "bob@", "cid@"]) expect(json).not.toContain(name);
    const r = JSON.parse(json) as AccessReport;
    expect(r.summary.people).toBeNull();
    expect(r.grants.map((g) => `${g.grant}@${g.account} via ${g.via} ${g.people}`)).toEqual([
      `BreakGlass@${OTHER} via (direct assignment) null`,
      "BreakGlass@prod via ops null",
      "ReadOnly@dev via engineers null",
      "ReadOnly@prod via engineers null",
    ]);
    expect(await access(file, "markdown")).toContain("`review.people: off`");
  });
});
