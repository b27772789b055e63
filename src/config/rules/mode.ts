import { describePath } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import { isRec, valueAt, type RuleContext } from "./context.js";

const CLASSIC_ONLY: readonly DocPath[] = [["roles"], ["adopt", "roles"], ["aws", "samlProvider"], ["aws", "rolePath"], ["aws", "signInRegions"], ["authentik", "provider", "sessionName"], ["authentik", "provider", "sessionDuration"]];
const IDENTITY_CENTER_ONLY: readonly DocPath[] = [["permissionSets"], ["adopt", "permissionSets"], ["scim"], ["aws", "identityCenter"], ["aws", "organizationalUnits"]];

/** The mode decides which sections belong, and which must be there. */
export function modeSections(ctx: RuleContext): void {
  const { data, mode } = ctx;
  if (!mode) return;
  const foreign = mode === "classic-iam" ? IDENTITY_CENTER_ONLY : CLASSIC_ONLY;
  const other = mode === "classic-iam" ? "identity-center" : "classic-iam";
  for (const path of foreign) {
    if (valueAt(data, path) !== undefined) {
      ctx.error(path, `'${describePath(path)}' belongs to mode ${other}, but this file's mode is ${mode}`, "key");
    }
  }
  // Ending sessions works through the role's own policy; a permission set's policy is the
  // user's declared one, re-provisioned per change (docs/safety.md, "Ending live sessions").
  if (mode === "identity-center" && isRec(data.options) && data.options.revokeSessions === true) {
    ctx.error(
      ["options", "revokeSessions"],
      "options.revokeSessions works in mode classic-iam only: in identity-center, remove the assignment and end the sessions as docs/safety.md (Ending live sessions) describes",
    );
  }
  if (mode === "classic-iam" && data.roles === undefined) {
    ctx.error(["mode"], "mode classic-iam needs a 'roles' section (it may be empty: roles: {})");
  }
  if (mode === "identity-center") {
    if (data.permissionSets === undefined) ctx.error(["mode"], "mode identity-center needs a 'permissionSets' section (it may be empty: permissionSets: {})");
    if (isRec(data.aws) && data.aws.identityCenter === undefined) {
      ctx.error(["aws"], "mode identity-center needs 'aws.identityCenter' (region, accessPortalUrl, spMetadata)", "key");
    }
  }
}
