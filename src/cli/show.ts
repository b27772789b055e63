/**
 * `show PLANFILE`: a plan saved by `plan --out` rendered as plan renders it (text,
 * markdown or JSON), reading nothing but the file: no configuration, no authentik,
 * no AWS. A file that is not a saved plan is a UserError (exit 1).
 */
import { FileRefused, FileTooLarge, formatBytes, readRegularFile } from "../config/read-file.js";
import { EXIT, UserError, fileProblem } from "../errors.js";
import { planHash } from "../plan/compute-plan.js";
import type { Plan } from "../domain/plan-types.js";
import { parsePlanJson } from "../render/json.js";
import { renderPlanMarkdown } from "../render/markdown.js";
import { renderPlanText } from "../render/text.js";
import { escapeUnsafe } from "../util/safe-text.js";
import type { Output } from "./io.js";
import { printablePlanJson } from "./plan-apply.js";

export interface ShowFlags {
  format?: "text" | "markdown" | "json";
}

/** A saved plan is JSON of some MB at most; past this it is refused unread. */
export const PLAN_FILE_MAX_BYTES = 64 * 1024 * 1024;

export async function readPlanFile(file: string): Promise<Plan> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, PLAN_FILE_MAX_BYTES);
  } catch (error) {
    const why =
      error instanceof FileTooLarge
        ? `it ${error.message}; a saved plan of over ${formatBytes(PLAN_FILE_MAX_BYTES)} is refused`
        : error instanceof FileRefused
          ? `it ${error.message}`
          : fileProblem(error);
    throw new UserError(`cannot read the saved plan ${file}: ${why}`);
  }
  try {
    return parsePlanJson(bytes.toString("utf8"));
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`the saved plan ${file} is not usable: ${error.message}`);
    throw error;
  }
}

export async function runShow(o: Output, file: string, flags: ShowFlags): Promise<number> {
  const plan = await readPlanFile(file);
  // The hash names the changes that were reviewed; a file whose changes were edited
  // afterwards shows something apply --plan would not apply.
  if (planHash(plan.changes) !== plan.hash) {
    o.error(
      `${o.err.yellow("warning:")} ${escapeUnsafe(`the saved plan ${file} does not match its own hash (${plan.hash.slice(0, 12)}): its changes were edited after it was saved, so this is not the plan that hash names; make the plan again`)}`,
    );
  }
  const format = flags.format ?? "text";
  o.io.stdout.write(format === "json" ? printablePlanJson(plan) : format === "markdown" ? `${renderPlanMarkdown(plan)}\n` : `${renderPlanText(plan, o.out)}\n`);
  return EXIT.ok;
}
