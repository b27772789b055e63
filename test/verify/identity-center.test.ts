// verify, identity-center (issue 21): the pure checks, from plain data as the readers return it.
import { identityCenterConfig } from "../support/identity-center.js";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import type { ResolvedConfig } from "../../src/config/model.js";
import { identityCenterVerification, verifyIdentityCenter, type IdentityCenterVerifyLive, type VerifyPeople } from "../../src/verify/identity-center.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const PROD = "111111111111";
const DEV = "222222222222";

function config(extra = ""): ResolvedConfig {
  const text = identityCenterConfig({
    slug: "aws",
    appName: "AWS",
    accounts: { prod: PROD, dev: DEV },
    permissionSets: "  Admin: { managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess] }\n  ReadOnly: { managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n",
    mappings: "  - { group: admins, permissionSets: [Admin], accounts: [prod] }\n  - { group: engineers, permissionSets: [ReadOnly], accounts: [dev] }\n",
    extra,
    prune: false,
  });
  const result = validateConfigText("aws-access.yaml", text, { now: NOW });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.config!;
}

const people = (): VerifyPeople => ({
  users: [
    { username: "alice", email: "alice@example.com", active: true, type: "internal", groups: ["admins"] },
    { username: "bob", email: "bob@example.com", active: true, type: "internal", groups: ["engineers"] },
    { username: "carol", email: "carol@example.com", active: true, type: "internal", groups: ["eng-eu"] },
    { username: "ak-outpost", email: "", active: true, type: "internal_service_account", groups: ["engineers"] },
    { username: "dave", email: "dave@example.com", active: false, type: "internal", groups: ["admins"] },
  ],
  groups: [
    { name: "admins", parents: [] },
    { name: "engineers", parents: [] },
    { name: "eng-eu", parents: ["engineers"] },
  ],
});

/** AWS as a clean sync and apply leave it: every person a user, every membership, assignment and provisioning. */
function clean(): IdentityCenterVerifyLive {
  return {
    identityStoreId: "d-1234567890",
    users: [
      { id: "u-alice", userName: "alice@example.com", emails: ["alice@example.com"] },
      { id: "u-bob", userName: "bob@example.com", emails: ["bob@example.com"] },
      { id: "u-carol", userName: "carol@example.com", emails: ["carol@example.com"] },
    ],
    groups: [
      { id: "g-admins", name: "admins", memberIds: ["u-alice"] },
      // carol is a member through eng-eu: SCIM does not send her as engineers' member — unless eng-eu's members are sent there too
      { id: "g-engineers", name: "engineers", memberIds: ["u-bob", "u-carol"] },
    ],
    assignments: [
      { group: "admins", permissionSet: "Admin", accountId: PROD },
      { group: "engineers", permissionSet: "ReadOnly", accountId: DEV },
    ],
    permissionSets: [
      { name: "Admin", provisionedTo: [PROD], notLatestIn: [] },
      { name: "ReadOnly", provisionedTo: [DEV], notLatestIn: [] },
    ],
    ouAccounts: new Map(),
  };
}

const run = (aws: IdentityCenterVerifyLive, options: { people?: string[]; config?: ResolvedConfig } = {}) =>
  verifyIdentityCenter({ config: options.config ?? config(), now: NOW, authentik: people(), aws, ...(options.people ? { people: options.people } : {}) });

describe("verify identity-center: the pure checks", () => {
  it("a clean setup has no findings; people are the active non-service members of mapped groups (through child groups too)", () => {
    const v = identityCenterVerification({ config: config(), now: NOW, authentik: people(), aws: clean() });
    expect(v.findings).toEqual([]);
    expect(v.people).toEqual(["alice", "bob", "carol"]);
    expect(v.grantsChecked).toBe(3);
  });

  it("a member the SCIM sync dropped: found by name, with the grant, the account and the reason", () => {
    const aws = clean();
    aws.groups[1]!.memberIds = ["u-carol"];
    expect(run(aws)).toEqual([
      {
        severity: "error",
        check: "group-members",
        subject: { kind: "person", name: "bob" },
        grant: "ReadOnly",
        account: { alias: "dev", id: DEV },
        reason: "bob is a member of group 'engineers' in authentik but not in the Identity Store: whatever provisions the Identity Store (scim: is not configured) did not provision the membership, so they do not get ReadOnly in dev (222222222222) through it",
      },
    ]);
  });

  it("a member through a child group only, whom SCIM does not send as the parent's member", () => {
    const aws = clean();
    aws.groups[1]!.memberIds = ["u-bob"];
    const [f] = run(aws);
    expect(f).toMatchObject({ check: "group-members", subject: { kind: "person", name: "carol" }, grant: "ReadOnly", account: { id: DEV } });
    expect(f!.reason).toContain("only through its child group 'eng-eu'");
  });

  it("a member the sync never removed: extra, and what they still hold", () => {
    const aws = clean();
    aws.groups[0]!.memberIds = ["u-alice", "u-bob"];
    expect(run(aws)).toEqual([
      {
        severity: "error",
        check: "group-members",
        subject: { kind: "person", name: "bob" },
        grant: "Admin",
        account: { alias: "prod", id: PROD },
        reason: "bob (Identity Store user 'bob@example.com') is a member of the Identity Store group 'admins' but not of authentik's: whatever provisions the Identity Store (scim: is not configured) never removed the membership, so they still hold Admin in prod (111111111111)",
      },
    ]);
    // A deactivated person still in the group: named by their Identity Store userName.
    const stale = clean();
    stale.users.push({ id: "u-dave", userName: "dave@example.com", emails: [] });
    stale.groups[0]!.memberIds.push("u-dave");
    expect(run(stale).map((f) => [f.subject.name, f.check, f.grant])).toEqual([["dave@example.com", "group-members", "Admin"]]);
  });

  it("a person whose Identity Store userName is not the NameID authentik sends (the email)", () => {
    const aws = clean();
    aws.users[0]!.userName = "alice";
    const findings = run(aws, { config: config("scim:\n  url: https://scim.us-east-1.amazonaws.com/abc/scim/v2/\n  tokenEnv: AWS_SCIM_TOKEN\n  userMapping: { userName: username }\n") });
    expect(findings.map((f) => [f.subject.name, f.check])).toEqual([["alice", "identity-store-user"]]);
    expect(findings[0]!.reason).toContain("the NameID authentik sends for alice is 'alice@example.com', but their Identity Store user's userName is 'alice' (scim.userMapping.userName is username");
    // no user at all: refused, and no membership compared
    const none = clean();
    none.users = none.users.filter((u) => u.id !== "u-alice");
    none.groups[0]!.memberIds = [];
    expect(run(none).map((f) => [f.subject.name, f.check])).toEqual([["alice", "identity-store-user"]]);
    expect(run(none)[0]!.reason).toContain("no Identity Store user has the userName 'alice@example.com'");
  });

  it("the NameID is what the provider's name_id_mapping sends: username, or a mapping verify cannot evaluate", () => {
    const byUsername = clean();
    byUsername.users = byUsername.users.map((u) => ({ ...u, userName: u.userName.replace("@example.com", "") }));
    const v = (nameId: VerifyPeople["nameId"], aws: IdentityCenterVerifyLive) =>
      verifyIdentityCenter({ config: config(), now: NOW, authentik: { ...people(), nameId }, aws });
    expect(v({ source: "username" }, byUsername)).toEqual([]);
    expect(v({ source: "email" }, byUsername).map((f) => [f.subject.name, f.check])).toEqual([
      ["alice", "identity-store-user"],
      ["bob", "identity-store-user"],
      ["carol", "identity-store-user"],
    ]);
    const other = v({ source: "other", mapping: "custom NameID" }, clean());
    expect(other).toHaveLength(3);
    expect(other[0]!.reason).toContain("sends the NameID through the mapping 'custom NameID', which verify cannot evaluate");
  });

  it("a mapped group missing from the Identity Store, an assignment missing, a permission set missing", () => {
    const aws = clean();
    aws.groups = aws.groups.filter((g) => g.name !== "admins");
    aws.assignments = aws.assignments.filter((a) => a.group !== "engineers");
    const findings = run(aws);
    expect(findings.map((f) => [f.subject.kind, f.subject.name, f.check, f.grant, f.account?.id])).toEqual([
      ["group", "admins", "identity-store-group", undefined, undefined],
      ["group", "engineers", "assignment", "ReadOnly", DEV],
    ]);
    expect(findings[0]!.reason).toContain("none of its members gets Admin in prod (111111111111)");
    const gone = clean();
    gone.permissionSets = gone.permissionSets.filter((p) => p.name !== "Admin");
    gone.assignments = gone.assignments.filter((a) => a.permissionSet !== "Admin");
    expect(run(gone)[0]!.reason).toBe("permission set Admin does not exist in IAM Identity Center, so group 'admins' holds nothing in account prod (111111111111) (apply creates it)");
  });

  it("a permission set changed but not re-provisioned, or assigned but not provisioned", () => {
    const aws = clean();
    aws.permissionSets[0]!.notLatestIn = [PROD];
    aws.permissionSets[1]!.provisionedTo = [];
    const findings = run(aws);
    expect(findings.map((f) => [f.subject.name, f.check, f.grant, f.account?.id])).toEqual([
      ["admins", "provisioning", "Admin", PROD],
      ["engineers", "provisioning", "ReadOnly", DEV],
    ]);
    expect(findings[0]!.reason).toContain("LATEST_PERMISSION_SET_NOT_PROVISIONED");
    expect(findings[0]!.reason).toContain('the plan shows "needs re-provisioning"');
  });

  it("--person keeps that person's findings and their groups'", () => {
    const aws = clean();
    aws.groups[1]!.memberIds = [];
    aws.permissionSets[0]!.notLatestIn = [PROD];
    expect(run(aws, { people: ["alice"] }).map((f) => [f.subject.name, f.check])).toEqual([["admins", "provisioning"]]);
    expect(run(aws, { people: ["bob"] }).map((f) => [f.subject.name, f.check])).toEqual([["bob", "group-members"]]);
    expect(identityCenterVerification({ config: config(), now: NOW, authentik: people(), aws, people: ["bob"] }).people).toEqual(["bob"]);
  });

  it("an expired mapping grants nothing to check", () => {
    const c = config();
    c.mappings[0]!.expires = { value: "2026-11-30", endsAt: "2026-11-30T23:59:59.999Z", field: "mappings[0].expires", location: "aws-access.yaml:1:1" };
    const aws = clean();
    aws.groups = aws.groups.filter((g) => g.name !== "admins");
    expect(run(aws, { config: c })).toEqual([]);
  });

  it("right after an apply that started authentik's SCIM sync: what the sync writes and the store lacks (users, direct memberships, memberships to remove) is a warning saying so; a member through a child group stays an error", () => {
    const scim = config("scim:\n  url: https://scim.us-east-1.amazonaws.com/abcd1234-5678-90ab-cdef-example11111/scim/v2\n  tokenEnv: AWS_SCIM_TOKEN\n");
    const aws = clean();
    aws.users = aws.users.filter((u) => u.id !== "u-alice"); // not provisioned yet
    aws.groups[1]!.memberIds = ["u-carol"]; // bob's membership not yet
    aws.users.push({ id: "u-dave", userName: "dave@example.com", emails: [] });
    aws.groups[0]!.memberIds = ["u-dave"]; // dave's not yet removed
    const input = { config: scim, now: NOW, authentik: people(), aws };
    const pending = identityCenterVerification({ ...input, scimSyncPending: true }).findings;
    expect(pending.map((f) => [f.severity, f.check, f.subject.name])).toEqual([
      ["warning", "identity-store-user", "alice"],
      ["warning", "group-members", "bob"],
      ["warning", "group-members", "dave@example.com"],
    ]);
    for (const f of pending) expect(f.reason).toMatch(/this apply started authentik's SCIM sync, which may still be running: run verify again once it has finished$/);
    // Without a sync started (verify, drift) each is an error, as before.
    expect(identityCenterVerification(input).findings.map((f) => f.severity)).toEqual(["error", "error", "error"]);
    // carol through a child group: no sync sends that membership.
    const child = clean();
    child.groups[1]!.memberIds = ["u-bob"];
    expect(identityCenterVerification({ config: scim, now: NOW, authentik: people(), aws: child, scimSyncPending: true }).findings.map((f) => [f.severity, f.subject.name])).toEqual([["error", "carol"]]);
  });
});
