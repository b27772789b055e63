/**
 * What IAM Identity Center writes need: the context of one apply (clients, instance,
 * permission set ARNs, group ids, the asynchronous operations being tracked), creating
 * exactly once, settling asynchronous operations, deleting what may be gone. The
 * writes of each kind are in its file under src/resources/.
 */
import {
  ConflictException,
  DescribePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListPermissionSetsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  type StatusValues,
} from "@aws-sdk/client-sso-admin";
import { UserError } from "../../errors.js";
import { CONFIG_TAG, MANAGED_BY_TAG } from "../../domain/plan-types.js";
import { awsThrottled } from "./errors.js";
import { awsFailingOnItsSide } from "./retry-policy.js";
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

export type CustomerRef = { name: string; path: string };
export type Boundary = { managedPolicyArn: string } | { customerManagedPolicy: CustomerRef } | null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Identity Center's create/delete/provision calls are asynchronous: they may answer
 * IN_PROGRESS with a request id; the apply's tracker waits for all of them in bulk.
 */
export async function settle(
  ctx: IdentityCenterApplyContext,
  kind: AsyncKind,
  what: string,
  status: { Status?: StatusValues | string; RequestId?: string; FailureReason?: string } | undefined,
): Promise<void> {
  if (status?.Status === "IN_PROGRESS" && status.RequestId) await ctx.operations[kind].wait(status.RequestId, what);
  else if (status?.Status === "FAILED") throw new UserError(`${what} failed: ${status.FailureReason ?? "no reason given"}`);
}

export function customerRef(r: CustomerRef) {
  return { Name: r.name, Path: r.path };
}

export function boundaryInput(b: Exclude<Boundary, null>) {
  return "managedPolicyArn" in b ? { ManagedPolicyArn: b.managedPolicyArn } : { CustomerManagedPolicyReference: customerRef(b.customerManagedPolicy) };
}

export async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

/** The permission set of that name carrying exactly these ownership tags, if any. */
export async function findOwnPermissionSet(ctx: IdentityCenterApplyContext, name: string, tags: Record<string, string>): Promise<string | undefined> {
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

export async function allAssignments(ctx: IdentityCenterApplyContext, AccountId: string, PermissionSetArn: string) {
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
 * Returns the create's answer, or undefined when it turned out to exist. These attempts
 * are the create's retries under the run's one policy (`attempts`, its maxAttempts):
 * each failed one is counted against the operation's budget like an SDK retry, and a
 * create given up (AwsGaveUpError) is not sent again.
 */
export async function createIdempotently<T>(create: () => Promise<T>, exists: () => Promise<boolean>, attempts: number): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      const conflict = error instanceof ConflictException;
      if (attempt >= attempts || !(conflict || awsFailingOnItsSide(error))) throw error;
      await sleep(Math.min(10_000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      if (!awsThrottled(error) && (await exists())) return undefined;
    }
  }
}
