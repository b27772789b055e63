/**
 * What AWS says of its adjustable quotas and how much of them is used, for the plan's
 * quota check (src/plan/quota-checks.ts): IAM's own summary of an account, Service
 * Quotas for IAM Identity Center, and the permission sets provisioned to an account.
 */
import { GetAccountSummaryCommand, type IAMClient } from "@aws-sdk/client-iam";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, NoSuchResourceException, type ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { ListPermissionSetsProvisionedToAccountCommand, type SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { AWS_QUOTAS, type AdjustableQuota, type IamSummary, type QuotaValue } from "../../domain/aws-quotas.js";
import { UserError } from "../../errors.js";
import { awsFailure } from "./errors.js";

/** IAM's usage and quotas of one account (GetAccountSummary): the values in force, raised or not. */
export async function iamSummary(iam: IAMClient, where: string): Promise<IamSummary> {
  const map = ((await iam.send(new GetAccountSummaryCommand({})).catch((error: unknown) => {
    throw awsFailure(error, `reading IAM's account summary (quotas) in ${where}`);
  })).SummaryMap ?? {}) as Record<string, number | undefined>;
  const value = (quota: AdjustableQuota): QuotaValue => {
    const v = quota.summaryKey ? map[quota.summaryKey] : undefined;
    return typeof v === "number" ? { value: v, source: `IAM's GetAccountSummary in ${where}` } : { value: quota.default, source: "AWS's default", fallback: `IAM's GetAccountSummary in ${where} did not give ${quota.summaryKey}` };
  };
  return { roles: map[AWS_QUOTAS.rolesPerAccount.usageKey] ?? 0, rolesQuota: value(AWS_QUOTAS.rolesPerAccount), policiesPerRoleQuota: value(AWS_QUOTAS.managedPoliciesPerRole) };
}

/**
 * The quota in force from Service Quotas: the applied value, else (never changed) AWS's
 * default as Service Quotas states it, else — not offered here, or not allowed — the
 * published default, said to be that.
 */
export async function serviceQuota(client: ServiceQuotasClient, quota: AdjustableQuota): Promise<QuotaValue> {
  const code = quota.serviceQuota!;
  const input = { ServiceCode: code.serviceCode, QuotaCode: code.quotaCode };
  const why = (error: unknown) => {
    const e = error as { name?: string; message?: string };
    return `Service Quotas did not give ${code.serviceCode} ${code.quotaCode} (${e?.name ?? "Error"}${e?.message ? `: ${e.message.slice(0, 120)}` : ""})`;
  };
  try {
    const applied = (await client.send(new GetServiceQuotaCommand(input))).Quota?.Value;
    if (typeof applied === "number") return { value: applied, source: `Service Quotas ${code.serviceCode} ${code.quotaCode}` };
  } catch (error) {
    if (error instanceof UserError) return { value: quota.default, source: "AWS's default", fallback: error.message };
    if (!(error instanceof NoSuchResourceException)) return { value: quota.default, source: "AWS's default", fallback: why(error) };
  }
  try {
    const standard = (await client.send(new GetAWSDefaultServiceQuotaCommand(input))).Quota?.Value;
    if (typeof standard === "number") return { value: standard, source: `Service Quotas ${code.serviceCode} ${code.quotaCode} (AWS's default, not raised)` };
    return { value: quota.default, source: "AWS's default", fallback: `Service Quotas gave no value for ${code.serviceCode} ${code.quotaCode}` };
  } catch (error) {
    return { value: quota.default, source: "AWS's default", fallback: error instanceof UserError ? error.message : why(error) };
  }
}

/** The ARNs of the permission sets provisioned to an account now. */
export async function provisionedPermissionSets(sso: SSOAdminClient, instanceArn: string, accountId: string): Promise<Set<string>> {
  const out = new Set<string>();
  let NextToken: string | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await sso.send(new ListPermissionSetsProvisionedToAccountCommand({ InstanceArn: instanceArn, AccountId: accountId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })).catch((error: unknown) => {
      throw awsFailure(error, `listing the permission sets provisioned to account ${accountId}`);
    });
    for (const arn of page.PermissionSets ?? []) out.add(arn);
    if (!page.NextToken || page.NextToken === NextToken) break;
    NextToken = page.NextToken;
  }
  return out;
}
