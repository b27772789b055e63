/**
 * The GitHub Action's entry (bundled to dist/index.js): read the inputs and the
 * runner's context, then hand over to run(), which calls the same engine as the CLI.
 */
import { readContext, readInputs } from "./inputs.js";
import { log } from "./log.js";
import { run } from "./run.js";

try {
  await run(readInputs(), readContext());
} catch (error) {
  log.fail(error instanceof Error ? error.message : String(error));
}
