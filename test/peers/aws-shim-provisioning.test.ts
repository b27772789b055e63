// The shim answers where permission sets are provisioned, and at which version, as AWS does
// (issue 21): an account assignment provisions its permission set into the account; a change
// to the set leaves every account it is in on the old version (LATEST_PERMISSION_SET_NOT_PROVISIONED)
// until it is provisioned again. moto records only explicit ProvisionPermissionSet calls, in
// the caller's account, and ignores the status filter (MOTO-NOTES.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachManagedPolicyToPermissionSetCommand,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListInstancesCommand,
  ListPermissionSetsProvisionedToAccountCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  SSOAdminClient,
  TagResourceCommand,
  UpdatePermissionSetCommand,
} from "@aws-sdk/client-sso-admin";
import { startAwsShim, type AwsShim } from "./aws-shim.js";
import { ACCOUNT, rejection, uuidOf } from "./aws-shim-test-support.js";
import { awsClientConfig, startMoto, type MotoServer } from "./moto.js";

const PROD = "333333333333";
const DEV = "444444444444";
const POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });

describe("aws shim: where a permission set is provisioned, and at which version", () => {
  let moto: MotoServer;
  let shim: AwsShim;
  let sso: SSOAdminClient;
  let InstanceArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    shim = await startAwsShim({ motoEndpoint: moto.endpoint });
    sso = new SSOAdminClient(awsClientConfig(shim.endpoint, ACCOUNT));
    InstanceArn = (await sso.send(new ListInstancesCommand({}))).Instances![0]!.InstanceArn!;
  });
  afterAll(async () => {
    await shim?.stop();
    await moto?.stop();
  });

  const accounts = async (PermissionSetArn: string, status?: "LATEST_PERMISSION_SET_PROVISIONED" | "LATEST_PERMISSION_SET_NOT_PROVISIONED") =>
    (await sso.send(new ListAccountsForProvisionedPermissionSetCommand({ InstanceArn, PermissionSetArn, ...(status ? { ProvisioningStatus: status } : {}) }))).AccountIds;
  const sets = async (AccountId: string, status?: "LATEST_PERMISSION_SET_PROVISIONED" | "LATEST_PERMISSION_SET_NOT_PROVISIONED") =>
    (await sso.send(new ListPermissionSetsProvisionedToAccountCommand({ InstanceArn, AccountId, ...(status ? { ProvisioningStatus: status } : {}) }))).PermissionSets;
  const create = async (Name: string) => (await sso.send(new CreatePermissionSetCommand({ InstanceArn, Name }))).PermissionSet!.PermissionSetArn!;
  const assign = (PermissionSetArn: string, TargetId: string) =>
    sso.send(new CreateAccountAssignmentCommand({ InstanceArn, PermissionSetArn, TargetId, TargetType: "AWS_ACCOUNT", PrincipalType: "GROUP", PrincipalId: uuidOf(`g-${PermissionSetArn}`) }));

  it("an assignment provisions the set into its account (moto: only ProvisionPermissionSet, in the caller's account)", async () => {
    const ps = await create("Assigned");
    expect(await accounts(ps)).toEqual([]);
    await assign(ps, PROD);
    expect(await accounts(ps)).toEqual([PROD]);
    expect(await accounts(ps, "LATEST_PERMISSION_SET_PROVISIONED")).toEqual([PROD]);
    expect(await accounts(ps, "LATEST_PERMISSION_SET_NOT_PROVISIONED")).toEqual([]);
    expect(await sets(PROD)).toContain(ps);
    expect(await sets(DEV)).not.toContain(ps);
  });

  it("a change leaves every account on the old version until provisioned again (ALL_PROVISIONED_ACCOUNTS or one account)", async () => {
    const ps = await create("Changed");
    await assign(ps, PROD);
    await assign(ps, DEV);
    await sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, InlinePolicy: POLICY }));
    expect(await accounts(ps, "LATEST_PERMISSION_SET_NOT_PROVISIONED")).toEqual([PROD, DEV].sort());
    expect(await accounts(ps, "LATEST_PERMISSION_SET_PROVISIONED")).toEqual([]);
    expect(await accounts(ps)).toEqual([PROD, DEV].sort());
    expect(await sets(PROD, "LATEST_PERMISSION_SET_NOT_PROVISIONED")).toContain(ps);
    expect(await sets(PROD, "LATEST_PERMISSION_SET_PROVISIONED")).not.toContain(ps);

    await sso.send(new ProvisionPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, TargetType: "AWS_ACCOUNT", TargetId: PROD }));
    expect(await accounts(ps, "LATEST_PERMISSION_SET_NOT_PROVISIONED")).toEqual([DEV]);
    await sso.send(new ProvisionPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, TargetType: "ALL_PROVISIONED_ACCOUNTS" }));
    expect(await accounts(ps, "LATEST_PERMISSION_SET_NOT_PROVISIONED")).toEqual([]);
    expect(await accounts(ps, "LATEST_PERMISSION_SET_PROVISIONED")).toEqual([PROD, DEV].sort());
  });

  it("every change of what the role carries makes a new version; a tag does not", async () => {
    const ps = await create("Every");
    await assign(ps, PROD);
    const outdated = async () => (await accounts(ps, "LATEST_PERMISSION_SET_NOT_PROVISIONED"))!.length > 0;
    const reprovision = () => sso.send(new ProvisionPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, TargetType: "ALL_PROVISIONED_ACCOUNTS" }));
    await sso.send(new TagResourceCommand({ InstanceArn, ResourceArn: ps, Tags: [{ Key: "team", Value: "a" }] }));
    expect(await outdated()).toBe(false);
    await sso.send(new UpdatePermissionSetCommand({ InstanceArn, PermissionSetArn: ps, SessionDuration: "PT2H" }));
    expect(await outdated()).toBe(true);
    await reprovision();
    await sso.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, ManagedPolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    expect(await outdated()).toBe(true);
    await reprovision();
    await sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, InlinePolicy: POLICY }));
    await reprovision();
    await sso.send(new DeleteInlinePolicyFromPermissionSetCommand({ InstanceArn, PermissionSetArn: ps }));
    expect(await outdated()).toBe(true);
    // A new assignment in the account provisions the latest version there.
    await assign(ps, PROD);
    expect(await outdated()).toBe(false);
  });

  it("pages by MaxResults and refuses what AWS's model refuses", async () => {
    const ps = await create("Paged");
    for (const a of ["555555555555", "666666666666", "777777777777"]) await assign(ps, a);
    const first = await sso.send(new ListAccountsForProvisionedPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, MaxResults: 2 }));
    expect(first.AccountIds).toEqual(["555555555555", "666666666666"]);
    const second = await sso.send(new ListAccountsForProvisionedPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, MaxResults: 2, NextToken: first.NextToken! }));
    expect(second).toMatchObject({ AccountIds: ["777777777777"] });
    expect(second.NextToken).toBeUndefined();
    const bad = await rejection(sso.send(new ListAccountsForProvisionedPermissionSetCommand({ InstanceArn, PermissionSetArn: ps, ProvisioningStatus: "SOMETIMES" as never })));
    expect(bad.name).toBe("ValidationException");
  });
});
