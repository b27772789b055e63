import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteAccountAssignmentCommand,
  DeletePermissionSetCommand,
  DeletePermissionsBoundaryFromPermissionSetCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetProvisioningStatusCommand,
  GetPermissionsBoundaryForPermissionSetCommand,
  ListAccountAssignmentCreationStatusCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
  ListPermissionSetProvisioningStatusCommand,
  ListPermissionSetsCommand,
  ListTagsForResourceCommand,
  ProvisionPermissionSetCommand,
  PutPermissionsBoundaryToPermissionSetCommand,
  SSOAdminClient,
  TagResourceCommand,
  UntagResourceCommand,
  type Tag,
} from "@aws-sdk/client-sso-admin";
import { CreateGroupCommand, DescribeGroupCommand, IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { CreateRoleCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { startAwsShim, type AwsShim } from "./aws-shim.js";
import { awsClientConfig, startMoto, type MotoServer } from "./moto.js";

const ACCOUNT = "111111111111";
const OTHER = "222222222222";

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("aws shim (in front of moto)", () => {
  let moto: MotoServer;
  let shim: AwsShim;
  let sso: SSOAdminClient;
  let instanceArn: string;
  let identityStoreId: string;

  beforeAll(async () => {
    moto = await startMoto();
    shim = await startAwsShim({ motoEndpoint: moto.endpoint });
    sso = new SSOAdminClient(awsClientConfig(shim.endpoint, ACCOUNT));
    const inst = (await sso.send(new ListInstancesCommand({}))).Instances?.[0];
    instanceArn = inst!.InstanceArn!;
    identityStoreId = inst!.IdentityStoreId!;
  });
  afterAll(async () => {
    await shim?.stop();
    await moto?.stop();
  });
  beforeEach(() => {
    shim.setThrottle(undefined);
    shim.clearFaults();
    shim.setPendingPolls(1);
    shim.resetStats();
  });

  const newPermissionSet = async (name: string, tags?: Tag[]): Promise<string> => {
    const r = await sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: name, Tags: tags }));
    return r.PermissionSet!.PermissionSetArn!;
  };

  it("forwards everything else unchanged (sso-admin, identitystore, IAM) and counts operations", async () => {
    const direct = await new SSOAdminClient(awsClientConfig(moto.endpoint, ACCOUNT)).send(new ListInstancesCommand({}));
    expect(direct.Instances?.[0]?.InstanceArn).toBe(instanceArn);
    const other = await new SSOAdminClient(awsClientConfig(shim.endpoint, OTHER)).send(new ListInstancesCommand({}));
    expect(other.Instances?.[0]?.OwnerAccountId).toBe(OTHER);

    const ids = new IdentitystoreClient(awsClientConfig(shim.endpoint, ACCOUNT));
    const g = await ids.send(new CreateGroupCommand({ IdentityStoreId: identityStoreId, DisplayName: "admins" }));
    const d = await ids.send(new DescribeGroupCommand({ IdentityStoreId: identityStoreId, GroupId: g.GroupId! }));
    expect(d.DisplayName).toBe("admins");

    const iam = new IAMClient(awsClientConfig(shim.endpoint, ACCOUNT));
    await iam.send(new CreateRoleCommand({ RoleName: "via-shim", AssumeRolePolicyDocument: "{}" }));
    const role = await iam.send(new GetRoleCommand({ RoleName: "via-shim" }));
    expect(role.Role?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/via-shim`);

    expect(shim.stats.byOperation).toMatchObject({ ListInstances: 1, CreateGroup: 1, DescribeGroup: 1 });
    expect(shim.stats.byOperation.CreateRole).toBeUndefined(); // IAM is pass-through only
    expect(shim.stats.requests).toBe(5);
  });

  it("keeps CreatePermissionSet's Tags and serves Tag/Untag/ListTagsForResource", async () => {
    const arn = await newPermissionSet("tagged", [
      { Key: "managed-by", Value: "authentik-aws-gitops" },
      { Key: "team", Value: "a" },
    ]);
    const listed = await sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn }));
    expect(listed.Tags).toEqual([
      { Key: "managed-by", Value: "authentik-aws-gitops" },
      { Key: "team", Value: "a" },
    ]);
    expect(listed.NextToken).toBeUndefined();

    await sso.send(
      new TagResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, Tags: [{ Key: "team", Value: "b" }, { Key: "x", Value: "" }] }),
    );
    await sso.send(new UntagResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, TagKeys: ["managed-by", "absent"] }));
    const after = await sso.send(new ListTagsForResourceCommand({ ResourceArn: arn })); // InstanceArn is optional
    expect(after.Tags).toEqual([
      { Key: "team", Value: "b" },
      { Key: "x", Value: "" },
    ]);

    // Untagged set → empty list; unknown set → ResourceNotFoundException; other account cannot see it.
    const plain = await newPermissionSet("plain");
    expect((await sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: plain }))).Tags).toEqual([]);
    const missing = await rejection(sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: `${arn}x` })));
    expect(missing.name).toBe("ResourceNotFoundException");
    const foreign = new SSOAdminClient(awsClientConfig(shim.endpoint, OTHER));
    const cross = await rejection(foreign.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "k", Value: "v" }] })));
    expect(cross.name).toBe("ResourceNotFoundException");
    const reserved = await rejection(sso.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "aws:x", Value: "v" }] })));
    expect(reserved.name).toBe("ValidationException");

    // DeletePermissionSet is forwarded; the set and its tags are gone.
    await sso.send(new DeletePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }));
    const gone = await rejection(sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn })));
    expect(gone.name).toBe("ResourceNotFoundException");
  });

  it("pages ListTagsForResource with NextToken", async () => {
    const small = await startAwsShim({ motoEndpoint: moto.endpoint, tagsPageSize: 2 });
    try {
      const client = new SSOAdminClient(awsClientConfig(small.endpoint, ACCOUNT));
      const tags = Array.from({ length: 5 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
      const r = await client.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: "paged", Tags: tags }));
      const arn = r.PermissionSet!.PermissionSetArn!;
      const seen: Tag[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await client.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, NextToken: token }));
        seen.push(...(page.Tags ?? []));
        token = page.NextToken;
        pages += 1;
      } while (token);
      expect(pages).toBe(3);
      expect(seen).toEqual(tags);
    } finally {
      await small.stop();
    }
  });

  it("serves Put/Get/DeletePermissionsBoundary", async () => {
    const arn = await newPermissionSet("bounded");
    const ref = { InstanceArn: instanceArn, PermissionSetArn: arn };
    const none = await rejection(sso.send(new GetPermissionsBoundaryForPermissionSetCommand(ref)));
    expect(none.name).toBe("ResourceNotFoundException");
    expect(none.message).toMatch(/permissions boundary/);
    expect(none.$metadata?.httpStatusCode).toBe(400);

    await sso.send(
      new PutPermissionsBoundaryToPermissionSetCommand({
        ...ref,
        PermissionsBoundary: { ManagedPolicyArn: "arn:aws:iam::aws:policy/PowerUserAccess" },
      }),
    );
    expect((await sso.send(new GetPermissionsBoundaryForPermissionSetCommand(ref))).PermissionsBoundary).toEqual({
      ManagedPolicyArn: "arn:aws:iam::aws:policy/PowerUserAccess",
    });
    await sso.send(
      new PutPermissionsBoundaryToPermissionSetCommand({
        ...ref,
        PermissionsBoundary: { CustomerManagedPolicyReference: { Name: "boundary" } },
      }),
    );
    expect((await sso.send(new GetPermissionsBoundaryForPermissionSetCommand(ref))).PermissionsBoundary).toEqual({
      CustomerManagedPolicyReference: { Name: "boundary", Path: "/" },
    });

    const both = await rejection(
      sso.send(
        new PutPermissionsBoundaryToPermissionSetCommand({
          ...ref,
          PermissionsBoundary: { ManagedPolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess", CustomerManagedPolicyReference: { Name: "b" } },
        }),
      ),
    );
    expect(both.name).toBe("ValidationException");

    await sso.send(new DeletePermissionsBoundaryFromPermissionSetCommand(ref));
    expect((await rejection(sso.send(new GetPermissionsBoundaryForPermissionSetCommand(ref)))).name).toBe("ResourceNotFoundException");
    expect((await rejection(sso.send(new DeletePermissionsBoundaryFromPermissionSetCommand(ref)))).name).toBe("ResourceNotFoundException");
    const unknown = await rejection(
      sso.send(new GetPermissionsBoundaryForPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: `${arn}zz` })),
    );
    expect(unknown.name).toBe("ResourceNotFoundException");
  });

  it("makes ProvisionPermissionSet asynchronous: IN_PROGRESS, then SUCCEEDED on a later Describe", async () => {
    shim.setPendingPolls(2);
    const arn = await newPermissionSet("provisioned");
    const p = await sso.send(
      new ProvisionPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, TargetType: "AWS_ACCOUNT", TargetId: OTHER }),
    );
    const status = p.PermissionSetProvisioningStatus!;
    expect(status.Status).toBe("IN_PROGRESS");
    expect(status.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(status.PermissionSetArn).toBe(arn);
    expect(status.CreatedDate).toBeInstanceOf(Date);

    const poll = async () =>
      (
        await sso.send(
          new DescribePermissionSetProvisioningStatusCommand({ InstanceArn: instanceArn, ProvisionPermissionSetRequestId: status.RequestId }),
        )
      ).PermissionSetProvisioningStatus!;
    expect((await poll()).Status).toBe("IN_PROGRESS");
    expect((await poll()).Status).toBe("IN_PROGRESS");
    const done = await poll();
    expect(done.Status).toBe("SUCCEEDED");
    expect(done.RequestId).toBe(status.RequestId);
    expect(done.FailureReason).toBeUndefined();

    const listed = await sso.send(new ListPermissionSetProvisioningStatusCommand({ InstanceArn: instanceArn }));
    expect(listed.PermissionSetsProvisioningStatus?.map((s) => [s.RequestId, s.Status])).toContainEqual([status.RequestId, "SUCCEEDED"]);

    const unknown = await rejection(
      sso.send(new DescribePermissionSetProvisioningStatusCommand({ InstanceArn: instanceArn, ProvisionPermissionSetRequestId: "nope" })),
    );
    expect(unknown.name).toBe("ResourceNotFoundException");
  });

  it("makes Create/DeleteAccountAssignment asynchronous and answers their Describe*Status", async () => {
    const arn = await newPermissionSet("assigned");
    const assignment = {
      InstanceArn: instanceArn,
      PermissionSetArn: arn,
      TargetType: "AWS_ACCOUNT" as const,
      TargetId: OTHER,
      PrincipalType: "GROUP" as const,
      PrincipalId: "g-123",
    };
    const c = (await sso.send(new CreateAccountAssignmentCommand(assignment))).AccountAssignmentCreationStatus!;
    expect(c).toMatchObject({ Status: "IN_PROGRESS", PermissionSetArn: arn, PrincipalId: "g-123", TargetId: OTHER });
    const describeCreate = async () =>
      (
        await sso.send(
          new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, AccountAssignmentCreationRequestId: c.RequestId }),
        )
      ).AccountAssignmentCreationStatus!;
    expect((await describeCreate()).Status).toBe("IN_PROGRESS");
    expect((await describeCreate()).Status).toBe("SUCCEEDED");
    const listedStatus = await sso.send(new ListAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, Filter: { Status: "SUCCEEDED" } }));
    expect(listedStatus.AccountAssignmentsCreationStatus?.map((s) => s.RequestId)).toContain(c.RequestId);
    const stored = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: OTHER, PermissionSetArn: arn }));
    expect(stored.AccountAssignments).toHaveLength(1);

    const d = (await sso.send(new DeleteAccountAssignmentCommand(assignment))).AccountAssignmentDeletionStatus!;
    expect(d.Status).toBe("IN_PROGRESS");
    expect(d.RequestId).not.toBe(c.RequestId); // moto would echo the creation's RequestId
    shim.setPendingPolls(0);
    const del = await sso.send(
      new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: instanceArn, AccountAssignmentDeletionRequestId: d.RequestId }),
    );
    expect(del.AccountAssignmentDeletionStatus?.Status).toBe("IN_PROGRESS"); // pendingPolls is fixed per request at creation
    const del2 = await sso.send(
      new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: instanceArn, AccountAssignmentDeletionRequestId: d.RequestId }),
    );
    expect(del2.AccountAssignmentDeletionStatus?.Status).toBe("SUCCEEDED");
    const empty = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: OTHER, PermissionSetArn: arn }));
    expect(empty.AccountAssignments).toHaveLength(0);
  });

  it("injects faults: errors and asynchronous FAILED statuses", async () => {
    const arn = await newPermissionSet("faulty");
    const assignment = {
      InstanceArn: instanceArn,
      PermissionSetArn: arn,
      TargetType: "AWS_ACCOUNT" as const,
      TargetId: OTHER,
      PrincipalType: "USER" as const,
      PrincipalId: "u-1",
    };
    shim.addFault({ operation: "CreateAccountAssignment", times: 1, error: { type: "ConflictException", message: "busy" } });
    const conflict = await rejection(sso.send(new CreateAccountAssignmentCommand(assignment)));
    expect(conflict.name).toBe("ConflictException");
    expect(conflict.message).toBe("busy");

    shim.setPendingPolls(0);
    shim.addFault({ operation: "CreateAccountAssignment", times: 1, failAsync: "Received a 404 status error: no such principal" });
    const c = (await sso.send(new CreateAccountAssignmentCommand(assignment))).AccountAssignmentCreationStatus!;
    expect(c.Status).toBe("IN_PROGRESS");
    const failed = await sso.send(
      new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, AccountAssignmentCreationRequestId: c.RequestId }),
    );
    expect(failed.AccountAssignmentCreationStatus).toMatchObject({ Status: "FAILED", FailureReason: /no such principal/ });
    const stored = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: OTHER, PermissionSetArn: arn }));
    expect(stored.AccountAssignments).toHaveLength(0); // a failed creation is not applied

    shim.addFault({ operation: "ProvisionPermissionSet", failAsync: "boom" });
    const p = await sso.send(new ProvisionPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, TargetType: "ALL_PROVISIONED_ACCOUNTS" }));
    const ps = await sso.send(
      new DescribePermissionSetProvisioningStatusCommand({
        InstanceArn: instanceArn,
        ProvisionPermissionSetRequestId: p.PermissionSetProvisioningStatus!.RequestId,
      }),
    );
    expect(ps.PermissionSetProvisioningStatus).toMatchObject({ Status: "FAILED", FailureReason: "boom" });

    shim.addFault({ operation: "ListPermissionSets", times: 1, error: { type: "InternalServerException", status: 500 } });
    // 5xx is retried by the SDK
    const listed = await sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn }));
    expect(listed.PermissionSets).toContain(arn);
    expect(shim.stats.faulted).toBe(2);
  });

  it("throttles with a token bucket: ThrottlingException, which the SDK retries", async () => {
    shim.setThrottle({ ratePerSecond: 10, burst: 1 });
    const once = new SSOAdminClient({ ...awsClientConfig(shim.endpoint, ACCOUNT), maxAttempts: 1 });
    const results = await Promise.allSettled([1, 2, 3].map(() => once.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn }))));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    const err = rejected[0]!.reason as Error & { $metadata: { httpStatusCode?: number } };
    expect(err.name).toBe("ThrottlingException");
    expect(err.message).toBe("Rate exceeded");
    expect(err.$metadata.httpStatusCode).toBe(400);

    shim.resetStats();
    const patient = new SSOAdminClient({ ...awsClientConfig(shim.endpoint, ACCOUNT), maxAttempts: 10 });
    const ok = await Promise.all([1, 2, 3, 4].map(() => patient.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn }))));
    expect(ok).toHaveLength(4);
    expect(shim.stats.throttled).toBeGreaterThan(0);
    expect(shim.stats.byOperation.ListPermissionSets).toBe(4 + shim.stats.throttled);
  });

  it("adds latency and records max in-flight CreateAccountAssignment", async () => {
    const arn = await newPermissionSet("concurrent");
    shim.setLatency(60, "CreateAccountAssignment");
    const create = (i: number) =>
      sso.send(
        new CreateAccountAssignmentCommand({
          InstanceArn: instanceArn,
          PermissionSetArn: arn,
          TargetType: "AWS_ACCOUNT",
          TargetId: OTHER,
          PrincipalType: "USER",
          PrincipalId: `u-${i}`,
        }),
      );

    // At most 3 at a time (a tiny worker pool).
    const queue = Array.from({ length: 9 }, (_, i) => i);
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await create(i);
    };
    const t0 = Date.now();
    await Promise.all([worker(), worker(), worker()]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 60);
    expect(shim.stats.maxInFlight.CreateAccountAssignment).toBeLessThanOrEqual(3);
    expect(shim.stats.maxInFlight.CreateAccountAssignment).toBeGreaterThanOrEqual(2);
    expect(shim.stats.inFlight.CreateAccountAssignment).toBe(0);

    shim.resetStats();
    shim.setLatency(300, "CreateAccountAssignment"); // long enough for all 12 to overlap on a loaded box
    await Promise.all(Array.from({ length: 12 }, (_, i) => create(100 + i)));
    expect(shim.stats.maxInFlight.CreateAccountAssignment).toBe(12);
    shim.setLatency(20, "CreateAccountAssignment");

    shim.setLatency(150);
    const t1 = Date.now();
    await sso.send(new ListInstancesCommand({}));
    expect(Date.now() - t1).toBeGreaterThanOrEqual(140);
    shim.setLatency(0);
  });
});
