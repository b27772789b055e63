/**
 * Whether a managed policy exists in an account (IAM GetPolicy), for the plan's
 * preflight (src/plan/policy-preflight.ts). A refusal to look is said, not guessed.
 */
import { GetPolicyCommand, NoSuchEntityException, type IAMClient } from "@aws-sdk/client-iam";
import type { PolicyLookupResult } from "../../domain/aws-iam.js";
import { awsFailure } from "./errors.js";

export async function policyExists(iam: IAMClient, arn: string, where: string): Promise<PolicyLookupResult> {
  try {
    await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    return { found: true };
  } catch (error) {
    if (error instanceof NoSuchEntityException || (error as { name?: string }).name === "NoSuchEntity") return { found: false };
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === "AccessDenied" || e.name === "AccessDeniedException" || e.$metadata?.httpStatusCode === 403) return { unknown: `iam:GetPolicy was refused in ${where}` };
    throw awsFailure(error, `looking up ${arn} in ${where}`);
  }
}
