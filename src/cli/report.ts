/**
 * How the CLI prints problems, in one form everywhere: the compiler/linter
 * convention `FILE:LINE:COL: error: MESSAGE` when a problem has a position in
 * a file (editors and GitHub annotations understand it), `error: MESSAGE`
 * when it has none.
 */
import type { Diagnostic, Severity } from "../config/diagnostics.js";
import type { PlanProblem } from "../domain/plan-types.js";
import { escapeUnsafe } from "../util/safe-text.js";
import type { Output } from "./io.js";

function label(o: Output, severity: Severity): string {
  return severity === "error" ? o.err.red("error:") : o.err.yellow("warning:");
}

/**
 * Messages carry text from the configuration and from authentik and AWS (a
 * group name, an error body): control characters, bidirectional controls and
 * lone surrogates are shown as \uXXXX, so none can move the cursor or recolour
 * the terminal; the labels' own colours are added after.
 */
export function printDiagnostics(o: Output, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    o.error(`${escapeUnsafe(d.file)}:${d.line}:${d.column}: ${label(o, d.severity)} ${escapeUnsafe(d.message)}`);
  }
}

/**
 * A problem found while planning, or a user error. Those about a place in the
 * config (a group authentik lacks, named by a mapping; an unset scim.tokenEnv)
 * start their message with that place, `FILE:LINE:COL: `; it goes in front of
 * the label, as for diagnostics.
 */
export function formatProblem(o: Output, p: PlanProblem): string {
  const located = /^([^\s'"][^'"\n]*?:\d+:\d+): (.*)$/s.exec(escapeUnsafe(p.message));
  const where = located ? `${located[1]}: ` : "";
  const message = located ? located[2]! : escapeUnsafe(p.message);
  return `${where}${label(o, "error")} ${p.address ? `${escapeUnsafe(p.address)}: ` : ""}${message}`;
}

export function printProblems(o: Output, problems: readonly PlanProblem[]): void {
  for (const p of problems) o.error(formatProblem(o, p));
}
