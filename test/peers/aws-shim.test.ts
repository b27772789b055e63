import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CreateInstanceAccessControlAttributeConfigurationCommand,
  DeleteInstanceAccessControlAttributeConfigurationCommand,
  DescribeInstanceAccessControlAttributeConfigurationCommand,
  UpdateInstanceAccessControlAttributeConfigurationCommand,
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
  ListAccountAssignmentDeletionStatusCommand,
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
import { CreateRoleCommand, GetRoleCommand, IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startAwsShim, type AwsShim } from "./aws-shim.js";
import { awsClientConfig, startMoto, type MotoServer } from "./moto.js";

const ACCOUNT = "111111111111";
/** A principal id as the Identity Store makes them (a UUID; the shim checks AWS's pattern), the same for the same label. */
const principalId = (label: string): string => {
  const h = createHash("sha1").update(label).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
/** A well-formed ARN of a permission set that does not exist (a malformed one is a ValidationException). */
const unknownArn = (arn: string): string => arn.slice(0, -4) + (arn.endsWith("0000") ? "1111" : "0000");
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
    // A trust policy AWS takes: "{}" is refused since the shim checks the policy grammar (MalformedPolicyDocument).
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] };
    await iam.send(new CreateRoleCommand({ RoleName: "via-shim", AssumeRolePolicyDocument: JSON.stringify(trust) }));
    const role = await iam.send(new GetRoleCommand({ RoleName: "via-shim" }));
    expect(role.Role?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/via-shim`);

    expect(shim.stats.byOperation).toMatchObject({ ListInstances: 1, CreateGroup: 1, DescribeGroup: 1 });
    expect(shim.stats.byOperation.CreateRole).toBeUndefined(); // IAM: checked against its model and limits, then passed through (no Identity Center counters)
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
    const missing = await rejection(sso.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: unknownArn(arn) })));
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
      sso.send(new GetPermissionsBoundaryForPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: unknownArn(arn) })),
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
      sso.send(new DescribePermissionSetProvisioningStatusCommand({ InstanceArn: instanceArn, ProvisionPermissionSetRequestId: randomUUID() })),
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
      PrincipalId: principalId("g-123"),
    };
    const c = (await sso.send(new CreateAccountAssignmentCommand(assignment))).AccountAssignmentCreationStatus!;
    expect(c).toMatchObject({ Status: "IN_PROGRESS", PermissionSetArn: arn, PrincipalId: principalId("g-123"), TargetId: OTHER });
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
      PrincipalId: principalId("u-1"),
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
          PrincipalId: principalId(`u-${i}`),
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

  it("serves attributes for access control (moto has none), refusing what AWS's model refuses", async () => {
    const configuration = (attributes: { Key: string; Source: string[] }[]) => ({ AccessControlAttributes: attributes.map((a) => ({ Key: a.Key, Value: { Source: a.Source } })) });
    const none = await rejection(sso.send(new DescribeInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn })));
    expect(none.name).toBe("ResourceNotFoundException");
    for (const bad of [
      [{ Key: "cost#center", Source: ["${path:x}"] }],
      [{ Key: "", Source: ["${path:x}"] }],
      [{ Key: "a".repeat(129), Source: ["${path:x}"] }],
      [{ Key: "Team", Source: ["${path:x}", "${path:y}"] }],
      [{ Key: "Team", Source: ["x".repeat(257)] }],
      [{ Key: "Team", Source: ["${path:x}"] }, { Key: "Team", Source: ["${path:y}"] }],
      Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Source: ["${path:x}"] })),
    ]) {
      const refused = await rejection(sso.send(new CreateInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn, InstanceAccessControlAttributeConfiguration: configuration(bad) })));
      expect(refused.name, JSON.stringify(bad).slice(0, 80)).toBe("ValidationException");
    }
    const good = configuration([{ Key: "Department", Source: ["${path:enterprise.department}"] }]);
    await sso.send(new CreateInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn, InstanceAccessControlAttributeConfiguration: good }));
    expect((await rejection(sso.send(new CreateInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn, InstanceAccessControlAttributeConfiguration: good })))).name).toBe("ConflictException");
    const described = await sso.send(new DescribeInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn }));
    expect(described.Status).toBe("ENABLED");
    expect(described.InstanceAccessControlAttributeConfiguration).toEqual(good);
    await sso.send(new DeleteInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn }));
    expect((await rejection(sso.send(new DeleteInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn })))).name).toBe("ResourceNotFoundException");
    expect((await rejection(sso.send(new UpdateInstanceAccessControlAttributeConfigurationCommand({ InstanceArn: instanceArn, InstanceAccessControlAttributeConfiguration: good })))).name).toBe("ResourceNotFoundException");
  });
});

describe("aws shim: time model (asyncDurationMs) and AWS's limits on work in progress", () => {
  const DURATION = 400;
  let moto: MotoServer;
  let shim: AwsShim;
  let sso: SSOAdminClient;
  /** No SDK retries: a refusal is seen as it came. */
  let once: SSOAdminClient;
  let instanceArn: string;
  let n = 0;

  beforeAll(async () => {
    moto = await startMoto();
    shim = await startAwsShim({ motoEndpoint: moto.endpoint, asyncDurationMs: DURATION, operationLatencyMs: {} });
    sso = new SSOAdminClient(awsClientConfig(shim.endpoint, ACCOUNT));
    once = new SSOAdminClient({ ...awsClientConfig(shim.endpoint, ACCOUNT), maxAttempts: 1 });
    instanceArn = (await sso.send(new ListInstancesCommand({}))).Instances![0]!.InstanceArn!;
  });
  afterAll(async () => {
    await shim?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    await sleep(DURATION + 50); // whatever the last test started has finished
    shim.setAsyncDuration(DURATION);
    shim.resetStats();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const permissionSet = async () =>
    (await sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: `time-${++n}` }))).PermissionSet!.PermissionSetArn!;
  const assignmentInput = (PermissionSetArn: string, principal: string, TargetId = OTHER) => ({
    InstanceArn: instanceArn,
    PermissionSetArn,
    TargetType: "AWS_ACCOUNT" as const,
    TargetId,
    PrincipalType: "GROUP" as const,
    PrincipalId: principalId(principal),
  });
  const provision = (client: SSOAdminClient, PermissionSetArn: string, TargetId?: string) =>
    client.send(
      new ProvisionPermissionSetCommand(
        TargetId ? { InstanceArn: instanceArn, PermissionSetArn, TargetType: "AWS_ACCOUNT", TargetId } : { InstanceArn: instanceArn, PermissionSetArn, TargetType: "ALL_PROVISIONED_ACCOUNTS" },
      ),
    );
  const listCreations = async (Status?: "IN_PROGRESS" | "SUCCEEDED" | "FAILED") => {
    const out: { RequestId?: string; Status?: string }[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sso.send(new ListAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, ...(Status ? { Filter: { Status } } : {}), NextToken }));
      out.push(...(page.AccountAssignmentsCreationStatus ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  };

  it("keeps Create/DeleteAccountAssignment IN_PROGRESS for the duration in Describe and List (filtered or not), however often polled", async () => {
    const arn = await permissionSet();
    const started = Date.now();
    const c = (await sso.send(new CreateAccountAssignmentCommand(assignmentInput(arn, "g-time")))).AccountAssignmentCreationStatus!;
    expect(c.Status).toBe("IN_PROGRESS");
    const describe = async () =>
      (await sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, AccountAssignmentCreationRequestId: c.RequestId })))
        .AccountAssignmentCreationStatus!.Status;
    for (let i = 0; i < 5; i++) expect(await describe()).toBe("IN_PROGRESS"); // polls do not advance it (pendingPolls is not used)
    expect((await listCreations()).find((s) => s.RequestId === c.RequestId)?.Status).toBe("IN_PROGRESS");
    expect((await listCreations("IN_PROGRESS")).map((s) => s.RequestId)).toContain(c.RequestId);
    expect((await listCreations("SUCCEEDED")).map((s) => s.RequestId)).not.toContain(c.RequestId);

    // The shim's clock starts when it has the request (after moto answered it), which on a
    // loaded machine is later than `started`: wait for the end with a bound, not a guess.
    await sleep(DURATION - (Date.now() - started) + 20);
    for (const deadline = Date.now() + 3_000; (await describe()) !== "SUCCEEDED" && Date.now() < deadline; ) await sleep(20);
    expect(await describe()).toBe("SUCCEEDED");
    expect((await listCreations("IN_PROGRESS")).map((s) => s.RequestId)).not.toContain(c.RequestId);
    expect((await listCreations("SUCCEEDED")).map((s) => s.RequestId)).toContain(c.RequestId);

    const d = (await sso.send(new DeleteAccountAssignmentCommand(assignmentInput(arn, "g-time")))).AccountAssignmentDeletionStatus!;
    const deletions = async (Status: "IN_PROGRESS" | "SUCCEEDED") =>
      (await sso.send(new ListAccountAssignmentDeletionStatusCommand({ InstanceArn: instanceArn, Filter: { Status } }))).AccountAssignmentsDeletionStatus!.map((s) => s.RequestId);
    expect(await deletions("IN_PROGRESS")).toContain(d.RequestId);
    await sleep(DURATION + 20);
    for (const deadline = Date.now() + 3_000; !(await deletions("SUCCEEDED")).includes(d.RequestId) && Date.now() < deadline; ) await sleep(20);
    expect(await deletions("SUCCEEDED")).toContain(d.RequestId);
    expect(
      (await sso.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: instanceArn, AccountAssignmentDeletionRequestId: d.RequestId })))
        .AccountAssignmentDeletionStatus!.Status,
    ).toBe("SUCCEEDED");
  });

  it("keeps ProvisionPermissionSet IN_PROGRESS for the duration and names the target account", async () => {
    const arn = await permissionSet();
    const p = (await provision(sso, arn, OTHER)).PermissionSetProvisioningStatus!;
    expect(p).toMatchObject({ Status: "IN_PROGRESS", AccountId: OTHER, PermissionSetArn: arn });
    const status = async () =>
      (await sso.send(new DescribePermissionSetProvisioningStatusCommand({ InstanceArn: instanceArn, ProvisionPermissionSetRequestId: p.RequestId })))
        .PermissionSetProvisioningStatus!.Status;
    expect(await status()).toBe("IN_PROGRESS");
    const listed = async (Status: "IN_PROGRESS" | "SUCCEEDED") =>
      (await sso.send(new ListPermissionSetProvisioningStatusCommand({ InstanceArn: instanceArn, Filter: { Status } }))).PermissionSetsProvisioningStatus!.map((s) => s.RequestId);
    expect(await listed("IN_PROGRESS")).toContain(p.RequestId);
    await sleep(DURATION + 20);
    expect(await status()).toBe("SUCCEEDED");
    expect(await listed("SUCCEEDED")).toContain(p.RequestId);
    expect(shim.stats.maxOutstanding.ProvisionPermissionSet).toBe(1);
  });

  it("ends a failAsync operation FAILED only after the duration", async () => {
    const arn = await permissionSet();
    shim.addFault({ operation: "CreateAccountAssignment", times: 1, failAsync: "no such principal" });
    try {
      const c = (await sso.send(new CreateAccountAssignmentCommand(assignmentInput(arn, "g-fail")))).AccountAssignmentCreationStatus!;
      const describe = async () =>
        (await sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, AccountAssignmentCreationRequestId: c.RequestId })))
          .AccountAssignmentCreationStatus!;
      expect((await describe()).Status).toBe("IN_PROGRESS");
      await sleep(DURATION + 20);
      expect(await describe()).toMatchObject({ Status: "FAILED", FailureReason: "no such principal" });
    } finally {
      shim.clearFaults();
    }
  });

  it("refuses an 11th assignment operation in progress (creations and deletions together) with ThrottlingException, also when sent all at once", async () => {
    const arn = await permissionSet();
    // 12 at once: the check and the reservation happen before moto is asked, so exactly 10 pass.
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => once.send(new CreateAccountAssignmentCommand(assignmentInput(arn, `g-burst-${i}`)))));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    expect(refused).toHaveLength(2);
    const err = refused[0]!.reason as Error & { $metadata: { httpStatusCode?: number } };
    expect(err.name).toBe("ThrottlingException");
    expect(err.message).toBe("There are too many requests processing. Please try again later.");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(shim.stats.refused.CreateAccountAssignment).toBe(2);
    expect(shim.stats.maxOutstanding).toMatchObject({ CreateAccountAssignment: 10, AccountAssignment: 10 });
    // The refused ones were not applied.
    const stored = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: OTHER, PermissionSetArn: arn }));
    expect(stored.AccountAssignments).toHaveLength(10);

    // A deletion counts against the same limit.
    const del = await rejection(once.send(new DeleteAccountAssignmentCommand(assignmentInput(arn, "g-burst-0"))));
    expect(del.name).toBe("ThrottlingException");
    expect(shim.stats.refused.DeleteAccountAssignment).toBe(1);

    // Once they are done, there is room again.
    await sleep(DURATION + 20);
    const d = await once.send(new DeleteAccountAssignmentCommand(assignmentInput(arn, "g-burst-0")));
    expect(d.AccountAssignmentDeletionStatus?.Status).toBe("IN_PROGRESS");
    expect(shim.stats.maxOutstanding.DeleteAccountAssignment).toBe(1);
  });

  it("takes the limit as an option", async () => {
    const small = await startAwsShim({ motoEndpoint: moto.endpoint, asyncDurationMs: DURATION, maxOutstandingAssignments: 2, operationLatencyMs: {} });
    try {
      const client = new SSOAdminClient({ ...awsClientConfig(small.endpoint, ACCOUNT), maxAttempts: 1 });
      const arn = await permissionSet();
      await client.send(new CreateAccountAssignmentCommand(assignmentInput(arn, "g-small-1")));
      await client.send(new CreateAccountAssignmentCommand(assignmentInput(arn, "g-small-2")));
      expect((await rejection(client.send(new CreateAccountAssignmentCommand(assignmentInput(arn, "g-small-3"))))).name).toBe("ThrottlingException");
    } finally {
      await small.stop();
    }
  });

  it("refuses a second provisioning of an account while one is in progress (ConflictException), for any permission set, and via ALL_PROVISIONED_ACCOUNTS", async () => {
    const [a, b] = [await permissionSet(), await permissionSet()];
    const THIRD = "333333333333";
    await provision(once, a, OTHER);
    const again = await rejection(provision(once, a, OTHER));
    expect(again.name).toBe("ConflictException");
    expect(again.message).toBe("There is a conflicting operation in process.");
    expect(again.$metadata?.httpStatusCode).toBe(400);
    expect((await rejection(provision(once, b, OTHER))).name).toBe("ConflictException"); // one permission set per account at a time
    await provision(once, b, THIRD); // another account is free
    expect((await rejection(provision(once, a))).name).toBe("ConflictException"); // ALL_PROVISIONED_ACCOUNTS includes OTHER
    expect(shim.stats.refused.ProvisionPermissionSet).toBe(3);

    await sleep(DURATION + 20);
    const all = (await provision(once, a)).PermissionSetProvisioningStatus!;
    expect(all.Status).toBe("IN_PROGRESS");
    expect(all.AccountId).toBeUndefined();
    expect((await rejection(provision(once, a, OTHER))).name).toBe("ConflictException"); // covered by the running ALL_PROVISIONED_ACCOUNTS
  });

  it("refuses an assignment operation racing a provisioning of the same (account, permission set), or another operation on the same assignment", async () => {
    const [a, b] = [await permissionSet(), await permissionSet()];
    await provision(once, a, OTHER);
    const racing = await rejection(once.send(new CreateAccountAssignmentCommand(assignmentInput(a, "g-race"))));
    expect(racing.name).toBe("ConflictException");
    expect(racing.message).toBe("There is a conflicting operation in process.");
    await once.send(new CreateAccountAssignmentCommand(assignmentInput(b, "g-race"))); // another permission set in that account
    await once.send(new CreateAccountAssignmentCommand(assignmentInput(a, "g-race", "444444444444"))); // the same set in another account
    expect((await rejection(provision(once, b, "555555555555").then(() => provision(once, b, OTHER)))).name).toBe("ConflictException"); // b's assignment in OTHER is running

    await sleep(DURATION + 20);
    await once.send(new CreateAccountAssignmentCommand(assignmentInput(a, "g-race")));
    await once.send(new CreateAccountAssignmentCommand(assignmentInput(a, "g-other"))); // other principals of the same (account, set) are fine
    const twin = await rejection(once.send(new DeleteAccountAssignmentCommand(assignmentInput(a, "g-race"))));
    expect(twin.name).toBe("ConflictException");
    expect(shim.stats.refused).toMatchObject({ CreateAccountAssignment: 1, DeleteAccountAssignment: 1, ProvisionPermissionSet: 1 });
  });

  it("pages List…Status by 100 with a cursor that survives status changes, and validates MaxResults", async () => {
    // The shim's clock stands still while the assignments are made, however long that takes on a loaded machine.
    let elapsed = 0;
    const start = Date.now();
    const big = await startAwsShim({ motoEndpoint: moto.endpoint, asyncDurationMs: 1_500, maxOutstandingAssignments: 1_000, operationLatencyMs: {}, clock: () => start + elapsed });
    try {
      const client = new SSOAdminClient(awsClientConfig(big.endpoint, ACCOUNT));
      const arn = await permissionSet();
      const ids: string[] = [];
      for (let i = 0; i < 150; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: 25 }, (_, j) => client.send(new CreateAccountAssignmentCommand(assignmentInput(arn, `g-page-${i + j}`)))),
        );
        ids.push(...batch.map((r) => r.AccountAssignmentCreationStatus!.RequestId!));
      }
      const first = await client.send(new ListAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, Filter: { Status: "IN_PROGRESS" } }));
      expect(first.AccountAssignmentsCreationStatus).toHaveLength(100);
      expect(first.NextToken).toBeDefined();
      const seen = new Set(first.AccountAssignmentsCreationStatus!.map((s) => s.RequestId!));
      // Meanwhile the operations finish: the next page still starts after the first, skipping none that still match.
      elapsed += 1_600;
      const rest = await client.send(new ListAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, NextToken: first.NextToken }));
      expect(rest.NextToken).toBeUndefined();
      for (const s of rest.AccountAssignmentsCreationStatus!) seen.add(s.RequestId!);
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(rest.AccountAssignmentsCreationStatus!.every((s) => s.Status === "SUCCEEDED")).toBe(true);

      const tooMany = await rejection(client.send(new ListAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, MaxResults: 101 })));
      expect(tooMany.name).toBe("ValidationException");
      const ten = await client.send(new ListAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, MaxResults: 10 }));
      expect(ten.AccountAssignmentsCreationStatus).toHaveLength(10);
    } finally {
      await big.stop();
    }
  });

  it("switches back to the poll model, without limits", async () => {
    shim.setAsyncDuration(undefined);
    shim.setPendingPolls(0);
    const arn = await permissionSet();
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => once.send(new CreateAccountAssignmentCommand(assignmentInput(arn, `g-poll-${i}`)))));
    expect(all).toHaveLength(12);
    const c = all[0]!.AccountAssignmentCreationStatus!;
    const d = await sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: instanceArn, AccountAssignmentCreationRequestId: c.RequestId }));
    expect(d.AccountAssignmentCreationStatus?.Status).toBe("SUCCEEDED");
    expect(shim.stats.refused).toEqual({});
    shim.setPendingPolls(1);
  });

  it("counts requests passed through to moto by service and operation", async () => {
    await new IAMClient(awsClientConfig(shim.endpoint, ACCOUNT)).send(new ListRolesCommand({}));
    await new STSClient(awsClientConfig(shim.endpoint, ACCOUNT)).send(new GetCallerIdentityCommand({}));
    expect(shim.stats.passThrough).toMatchObject({ "iam:ListRoles": 1, "sts:GetCallerIdentity": 1 });
    expect(shim.stats.byOperation.ListRoles).toBeUndefined();
  });
});
