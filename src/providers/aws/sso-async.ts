import {
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetProvisioningStatusCommand,
  ListAccountAssignmentCreationStatusCommand,
  ListAccountAssignmentDeletionStatusCommand,
  ListPermissionSetProvisioningStatusCommand,
  type SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { UserError } from "../../errors.js";

export type AsyncKind = "creation" | "deletion" | "provisioning";

interface StatusPage {
  items: { RequestId?: string; Status?: string }[];
  next?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for Identity Center's asynchronous operations in bulk. Instead of one
 * Describe…Status per operation per poll (two thirds of all traffic at scale), one
 * round lists the operations still IN_PROGRESS (pages of 100, status filter) for every
 * outstanding request at once; one that is no longer listed has finished, and its slot
 * is free for the next one right away. Which of them failed is read once, from the
 * FAILED list, when the apply has sent everything (`check`); only a failure costs a
 * Describe, for its reason.
 */
export class AsyncOperations {
  private readonly waiters = new Map<string, { what: string; resolve: () => void; reject: (e: Error) => void; since: number }>();
  private loop: Promise<void> | undefined;
  private readonly finished = new Map<string, string>(); // request id → what

  constructor(
    private readonly sso: SSOAdminClient,
    private readonly instanceArn: string,
    private readonly kind: AsyncKind,
    private readonly poll: { initialMs?: number; maxMs?: number; timeoutMs?: number } = {},
  ) {}

  /** Resolves when the operation succeeded; rejects with AWS's reason when it failed. */
  wait(requestId: string, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.set(requestId, { what, resolve, reject, since: Date.now() });
      this.loop ??= this.run().finally(() => (this.loop = undefined));
    });
  }

  /** The shortest time an operation took, as seen (an estimate of how long they take). */
  private shortest: number | undefined;

  /**
   * When to look next: when the oldest outstanding operation should be done, going by
   * the shortest one seen so far — a free slot is found soon after it frees, without
   * polling on a fixed grid (wasted slot time, and requests off the shared quota).
   */
  private nextDelay(fallback: number): number {
    if (this.shortest === undefined || this.waiters.size === 0) return fallback;
    const oldest = Math.min(...[...this.waiters.values()].map((w) => w.since));
    return Math.max(50, Math.min(fallback, oldest + this.shortest - Date.now()));
  }

  private async run(): Promise<void> {
    const initial = this.poll.initialMs ?? 500;
    let delay = initial;
    while (this.waiters.size > 0) {
      await sleep(this.nextDelay(delay));
      try {
        const inProgress = new Set((await this.list("IN_PROGRESS")).map((s) => s.RequestId));
        const finished = [...this.waiters.keys()].filter((id) => !inProgress.has(id));
        for (const id of finished) {
          const w = this.waiters.get(id)!;
          this.waiters.delete(id);
          this.finished.set(id, w.what);
          const took = Date.now() - w.since;
          this.shortest = this.shortest === undefined ? took : Math.min(this.shortest, took);
          w.resolve();
        }
        const timeout = this.poll.timeoutMs ?? 10 * 60_000;
        for (const [id, w] of this.waiters) {
          if (Date.now() - w.since > timeout) {
            this.waiters.delete(id);
            w.reject(new UserError(`${w.what} still in progress after ${Math.round((Date.now() - w.since) / 1000)}s; run apply again later`));
          }
        }
        // Poll again soon while operations finish; back off while none does.
        delay = finished.length > 0 ? initial : Math.min(delay * 1.5, this.poll.maxMs ?? 5_000);
      } catch (error) {
        for (const w of this.waiters.values()) w.reject(error instanceof Error ? error : new Error(String(error)));
        this.waiters.clear();
      }
    }
  }

  /** After everything was sent: did any finished operation fail? One FAILED listing for all of them. */
  async check(): Promise<void> {
    if (this.finished.size === 0) return;
    const finished = new Map(this.finished);
    this.finished.clear();
    const failed = (await this.list("FAILED")).map((s) => s.RequestId).filter((id): id is string => id !== undefined && finished.has(id));
    if (failed.length === 0) return;
    const lines = await Promise.all(failed.map(async (id) => `  ${finished.get(id)} failed: ${await this.reason(id)}`));
    throw new UserError(`IAM Identity Center reported ${failed.length} operation(s) as failed:\n${lines.join("\n")}\nRun plan again to see what is left, and apply to retry.`);
  }

  private async list(status: "IN_PROGRESS" | "FAILED"): Promise<{ RequestId?: string; Status?: string }[]> {
    const out: { RequestId?: string; Status?: string }[] = [];
    let next: string | undefined;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await this.page(status, next);
      out.push(...page.items);
      if (!page.next || page.next === next) break;
      next = page.next;
    }
    return out;
  }

  private async page(status: "IN_PROGRESS" | "FAILED", NextToken: string | undefined): Promise<StatusPage> {
    const input = { InstanceArn: this.instanceArn, Filter: { Status: status }, MaxResults: 100, ...(NextToken ? { NextToken } : {}) } as const;
    if (this.kind === "creation") {
      const r = await this.sso.send(new ListAccountAssignmentCreationStatusCommand(input));
      return { items: r.AccountAssignmentsCreationStatus ?? [], ...(r.NextToken ? { next: r.NextToken } : {}) };
    }
    if (this.kind === "deletion") {
      const r = await this.sso.send(new ListAccountAssignmentDeletionStatusCommand(input));
      return { items: r.AccountAssignmentsDeletionStatus ?? [], ...(r.NextToken ? { next: r.NextToken } : {}) };
    }
    const r = await this.sso.send(new ListPermissionSetProvisioningStatusCommand(input));
    return { items: r.PermissionSetsProvisioningStatus ?? [], ...(r.NextToken ? { next: r.NextToken } : {}) };
  }

  private async reason(id: string): Promise<string> {
    const InstanceArn = this.instanceArn;
    const status =
      this.kind === "creation"
        ? (await this.sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn, AccountAssignmentCreationRequestId: id }))).AccountAssignmentCreationStatus
        : this.kind === "deletion"
          ? (await this.sso.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn, AccountAssignmentDeletionRequestId: id }))).AccountAssignmentDeletionStatus
          : (await this.sso.send(new DescribePermissionSetProvisioningStatusCommand({ InstanceArn, ProvisionPermissionSetRequestId: id }))).PermissionSetProvisioningStatus;
    return status?.FailureReason ?? "no reason given";
  }
}
