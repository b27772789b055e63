/** aws.sso.permission_set: a permission set of IAM Identity Center, provisioned to the accounts it is assigned in. */
import {
  AttachCustomerManagedPolicyReferenceToPermissionSetCommand,
  AttachManagedPolicyToPermissionSetCommand,
  CreatePermissionSetCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  DeletePermissionSetCommand,
  DeletePermissionsBoundaryFromPermissionSetCommand,
  DetachCustomerManagedPolicyReferenceFromPermissionSetCommand,
  DetachManagedPolicyFromPermissionSetCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  PutPermissionsBoundaryToPermissionSetCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePermissionSetCommand,
} from "@aws-sdk/client-sso-admin";
import { parseDuration } from "../config/durations.js";
import { deepEqual } from "../domain/canonical.js";
import { policyJson } from "../domain/policy-normalize.js";
import { permissionSetIdentity } from "../providers/aws/sso-read.js";
import { boundaryInput, createIdempotently, customerRef, findOwnPermissionSet, ignoreNotFound, settle, type Boundary, type CustomerRef } from "../providers/aws/sso-writes.js";
import { need, type ResourceKind } from "./kind.js";

type Policy = Record<string, unknown>;

export interface PermissionSetProps {
  name: string;
  description: string;
  /** ISO 8601 ("PT4H"), as Identity Center takes it. */
  session_duration: string;
  relay_state: string;
  managed_policies: string[];
  customer_managed_policies: CustomerRef[];
  inline_policy: Policy | null;
  permissions_boundary: Boundary;
  tags: Record<string, string>;
  /**
   * Live: set when some account holds an older version of the set (src/domain/provisioning.ts);
   * desired: PROVISIONED_EVERYWHERE then. Absent on both sides otherwise.
   */
  provisioning?: string;
}

/** What a permission set has before its create: nothing, so the steps below add everything. */
const NOTHING: Pick<PermissionSetProps, "managed_policies" | "customer_managed_policies" | "inline_policy" | "permissions_boundary" | "tags"> = {
  managed_policies: [],
  customer_managed_policies: [],
  inline_policy: null,
  permissions_boundary: null,
  tags: {},
};

export const permissionSet: ResourceKind<PermissionSetProps> = {
  type: "aws.sso.permission_set",
  system: "aws",
  order: 100,
  reader: "identity-center",
  missing: () => "does not exist in IAM Identity Center",
  // Permission set names are unique per instance, ignoring letter case.
  identity: (r) => permissionSetIdentity(r.props.name),
  // A set some account holds an older version of: "needs re-provisioning", made by the
  // ProvisionPermissionSet every update ends with.
  updateReason(fields) {
    if (!fields.includes("provisioning")) return undefined;
    const others = fields.filter((f) => f !== "provisioning");
    return others.length === 0
      ? "needs re-provisioning: changed since it was last provisioned to the accounts it is assigned in"
      : `live ${others.join(", ")} ${others.length === 1 ? "differs" : "differ"} from the configuration, and it needs re-provisioning`;
  },
  grant: { scope: "assignments", name: (p) => p.name, sessionSeconds: (p) => parseDuration(p.session_duration) },
  // AWS allows one permission-set provisioning per account at a time: changes that re-provision go one by one.
  lane: (c, ctx) => (c.action === "update" || c.action === "adopt" ? { key: "provisioning", limit: 1 } : { key: "aws", limit: ctx.concurrency }),
  async apply(change, ctx) {
    const ic = need(ctx.identityCenter, "IAM Identity Center");
    const sso = ic.clients.ssoAdmin;
    const InstanceArn = ic.instanceArn;
    if (change.action === "delete") {
      await ignoreNotFound(sso.send(new DeletePermissionSetCommand({ InstanceArn, PermissionSetArn: change.liveId! })));
      return;
    }
    const after = change.after!;
    const before = change.action === "create" ? NOTHING : change.before!;
    let PermissionSetArn = change.liveId;
    if (change.action === "create") {
      // A create whose answer was lost, resent, would make a second permission set (or
      // fail as a conflict): look for the one this create made (name and tags) first.
      let found: string | undefined;
      const created = await createIdempotently(
        () =>
          ic.clients.ssoAdminCreate.send(
            new CreatePermissionSetCommand({
              InstanceArn,
              Name: after.name,
              ...(after.description ? { Description: after.description } : {}),
              SessionDuration: after.session_duration,
              ...(after.relay_state ? { RelayState: after.relay_state } : {}),
              Tags: Object.entries(after.tags).map(([Key, Value]) => ({ Key, Value })),
            }),
          ),
        async () => Boolean((found = await findOwnPermissionSet(ic, after.name, after.tags))),
        ic.clients.retry.maxAttempts,
      );
      PermissionSetArn = created?.PermissionSet?.PermissionSetArn ?? found!;
      ic.permissionSetArns.set(change.address, PermissionSetArn);
    } else {
      const b = change.before!;
      if (b.description !== after.description || b.session_duration !== after.session_duration || b.relay_state !== after.relay_state) {
        // Send every field that has a value: AWS rejects empty strings (and cannot
        // clear a description through this call), and moto clears what is left out.
        await sso.send(
          new UpdatePermissionSetCommand({
            InstanceArn,
            PermissionSetArn,
            ...(after.description ? { Description: after.description } : {}),
            SessionDuration: after.session_duration,
            ...(after.relay_state ? { RelayState: after.relay_state } : {}),
          }),
        );
      }
      const removed = Object.keys(b.tags).filter((k) => !(k in after.tags));
      const changed = Object.entries(after.tags).filter(([k, v]) => b.tags[k] !== v);
      if (removed.length) await sso.send(new UntagResourceCommand({ InstanceArn, ResourceArn: PermissionSetArn, TagKeys: removed }));
      if (changed.length) await sso.send(new TagResourceCommand({ InstanceArn, ResourceArn: PermissionSetArn, Tags: changed.map(([Key, Value]) => ({ Key, Value })) }));
    }

    const bm = new Set(before.managed_policies);
    const am = new Set(after.managed_policies);
    for (const arn of am) if (!bm.has(arn)) await sso.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn, ManagedPolicyArn: arn }));
    for (const arn of bm) if (!am.has(arn)) await ignoreNotFound(sso.send(new DetachManagedPolicyFromPermissionSetCommand({ InstanceArn, PermissionSetArn, ManagedPolicyArn: arn })));

    const key = (r: CustomerRef) => `${r.path}${r.name}`;
    const bc = new Map(before.customer_managed_policies.map((r) => [key(r), r]));
    const ac = new Map(after.customer_managed_policies.map((r) => [key(r), r]));
    for (const [k, r] of ac) if (!bc.has(k)) await sso.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ InstanceArn, PermissionSetArn, CustomerManagedPolicyReference: customerRef(r) }));
    for (const [k, r] of bc) if (!ac.has(k)) await ignoreNotFound(sso.send(new DetachCustomerManagedPolicyReferenceFromPermissionSetCommand({ InstanceArn, PermissionSetArn, CustomerManagedPolicyReference: customerRef(r) })));

    if (!deepEqual(before.inline_policy, after.inline_policy)) {
      if (after.inline_policy) await sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn, InlinePolicy: policyJson(after.inline_policy) }));
      else await ignoreNotFound(sso.send(new DeleteInlinePolicyFromPermissionSetCommand({ InstanceArn, PermissionSetArn })));
    }
    if (!deepEqual(before.permissions_boundary, after.permissions_boundary)) {
      const b = after.permissions_boundary;
      if (b) await sso.send(new PutPermissionsBoundaryToPermissionSetCommand({ InstanceArn, PermissionSetArn, PermissionsBoundary: boundaryInput(b) }));
      else await ignoreNotFound(sso.send(new DeletePermissionsBoundaryFromPermissionSetCommand({ InstanceArn, PermissionSetArn })));
    }

    // An adopted set is re-provisioned only when more than its tags changes.
    if (change.action === "update" || (change.action === "adopt" && change.fields.some((f) => f.field.split(".")[0] !== "tags"))) {
      // A changed permission set reaches the accounts it is provisioned to only once re-provisioned.
      // AWS allows one provisioning per account at a time and answers ConflictException
      // otherwise (also while an assignment provisions the set): retried with back-off.
      const provisioned = await createIdempotently(
        () => ic.clients.ssoAdminCreate.send(new ProvisionPermissionSetCommand({ InstanceArn, PermissionSetArn, TargetType: "ALL_PROVISIONED_ACCOUNTS" })),
        async () => false,
        ic.clients.retry.maxAttempts,
      );
      await settle(ic, "provisioning", `re-provisioning permission set ${after.name}`, provisioned?.PermissionSetProvisioningStatus);
    }
  },
};
