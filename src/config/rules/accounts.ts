import { describePath, quoteName as q } from "../paths.js";
import { entries, isRec, section, type RuleContext } from "./context.js";

/** Accounts and organizational units: distinct ids, distinct aliases, and a role to assume inside the account. */
export function accounts(ctx: RuleContext): void {
  const aws = section(ctx.data, "aws");
  const accountIds = new Map<string, string>();
  for (const [alias, account] of entries(aws.accounts)) {
    if (!isRec(account)) continue;
    const id = account.id;
    if (typeof id === "string") {
      const first = accountIds.get(id);
      if (first !== undefined) ctx.error(["aws", "accounts", alias, "id"], `account ${q(alias)} has the same id as account ${q(first)}`);
      else accountIds.set(id, alias);
    }
    if (typeof account.assumeRole === "string" && typeof id === "string") {
      const arnAccount = /^arn:[^:]+:iam::(\d{12}):role\//.exec(account.assumeRole)?.[1];
      if (arnAccount && arnAccount !== id) {
        ctx.error(["aws", "accounts", alias, "assumeRole"], `'${describePath(["aws", "accounts", alias, "assumeRole"])}' is a role in account ${arnAccount}, but account ${q(alias)} is ${id}; the tool must assume a role inside the account it manages`);
      }
    }
  }
  const ouIds = new Map<string, string>();
  for (const [alias, ou] of entries(aws.organizationalUnits)) {
    if (ctx.names.accounts.has(alias)) ctx.error(["aws", "organizationalUnits", alias], `${q(alias)} is both an account alias and an organizational unit alias; use distinct names`, "key");
    if (isRec(ou) && typeof ou.id === "string") {
      const first = ouIds.get(ou.id);
      if (first !== undefined) ctx.error(["aws", "organizationalUnits", alias, "id"], `organizational unit ${q(alias)} has the same id as ${q(first)}`);
      else ouIds.set(ou.id, alias);
    }
  }
}
