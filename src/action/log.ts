/**
 * Every line the Action writes to the run's log, and its annotations, goes through
 * here: the runner reads `::command::` at a line's start and `##[command]` anywhere
 * as workflow commands, and the log viewer paints ANSI escapes, so a name from a
 * configuration or from authentik (a group renamed to `x\n::error::…`) could forge
 * annotations, masks or a stop-commands token. escapeLogLine writes all of that as
 * visible text. Nothing else in src/action calls @actions/core's logging (a test
 * holds it so).
 *
 * A string is split at its line breaks (the Action's own multi-line messages); a
 * list is lines as given, each kept on one line (what a name holds stays in it).
 */
import * as core from "@actions/core";
import { escapeLogLine } from "../util/safe-text.js";

type Text = string | readonly string[];

function lines(text: Text): string[] {
  return (typeof text === "string" ? text.split(/\r?\n/) : [...text]).map(escapeLogLine);
}

export const log = {
  info(text: Text): void {
    for (const line of lines(text)) core.info(line);
  },
  /** An annotation (core escapes the line breaks between the lines, so it stays one command). */
  warning(text: Text, properties?: core.AnnotationProperties): void {
    core.warning(lines(text).join("\n"), properties);
  },
  error(text: Text, properties?: core.AnnotationProperties): void {
    core.error(lines(text).join("\n"), properties);
  },
  notice(text: Text, properties?: core.AnnotationProperties): void {
    core.notice(lines(text).join("\n"), properties);
  },
  /** Marks the step failed, with the message as an error annotation. */
  fail(text: Text): void {
    core.setFailed(lines(text).join("\n"));
  },
};
