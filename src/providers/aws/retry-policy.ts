/**
 * One retry policy for every AWS call of a run (a plan, its apply, and the read after
 * it). Before it, each layer retried on its own — the SDK inside each call, a create's
 * own attempts around the SDK, Identity Center's status loop around both — and an
 * endpoint failing every time kept an apply going for minutes. Now:
 *
 * - a call is attempted at most `maxAttempts` times (the SDK's retries, or a create's
 *   own attempts, which send without the SDK's so they can look before resending);
 * - an operation in one place (ListAccountAssignmentCreationStatus in IAM Identity
 *   Center, CreateRole in account dev) that has failed on AWS's side — 5xx, throttling,
 *   a timeout, a broken connection — with no success in between for `budgetMs` is given
 *   up for the rest of the run: the attempt that finds the budget spent ends with
 *   AwsGaveUpError, which nothing retries, and every later call of it fails at once.
 *
 * So persistent failure ends the run within about the budget plus one attempt's backoff
 * and timeout, however many changes wait on the failing call. A refusal (4xx) is not
 * AWS failing and spends nothing.
 */
import { UserError } from "../../errors.js";
import { redactUrls } from "../../util/redact-url.js";
import { awsMayHaveCommitted, awsThrottled } from "./errors.js";

/** AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS: how long one operation may keep failing before the run gives it up. */
export const DEFAULT_RETRY_SECONDS = 120;
/** Attempts per call, retries included. */
export const DEFAULT_MAX_ATTEMPTS = 8;

/** "AWS kept failing X in Y for N s (k attempt(s), last: …)": how every failure this policy saw is named. */
function keptFailing(operation: string, where: string, seconds: number, attempts: number, last: string): string {
  return `AWS kept failing ${operation} in ${where} for ${seconds} s (${attempts} attempt(s), last: ${last})`;
}

/** AWS kept failing one operation in one place for the whole retry budget. Never retried. */
export class AwsGaveUpError extends UserError {
  override readonly name = "AwsGaveUpError";
  constructor(
    readonly operation: string,
    readonly where: string,
    readonly seconds: number,
    readonly attempts: number,
    readonly last: string,
    budgetSeconds: number,
  ) {
    super(
      `${keptFailing(operation, where, seconds, attempts, last)}; gave up on it for this run ` +
        `(the retry budget is ${budgetSeconds} s, AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS). Check AWS's health and the endpoint, then run plan and apply again`,
    );
  }
}

/** Marks an SDK error whose message this policy already named (the call, the place, the streak). */
const NAMED = Symbol("authentikAwsGitopsNamed");

/** Whether an AWS error is AWS failing on its side (worth retrying) rather than a refusal. */
export function awsFailingOnItsSide(error: unknown): boolean {
  if (error instanceof AwsGaveUpError) return false;
  if (error instanceof UserError) return false;
  return awsThrottled(error) || awsMayHaveCommitted(error);
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e?.$metadata?.httpStatusCode;
  const text = `${status ? `HTTP ${status} ` : ""}${e?.name ?? "Error"}${e?.code && e.code !== e.name ? ` (${e.code})` : ""}: ${e?.message ?? String(error)}`;
  return redactUrls(text).slice(0, 300);
}

interface Streak {
  since: number;
  attempts: number;
}

export class AwsRetryPolicy {
  readonly budgetMs: number;
  readonly maxAttempts: number;
  private readonly failing = new Map<string, Streak>();
  private readonly gaveUp = new Map<string, AwsGaveUpError>();

  constructor(options: { budgetSeconds?: number; maxAttempts?: number; now?: () => number } = {}) {
    this.budgetMs = Math.max(0, options.budgetSeconds ?? DEFAULT_RETRY_SECONDS) * 1000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.now = options.now ?? Date.now;
  }

  private readonly now: () => number;

  /** The policy an environment asks for (AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): AwsRetryPolicy {
    const seconds = Number(env.AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS);
    return new AwsRetryPolicy(Number.isFinite(seconds) && seconds > 0 ? { budgetSeconds: seconds } : {});
  }

  private static key(where: string, operation: string): string {
    return `${where}\u0000${operation}`;
  }

  /** Before an attempt: an operation given up in this run fails at once. */
  before(where: string, operation: string): void {
    const given = this.gaveUp.get(AwsRetryPolicy.key(where, operation));
    if (given) throw given;
  }

  succeeded(where: string, operation: string): void {
    this.failing.delete(AwsRetryPolicy.key(where, operation));
  }

  /**
   * After a failed attempt: AwsGaveUpError when AWS has now failed this operation for the
   * whole budget (the caller throws it instead of the SDK's error, so nothing retries it),
   * else undefined.
   */
  failed(where: string, operation: string, error: unknown): AwsGaveUpError | undefined {
    if (!awsFailingOnItsSide(error)) return undefined;
    const key = AwsRetryPolicy.key(where, operation);
    const now = this.now();
    const streak = this.failing.get(key) ?? { since: now, attempts: 0 };
    streak.attempts += 1;
    this.failing.set(key, streak);
    if (now - streak.since < this.budgetMs) return undefined;
    const given = new AwsGaveUpError(operation, where, Math.round((now - streak.since) / 1000), streak.attempts, describe(error), Math.round(this.budgetMs / 1000));
    this.gaveUp.set(key, given);
    return given;
  }

  /**
   * After the SDK's last attempt (its attempts or its retry quota ran out before the
   * budget): the error, failing on AWS's side, names the call, the place and how long
   * it kept failing — not just "Internal Failure" with no call. The SDK's error object
   * is kept (its message rewritten) so that a caller that retries on its own, like a
   * create that looks before resending, still knows it as AWS failing.
   */
  private name(where: string, operation: string, error: unknown): void {
    if (!awsFailingOnItsSide(error) || typeof error !== "object" || error === null || NAMED in error) return;
    const streak = this.failing.get(AwsRetryPolicy.key(where, operation));
    if (!streak) return;
    const e = error as Error & { [NAMED]?: true };
    const last = describe(error);
    e.message = keptFailing(operation, where, Math.round((this.now() - streak.since) / 1000), streak.attempts, last);
    e[NAMED] = true;
  }

  /**
   * Puts the policy on an SDK client, inside the SDK's retry loop (it sees each attempt):
   * `where` names the place in messages ("IAM Identity Center (us-east-1)").
   */
  govern<T extends { middlewareStack: { add: Function } }>(client: T, where: string): T {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const operation = (context.commandName ?? "call").replace(/Command$/, "");
        this.before(where, operation);
        try {
          const out = await next(args);
          this.succeeded(where, operation);
          return out;
        } catch (error) {
          // Thrown in place of the SDK's error, AwsGaveUpError is not retried: the SDK
          // retries only what it classifies as transient, throttling or a server error.
          throw this.failed(where, operation, error) ?? error;
        }
      },
      { step: "finalizeRequest", name: "authentikAwsGitopsRetryPolicy", priority: "low" },
    );
    // Outside the retry loop: what the SDK gave up on is named.
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        try {
          return await next(args);
        } catch (error) {
          this.name(where, (context.commandName ?? "call").replace(/Command$/, ""), error);
          throw error;
        }
      },
      { step: "initialize", name: "authentikAwsGitopsRetryPolicyNaming" },
    );
    return client;
  }
}
