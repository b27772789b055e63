/**
 * What an apply did, as a pull-request comment (GitHub-flavoured markdown): posted as a
 * new comment on the merged pull request, so the people on it are notified, rather than
 * only editing the plan comment (which notifies nobody).
 *
 * In the order someone who merged reads it: did it work (the title), where (commit and
 * run), how much was written, whether a fresh read agrees (the verification), whether the
 * sign-ins of the people it affected work (verify, issue 21), then each change with its
 * result — failures first, each with its error.
 *
 * Everything taken from the plan or an error is escaped for where it lands with
 * render/markdown.ts's helpers (a code span, a table cell, a fenced block), so no name
 * or error text can break the layout, spell the Action's hidden markers or mention
 * someone. The options' marker is the caller's own and is used as given. Secrets are the
 * caller's to remove before: this renders what it is given.
 *
 * GitHub refuses comments over 65,536 characters: with `maxLength` the rows are cut from
 * the end (failures come first, so they are the last to go), and a notice at the top
 * says how many are shown and where the rest is.
 */
import type { Change } from "../domain/plan-types.js";
import type { VerifyOutcome } from "../domain/verify.js";
import { code, fence, mdText, row } from "./markdown.js";
import { renderVerifyOutcomeMarkdown } from "./verify-markdown.js";
import { brokenSignInsWords } from "./verify-text.js";

export type ChangeResult = "done" | "failed" | "not attempted" | "unknown";

export interface ApplyResultRow {
  address: string;
  action: Change["action"];
  result: ChangeResult;
  /** What the failure said (failed only). */
  error?: string;
}

export type Verification =
  /** Read again after the apply: matches the configuration. */
  | { kind: "verified" }
  /** Read again after the apply: still differs. */
  | { kind: "not-converged"; remaining: string[] }
  /** Not read again, and why. */
  | { kind: "not-run"; reason: string };

export interface ApplyReport {
  config: string;
  commit: string;
  run: { url: string; label: string };
  /** The reviewed plan comment this apply carries out. */
  planComment?: { url: string };
  /** One row per change of the plan, in the plan's order. */
  rows: ApplyResultRow[];
  verification: Verification;
  /** The sign-ins verify followed after a complete apply (absent when the apply did not complete). */
  signIns?: VerifyOutcome;
  /** What failed besides the changes themselves (a step after them, an unexpected error), one line each. */
  errorLines?: string[];
}

export interface ApplyMarkdownOptions {
  /** Total length not to exceed (UTF-16 code units, which never undercount GitHub's characters). */
  maxLength?: number;
  /** Hidden lines put first, by which the Action finds this comment again. */
  marker?: string;
}

/** Longest error text kept per change (the run log has it whole). */
const MAX_ERROR_CHARS = 1_000;
/** Lines of the remaining changes, and of other errors, shown at most. */
const MAX_LINES_SHOWN = 50;
/** Room for the sign-ins (verify's findings) at most: the changes' rows keep the rest of GitHub's limit. */
const MAX_SIGN_INS_CHARS = 16_000;

const PAST: Record<Change["action"], string> = { adopt: "adopted", create: "created", update: "updated", delete: "deleted", replace: "replaced" };
const RESULT_WORDS: Record<ChangeResult, string> = { done: "✅ done", failed: "❌ failed", "not attempted": "⏸️ not attempted", unknown: "❔ started, no answer" };
const ORDER: Record<ChangeResult, number> = { failed: 0, unknown: 1, "not attempted": 2, done: 3 };

export type ApplyOutcome = "applied" | "sign-ins-broken" | "not-verified" | "failed-part-way" | "failed";

/** How many of the sign-ins verify followed do not work (its error findings). */
export function brokenSignIns(report: Pick<ApplyReport, "signIns">): number {
  return report.signIns?.kind === "checked" ? report.signIns.report.findings.filter((f) => f.severity === "error").length : 0;
}

export function applyOutcome(report: ApplyReport): ApplyOutcome {
  const done = report.rows.filter((r) => r.result === "done").length;
  const broken = report.rows.some((r) => r.result !== "done") || (report.errorLines?.length ?? 0) > 0;
  if (broken) return done > 0 ? "failed-part-way" : "failed";
  if (report.verification.kind !== "verified") return "not-verified";
  return brokenSignIns(report) > 0 ? "sign-ins-broken" : "applied";
}

function title(report: ApplyReport): string {
  const config = code(report.config);
  switch (applyOutcome(report)) {
    case "applied":
      return `### ✅ authentik-aws-gitops applied ${config}`;
    case "sign-ins-broken":
      return `### ❌ authentik-aws-gitops applied ${config}, but verify found ${brokenSignInsWords(brokenSignIns(report))}`;
    case "not-verified":
      return `### ⚠️ authentik-aws-gitops applied ${config}, but the check after it still shows changes`;
    case "failed-part-way":
      return `### ❌ authentik-aws-gitops apply of ${config} failed part-way`;
    case "failed":
      return `### ❌ authentik-aws-gitops apply of ${config} failed`;
  }
}

/** "24 created, 2 updated" */
function byAction(rows: readonly ApplyResultRow[]): string {
  const counts = new Map<Change["action"], number>();
  for (const r of rows) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  return (["create", "update", "replace", "delete", "adopt"] as const)
    .filter((a) => counts.has(a))
    .map((a) => `${counts.get(a)} ${PAST[a]}`)
    .join(", ");
}

function countsLine(rows: readonly ApplyResultRow[]): string {
  const done = rows.filter((r) => r.result === "done");
  const head = `**${done.length} of ${rows.length} change${rows.length === 1 ? "" : "s"} applied**${done.length ? `: ${byAction(done)}` : ""}`;
  const rest = (["failed", "unknown", "not attempted"] as const)
    .map((k) => [k, rows.filter((r) => r.result === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k === "unknown" ? "started with no answer" : k}`);
  return `${head}${rest.length ? `; ${rest.join(", ")}` : ""}.`;
}

function capLines(lines: readonly string[]): string[] {
  const shown = lines.slice(0, MAX_LINES_SHOWN).map((l) => (l.length > MAX_ERROR_CHARS ? `${l.slice(0, MAX_ERROR_CHARS)}…` : l));
  return lines.length > MAX_LINES_SHOWN ? [...shown, `… and ${lines.length - MAX_LINES_SHOWN} more`] : shown;
}

function verificationLines(v: Verification): string[] {
  switch (v.kind) {
    case "verified":
      return ["**Verified**: authentik and AWS were read again after the apply and match the configuration."];
    case "not-converged":
      return [
        `**Not verified**: reading authentik and AWS again after the apply still shows ${v.remaining.length} change${v.remaining.length === 1 ? "" : "s"} — most often something else changed them at the same time. Plan again, then apply to converge.`,
        "",
        ...fence(capLines(v.remaining), "text"),
      ];
    case "not-run":
      return [`**Not verified**: ${mdText(v.reason)}`];
  }
}

function resultCell(r: ApplyResultRow): string {
  if (r.result !== "failed" || !r.error) return RESULT_WORDS[r.result];
  const error = r.error.length > MAX_ERROR_CHARS ? `${r.error.slice(0, MAX_ERROR_CHARS)}…` : r.error;
  return `${RESULT_WORDS.failed}: ${mdText(error)}`;
}

export function renderApplyMarkdown(report: ApplyReport, options: ApplyMarkdownOptions = {}): string {
  const where = [`Commit ${code(report.commit.slice(0, 7))}`, `[${mdText(report.run.label)}](${report.run.url})`];
  if (report.planComment) where.push(`the reviewed plan: [plan comment](${report.planComment.url})`);
  const head = [
    ...(options.marker ? [options.marker] : []),
    title(report),
    "",
    where.join(" · "),
    "",
    countsLine(report.rows),
    "",
    ...verificationLines(report.verification),
    ...(report.signIns
      ? ["", renderVerifyOutcomeMarkdown(report.signIns, { maxLength: MAX_SIGN_INS_CHARS, fullReportHint: `the \`verify-json\` output of the [run](${report.run.url})` }).trimEnd()]
      : []),
  ];
  const errors = report.errorLines?.length ? ["", "**What failed:**", "", ...fence(capLines(report.errorLines), "text")] : [];
  const sorted = report.rows.map((r, i) => ({ r, i })).sort((a, b) => ORDER[a.r.result] - ORDER[b.r.result] || a.i - b.i).map(({ r }) => r);
  const rowLines = sorted.map((r) => row([code(r.address), r.action, resultCell(r)]));
  const tableHead = ["", "#### Changes", "", row(["Change", "Action", "Result"]), "| --- | --- | --- |"];

  const render = (shown: number, cut: boolean) => {
    const notice = cut
      ? ["", "> [!CAUTION]", `> Too long for one comment: ${shown} of ${rowLines.length} changes shown, failures first. Every result is in the [run log](${report.run.url}).`]
      : [];
    return [...head, ...notice, ...errors, ...(rowLines.length ? [...tableHead, ...rowLines.slice(0, shown)] : []), ""].join("\n");
  };

  const full = render(rowLines.length, false);
  const max = options.maxLength;
  if (max === undefined || full.length <= max) return full;
  // As many rows as fit with the notice (its length barely depends on the count: reserve its widest).
  const fixed = render(0, true).length + String(rowLines.length).length;
  let room = max - fixed;
  let shown = 0;
  while (shown < rowLines.length && rowLines[shown]!.length + 1 <= room) room -= rowLines[shown++]!.length + 1;
  const text = render(shown, true);
  if (text.length <= max) return text;
  // Only a limit smaller than the head itself gets here: honour it regardless, never splitting a surrogate pair.
  const cutAt = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, cutAt));
}
