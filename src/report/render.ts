/** The access report as markdown (job summary), CSV (spreadsheets) and JSON (machines). Pure. */
import { code, mdText, row } from "../render/markdown.js";
import { escapeUnsafe, escapeUnsafeJson } from "../util/safe-text.js";
import type { AccessGrantRow, AccessReport, AccessRow } from "./types.js";

export type AccessFormat = "markdown" | "csv" | "json";
export const ACCESS_FORMATS: readonly AccessFormat[] = ["markdown", "csv", "json"];

// ---- JSON ----------------------------------------------------------------------------------------

export function renderAccessJson(report: AccessReport): string {
  return `${escapeUnsafeJson(JSON.stringify(report, null, 2))}\n`;
}

// ---- CSV -----------------------------------------------------------------------------------------

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled).
 * A cell a spreadsheet would run as a formula (starting with = + - @, or a tab or CR
 * that some strip before looking) gets a leading apostrophe, so it stays text.
 */
export function csvField(value: string | number | boolean | null): string {
  let s = value === null ? "" : escapeUnsafe(String(value));
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (cells: (string | number | boolean | null)[]) => `${cells.map(csvField).join(",")}\r\n`;
const yesNo = (b: boolean) => (b ? "yes" : "no");

/**
 * names: one line per person × grant × account × group; count/off: one per grant
 * (with a people count, or none). Access that cannot be listed is a line too, never dropped.
 */
export function renderAccessCsv(report: AccessReport): string {
  const lines: string[] = [];
  if (report.people === "names") {
    lines.push(csvLine(["person", "email", "grant", "grant_kind", "account", "account_id", "via_group", "managed", "not_managed_because", "source", "aws_role"]));
    for (const r of report.rows) lines.push(csvLine([r.person, r.email, r.grant, r.grantKind, r.account, r.accountId, r.via, yesNo(r.managed), r.reason, r.source, r.awsRole]));
    for (const u of report.unlisted) lines.push(csvLine(["(not listed)", null, null, null, null, null, null, "unknown", unlistedText(u), u.source, null]));
  } else {
    lines.push(csvLine(["grant", "grant_kind", "account", "account_id", "via_group", "people", "managed", "not_managed_because", "source", "aws_role"]));
    for (const g of report.grants) lines.push(csvLine([g.grant, g.grantKind, g.account, g.accountId, g.via, g.people, yesNo(g.managed), g.reason, g.source, g.awsRole]));
    for (const u of report.unlisted) lines.push(csvLine(["(not listed)", null, null, null, null, null, "unknown", unlistedText(u), u.source, null]));
  }
  return lines.join("");
}

function unlistedText(u: AccessReport["unlisted"][number]): string {
  return u.line !== undefined ? `${u.reason} (line ${u.line})` : u.reason;
}

// ---- markdown ------------------------------------------------------------------------------------

export interface AccessMarkdownOptions {
  /** Heading line; default "### authentik-aws-gitops access report: `CONFIG`". */
  title?: string;
  /** Upper bound in characters (UTF-16 code units); tables are cut to fit, and say so. */
  maxLength?: number;
  /** Where the whole report is, said when tables are cut. */
  fullReportHint?: string;
}

function managedCell(managed: boolean, reason: string | null): string {
  return managed ? "✅ yes" : `⚠️ no — ${mdText(reason ?? "not managed")}`;
}

const AWS_ROLE: Record<string, string> = {
  trusted: "✅ exists, trusts the provider",
  missing: "❌ no such role",
  "not-trusted": "⚠️ does not trust the provider",
  "not-checked": "— not checked",
};

function accountCell(account: string, accountId: string): string {
  return account === accountId ? code(accountId) : `${mdText(account)} (${code(accountId)})`;
}

function personCell(r: AccessRow): string {
  return r.email ? `${mdText(r.person)}<br>${mdText(r.email)}` : mdText(r.person);
}

export function renderAccessMarkdown(report: AccessReport, options: AccessMarkdownOptions = {}): string {
  const s = report.summary;
  const head: string[] = [options.title ?? `### authentik-aws-gitops access report: ${code(report.config)}`, ""];
  head.push(
    `Live state of mode ${code(report.mode)}, application ${code(report.application)}, read at ${mdText(report.generatedAt)}. People: ${mdText(report.peopleSource)}.`,
    "",
  );
  const counts = [
    s.people === null ? undefined : `**${s.people}** ${s.people === 1 ? "person" : "people"}`,
    `**${s.grants}** grant${s.grants === 1 ? "" : "s"} (${s.managedGrants} managed, ${s.unmanagedGrants} not managed by this configuration)`,
    report.people === "names" ? `**${s.rows}** row${s.rows === 1 ? "" : "s"} (person × grant × account × group)` : undefined,
    s.unlisted ? `**${s.unlisted}** that cannot be listed` : undefined,
  ].filter(Boolean);
  head.push(counts.join(", ") + ".", "");
  if (report.people === "count") head.push("`review.people: count` — names are not shown: each grant says how many people hold it.", "");
  if (report.people === "off") head.push("`review.people: off` — people are not shown: the report lists grants only.", "");
  if (s.unmanagedGrants > 0) {
    head.push(`> [!WARNING]`, `> ${s.unmanagedGrants} grant${s.unmanagedGrants === 1 ? " was" : "s were"} made by hand or by something else: review them below (Managed: no).`, "");
  }
  if (s.rolesNotUsable > 0) {
    head.push(
      `> [!NOTE]`,
      `> ${s.rolesNotUsable} grant${s.rolesNotUsable === 1 ? " names" : "s name"} an IAM role that does not exist or does not trust the SAML provider: AWS refuses the sign-in (IAM role column).`,
      "",
    );
  }
  if (report.unlisted.length > 0) {
    head.push(`#### ❓ Access that cannot be listed (${report.unlisted.length})`, "");
    for (const u of report.unlisted) head.push(`- ${mdText(u.source)}: ${mdText(u.reason)}${u.line !== undefined ? ` (line ${u.line})` : ""}`);
    head.push("");
  }

  const tables: { heading: string; header: string[]; lines: string[] }[] = [];
  // classic-iam: whether IAM has the role and it trusts the SAML provider, last.
  const roles = report.mode === "classic-iam";
  const roleHead = roles ? ["IAM role"] : [];
  const roleSep = roles ? ["---"] : [];
  const roleCell = (c: string | null) => (roles ? [AWS_ROLE[c ?? "not-checked"]!] : []);
  if (report.people === "names") {
    tables.push({
      heading: `#### Access by person (${report.rows.length})`,
      header: [row(["Person", "Grant", "Account", "Via group", "Managed", "From", ...roleHead]), row(["---", "---", "---", "---", "---", "---", ...roleSep])],
      lines: report.rows.map((r) =>
        row([personCell(r), mdText(r.grant), accountCell(r.account, r.accountId), mdText(r.via), managedCell(r.managed, r.reason), mdText(r.source), ...roleCell(r.awsRole)]),
      ),
    });
  }
  const grantLine = (g: AccessGrantRow) =>
    row([mdText(g.grant), accountCell(g.account, g.accountId), mdText(g.via), ...(report.people === "off" ? [] : [String(g.people)]), managedCell(g.managed, g.reason), mdText(g.source), ...roleCell(g.awsRole)]);
  tables.push({
    heading: `#### Grants (${report.grants.length})`,
    header:
      report.people === "off"
        ? [row(["Grant", "Account", "Via group", "Managed", "From", ...roleHead]), row(["---", "---", "---", "---", "---", ...roleSep])]
        : [row(["Grant", "Account", "Via group", "People", "Managed", "From", ...roleHead]), row(["---", "---", "---", "---:", "---", "---", ...roleSep])],
    lines: report.grants.map(grantLine),
  });
  const tail: string[] = [];
  if (report.notes.length > 0) {
    tail.push("#### Notes", "");
    for (const n of report.notes) tail.push(`- ${mdText(n)}`);
    tail.push("");
  }

  const max = options.maxLength ?? Number.POSITIVE_INFINITY;
  const size = (lines: readonly string[]) => lines.reduce((n, l) => n + l.length + 1, 0);
  const cutNotice = (n: number) => `\n… ${n} more line${n === 1 ? "" : "s"} cut to fit the size limit${options.fullReportHint ? `; ${options.fullReportHint}` : ""}.\n`;
  let budget = max - size(head) - size(tail) - 200;
  const out = [...head];
  let cut = 0;
  for (const t of tables) {
    const body = t.lines.length === 0 ? ["_None._"] : [...t.header, ...t.lines];
    out.push(t.heading, "");
    budget -= size([t.heading, ""]);
    let i = 0;
    for (; i < body.length; i++) {
      const cost = body[i]!.length + 1;
      if (cost > budget) break;
      budget -= cost;
      out.push(body[i]!);
    }
    cut += body.length - i;
    out.push("");
  }
  if (cut > 0) out.push(cutNotice(cut));
  out.push(...tail);
  const text = `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 60))}\n\n… (cut to fit the size limit)\n`;
}

export function renderAccessReport(report: AccessReport, format: AccessFormat, options: AccessMarkdownOptions = {}): string {
  return format === "json" ? renderAccessJson(report) : format === "csv" ? renderAccessCsv(report) : renderAccessMarkdown(report, options);
}
