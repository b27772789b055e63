/**
 * aws.sso.access_control_attributes: the ABAC configuration of the IAM Identity Center
 * instance — which Identity Store attributes become session tags (aws:PrincipalTag/KEY).
 * One per instance; the configuration manages it when it declares
 * aws.identityCenter.accessControlAttributes (an instance setting carries no tag).
 */
import {
  CreateInstanceAccessControlAttributeConfigurationCommand,
  DeleteInstanceAccessControlAttributeConfigurationCommand,
  DescribeInstanceAccessControlAttributeConfigurationCommand,
  UpdateInstanceAccessControlAttributeConfigurationCommand,
} from "@aws-sdk/client-sso-admin";
import { UserError } from "../errors.js";
import { ignoreNotFound } from "../providers/aws/sso-writes.js";
import { need, type ResourceKind } from "./kind.js";

export interface AccessControlAttributesProps {
  /** Key → the Identity Store attribute it comes from ("${path:enterprise.department}"), sorted by key. */
  attributes: Record<string, string>;
  /** Live only, when AWS failed to enable it: why (a difference, so the plan writes it again). */
  status?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The configuration in AWS's shape. */
function configuration(attributes: Record<string, string>) {
  return { AccessControlAttributes: Object.entries(attributes).map(([Key, source]) => ({ Key, Value: { Source: [source] } })) };
}

export const accessControlAttributes: ResourceKind<AccessControlAttributesProps> = {
  type: "aws.sso.access_control_attributes",
  system: "aws",
  order: 95,
  reader: "identity-center",
  missing: () => "is not enabled in IAM Identity Center",
  sessionTags(change) {
    const before = change.before?.attributes ?? {};
    const after = change.after?.attributes ?? {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    const parts = [
      ...keys.filter((k) => !(k in before)).map((k) => `${k} added (${after[k]})`),
      ...keys.filter((k) => !(k in after)).map((k) => `${k} removed (was ${before[k]})`),
      ...keys.filter((k) => k in before && k in after && before[k] !== after[k]).map((k) => `${k} read from ${after[k]} instead of ${before[k]}`),
    ];
    return parts.length ? `attributes for access control of the Identity Center instance: ${parts.join(", ")}` : undefined;
  },
  async apply(change, ctx) {
    const ic = need(ctx.identityCenter, "IAM Identity Center");
    const sso = ic.clients.ssoAdmin;
    const InstanceArn = ic.instanceArn;
    if (change.action === "delete") {
      await ignoreNotFound(sso.send(new DeleteInstanceAccessControlAttributeConfigurationCommand({ InstanceArn })));
      return;
    }
    const InstanceAccessControlAttributeConfiguration = configuration(change.after!.attributes);
    if (change.action === "create") await sso.send(new CreateInstanceAccessControlAttributeConfigurationCommand({ InstanceArn, InstanceAccessControlAttributeConfiguration }));
    else await sso.send(new UpdateInstanceAccessControlAttributeConfigurationCommand({ InstanceArn, InstanceAccessControlAttributeConfiguration }));
    // AWS applies it asynchronously (CREATION_IN_PROGRESS); the apply is done once it is ENABLED.
    const started = Date.now();
    for (let wait = ic.poll?.initialMs ?? 500; ; wait = Math.min(wait * 2, 5_000)) {
      const status = await sso.send(new DescribeInstanceAccessControlAttributeConfigurationCommand({ InstanceArn }));
      if (status.Status === "ENABLED") return;
      if (status.Status === "CREATION_FAILED") throw new UserError(`IAM Identity Center could not enable the attributes for access control: ${status.StatusReason ?? "no reason given"}`);
      if (Date.now() - started > (ic.poll?.timeoutMs ?? 120_000)) throw new UserError("IAM Identity Center did not finish enabling the attributes for access control in time; run plan again to see where it stands");
      await sleep(wait);
    }
  },
};
