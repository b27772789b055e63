/**
 * How the CLI prints problems: the one form of src/errors.ts (formatProblem) —
 * `FILE:LINE:COL: error: MESSAGE` when a problem has a position in a file (editors and
 * GitHub annotations understand it), `error: MESSAGE` when it has none — with the
 * severity coloured on a terminal.
 */
import type { Diagnostic } from "../config/diagnostics.js";
import type { PlanProblem } from "../domain/plan-types.js";
import { formatProblem as formatLine, locatedProblem, type Problem } from "../errors.js";
import { escapeUnsafe } from "../util/safe-text.js";
import type { Output } from "./io.js";

/**
 * Messages carry text from the configuration and from authentik and AWS (a group name,
 * an error body): control characters, bidirectional controls and lone surrogates are
 * shown as \uXXXX, so none can move the cursor or recolour the terminal; the labels'
 * own colours are added after.
 */
function print(o: Output, p: Problem): string {
  const safe: Problem = {
    severity: p.severity,
    message: escapeUnsafe(p.message),
    ...(p.location ? { location: escapeUnsafe(p.location) } : {}),
    ...(p.subject ? { subject: escapeUnsafe(p.subject) } : {}),
  };
  return formatLine(safe, (severity) => (severity === "error" ? o.err.red("error:") : o.err.yellow("warning:")));
}

/** What a user error stands for (src/errors.ts: UserError.problems). */
export function printErrorProblems(o: Output, problems: readonly Problem[]): void {
  for (const p of problems) o.error(print(o, p));
}

export function printDiagnostics(o: Output, diagnostics: readonly Diagnostic[]): void {
  printErrorProblems(o, diagnostics.map((d) => ({ severity: d.severity, location: `${d.file}:${d.line}:${d.column}`, message: d.message })));
}

/** Problems found while planning. */
export function printProblems(o: Output, problems: readonly PlanProblem[]): void {
  for (const p of problems) o.error(formatProblem(o, p));
}

/**
 * A problem found while planning, or a user error. Those about a place in the config (a
 * group authentik lacks, named by a mapping; an unset scim.tokenEnv) start their message
 * with that place, `FILE:LINE:COL: `; it goes in front of the label, as for diagnostics.
 */
export function formatProblem(o: Output, p: PlanProblem): string {
  return print(o, locatedProblem(p.message, p.address));
}
