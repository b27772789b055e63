/** aws.sso.account_assignment: a group of the Identity Store given a permission set in an account. */
import { CreateAccountAssignmentCommand, DeleteAccountAssignmentCommand, ResourceNotFoundException } from "@aws-sdk/client-sso-admin";
import type { Ref } from "../domain/plan-types.js";
import { allAssignments, createIdempotently, settle } from "../providers/aws/sso-writes.js";
import { need, type ResourceKind } from "./kind.js";

export interface AccountAssignmentProps {
  /** The group's display name in the Identity Store (SCIM provisions it from authentik's group of that name). */
  group: string;
  permission_set: Ref;
  account_id: string;
}

const PERMISSION_SET = /^aws\.sso\.permission_set\[(.*)\]$/;

export const accountAssignment: ResourceKind<AccountAssignmentProps> = {
  type: "aws.sso.account_assignment",
  system: "aws",
  order: 110,
  reader: "identity-center",
  missing: (r) => (r.account ? `does not exist in account ${r.account}` : "does not exist in aws"),
  access({ account, props }) {
    const ref = props.permission_set?.$ref ?? "";
    return { group: props.group, grant: PERMISSION_SET.exec(ref)?.[1] ?? ref, account: account ?? props.account_id, accountId: props.account_id };
  },
  // AWS allows at most 10 CreateAccountAssignment in flight.
  lane: () => ({ key: "assignments", limit: 10 }),
  async apply(change, ctx) {
    const ic = need(ctx.identityCenter, "IAM Identity Center");
    const InstanceArn = ic.instanceArn;
    if (change.action === "delete") {
      const id = JSON.parse(change.liveId!) as { principalId: string; permissionSetArn: string; accountId: string };
      // Copies of one assignment are removed by the same call: while one removal runs,
      // AWS answers the next with ConflictException, which is retried with back-off.
      // Sent without the SDK's retries: these attempts are the retries (one policy).
      const deleted = await createIdempotently(
        () =>
          ic.clients.ssoAdminCreate.send(
            new DeleteAccountAssignmentCommand({
              InstanceArn,
              TargetId: id.accountId,
              TargetType: "AWS_ACCOUNT",
              PermissionSetArn: id.permissionSetArn,
              PrincipalType: "GROUP",
              PrincipalId: id.principalId,
            }),
          ),
        async () => false,
        ic.clients.retry.maxAttempts,
      ).catch((error: unknown) => {
        if (error instanceof ResourceNotFoundException) return undefined; // already gone
        throw error;
      });
      await settle(ic, "deletion", `removing ${change.title}`, deleted?.AccountAssignmentDeletionStatus);
      return;
    }
    const after = change.after!;
    const PermissionSetArn = ic.permissionSetArns.get(after.permission_set.$ref);
    if (!PermissionSetArn) throw new Error(`internal: the ARN of ${after.permission_set.$ref} is not known`);
    const PrincipalId = await ic.groupId(after.group);
    const input = { InstanceArn, TargetId: after.account_id, TargetType: "AWS_ACCOUNT" as const, PermissionSetArn, PrincipalType: "GROUP" as const, PrincipalId };
    // Already assigned (a lost answer of our own create, or a ConflictException saying so) is done.
    const exists = async () => {
      const list = await allAssignments(ic, input.TargetId, PermissionSetArn);
      return list.some((a) => a.PrincipalType === "GROUP" && a.PrincipalId === PrincipalId);
    };
    const created = await createIdempotently(() => ic.clients.ssoAdminCreate.send(new CreateAccountAssignmentCommand(input)), exists, ic.clients.retry.maxAttempts);
    if (!created) return;
    await settle(ic, "creation", `assigning ${change.title}`, created.AccountAssignmentCreationStatus);
  },
};
