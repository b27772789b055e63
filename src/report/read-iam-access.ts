/**
 * For the access report (classic-iam): what IAM says of the roles grants name — one
 * GetRole per distinct role, in the configuration's accounts only (the tool has no
 * credentials for others). Reads only.
 */
import { GetRoleCommand, NoSuchEntityException } from "@aws-sdk/client-iam";
import { decodePolicyDocument } from "../domain/policy-normalize.js";
import { trustsSamlProvider } from "./classic.js";
import type { AwsRoleCheck } from "./types.js";
import pLimit from "p-limit";
import type { AccountClients } from "../providers/aws/clients.js";

const ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role(?:\/(?:[\x21-\x7E]+\/)?)([\w+=,.@-]+)$/;

/** `${roleArn} ${samlProviderArn}` → the check, for each pair asked whose account has clients. */
export async function checkRoles(clients: readonly AccountClients[], pairs: readonly { roleArn: string; samlProviderArn: string }[], concurrency = 4): Promise<Map<string, AwsRoleCheck>> {
  const byAccount = new Map(clients.map((c) => [c.account.id, c]));
  const roles = [...new Set(pairs.map((p) => p.roleArn))];
  const found = new Map<string, { arn: string; trust: Record<string, unknown> | null } | null>();
  await pLimit(Math.max(1, concurrency)).map(roles, async (roleArn) => {
    const m = ROLE_ARN.exec(roleArn);
    const c = m ? byAccount.get(m[1]!) : undefined;
    if (!m || !c) return;
    try {
      const { Role } = await c.iam.send(new GetRoleCommand({ RoleName: m[2]! }));
      // The name is unique per account; the path must match too, or the ARN AWS is sent names no role.
      found.set(roleArn, Role?.Arn === roleArn ? { arn: Role.Arn, trust: Role.AssumeRolePolicyDocument ? decodePolicyDocument(Role.AssumeRolePolicyDocument) : null } : null);
    } catch (error) {
      if (error instanceof NoSuchEntityException || (error as { name?: string }).name === "NoSuchEntity") found.set(roleArn, null);
      else throw error;
    }
  });
  const out = new Map<string, AwsRoleCheck>();
  for (const p of pairs) {
    if (!found.has(p.roleArn)) continue;
    const role = found.get(p.roleArn);
    out.set(`${p.roleArn} ${p.samlProviderArn}`, !role ? "missing" : trustsSamlProvider(role.trust, p.samlProviderArn) ? "trusted" : "not-trusted");
  }
  return out;
}
