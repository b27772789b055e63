import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import pThrottle from "p-throttle";
import { countRequests, sdkOptions } from "./clients.js";
import { AwsRetryPolicy } from "./retry-policy.js";
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
   * The same, without the SDK's retries: for creates (and the deletes of assignments),
   * which the SDK would send again after an answer lost in transit — and moto (AWS does
   * not say) keeps a second assignment. Their callers retry themselves, after checking
   * what exists (createIdempotently), under the same policy.
   */
  ssoAdminCreate: SSOAdminClient;
  identityStore: IdentitystoreClient;
  organizations: OrganizationsClient;
  /** Service Quotas in the instance's region: IAM Identity Center's quotas as they apply to this account. */
  serviceQuotas: ServiceQuotasClient;
  requests: { count: number };
  /** The run's retry policy, which these clients follow (and creates' own attempts). */
  retry: AwsRetryPolicy;
}

export const IDENTITY_CENTER_TPS = 20;

/**
 * The pace the tool keeps: 5% under the quota, so that timing jitter between our
 * bucket and AWS's (latency, clock granularity) never meets AWS's throttling.
 */
export const IDENTITY_CENTER_PACE = IDENTITY_CENTER_TPS * 0.95;

export function identityCenterClients(region: string, options: { ratePerSecond?: number; env?: NodeJS.ProcessEnv; policy?: AwsRetryPolicy } = {}): IdentityCenterClients {
  const limiter = createRateLimiter(options.ratePerSecond ?? IDENTITY_CENTER_PACE);
  const requests = { count: 0 };
  const env = options.env ?? process.env;
  const policy = options.policy ?? AwsRetryPolicy.fromEnv(env);
  const retry = sdkOptions(env, policy);
  const sso = `IAM Identity Center (${region})`;
  return {
    region,
    ssoAdmin: countRequests(rateLimited(policy.govern(new SSOAdminClient({ region, ...retry }), sso), limiter), requests),
    ssoAdminCreate: countRequests(rateLimited(policy.govern(new SSOAdminClient({ region, ...retry, maxAttempts: 1 }), sso), limiter), requests),
    identityStore: countRequests(rateLimited(policy.govern(new IdentitystoreClient({ region, ...retry }), `the Identity Store (${region})`), limiter), requests),
    // Organizations is a global service with its own quotas, one endpoint per partition: the instance's partition's.
    organizations: countRequests(policy.govern(new OrganizationsClient({ region: organizationsRegion(region), ...retry }), "AWS Organizations"), requests),
    serviceQuotas: countRequests(policy.govern(new ServiceQuotasClient({ region, ...retry }), `Service Quotas (${region})`), requests),
    requests,
    retry: policy,
  };
}
