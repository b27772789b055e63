/** aws.iam.role: a role people assume through SAML, in each account it is declared for. */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { deepEqual } from "../domain/canonical.js";
import { policyJson } from "../domain/policy-normalize.js";
import { createRoleOnce, ignoreMissing, tagList } from "../providers/aws/iam-writes.js";
import { roleIdentity } from "../providers/aws/iam-read.js";
import { missingIn, need, type ResourceKind } from "./kind.js";

type Policy = Record<string, unknown>;

export interface IamRoleProps {
  name: string;
  path: string;
  description: string;
  trust_policy: Policy;
  max_session_duration: number;
  /** ARNs, sorted. */
  managed_policies: string[];
  /** By name, normalized. */
  inline_policies: Record<string, Policy>;
  permissions_boundary: string | null;
  tags: Record<string, string>;
}

/** What a role has before its create: nothing, so the steps below add everything. */
const NOTHING: Pick<IamRoleProps, "managed_policies" | "inline_policies" | "tags" | "permissions_boundary" | "trust_policy" | "description" | "max_session_duration"> = {
  managed_policies: [],
  inline_policies: {},
  tags: {},
  permissions_boundary: null,
  trust_policy: {},
  description: "",
  max_session_duration: 0,
};

export const iamRole: ResourceKind<IamRoleProps> = {
  type: "aws.iam.role",
  system: "aws",
  order: 90,
  reader: "iam",
  missing: missingIn("aws"),
  // IAM role names are unique per account, whatever their path, ignoring letter case.
  identity: (r) => (r.account ? roleIdentity(r.account, r.props.name) : undefined),
  grant: { scope: "account", name: (p) => p.name, sessionSeconds: (p) => p.max_session_duration },
  async apply(change, ctx) {
    const { iam } = need(ctx.iam, "IAM")(change.account!).clients;
    if (change.action === "delete") {
      const before = change.before!;
      const RoleName = before.name;
      // IAM refuses to delete a role that still has policies.
      for (const arn of before.managed_policies) await ignoreMissing(iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: arn })));
      for (const name of Object.keys(before.inline_policies)) await ignoreMissing(iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: name })));
      await ignoreMissing(iam.send(new DeleteRoleCommand({ RoleName })));
      return;
    }
    const after = change.after!;
    const RoleName = after.name;
    const before = change.action === "create" ? NOTHING : change.before!;

    if (change.action === "create") {
      await createRoleOnce(iam, after, () =>
        iam.send(
          new CreateRoleCommand({
            RoleName,
            Path: after.path,
            AssumeRolePolicyDocument: policyJson(after.trust_policy),
            Description: after.description,
            MaxSessionDuration: after.max_session_duration,
            ...(after.permissions_boundary ? { PermissionsBoundary: after.permissions_boundary } : {}),
            Tags: tagList(after.tags),
          }),
        ),
      );
    } else {
      if (!deepEqual(before.trust_policy, after.trust_policy)) {
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: policyJson(after.trust_policy) }));
      }
      if (before.description !== after.description || before.max_session_duration !== after.max_session_duration) {
        // UpdateRole resets whatever it is not given (MaxSessionDuration to 3600): send both.
        await iam.send(new UpdateRoleCommand({ RoleName, Description: after.description, MaxSessionDuration: after.max_session_duration }));
      }
      if (before.permissions_boundary !== after.permissions_boundary) {
        if (after.permissions_boundary) await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName, PermissionsBoundary: after.permissions_boundary }));
        else await ignoreMissing(iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName })));
      }
      const removedTags = Object.keys(before.tags).filter((k) => !(k in after.tags));
      const changedTags = Object.fromEntries(Object.entries(after.tags).filter(([k, v]) => before.tags[k] !== v));
      if (removedTags.length) await iam.send(new UntagRoleCommand({ RoleName, TagKeys: removedTags }));
      if (Object.keys(changedTags).length) await iam.send(new TagRoleCommand({ RoleName, Tags: tagList(changedTags) }));
    }

    const beforeManaged = new Set(before.managed_policies);
    const afterManaged = new Set(after.managed_policies);
    for (const arn of afterManaged) if (!beforeManaged.has(arn)) await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: arn }));
    for (const arn of beforeManaged) if (!afterManaged.has(arn)) await ignoreMissing(iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: arn })));

    for (const [name, doc] of Object.entries(after.inline_policies)) {
      if (!deepEqual(before.inline_policies[name], doc)) await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: name, PolicyDocument: policyJson(doc) }));
    }
    for (const name of Object.keys(before.inline_policies)) {
      if (!(name in after.inline_policies)) await ignoreMissing(iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: name })));
    }
  },
};
