import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SSOAdminClient } from "@aws-sdk/client-sso-admin";
import pThrottle from "p-throttle";
import { countRequests, sdkOptions } from "./clients.js";
import { organizationsRegion } from "../../domain/aws-iam.js";

/**
 * IAM Identity Center's APIs (sso-admin and identitystore) share a quota of about 20
 * requests per second per account. One limiter (p-throttle) in front of every client
 * keeps the tool under it instead of relying on throttling retries: `burst` requests
 * per burst/rate seconds, the same average rate. What is ours is only that one limiter
 * is shared by all Identity Center clients and that every attempt, retries included,
 * spends a turn (see rateLimited). Its timers keep the process alive while requests
 * wait (an unref'd timer once let the CLI exit with 13 and no output).
 */
export interface RateLimiter {
  /** Resolves when the next request may go. */
  take(): Promise<void>;
}

export function createRateLimiter(ratePerSecond: number, burst: number = Math.max(1, Math.round(ratePerSecond))): RateLimiter {
  // strict: a sliding window, so no two windows' turns meet at their border (a fixed window lets 2 × burst through in a moment).
  const turn = pThrottle({ limit: burst, interval: Math.max(1, Math.round((burst / ratePerSecond) * 1000)), strict: true })(() => undefined);
  return { take: async () => void (await turn()) };
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
  const limiter = createRateLimiter(options.ratePerSecond ?? IDENTITY_CENTER_PACE);
  const requests = { count: 0 };
  const retry = sdkOptions(options.env, 10);
  return {
    region,
    ssoAdmin: countRequests(rateLimited(new SSOAdminClient({ region, ...retry }), limiter), requests),
    ssoAdminCreate: countRequests(rateLimited(new SSOAdminClient({ region, ...retry, maxAttempts: 1 }), limiter), requests),
    identityStore: countRequests(rateLimited(new IdentitystoreClient({ region, ...retry }), limiter), requests),
    // Organizations is a global service with its own quotas.
    // Organizations has one endpoint per partition: the instance's partition's.
    organizations: countRequests(new OrganizationsClient({ region: organizationsRegion(region), ...retry }), requests),
    requests,
  };
}
