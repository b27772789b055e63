/**
 * `verify`: follows the chain each person's sign-in goes through, from live authentik
 * and AWS (src/verify/), and says what breaks it. Reads only. Exit 0 when every checked
 * sign-in works (warnings allowed), 1 when a finding is an error or verify could not
 * run, 2 on a usage error (a bad option, a --person authentik does not know).
 */
import { loadConfigFile } from "../config/load-config.js";
import { renderVerifyMarkdown } from "../render/verify-markdown.js";
import { renderVerifyText } from "../render/verify-text.js";
import { escapeUnsafeJson } from "../util/safe-text.js";
import { verifyExitCode } from "../verify/core.js";
import { createVerifyReport } from "../verify/run.js";
import { cliAuthentikAuth } from "./authentik-auth.js";
import type { Output } from "./io.js";
import { printDiagnostics } from "./report.js";

export interface VerifyFlags {
  config: string;
  format?: "text" | "markdown" | "json";
  person?: string[];
  certificateWarningDays?: number;
}

export async function runVerify(o: Output, flags: VerifyFlags): Promise<number> {
  const { config, warnings } = await loadConfigFile(flags.config);
  printDiagnostics(o, warnings);
  const report = await createVerifyReport(config, {
    env: o.io.env,
    authentikAuth: cliAuthentikAuth(o, config),
    ...(flags.person && flags.person.length > 0 ? { people: flags.person } : {}),
    ...(flags.certificateWarningDays !== undefined ? { certificateWarningDays: flags.certificateWarningDays } : {}),
  });
  const format = flags.format ?? "text";
  o.io.stdout.write(
    format === "json" ? `${escapeUnsafeJson(JSON.stringify(report, null, 2))}\n` : format === "markdown" ? renderVerifyMarkdown(report) : renderVerifyText(report, o.out),
  );
  return verifyExitCode(report);
}
