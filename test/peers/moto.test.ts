import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateRoleCommand, GetPolicyCommand, GetRoleCommand, IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { ListInstancesCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { awsClientConfig, MOTO_DEFAULT_ACCOUNT_ID, resetMoto, startMoto, type MotoServer } from "./moto.js";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

describe("moto harness", () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("serves IAM, with AWS managed policies loaded", async () => {
    const iam = new IAMClient(awsClientConfig(moto.endpoint));
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: "harness", Path: "/authentik/", AssumeRolePolicyDocument: trust }),
    );
    expect(created.Role?.Arn).toBe(`arn:aws:iam::${MOTO_DEFAULT_ACCOUNT_ID}:role/authentik/harness`);
    const got = await iam.send(new GetRoleCommand({ RoleName: "harness" }));
    expect(got.Role?.Path).toBe("/authentik/");
    const ro = await iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    expect(ro.Policy?.PolicyName).toBe("ReadOnlyAccess");
  });

  it("selects accounts by header (awsClientConfig) and by STS-assumed credentials", async () => {
    const other = new IAMClient(awsClientConfig(moto.endpoint, "111111111111"));
    await other.send(new CreateRoleCommand({ RoleName: "in-other", AssumeRolePolicyDocument: trust }));
    const listedOther = await other.send(new ListRolesCommand({}));
    expect(listedOther.Roles?.map((r) => r.Arn)).toContain("arn:aws:iam::111111111111:role/in-other");
    const listedDefault = await new IAMClient(awsClientConfig(moto.endpoint)).send(new ListRolesCommand({}));
    expect(listedDefault.Roles?.map((r) => r.RoleName)).not.toContain("in-other");
    // The header works for the JSON-protocol services too (one Identity Center instance per account).
    const sso = new SSOAdminClient(awsClientConfig(moto.endpoint, "111111111111"));
    const instances = await sso.send(new ListInstancesCommand({}));
    expect(instances.Instances?.[0]?.OwnerAccountId).toBe("111111111111");

    const sts = new STSClient(awsClientConfig(moto.endpoint));
    const assumed = await sts.send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::222222222222:role/gitops", RoleSessionName: "t" }),
    );
    const c = assumed.Credentials!;
    const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const who = await new STSClient({ ...awsClientConfig(moto.endpoint), credentials: creds }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(who.Account).toBe("222222222222");
    const iam2 = new IAMClient({ ...awsClientConfig(moto.endpoint), credentials: creds });
    const r = await iam2.send(new CreateRoleCommand({ RoleName: "via-sts", AssumeRolePolicyDocument: trust }));
    expect(r.Role?.Arn).toBe("arn:aws:iam::222222222222:role/via-sts");
  });

  it("resets", async () => {
    await resetMoto(moto.endpoint);
    const listed = await new IAMClient(awsClientConfig(moto.endpoint)).send(new ListRolesCommand({}));
    expect(listed.Roles?.map((r) => r.RoleName)).not.toContain("harness");
  });
});
