/**
 * `verify --format markdown` (a pull-request comment, a job summary): a table of the
 * findings and the notes, escaped as the plan comment is (mdText, code). The Action's apply
 * comment and job summary put the same table under a line saying whom verify checked
 * (renderVerifyOutcomeMarkdown), cut to the room they have.
 */
import type { VerifyFinding, VerifyOutcome, VerifyReport } from "../domain/verify.js";
import { code, mdText, row } from "./markdown.js";
import { countedFindings, findingWhere, type CountedFinding, verifyScopeWords, verifySummary } from "./verify-text.js";

const MARK = { error: "❌ error", warning: "⚠️ warning" } as const;

/** Longest reason kept in a cut table (the JSON report has it whole). */
const MAX_REASON_CHARS = 600;

export interface VerifyMarkdownOptions {
  title?: string;
  /** Total length not to exceed (UTF-16 code units): the people and notes go first, then findings from the end, with a notice. */
  maxLength?: number;
  /** Where every finding is when they do not all fit (e.g. "the `verify-json` output of the run"). */
  fullReportHint?: string;
}

/** A finding as a table row: by person (names), or counted (CountedFinding: review.people count or off). */
function findingRow(f: VerifyFinding | CountedFinding, cut: boolean): string {
  const reason = cut && f.reason.length > MAX_REASON_CHARS ? `${f.reason.slice(0, MAX_REASON_CHARS)}…` : f.reason;
  const who = "who" in f ? mdText(f.who) : `${f.subject.kind} ${mdText(f.subject.name)}`;
  return row([MARK[f.severity], who, mdText(findingWhere(f)), code(f.check), mdText(reason)]);
}

/**
 * head, then the findings table, then tail — as much as fits in maxLength: first without
 * the tail, then with fewer rows (in the report's order: by person, errors first) and a
 * notice saying how many are shown and where the rest is.
 */
function fit(head: string[], findings: readonly (VerifyFinding | CountedFinding)[], tail: string[], options: VerifyMarkdownOptions): string {
  const table = (rows: string[]) => (rows.length > 0 ? [row(["", "Who", "Grant and account", "Check", "Reason"]), row(["---", "---", "---", "---", "---"]), ...rows, ""] : []);
  const text = (lines: string[]) => `${lines.join("\n").trimEnd()}\n`;
  const full = text([...head, ...table(findings.map((f) => findingRow(f, false))), ...tail]);
  const max = options.maxLength;
  if (max === undefined || full.length <= max) return full;
  const rows = findings.map((f) => findingRow(f, true));
  const notice = (shown: number) => [`> Too long to show here: ${shown} of ${findings.length} findings${options.fullReportHint ? `; every one is in ${options.fullReportHint}` : ""}.`, ""];
  const withRows = (shown: number) => text([...head, ...(shown < rows.length ? notice(shown) : []), ...table(rows.slice(0, shown))]);
  if (withRows(rows.length).length <= max) return withRows(rows.length);
  let room = max - withRows(0).length - 200; // the table's head, and the notice's count growing
  let shown = 0;
  while (shown < rows.length && rows[shown]!.length + 1 <= room) room -= rows[shown++]!.length + 1;
  const cut = withRows(shown);
  if (cut.length <= max) return cut;
  // Only a limit smaller than the head itself gets here: honour it, never splitting a surrogate pair.
  const at = /[\ud800-\udbff]/.test(cut.charAt(max - 1)) ? max - 1 : max;
  return cut.slice(0, Math.max(0, at));
}

export function renderVerifyMarkdown(report: VerifyReport, options: VerifyMarkdownOptions = {}): string {
  const errors = report.findings.some((f) => f.severity === "error");
  const head: string[] = [
    options.title ?? `### ${errors ? "❌" : "✅"} authentik-aws-gitops verify: ${code(report.config)}`,
    "",
    `Mode ${code(report.mode)}, checked at ${mdText(report.checkedAt)}. ${mdText(verifySummary(report))}.`,
    "",
  ];
  return fit(head, report.findings, tailOf(report, "#### Notes"), options);
}

/** The people checked (folded) and the notes, under `notesHeading`. */
function tailOf(report: VerifyReport, notesHeading: string): string[] {
  const out: string[] = [];
  if (report.people.length > 0) {
    const names = report.people.map(mdText).join(", ");
    out.push(`<details><summary>People checked (${report.people.length})</summary>`, "", names, "", "</details>", "");
  }
  if ((report.notes ?? []).length > 0) {
    out.push(notesHeading, "");
    for (const n of report.notes ?? []) out.push(`- ${mdText(n)}`);
    out.push("");
  }
  return out;
}

/**
 * What verify found after an apply or in a drift run, for the apply comment and the job
 * summary: one line (whom it checked, and how it went), then the findings table. The reason
 * of a verify that could not run is shown as given to mdText: the caller removes secrets.
 */
export function renderVerifyOutcomeMarkdown(outcome: VerifyOutcome, options: Omit<VerifyMarkdownOptions, "title"> = {}): string {
  switch (outcome.kind) {
    case "nobody":
      return "**Sign-ins**: the plan changed nobody's access, so verify had nobody to check.\n";
    case "not-run":
      return `**Sign-ins not verified**: verify could not run: ${mdText(outcome.reason)}\n`;
    case "checked": {
      const { report, people } = outcome;
      const errors = report.findings.filter((f) => f.severity === "error").length;
      const label = errors > 0 ? "Sign-ins that do not work" : report.findings.length > 0 ? "Sign-ins verified, with warnings" : "Sign-ins verified";
      const line = `**${label}** (${mdText(verifyScopeWords(outcome.scope, report.people.length, people))}): ${mdText(verifySummary(report, people))}.`;
      if (people === "names") return fit([line, ""], report.findings, tailOf(report, "#### Notes from verify"), options);
      // review.people: count or off — no name of a person anywhere: counted rows, and the notes that name nobody.
      const names = report.people;
      const notes = (report.notes ?? []).filter((n) => !names.some((p) => p.length > 0 && n.includes(p)));
      const tail = notes.length > 0 ? ["#### Notes from verify", "", ...notes.map((n) => `- ${mdText(n)}`), ""] : [];
      const why = people === "count" ? "names are not shown: each row counts the people it concerns." : "people are not shown: each row says which link fails, for whom by group only.";
      return fit([line, `\`review.people: ${people}\` — ${why}`, ""], countedFindings(report, people), tail, options);
    }
  }
}
