import type { PermissionsReport } from "./model.js";

/** The versioned JSON for machines (the policy documents and the permissions, with why each is there). */
export function renderPermissionsJson(report: PermissionsReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const indent = (text: string, prefix = "    ") =>
  text
    .split("\n")
    .map((line) => (line === "" ? line : prefix + line))
    .join("\n");

/** For people: each policy ready to paste, the authentik permissions and the blueprint. */
export function renderPermissionsText(report: PermissionsReport): string {
  const out: string[] = [];
  out.push(`What ${report.phase} needs for ${report.config} (${report.features.join(", ")})`);
  out.push("");
  out.push("== AWS ==");
  for (const p of report.aws.policies) {
    out.push("");
    out.push(`-- policy "${p.id}": attach to ${p.attachTo}${p.accountId ? ` (account ${p.accountId})` : ""}`);
    if (p.optional) out.push(`   optional: ${p.optional}`);
    const conditional = Object.entries(p.reasons).filter(([, r]) => r.onlyWhen);
    if (conditional.length > 0) {
      out.push("   used only when:");
      for (const [action, r] of conditional) out.push(`     ${action}: ${r.onlyWhen}`);
    }
    out.push(indent(JSON.stringify(p.document, null, 2)));
  }
  for (const note of report.aws.notes) out.push(`note: ${note}`);
  out.push("");
  out.push("== authentik ==");
  out.push("");
  out.push(`Permissions of the role "${report.authentik.roleName}" (app_label.codename), for the ${report.authentik.oidc ? `${report.phase} job's service account` : "API token's user"}:`);
  for (const p of report.authentik.permissions) {
    const r = report.authentik.reasons[p];
    out.push(`  ${p}${r?.onlyWhen ? `  (only when ${r.onlyWhen})` : ""}`);
  }
  const oidc = report.authentik.oidc;
  if (oidc) {
    out.push("");
    out.push(`== authentik: GitHub Actions of ${oidc.repository} sign in with their OIDC token (no API token) ==`);
    out.push("");
    out.push(`Each job's token is exchanged (client id ${oidc.clientId}, audience ${oidc.audience}) for a ${oidc.accessTokenValidityWords} access token of the service account named after its subject:`);
    for (const a of oidc.accounts) out.push(`  ${a.phase.padEnd(5)}  ${a.subject}  (${a.jobs})\n         → ${a.username}, in the group "${a.group}"`);
    out.push("");
    out.push("As an authentik blueprint (GitHub's keys as an OAuth source, the OAuth2 provider and application, the policy on the claims, each phase's role, group and accounts):");
    out.push("");
    out.push(indent(oidc.blueprint.trimEnd()));
    for (const note of [...report.authentik.notes, ...oidc.notes]) out.push(`note: ${note}`);
    return `${out.join("\n")}\n`;
  }
  out.push("");
  out.push("As an authentik blueprint (role, a group holding it, a service account in the group):");
  out.push("");
  out.push(indent(report.authentik.blueprint.trimEnd()));
  for (const note of report.authentik.notes) out.push(`note: ${note}`);
  return `${out.join("\n")}\n`;
}
