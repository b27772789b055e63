import { peopleText, type RiskRule } from "./context.js";

/** every-account: a mapping gives a group a grant in every account (or every account of an organizational unit). */
export const everyAccount: RiskRule = (ctx) => {
  const rule = ctx.rules.everyAccount;
  if (!rule.enabled) return;
  const { config } = ctx;
  const all = config.aws.accounts.map((a) => a.alias);
  for (const m of config.mappings) {
    for (const grant of m.grants) {
      let targets: string[];
      if (config.mode === "classic-iam") {
        const role = config.roles.find((r) => r.name === grant);
        targets = m.accounts === "role-default" ? (role?.accounts ?? []) : m.accounts;
      } else targets = m.accounts === "role-default" ? [] : m.accounts;
      const everyAccount = all.length > 1 && all.every((a) => targets.includes(a));
      const rows = ctx.gained.filter((r) => r.group === m.group && r.grant === grant);
      if (rows.length === 0) continue;
      const addresses = rows.flatMap(ctx.rowAddresses);
      const severity = rule.severity ?? "medium";
      // The accounts by name, and one finding: an OU that covers them all says nothing more.
      if (everyAccount) ctx.add("every-account", severity, `group ${m.group}${peopleText(rows[0]!.people?.count)} gains ${grant} in every account: ${all.join(", ")}`, addresses);
      else for (const ou of m.organizationalUnits) ctx.add("every-account", severity, `group ${m.group}${peopleText(rows[0]!.people?.count)} gains ${grant} in every account of organizational unit ${ou}`, addresses);
    }
  }
};
