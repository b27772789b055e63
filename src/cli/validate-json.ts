/**
 * `validate --format json`: the diagnostics as one versioned JSON document on
 * stdout, for editors, CI annotations and scripts. Nothing goes to stderr; the
 * exit code is validate's (0 when every file is valid, 1 otherwise).
 *
 *   {"version": 1, "files": [{"file", "valid", "diagnostics": [
 *     {"severity", "message", "file", "line", "column", "path"}]}]}
 *
 * `file` is as given on the command line; `line` and `column` are 1-based;
 * `path` is where in the document, as keys and indexes (["mappings", 0, "roles", 1]),
 * empty for a problem of the whole file. Fields may be added within a version.
 */
import type { Diagnostic } from "../config/diagnostics.js";
import { validateConfigFile } from "../config/load-config.js";
import { EXIT } from "../errors.js";
import { escapeUnsafeJson } from "../util/safe-text.js";
import type { Output } from "./io.js";

export const VALIDATE_JSON_VERSION = 1;

export interface ValidateJson {
  version: typeof VALIDATE_JSON_VERSION;
  files: { file: string; valid: boolean; diagnostics: Diagnostic[] }[];
}

export async function runValidateJson(o: Output, files: readonly string[]): Promise<number> {
  const doc: ValidateJson = { version: VALIDATE_JSON_VERSION, files: [] };
  for (const file of files) {
    const result = await validateConfigFile(file);
    doc.files.push({
      file,
      valid: result.config !== undefined,
      diagnostics: result.diagnostics.map((d) => ({ severity: d.severity, message: d.message, file: d.file, line: d.line, column: d.column, path: [...d.path] })),
    });
  }
  // Control, bidirectional and line-separator characters from names are written as
  // \uXXXX escapes, which JSON reads back as the same characters.
  o.io.stdout.write(escapeUnsafeJson(`${JSON.stringify(doc, null, 2)}\n`));
  return doc.files.every((f) => f.valid) ? EXIT.ok : EXIT.error;
}
