import { AWS_AUDIENCE, AWS_SIGNIN_SAML, COMMERCIAL_REGIONS, partitionOfArn, partitionOfRegion, signInEndpoint, SUPPORTED_PARTITION } from "../../domain/aws-iam.js";
import { describePath, nameText, quoteName as q } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import { entries, isRec, list, section, type RuleContext } from "./context.js";

/**
 * ARNs across partitions and accounts, and the regions the configuration names.
 *
 * Partitions. classic-iam writes for the commercial partition `aws` only: its trust
 * policies (SAML provider ARNs `arn:aws:iam::…`, SAML:aud of signin.aws.amazon.com),
 * the audience urn:amazon:webservices and the ACS URL it gives authentik are those of
 * `aws`, so an ARN or region of another partition (GovCloud, China) is refused rather
 * than set up half in one partition and half in the other. identity-center takes its
 * SAML endpoints from the instance's SP metadata and calls the instance's region, so
 * it works in the instance's partition, whichever: every ARN of the file must be of one
 * partition (the instance ARN's, when given), and the region of it.
 *
 * Accounts: a role is created in each of its accounts with the same policy ARNs; IAM
 * attaches to a role only AWS-managed policies and the policies of its own account.
 */
export function partitions(ctx: RuleContext): void {
  const aws = section(ctx.data, "aws");
  const ic = section(aws, "identityCenter");
  const classicOnly = `mode classic-iam does not support: the trust policies, IAM SAML provider ARNs, SAML audience (${AWS_AUDIENCE}) and sign-in URLs (${AWS_SIGNIN_SAML}) it writes are those of the commercial partition ${SUPPORTED_PARTITION}`;
  /** identity-center: the partition the file's ARNs are of — the instance ARN's, else the first one's. */
  let reference: { path: DocPath; id: string; name: string } | undefined;
  const arn = (path: DocPath, value: unknown) => {
    if (typeof value !== "string") return;
    const p = partitionOfArn(value);
    if (!p) return;
    if (ctx.mode === "classic-iam" && p.id !== SUPPORTED_PARTITION) {
      ctx.error(path, `'${describePath(path)}' is an ARN of partition ${p.id} (${p.name}), which ${classicOnly}`);
    } else if (ctx.mode === "identity-center") {
      if (!reference) reference = { path, ...p };
      else if (p.id !== reference.id) {
        ctx.error(
          path,
          `'${describePath(path)}' is an ARN of partition ${p.id} (${p.name}), but '${describePath(reference.path)}' is of partition ${reference.id} (${reference.name}); IAM Identity Center attaches and provisions only within its instance's partition`,
        );
      }
    }
  };
  /** A region classic-iam can use; false (reported) when it is of another partition. */
  const classicRegion = (path: DocPath, value: string): boolean => {
    const p = partitionOfRegion(value);
    if (p && p.id !== SUPPORTED_PARTITION) {
      ctx.error(path, `'${describePath(path)}' ${nameText(value)} is a region of partition ${p.id} (${p.name}), which ${classicOnly}`);
      return false;
    }
    return true;
  };

  arn(["aws", "identityCenter", "instanceArn"], ic.instanceArn);
  for (const [alias, account] of entries(aws.accounts)) if (isRec(account)) arn(["aws", "accounts", alias, "assumeRole"], account.assumeRole);
  for (const [i, r] of list(aws.signInRegions).entries()) {
    // Only region codes (the schema reports anything else).
    if (typeof r !== "string" || ctx.mode !== "classic-iam" || !/^[a-z]{2,4}(?:-[a-z]+)+-\d+$/.test(r)) continue;
    if (classicRegion(["aws", "signInRegions", i], r) && !COMMERCIAL_REGIONS.includes(r)) {
      ctx.warn(["aws", "signInRegions", i], `${q(r)} is not a region this release knows to have an AWS sign-in endpoint (${nameText(signInEndpoint(r))}); check the spelling — sign-ins posted to an endpoint that does not exist fail`);
    }
  }

  const ids = new Map(entries(aws.accounts).flatMap(([alias, a]) => (isRec(a) && typeof a.id === "string" ? [[alias, a.id] as const] : [])));
  for (const [name, role] of entries(ctx.data.roles)) {
    if (!isRec(role)) continue;
    const refs: [DocPath, unknown][] = [
      ...list(role.managedPolicies).map((v, i): [DocPath, unknown] => [["roles", name, "managedPolicies", i], v]),
      [["roles", name, "permissionsBoundary"], role.permissionsBoundary],
    ];
    for (const [path, value] of refs) {
      arn(path, value);
      const owner = typeof value === "string" ? /^arn:[^:]+:iam::(\d{12}):policy\//.exec(value)?.[1] : undefined;
      const accounts = ctx.found.roleAccounts.get(name);
      if (owner === undefined || !accounts) continue;
      const others = [...accounts].filter((alias) => ids.has(alias) && ids.get(alias) !== owner);
      if (others.length === 0) continue;
      ctx.error(
        path,
        `role ${q(name)} exists in account${others.length > 1 ? "s" : ""} ${others.map((alias) => `${q(alias)} (${ids.get(alias)})`).join(", ")}, but '${describePath(path)}' is a policy of account ${owner}; IAM attaches to a role only AWS-managed policies and policies of the role's own account — use an AWS-managed or inline policy, or declare a role for each account`,
      );
    }
  }
  for (const [name, ps] of entries(ctx.data.permissionSets)) {
    if (!isRec(ps)) continue;
    for (const [i, value] of list(ps.managedPolicies).entries()) arn(["permissionSets", name, "managedPolicies", i], value);
    if (isRec(ps.permissionsBoundary)) arn(["permissionSets", name, "permissionsBoundary", "managedPolicyArn"], ps.permissionsBoundary.managedPolicyArn);
  }

  // The region the tool calls IAM Identity Center in, against the partition of the ARNs. (A
  // warning, not an error: a GovCloud region with the example's commercial ARNs validates.)
  const region = typeof ic.region === "string" ? ic.region : undefined;
  const regionPartition = region === undefined ? undefined : partitionOfRegion(region);
  if (ctx.mode === "identity-center" && reference && regionPartition && regionPartition.id !== reference.id) {
    ctx.warn(
      ["aws", "identityCenter", "region"],
      `'aws.identityCenter.region' ${nameText(region!)} is a region of partition ${regionPartition.id} (${regionPartition.name}), but this file's ARNs are of partition ${reference.id} (${reference.name}), as '${describePath(reference.path)}' is; IAM Identity Center works only within its instance's partition, so one of them is wrong`,
    );
  }
}
