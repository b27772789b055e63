/**
 * Where the tool records when access ends, so that an expiry set, moved or removed is a
 * change of the plan (src/desired/expiry.ts recordLifetimes, src/plan/lifetimes.ts).
 */
import { MANAGED_BY_VALUE } from "./plan-types.js";

/** The attribute of an entitlement that records when grants end (classic-iam: group → end; identity-center: see LIFETIME_RECORD). */
export const LIFETIME_ATTRIBUTE = "access_expires";

/**
 * identity-center: an account assignment has nowhere to hold its end, so the tool keeps
 * one application entitlement of its own, bound to no group (it grants nothing), whose
 * attributes.access_expires maps each expiring assignment to its end as written. It is
 * desired only while some assignment expires; the last end removed, it is deleted (whether
 * pruning is on or not), which the lifetime comparison reads as "made permanent".
 */
export const LIFETIME_RECORD = {
  /** Entitlement names in classic-iam are role@account (role names have no spaces): this one cannot be taken for a role's. */
  name: "aws-gitops access lifetimes",
  /** attributes.aws_gitops_record: what marks the entitlement as the record (beside managed_by). */
  marker: "access-lifetimes",
  /** attributes.aws_account_aliases: account id → alias, to name the accounts the keys give by id. */
  aliases: "aws_account_aliases",
  purpose:
    "Written by authentik-aws-gitops (identity-center mode): when each IAM Identity Center account assignment it makes ends (mappings[].expires). access_expires maps 'group→permission set@account id' to the date as written. Bound to no group, it grants nothing; do not bind it or edit it by hand.",
} as const;

/** The stable key of an assignment in the record: "group→permission set@account id" (as in its address). */
export function lifetimeKey(group: string, permissionSet: string, accountId: string): string {
  return `${group}→${permissionSet}@${accountId}`;
}

/**
 * A key of the record read back. Permission set names cannot hold "→" and account ids are
 * digits, so the last "@" and the last "→" before it split it, whatever the group's name.
 */
export function parseLifetimeKey(key: string): { group: string; permissionSet: string; accountId: string } | undefined {
  const at = key.lastIndexOf("@");
  const arrow = key.lastIndexOf("→", at);
  if (at < 0 || arrow < 0) return undefined;
  const accountId = key.slice(at + 1);
  if (!/^\d{12}$/.test(accountId)) return undefined;
  return { group: key.slice(0, arrow), permissionSet: key.slice(arrow + 1, at), accountId };
}


/** The identity-center record of when access ends (LIFETIME_RECORD): the tool's, bound to no group. */
export function isLifetimeRecord(attributes: Record<string, unknown>): boolean {
  return attributes.managed_by === MANAGED_BY_VALUE && attributes.aws_gitops_record === LIFETIME_RECORD.marker;
}
