import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ListInstancesCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { describe, expect, it } from "vitest";
import { AwsGaveUpError, AwsRetryPolicy, awsFailingOnItsSide } from "../../src/providers/aws/retry-policy.js";

/** SDK-shaped errors: what the policy classifies. */
const serverError = () => Object.assign(new Error("We encountered an internal error"), { name: "InternalServerException", $metadata: { httpStatusCode: 500 } });
const throttled = () => Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } });
const refused = () => Object.assign(new Error("not authorized"), { name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });

function clocked(budgetSeconds: number) {
  let now = 0;
  const policy = new AwsRetryPolicy({ budgetSeconds, now: () => now });
  return { policy, advance: (s: number) => (now += s * 1000) };
}

describe("AwsRetryPolicy: one budget per failing operation, for the whole run", () => {
  it("gives an operation up once AWS has failed it, without a success, for the budget; every later call fails at once", () => {
    const { policy, advance } = clocked(60);
    expect(policy.failed("IAM Identity Center (us-east-1)", "ListAccountAssignmentCreationStatus", serverError())).toBeUndefined();
    advance(59);
    expect(policy.failed("IAM Identity Center (us-east-1)", "ListAccountAssignmentCreationStatus", serverError())).toBeUndefined();
    advance(2);
    const given = policy.failed("IAM Identity Center (us-east-1)", "ListAccountAssignmentCreationStatus", serverError());
    expect(given).toBeInstanceOf(AwsGaveUpError);
    expect(given!.message).toContain("AWS kept failing ListAccountAssignmentCreationStatus in IAM Identity Center (us-east-1) for 61 s (3 attempt(s), last: HTTP 500 InternalServerException");
    expect(() => policy.before("IAM Identity Center (us-east-1)", "ListAccountAssignmentCreationStatus")).toThrow(AwsGaveUpError);
    // The same operation elsewhere, and other operations, are not affected.
    expect(() => policy.before("IAM Identity Center (eu-west-1)", "ListAccountAssignmentCreationStatus")).not.toThrow();
    expect(() => policy.before("IAM Identity Center (us-east-1)", "CreateAccountAssignment")).not.toThrow();
  });

  it("a success in between starts the count again; throttling counts as failing; a refusal spends nothing", () => {
    const { policy, advance } = clocked(10);
    policy.failed("IAM in account dev (222222222222)", "CreateRole", throttled());
    advance(9);
    policy.succeeded("IAM in account dev (222222222222)", "CreateRole");
    advance(9);
    expect(policy.failed("IAM in account dev (222222222222)", "CreateRole", throttled())).toBeUndefined();
    advance(11);
    expect(policy.failed("IAM in account dev (222222222222)", "CreateRole", throttled())).toBeInstanceOf(AwsGaveUpError);
    advance(100);
    expect(policy.failed("IAM in account dev (222222222222)", "GetRole", refused())).toBeUndefined();
    expect(policy.failed("IAM in account dev (222222222222)", "GetRole", refused())).toBeUndefined();
  });

  it("is read from AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS, default 120 s", () => {
    expect(AwsRetryPolicy.fromEnv({}).budgetMs).toBe(120_000);
    expect(AwsRetryPolicy.fromEnv({ AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS: "30" }).budgetMs).toBe(30_000);
    expect(AwsRetryPolicy.fromEnv({ AUTHENTIK_AWS_GITOPS_AWS_RETRY_SECONDS: "soon" }).budgetMs).toBe(120_000);
  });

  it("a given-up error is not one the SDK retries (no status, no cause to look into)", () => {
    const { policy, advance } = clocked(0);
    advance(1);
    const given = policy.failed("AWS Organizations", "ListAccounts", serverError())!;
    expect(given).toBeInstanceOf(AwsGaveUpError);
    expect("$metadata" in given).toBe(false);
    expect(given.cause).toBeUndefined();
  });

  it("when the SDK's attempts run out before the budget, the error names the call, the place and the streak, and is still AWS failing", async () => {
    // A real SDK client against an endpoint that answers 500 every time.
    const server = createServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "InternalServerException" });
      res.end(JSON.stringify({ __type: "InternalServerException", message: "no reason given" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const policy = new AwsRetryPolicy({ budgetSeconds: 600, maxAttempts: 2 });
      const client = policy.govern(
        new SSOAdminClient({ region: "us-east-1", endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxAttempts: 2, credentials: { accessKeyId: "x", secretAccessKey: "y" } }),
        "IAM Identity Center (us-east-1)",
      );
      const error = await client.send(new ListInstancesCommand({})).then(() => undefined, (e: unknown) => e as Error);
      expect(error).toBeDefined();
      expect(error!.message).toMatch(/^AWS kept failing ListInstances in IAM Identity Center \(us-east-1\) for \d+ s \(2 attempt\(s\), last: HTTP 500 InternalServerException: no reason given\)$/);
      expect(error).not.toBeInstanceOf(AwsGaveUpError);
      expect(awsFailingOnItsSide(error)).toBe(true);
    } finally {
      server.close();
    }
  });
});
