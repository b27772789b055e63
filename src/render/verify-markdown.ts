/**
 * `verify --format markdown` (a pull-request comment, a job summary): a table of the
 * findings and the notes, escaped as the plan comment is (mdText, code).
 */
import type { VerifyReport } from "../domain/verify.js";
import { code, mdText, row } from "./markdown.js";
import { findingWhere, verifySummary } from "./verify-text.js";

const MARK = { error: "❌ error", warning: "⚠️ warning" } as const;

export function renderVerifyMarkdown(report: VerifyReport, options: { title?: string } = {}): string {
  const errors = report.findings.some((f) => f.severity === "error");
  const out: string[] = [
    options.title ?? `### ${errors ? "❌" : "✅"} authentik-aws-gitops verify: ${code(report.config)}`,
    "",
    `Mode ${code(report.mode)}, checked at ${mdText(report.checkedAt)}. ${mdText(verifySummary(report))}.`,
    "",
  ];
  if (report.findings.length > 0) {
    out.push(row(["", "Who", "Grant and account", "Check", "Reason"]), row(["---", "---", "---", "---", "---"]));
    for (const f of report.findings) {
      out.push(row([MARK[f.severity], `${f.subject.kind} ${mdText(f.subject.name)}`, mdText(findingWhere(f)), code(f.check), mdText(f.reason)]));
    }
    out.push("");
  }
  if (report.people.length > 0) {
    const names = report.people.map(mdText).join(", ");
    out.push(`<details><summary>People checked (${report.people.length})</summary>`, "", names, "", "</details>", "");
  }
  if ((report.notes ?? []).length > 0) {
    out.push("#### Notes", "");
    for (const n of report.notes ?? []) out.push(`- ${mdText(n)}`);
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
