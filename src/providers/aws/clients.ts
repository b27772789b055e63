import { IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity } from "@smithy/types";
import type { ResolvedAccount } from "../../config/model.js";
import { UserError } from "../../errors.js";
import { AwsRetryPolicy } from "./retry-policy.js";

/**
 * AWS SDK clients for one account. Credentials come from the standard chain
 * (environment, profile, OIDC web identity in GitHub Actions...), optionally
 * exchanged through STS for the account's `assumeRole`. AWS_ENDPOINT_URL (read
 * by the SDK itself) points every client at moto in tests and demos.
 */
export interface AccountClients {
  account: ResolvedAccount;
  region: string;
  credentials?: AwsCredentialIdentity;
  iam: IAMClient;
  /** Number of AWS requests made through these clients (benchmarks). */
  requests: { count: number };
}

const DEFAULT_REGION = "us-east-1";

export function awsRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
}

/**
 * Counts requests on a client (SDK middleware) without touching its behaviour, and
 * names the operation on any error that comes out of it, so that a timeout or a
 * refusal can say which call failed.
 */
export function countRequests<T extends { middlewareStack: { add: Function } }>(client: T, counter: { count: number }): T {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      counter.count++;
      return next(args);
    },
    { step: "finalizeRequest", name: "authentikAwsGitopsRequestCounter" },
  );
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        if (error && typeof error === "object" && context.commandName) (error as { $command?: string }).$command ??= context.commandName.replace(/Command$/, "");
        throw error;
      }
    },
    { step: "initialize", name: "authentikAwsGitopsOperationName" },
  );
  return client;
}

/**
 * Retries and timeouts for every AWS client. Without a request timeout an endpoint
 * that accepts the connection and never answers hangs a plan forever. The timeout
 * per attempt is AUTHENTIK_AWS_GITOPS_AWS_TIMEOUT_SECONDS (default 30); how often and
 * how long a failing call is retried is the run's one retry policy (retry-policy.ts).
 */
export function sdkOptions(env: NodeJS.ProcessEnv, policy: AwsRetryPolicy) {
  const maxAttempts = policy.maxAttempts;
  const seconds = Number(env.AUTHENTIK_AWS_GITOPS_AWS_TIMEOUT_SECONDS);
  const requestTimeout = (Number.isFinite(seconds) && seconds > 0 ? seconds : 30) * 1000;
  return {
    maxAttempts,
    retryMode: "adaptive" as const,
    // This SDK only warns about a request over its requestTimeout unless told to throw.
    requestHandler: { connectionTimeout: Math.min(10_000, requestTimeout), requestTimeout, throwOnRequestTimeout: true },
  };
}

export async function accountClients(account: ResolvedAccount, env: NodeJS.ProcessEnv = process.env, policy: AwsRetryPolicy = AwsRetryPolicy.fromEnv(env)): Promise<AccountClients> {
  const region = awsRegion(env);
  const requests = { count: 0 };
  const SDK_RETRY = sdkOptions(env, policy);
  const where = `account ${account.alias} (${account.id})`;
  let credentials: AwsCredentialIdentity | undefined;
  let assumedArn: string | undefined;
  const sts = countRequests(policy.govern(new STSClient({ region, ...SDK_RETRY }), `STS for ${where}`), requests);
  try {
    if (account.assumeRoleArn) {
      const assumed = await sts.send(
        new AssumeRoleCommand({ RoleArn: account.assumeRoleArn, RoleSessionName: "authentik-aws-gitops", DurationSeconds: 3600 }),
      );
      assumedArn = assumed.AssumedRoleUser?.Arn;
      const c = assumed.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("STS returned no credentials");
      credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
    }
    // Never act on the wrong account: check whose credentials these really are. The
    // assumed role's ARN in AssumeRole's answer names its account, so a second call
    // (GetCallerIdentity) is needed only where no role is assumed.
    let actual: string | undefined;
    if (account.assumeRoleArn) {
      actual = /^arn:aws[\w-]*:sts::(\d{12}):assumed-role\//.exec(assumedArn ?? "")?.[1];
      if (!actual) throw new UserError(`STS did not say which account the role ${account.assumeRoleArn} is in (answer ARN '${assumedArn ?? ""}')`);
    } else {
      actual = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    }
    if (actual !== account.id) {
      throw new UserError(
        `AWS credentials for account '${account.alias}' belong to account ${actual}, not ${account.id}` +
          (account.assumeRoleArn ? "" : "; set aws.accounts." + account.alias + ".assumeRole or use credentials for that account"),
      );
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    const e = error as Error & { name?: string };
    throw new UserError(
      `cannot get AWS credentials for account '${account.alias}' (${account.id})${account.assumeRoleArn ? ` by assuming ${account.assumeRoleArn}` : ""}: ${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}`,
    );
  }
  const iam = countRequests(policy.govern(new IAMClient({ region, ...(credentials ? { credentials } : {}), ...SDK_RETRY }), `IAM in ${where}`), requests);
  return { account, region, ...(credentials ? { credentials } : {}), iam, requests };
}

/** The account the tool's own credentials (the default chain) are in. */
export async function callerAccountId(env: NodeJS.ProcessEnv, policy: AwsRetryPolicy, requests: { count: number }): Promise<string | undefined> {
  const sts = countRequests(policy.govern(new STSClient({ region: awsRegion(env), ...sdkOptions(env, policy) }), "STS"), requests);
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch {
    // Without it, accounts without an assumeRole are said to be unchecked.
    return undefined;
  }
}

/** IAM with the tool's own credentials (the default chain), its requests counted with the run's: to read AWS-managed policies, the same in every account. */
export function callerIamClient(env: NodeJS.ProcessEnv, policy: AwsRetryPolicy, requests: { count: number }): IAMClient {
  return countRequests(policy.govern(new IAMClient({ region: awsRegion(env), ...sdkOptions(env, policy) }), "IAM"), requests);
}
