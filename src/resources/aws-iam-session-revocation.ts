/**
 * aws.iam.session_revocation: the inline policy the tool owns on a role to end the live
 * sessions of people a plan took the role away from (options.revokeSessions, classic-iam).
 *
 * Removing a binding in authentik stops new sign-ins, but credentials AWS already issued
 * stay valid until they expire (up to the role's MaxSessionDuration, 12 hours at most).
 * IAM evaluates a role session against the role's policies as they are at each request,
 * so a Deny added to the role takes effect for sessions already issued. AWS's own "Revoke
 * active sessions" (the console's AWSRevokeOlderSessions policy) denies every session
 * issued before a time; this denies only the sessions of the people who lost the role:
 * aws:userid of a role session is "<role id>:<session name>", and aws:TokenIssueTime is when
 * its credentials were issued, so a session issued after the apply (a person who is
 * entitled again, or another person) is not touched.
 *
 * One policy per role, one statement per instant (all people of one apply share it). Once
 * the longest session AWS allows (12 hours) has run out after that instant, every session it
 * names has expired anyway, and the plan drops the statement (src/plan/session-revocations.ts).
 */
import { DeleteRolePolicyCommand, GetRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { Ref } from "../domain/plan-types.js";
import { AT_APPLY, REVOCATION_POLICY_NAME, revocationInstant, revocationPolicy } from "../domain/session-revocation.js";
import { ignoreMissing } from "../providers/aws/iam-writes.js";
import { need, type ResourceKind } from "./kind.js";

export interface SessionRevocationProps {
  /** The role it is on: its create waits for the role, the role's delete waits for it. */
  role: Ref;
  role_name: string;
  /** Session name (the RoleSessionName authentik sends) → sessions issued before this instant (ISO 8601, UTC) are refused; AT_APPLY until applied. */
  sessions: Record<string, string>;
  /** Live only: statements in the policy that are not the tool's (edited by hand); the plan writes it again. */
  unreadable?: number;
}

export const sessionRevocation: ResourceKind<SessionRevocationProps> = {
  type: "aws.iam.session_revocation",
  system: "aws",
  // Listed after the roles; in apply it waits for the authentik changes that took the access away (dependsOn).
  order: 91,
  reader: "iam",
  missing: () => "ends the sessions already issued to people who lose the role (options.revokeSessions)",
  // It grants nothing: it goes once no session it names can still be live, whether pruning is on or not.
  recordOnly: () => true,
  // Dropped entries that ran out get their own reason (src/plan/session-revocations.ts markRevocations); what is left is the role going.
  goneReason: () => "the role it is on goes (IAM deletes no role that still has an inline policy): it goes first, whether pruning is on or not",
  updateReason: () => "the live sessions it names change",
  async apply(change, ctx) {
    const { iam } = need(ctx.iam, "IAM")(change.account!).clients;
    if (change.action === "delete") {
      await ignoreMissing(iam.send(new DeleteRolePolicyCommand({ RoleName: change.before!.role_name, PolicyName: REVOCATION_POLICY_NAME })));
      return;
    }
    const after = change.after!;
    // Written before the authentik changes that remove the access (they wait for this one),
    // so the instant reaches past them: see REVOCATION_MARGIN_SECONDS.
    const instant = revocationInstant(new Date());
    const sessions = Object.fromEntries(Object.entries(after.sessions).map(([s, before]) => [s, before === AT_APPLY ? instant : before]));
    // aws:userid carries the role's unique id, which a role re-created under the same name does not share.
    const role = await iam.send(new GetRoleCommand({ RoleName: after.role_name }));
    const roleId = role.Role?.RoleId;
    if (!roleId) throw new Error(`IAM returned no RoleId for role ${after.role_name}`);
    await iam.send(new PutRolePolicyCommand({ RoleName: after.role_name, PolicyName: REVOCATION_POLICY_NAME, PolicyDocument: JSON.stringify(revocationPolicy(roleId, sessions)) }));
  },
};
