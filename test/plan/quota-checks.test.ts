import { describe, expect, it } from "vitest";
import type { ResolvedConfig } from "../../src/config/model.js";
import type { QuotaValue } from "../../src/domain/aws-quotas.js";
import type { Change, DesiredResource, LiveResource } from "../../src/domain/plan-types.js";
import { classicQuotaFindings, classicQuotaNeeds, identityCenterQuotaFindings, identityCenterQuotaNeeds } from "../../src/plan/quota-checks.js";

/** The pure half of the plan's quota check: which counts a plan needs, and what they say. */
const config = { aws: { accounts: [{ alias: "prod", id: "111111111111" }, { alias: "dev", id: "222222222222" }] } } as unknown as ResolvedConfig;

const role = (name: string, account: string, action: Change["action"], policies: number, before: number | null = null): Change => ({
  address: `aws.iam.role[${name}@${account}]`,
  type: "aws.iam.role",
  system: "aws",
  account,
  title: name,
  action,
  reason: "",
  before: before === null ? null : { name, managed_policies: Array.from({ length: before }, (_, i) => `arn:aws:iam::aws:policy/P${i}`) },
  after: action === "delete" ? null : { name, managed_policies: Array.from({ length: policies }, (_, i) => `arn:aws:iam::aws:policy/P${i}`) },
  fields: [],
  dependsOn: [],
});
const read = (value: number, source = "IAM's GetAccountSummary"): QuotaValue => ({ value, source });
const fallback = (value: number): QuotaValue => ({ value, source: "AWS's default", fallback: "Service Quotas refused GetServiceQuota (AccessDeniedException)" });

describe("classic-iam quotas", () => {
  it("needs only the accounts where the plan creates roles or attaches more than the default", () => {
    const needs = classicQuotaNeeds(config, [role("a", "prod", "create", 1), role("b", "dev", "update", 11, 1), role("c", "dev", "update", 2, 1), role("d", "prod", "delete", 0, 1)]);
    expect(needs).toEqual([
      { accountId: "111111111111", accountLabel: "prod (111111111111)", rolesCreated: 1, manyPolicies: [] },
      { accountId: "222222222222", accountLabel: "dev (222222222222)", rolesCreated: 0, manyPolicies: [{ role: "b", address: "aws.iam.role[b@dev]", count: 11 }] },
    ]);
    expect(classicQuotaNeeds(config, [role("c", "dev", "update", 2, 1)])).toEqual([]);
  });

  it("counts what the account holds plus what the plan creates against the quota in force", () => {
    const needs = classicQuotaNeeds(config, [role("a", "prod", "create", 1), role("b", "prod", "create", 1)]);
    const summary = (roles: number, quota: QuotaValue) => new Map([["111111111111", { roles, rolesQuota: quota, policiesPerRoleQuota: read(10) }]]);
    expect(classicQuotaFindings(needs, summary(998, read(1000))).problems).toEqual([]);
    const over = classicQuotaFindings(needs, summary(999, read(1000)));
    expect(over.problems.map((p) => p.message)).toEqual([
      `account prod (111111111111) holds 999 roles and this plan creates 2: 1001 in all, over the quota "Roles per account" of 1000 (IAM's GetAccountSummary); ask AWS to raise it (Service Quotas) before applying, or plan fewer`,
    ]);
    // A raised quota counts.
    expect(classicQuotaFindings(needs, summary(999, read(5000))).problems).toEqual([]);
    // An account whose summary could not be read is not judged (the mode warns that it was not checked).
    expect(classicQuotaFindings(needs, new Map())).toEqual({ problems: [], warnings: [] });
  });

  it("a role over the managed-policy quota is a problem at its address; a default standing in is said once", () => {
    const needs = classicQuotaNeeds(config, [role("b", "dev", "update", 12, 1), role("c", "dev", "create", 11)]);
    const found = classicQuotaFindings(needs, new Map([["222222222222", { roles: 5, rolesQuota: fallback(1000), policiesPerRoleQuota: read(11) }]]));
    expect(found.problems).toEqual([
      { address: "aws.iam.role[b@dev]", message: expect.stringContaining(`role b in account dev (222222222222) attaches 12 managed policies, over the quota "Managed policies per role" of 11`) },
    ]);
    expect(found.warnings).toEqual([`quota "Roles per account" in account dev (222222222222): Service Quotas refused GetServiceQuota (AccessDeniedException); checked against AWS's default of 1000 — if it was raised for you, that is what counts`]);
  });
});

describe("identity-center quotas", () => {
  const ps = (name: string): DesiredResource => ({ address: `aws.sso.permission_set[${name}]`, type: "aws.sso.permission_set", system: "aws", title: name, props: { name } });
  const assignment = (psName: string, account: string, id: string): DesiredResource => ({
    address: `aws.sso.account_assignment[g→${psName}@${id}]`,
    type: "aws.sso.account_assignment",
    system: "aws",
    account,
    title: "",
    props: { permission_set: { $ref: `aws.sso.permission_set[${psName}]` }, account_id: id },
  });
  const create = (d: DesiredResource): Change => ({ address: d.address, type: d.type, system: d.system, title: d.title, action: "create", reason: "", before: null, after: d.props, fields: [], dependsOn: [] });
  const liveOf = (d: DesiredResource): LiveResource => ({ ...d, id: `${d.address}-id`, owned: true });

  it("needs the instance's count when the plan creates permission sets, and each account's provisioned sets when it assigns a new one there", () => {
    const desired = [ps("A"), ps("B"), assignment("A", "prod", "111111111111"), assignment("B", "prod", "111111111111"), assignment("B", "dev", "222222222222")];
    // B is assigned in dev already: provisioned there.
    const needs = identityCenterQuotaNeeds([create(desired[0]!), create(desired[2]!), create(desired[3]!)], desired, [liveOf(desired[1]!), liveOf(desired[4]!)]);
    expect(needs).toEqual({
      permissionSetsCreated: 1,
      accounts: [{ accountId: "111111111111", accountLabel: "prod (111111111111)", permissionSets: ["aws.sso.permission_set[A]", "aws.sso.permission_set[B]"] }],
    });
    expect(identityCenterQuotaNeeds([], desired, [])).toEqual({ permissionSetsCreated: 0, accounts: [] });
  });

  it("fails the plan past either quota; a permission set provisioned already is not counted twice; the default standing in is said", () => {
    const needs = { permissionSetsCreated: 2, accounts: [{ accountId: "111111111111", accountLabel: "prod (111111111111)", permissionSets: ["aws.sso.permission_set[A]", "aws.sso.permission_set[B]"] }] };
    const counts = (instance: number, provisioned: string[], perAccount: QuotaValue) => ({
      permissionSets: instance,
      perInstanceQuota: read(2000, "Service Quotas sso L-B44C7A29"),
      perAccountQuota: perAccount,
      provisioned: new Map([["111111111111", new Set(provisioned)]]),
      arns: new Map([["aws.sso.permission_set[B]", "arn:ps-b"]]),
    });
    expect(identityCenterQuotaFindings(needs, counts(1998, ["arn:x"], read(3))).problems).toEqual([]);
    const over = identityCenterQuotaFindings(needs, counts(1999, ["arn:x", "arn:y"], fallback(3)));
    expect(over.problems.map((p) => p.message)).toEqual([
      `the IAM Identity Center instance holds 1999 permission sets and this plan creates 2: 2001 in all, over the quota "Permission sets per instance" of 2000 (Service Quotas sso L-B44C7A29); ask AWS to raise it (Service Quotas) before applying, or plan fewer`,
      expect.stringContaining(`account prod (111111111111) has 2 permission sets provisioned and this plan adds 2: 4 in all, over the quota "Provisioned permission sets per account" of 3 (AWS's default, used because Service Quotas refused`),
    ]);
    expect(over.warnings).toEqual([expect.stringContaining(`quota "Provisioned permission sets per account" of each account: Service Quotas refused`)]);
    // B is provisioned there already: only A is added.
    expect(identityCenterQuotaFindings(needs, counts(0, ["arn:x", "arn:ps-b"], read(3))).problems).toEqual([]);
  });
});
