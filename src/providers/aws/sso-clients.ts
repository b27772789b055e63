import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { countRequests, sdkOptions } from "./clients.js";

/**
 * IAM Identity Center's APIs (sso-admin and identitystore) share a quota of
 * about 20 requests per second per account. A token bucket in front of both
 * clients keeps the tool under it instead of relying on throttling retries.
 */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();
  private queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = ratePerSecond,
  ) {
    this.tokens = burst;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  private drain = (): void => {
    this.timer = undefined;
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()!();
    }
    if (this.queue.length > 0) {
      // This timer is what the queued requests wait on: it must keep the process
      // alive. (Unref'd, Node saw an empty event loop whenever every request was
      // queued here and the CLI exited with 13 and no output.)
      this.timer = setTimeout(this.drain, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  };

  take(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      if (!this.timer) this.drain();
    });
  }
}

function rateLimited<T extends { middlewareStack: { add: Function } }>(client: T, limiter: RateLimiter): T {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      await limiter.take(); // every attempt, retries included, spends a token
      return next(args);
    },
    { step: "finalizeRequest", name: "authentikAwsGitopsIdentityCenterRateLimit", priority: "low" },
  );
  return client;
}

export interface IdentityCenterClients {
  region: string;
  ssoAdmin: SSOAdminClient;
  /**
   * The same, without the SDK's retries: for creates, which the SDK would send again
   * after an answer lost in transit — and moto (AWS does not say) keeps a second
   * assignment. Their callers retry themselves, after checking what exists.
   */
  ssoAdminCreate: SSOAdminClient;
  identityStore: IdentitystoreClient;
  organizations: OrganizationsClient;
  requests: { count: number };
}

export const IDENTITY_CENTER_TPS = 20;

/**
 * The pace the tool keeps: 5% under the quota, so that timing jitter between our
 * bucket and AWS's (latency, clock granularity) never meets AWS's throttling.
 */
export const IDENTITY_CENTER_PACE = IDENTITY_CENTER_TPS * 0.95;

export function identityCenterClients(region: string, options: { ratePerSecond?: number; env?: NodeJS.ProcessEnv } = {}): IdentityCenterClients {
  const limiter = new RateLimiter(options.ratePerSecond ?? IDENTITY_CENTER_PACE);
  const requests = { count: 0 };
  const retry = sdkOptions(options.env, 10);
  return {
    region,
    ssoAdmin: countRequests(rateLimited(new SSOAdminClient({ region, ...retry }), limiter), requests),
    ssoAdminCreate: countRequests(rateLimited(new SSOAdminClient({ region, ...retry, maxAttempts: 1 }), limiter), requests),
    identityStore: countRequests(rateLimited(new IdentitystoreClient({ region, ...retry }), limiter), requests),
    // Organizations is a global service with its own quotas.
    organizations: countRequests(new OrganizationsClient({ region: "us-east-1", ...retry }), requests),
    requests,
  };
}
