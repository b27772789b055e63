import {
  AttachCustomerManagedPolicyReferenceToPermissionSetCommand,
  AttachManagedPolicyToPermissionSetCommand,
  ConflictException,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteAccountAssignmentCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  DeletePermissionSetCommand,
  DeletePermissionsBoundaryFromPermissionSetCommand,
  DetachCustomerManagedPolicyReferenceFromPermissionSetCommand,
  DetachManagedPolicyFromPermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListPermissionSetsCommand,
  DescribePermissionSetCommand,
  ListTagsForResourceCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  PutPermissionsBoundaryToPermissionSetCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePermissionSetCommand,
  type StatusValues,
} from "@aws-sdk/client-sso-admin";
import { UserError } from "../../errors.js";
import { deepEqual } from "../../domain/canonical.js";
import { policyJson } from "../../domain/policy-normalize.js";
import { CONFIG_TAG, isRef, MANAGED_BY_TAG, type Change, type Props } from "../../domain/plan-types.js";
import { awsMayHaveCommitted, awsThrottled } from "./errors.js";
import type { IdentityCenterClients } from "./sso-clients.js";
import { AsyncOperations, type AsyncKind } from "./sso-async.js";

export interface IdentityCenterApplyContext {
  clients: IdentityCenterClients;
  instanceArn: string;
  /** Permission set ARNs by address; creates add theirs. */
  permissionSetArns: Map<string, string>;
  /** Resolves a group's Identity Store id, waiting for SCIM when needed. */
  groupId: (displayName: string) => Promise<string>;
  /** Polling of asynchronous operations. */
  poll?: { initialMs?: number; maxMs?: number; timeoutMs?: number };
  /** Outstanding asynchronous operations, tracked in bulk (one set per apply). */
  operations: Record<AsyncKind, AsyncOperations>;
}

/** The operations tracker of one apply. */
export function asyncOperations(clients: IdentityCenterClients, instanceArn: string, poll: IdentityCenterApplyContext["poll"] = {}): Record<AsyncKind, AsyncOperations> {
  const make = (kind: AsyncKind) => new AsyncOperations(clients.ssoAdmin, instanceArn, kind, poll);
  return { creation: make("creation"), deletion: make("deletion"), provisioning: make("provisioning") };
}

type CustomerRef = { name: string; path: string };
type Boundary = { managedPolicyArn: string } | { customerManagedPolicy: CustomerRef } | null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Identity Center's create/delete/provision calls are asynchronous: they may answer
 * IN_PROGRESS with a request id; the apply's tracker waits for all of them in bulk.
 */
async function settle(
  ctx: IdentityCenterApplyContext,
  kind: AsyncKind,
  what: string,
  status: { Status?: StatusValues | string; RequestId?: string; FailureReason?: string } | undefined,
): Promise<void> {
  if (status?.Status === "IN_PROGRESS" && status.RequestId) await ctx.operations[kind].wait(status.RequestId, what);
  else if (status?.Status === "FAILED") throw new UserError(`${what} failed: ${status.FailureReason ?? "no reason given"}`);
}

function customerRef(r: CustomerRef) {
  return { Name: r.name, Path: r.path };
}

function boundaryInput(b: Exclude<Boundary, null>) {
  return "managedPolicyArn" in b ? { ManagedPolicyArn: b.managedPolicyArn } : { CustomerManagedPolicyReference: customerRef(b.customerManagedPolicy) };
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

/** The permission set of that name carrying exactly these ownership tags, if any. */
async function findOwnPermissionSet(ctx: IdentityCenterApplyContext, name: string, tags: Record<string, string>): Promise<string | undefined> {
  const sso = ctx.clients.ssoAdmin;
  let NextToken: string | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await sso.send(new ListPermissionSetsCommand({ InstanceArn: ctx.instanceArn, MaxResults: 100, ...(NextToken ? { NextToken } : {}) }));
    for (const arn of page.PermissionSets ?? []) {
      const ps = (await sso.send(new DescribePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }))).PermissionSet;
      if (ps?.Name !== name) continue;
      const live = Object.fromEntries(((await sso.send(new ListTagsForResourceCommand({ InstanceArn: ctx.instanceArn, ResourceArn: arn }))).Tags ?? []).map((t) => [t.Key, t.Value]));
      return live[MANAGED_BY_TAG] === tags[MANAGED_BY_TAG] && live[CONFIG_TAG] === tags[CONFIG_TAG] ? arn : undefined;
    }
    if (!page.NextToken || page.NextToken === NextToken) break;
    NextToken = page.NextToken;
  }
  return undefined;
}

export async function applyPermissionSetChange(ctx: IdentityCenterApplyContext, change: Change): Promise<void> {
  const sso = ctx.clients.ssoAdmin;
  const InstanceArn = ctx.instanceArn;
  if (change.action === "delete") {
    await ignoreNotFound(sso.send(new DeletePermissionSetCommand({ InstanceArn, PermissionSetArn: change.liveId! })));
    return;
  }
  const after = change.after!;
  const before: Props =
    change.action === "create"
      ? { managed_policies: [], customer_managed_policies: [], inline_policy: null, permissions_boundary: null, tags: {} }
      : change.before!;
  let PermissionSetArn = change.liveId;
  if (change.action === "create") {
    // A create whose answer was lost, resent, would make a second permission set (or
    // fail as a conflict): look for the one this create made (name and tags) first.
    let found: string | undefined;
    const created = await createIdempotently(
      () =>
        ctx.clients.ssoAdminCreate.send(
          new CreatePermissionSetCommand({
            InstanceArn,
            Name: after.name as string,
            ...(after.description ? { Description: after.description as string } : {}),
            SessionDuration: after.session_duration as string,
            ...(after.relay_state ? { RelayState: after.relay_state as string } : {}),
            Tags: Object.entries(after.tags as Record<string, string>).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      async () => Boolean((found = await findOwnPermissionSet(ctx, after.name as string, after.tags as Record<string, string>))),
    );
    PermissionSetArn = created?.PermissionSet?.PermissionSetArn ?? found!;
    ctx.permissionSetArns.set(change.address, PermissionSetArn);
  } else {
    if (before.description !== after.description || before.session_duration !== after.session_duration || before.relay_state !== after.relay_state) {
      // Send every field that has a value: AWS rejects empty strings (and cannot
      // clear a description through this call), and moto clears what is left out.
      await sso.send(
        new UpdatePermissionSetCommand({
          InstanceArn,
          PermissionSetArn,
          ...(after.description ? { Description: after.description as string } : {}),
          SessionDuration: after.session_duration as string,
          ...(after.relay_state ? { RelayState: after.relay_state as string } : {}),
        }),
      );
    }
    const bt = before.tags as Record<string, string>;
    const at = after.tags as Record<string, string>;
    const removed = Object.keys(bt).filter((k) => !(k in at));
    const changed = Object.entries(at).filter(([k, v]) => bt[k] !== v);
    if (removed.length) await sso.send(new UntagResourceCommand({ InstanceArn, ResourceArn: PermissionSetArn, TagKeys: removed }));
    if (changed.length) await sso.send(new TagResourceCommand({ InstanceArn, ResourceArn: PermissionSetArn, Tags: changed.map(([Key, Value]) => ({ Key, Value })) }));
  }

  const bm = new Set(before.managed_policies as string[]);
  const am = new Set(after.managed_policies as string[]);
  for (const arn of am) if (!bm.has(arn)) await sso.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn, ManagedPolicyArn: arn }));
  for (const arn of bm) if (!am.has(arn)) await ignoreNotFound(sso.send(new DetachManagedPolicyFromPermissionSetCommand({ InstanceArn, PermissionSetArn, ManagedPolicyArn: arn })));

  const key = (r: CustomerRef) => `${r.path}${r.name}`;
  const bc = new Map((before.customer_managed_policies as CustomerRef[]).map((r) => [key(r), r]));
  const ac = new Map((after.customer_managed_policies as CustomerRef[]).map((r) => [key(r), r]));
  for (const [k, r] of ac) if (!bc.has(k)) await sso.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ InstanceArn, PermissionSetArn, CustomerManagedPolicyReference: customerRef(r) }));
  for (const [k, r] of bc) if (!ac.has(k)) await ignoreNotFound(sso.send(new DetachCustomerManagedPolicyReferenceFromPermissionSetCommand({ InstanceArn, PermissionSetArn, CustomerManagedPolicyReference: customerRef(r) })));

  if (!deepEqual(before.inline_policy, after.inline_policy)) {
    if (after.inline_policy) {
      await sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn, InlinePolicy: policyJson(after.inline_policy as Record<string, unknown>) }));
    } else {
      await ignoreNotFound(sso.send(new DeleteInlinePolicyFromPermissionSetCommand({ InstanceArn, PermissionSetArn })));
    }
  }
  if (!deepEqual(before.permissions_boundary, after.permissions_boundary)) {
    const b = after.permissions_boundary as Boundary;
    if (b) await sso.send(new PutPermissionsBoundaryToPermissionSetCommand({ InstanceArn, PermissionSetArn, PermissionsBoundary: boundaryInput(b) }));
    else await ignoreNotFound(sso.send(new DeletePermissionsBoundaryFromPermissionSetCommand({ InstanceArn, PermissionSetArn })));
  }

  // An adopted set is re-provisioned only when more than its tags changes.
  if (change.action === "update" || (change.action === "adopt" && change.fields.some((f) => f.field.split(".")[0] !== "tags"))) {
    // A changed permission set reaches the accounts it is provisioned to only once re-provisioned.
    // AWS allows one provisioning per account at a time and answers ConflictException
    // otherwise (also while an assignment provisions the set): retried with back-off.
    const provisioned = await createIdempotently(
      () => ctx.clients.ssoAdminCreate.send(new ProvisionPermissionSetCommand({ InstanceArn, PermissionSetArn, TargetType: "ALL_PROVISIONED_ACCOUNTS" })),
      async () => false,
    );
    await settle(ctx, "provisioning", `re-provisioning permission set ${after.name as string}`, provisioned?.PermissionSetProvisioningStatus);
  }
}

async function allAssignments(ctx: IdentityCenterApplyContext, AccountId: string, PermissionSetArn: string) {
  const out: { PrincipalType?: string; PrincipalId?: string }[] = [];
  let NextToken: string | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await ctx.clients.ssoAdmin.send(new ListAccountAssignmentsCommand({ InstanceArn: ctx.instanceArn, AccountId, PermissionSetArn, MaxResults: 100, ...(NextToken ? { NextToken } : {}) }));
    out.push(...(page.AccountAssignments ?? []));
    if (!page.NextToken || page.NextToken === NextToken) break;
    NextToken = page.NextToken;
  }
  return out;
}

/**
 * Sends a create once per attempt (no SDK retries), and before sending it again
 * after an error that may hide a committed write, or a ConflictException (AWS
 * recommends retrying those, with back-off), checks whether it exists already.
 * Returns the create's answer, or undefined when it turned out to exist.
 */
export async function createIdempotently<T>(create: () => Promise<T>, exists: () => Promise<boolean>, attempts = 6): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      const conflict = error instanceof ConflictException;
      if (attempt >= attempts || !(conflict || awsThrottled(error) || awsMayHaveCommitted(error))) throw error;
      await sleep(Math.min(10_000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      if (!awsThrottled(error) && (await exists())) return undefined;
    }
  }
}

export async function applyAssignmentChange(ctx: IdentityCenterApplyContext, change: Change): Promise<void> {
  const sso = ctx.clients.ssoAdmin;
  const InstanceArn = ctx.instanceArn;
  if (change.action === "delete") {
    const id = JSON.parse(change.liveId!) as { principalId: string; permissionSetArn: string; accountId: string };
    // Copies of one assignment are removed by the same call: while one removal runs,
    // AWS answers the next with ConflictException, which is retried with back-off.
    const deleted = await createIdempotently(
      () =>
        sso.send(
          new DeleteAccountAssignmentCommand({
            InstanceArn,
            TargetId: id.accountId,
            TargetType: "AWS_ACCOUNT",
            PermissionSetArn: id.permissionSetArn,
            PrincipalType: "GROUP",
            PrincipalId: id.principalId,
          }),
        ),
      async () => false,
    ).catch((error: unknown) => {
      if (error instanceof ResourceNotFoundException) return undefined; // already gone
      throw error;
    });
    await settle(ctx, "deletion", `removing ${change.title}`, deleted?.AccountAssignmentDeletionStatus);
    return;
  }
  const after = change.after!;
  const psRef = after.permission_set;
  const PermissionSetArn = isRef(psRef) ? ctx.permissionSetArns.get(psRef.$ref) : undefined;
  if (!PermissionSetArn) throw new Error(`internal: the ARN of ${JSON.stringify(psRef)} is not known`);
  const PrincipalId = await ctx.groupId(after.group as string);
  const input = { InstanceArn, TargetId: after.account_id as string, TargetType: "AWS_ACCOUNT" as const, PermissionSetArn, PrincipalType: "GROUP" as const, PrincipalId };
  // Already assigned (a lost answer of our own create, or a ConflictException saying so) is done.
  const exists = async () => {
    const list = await allAssignments(ctx, input.TargetId, PermissionSetArn);
    return list.some((a) => a.PrincipalType === "GROUP" && a.PrincipalId === PrincipalId);
  };
  const created = await createIdempotently(() => ctx.clients.ssoAdminCreate.send(new CreateAccountAssignmentCommand(input)), exists);
  if (!created) return;
  await settle(ctx, "creation", `assigning ${change.title}`, created.AccountAssignmentCreationStatus);
}
