import { AWS_LIMITS } from "../../domain/aws-quotas.js";
import { describePath, nameText } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import { entries, isRec, list, type RuleContext } from "./context.js";

/**
 * Policy ARNs and paths as IAM and IAM Identity Center take them (the API models'
 * patterns and lengths, botocore: iam 2010-05-08, sso-admin 2020-07-20). The schema's
 * forms are broader (any printable path); what they let through and AWS refuses is
 * refused here, saying which pattern.
 */

/** A policy path: CreatePolicy's Path and sso-admin's ManagedPolicyPath, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`. */
const POLICY_PATH = /^(?:\/[A-Za-z0-9.,+@=_-]+)*\/$/;
/** sso-admin's ManagedPolicyArn: `arn:aws(-[a-z]{1,5}){0,3}:iam::aws:policy((/[A-Za-z0-9\.,\+@=_-]+)*)/([A-Za-z0-9\.,\+=@_-]+)`. */
const SSO_MANAGED_POLICY_ARN = /^arn:aws(?:-[a-z]{1,5}){0,3}:iam::aws:policy(?:\/[A-Za-z0-9.,+@=_-]+)*\/[A-Za-z0-9.,+=@_-]+$/;
/** Any managed policy ARN the schema accepts, split: account (or "aws"), path, name. */
const POLICY_ARN = /^arn:[^:]+:iam::(aws|\d{12}):policy(\/(?:.*\/)?)([^/]+)$/;

const PATH_RULE = "/ or segments of letters, digits and . , + @ = _ - each between slashes, like /team/ (IAM's and IAM Identity Center's pattern for policy paths)";

export function policyNames(ctx: RuleContext): void {
  const arn = (path: DocPath, value: unknown): RegExpExecArray | undefined => {
    if (typeof value !== "string") return undefined;
    if (value.length > AWS_LIMITS.policyArnChars) {
      ctx.error(path, `'${describePath(path)}' is ${value.length} characters long; IAM takes policy ARNs of at most ${AWS_LIMITS.policyArnChars}`);
      return undefined;
    }
    return POLICY_ARN.exec(value) ?? undefined;
  };
  const policyPath = (path: DocPath, value: unknown) => {
    if (typeof value === "string" && !POLICY_PATH.test(value)) ctx.error(path, `'${describePath(path)}' is not a policy path IAM accepts: ${PATH_RULE}`);
  };

  for (const [name, role] of entries(ctx.data.roles)) {
    if (!isRec(role)) continue;
    const refs: [DocPath, unknown][] = [
      ...list(role.managedPolicies).map((v, i): [DocPath, unknown] => [["roles", name, "managedPolicies", i], v]),
      [["roles", name, "permissionsBoundary"], role.permissionsBoundary],
    ];
    for (const [path, value] of refs) {
      const m = arn(path, value);
      if (m && !POLICY_PATH.test(m[2]!)) ctx.error(path, `'${describePath(path)}' names a policy path IAM never makes; a policy path is ${PATH_RULE}`);
    }
  }

  for (const [name, ps] of entries(ctx.data.permissionSets)) {
    if (!isRec(ps)) continue;
    const path: DocPath = ["permissionSets", name];
    const ssoArn = (at: DocPath, value: unknown) => {
      const m = arn(at, value);
      if (m && m[1] === "aws" && !SSO_MANAGED_POLICY_ARN.test(value as string)) {
        ctx.error(
          at,
          `'${describePath(at)}' is not a policy ARN IAM Identity Center accepts: arn:aws:iam::aws:policy/, an optional path of segments of letters, digits and . , + @ = _ - each followed by /, then the policy name (sso-admin's pattern for ManagedPolicyArn)`,
        );
      }
      return m;
    };
    // Customer-managed ARNs here are refused by the permission sets rule; only the AWS-managed ones are checked further.
    for (const [i, value] of list(ps.managedPolicies).entries()) ssoArn([...path, "managedPolicies", i], value);
    for (const [i, ref] of list(ps.customerManagedPolicies).entries()) {
      if (isRec(ref)) policyPath([...path, "customerManagedPolicies", i, "path"], ref.path);
    }
    const boundary = isRec(ps.permissionsBoundary) ? ps.permissionsBoundary : {};
    if (isRec(boundary.customerManagedPolicy)) policyPath([...path, "permissionsBoundary", "customerManagedPolicy", "path"], boundary.customerManagedPolicy.path);
    const at: DocPath = [...path, "permissionsBoundary", "managedPolicyArn"];
    const m = ssoArn(at, boundary.managedPolicyArn);
    if (m && m[1] !== "aws") {
      ctx.error(
        at,
        `'${describePath(at)}' is a customer-managed policy; IAM Identity Center takes only an AWS-managed policy by ARN (arn:aws:iam::aws:policy/…), and a customer-managed one by name and path, from each account it provisions to: write customerManagedPolicy: { name: ${nameText(m[3]!)}, path: ${nameText(m[2]!)} }`,
      );
    }
  }
}
