/**
 * Managed policies as the plan reads them: whether one exists in an account (IAM
 * GetPolicy), for the plan's preflight (src/plan/policy-preflight.ts), and the document
 * of its default version (GetPolicy, then GetPolicyVersion), for what a permission change
 * means in actions (src/plan/action-expansion.ts). A refusal to look is said, not guessed.
 */
import { GetPolicyCommand, GetPolicyVersionCommand, NoSuchEntityException, type IAMClient } from "@aws-sdk/client-iam";
import type { ManagedPolicyDocument, PolicyLookupResult } from "../../domain/aws-iam.js";
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

/** The document of a managed policy's default version: two requests (GetPolicy, GetPolicyVersion). */
export async function policyDocument(iam: IAMClient, arn: string, where: string): Promise<ManagedPolicyDocument> {
  try {
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const versionId = policy.Policy?.DefaultVersionId;
    if (!versionId) return { unread: `IAM gave no default version of it in ${where}` };
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
    const document = version.PolicyVersion?.Document;
    return document ? { document } : { unread: `IAM returned no document for its version ${versionId} in ${where}` };
  } catch (error) {
    if (error instanceof NoSuchEntityException || (error as { name?: string }).name === "NoSuchEntity") return { unread: `it does not exist in ${where}` };
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $command?: string };
    if (e.name === "AccessDenied" || e.name === "AccessDeniedException" || e.$metadata?.httpStatusCode === 403) return { unread: `iam:${e.$command ?? "GetPolicy"} was refused in ${where}` };
    throw awsFailure(error, `reading the document of ${arn} in ${where}`);
  }
}
