import { UserError, type Problem } from "../errors.js";

/**
 * A problem found in a config file, pointing at the YAML node it is about.
 * Rendered as `FILE:LINE:COL: error: MESSAGE` (the format editors and GitHub
 * annotations understand), with 1-based line and column.
 */
export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  /** Where in the document, as keys and indexes (e.g. ["mappings", 0, "roles", 1]). */
  path: readonly (string | number)[];
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

/** Sorted by position so a reader can walk the file top to bottom. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
      a.message.localeCompare(b.message),
  );
}

/** Thrown by the loader when a config has errors; carries every one of them (and the warnings found with them). */
export class ConfigError extends UserError {
  override readonly name = "ConfigError";
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    super(
      `${errors.length} error${errors.length === 1 ? "" : "s"} in configuration:\n` +
        errors.map(formatDiagnostic).join("\n"),
    );
    this.diagnostics = diagnostics;
  }

  override problems(): Problem[] {
    return this.diagnostics.map((d) => ({ severity: d.severity, location: `${d.file}:${d.line}:${d.column}`, message: d.message }));
  }
}
