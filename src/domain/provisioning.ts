/**
 * A permission set changed since it was last provisioned to an account: that account's role
 * still carries the old version (AWS: LATEST_PERMISSION_SET_NOT_PROVISIONED) until the set is
 * provisioned again. The live reader says so in the permission set's `provisioning`; the
 * desired permission set then asks for PROVISIONED_EVERYWHERE, so the plan shows an update
 * ("needs re-provisioning") that apply makes by provisioning the set, and a re-plan is clean.
 */
import { byCodePoint } from "./canonical.js";

/** What the plan wants of a permission set that needs re-provisioning. */
export const PROVISIONED_EVERYWHERE = "the latest version in every account it is provisioned to";

/** A permission set's live `provisioning` when some accounts ("prod (111111111111)") hold an older version of it. */
export function notProvisionedPhrase(accounts: readonly string[]): string {
  return `needs re-provisioning: ${[...accounts].sort(byCodePoint).join(", ")} ${accounts.length === 1 ? "holds" : "hold"} an older version`;
}
