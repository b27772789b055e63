import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadConfigFile } from "../config/load-config.js";
import { EXIT, UserError, fileProblem } from "../errors.js";
import { createAccessReport } from "../report/access.js";
import { renderAccessReport, type AccessFormat } from "../report/render.js";
import { cliAuthentikAuth } from "./authentik-auth.js";
import type { Output } from "./io.js";
import { printDiagnostics } from "./report.js";

export interface AccessFlags {
  config: string;
  format?: AccessFormat;
  out?: string;
}

/** A --out path refused before anything is read. */
async function checkOut(out: string): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new UserError(`cannot write the access report to ${out}: it is a folder`);
  const folder = await stat(path.dirname(path.resolve(out))).catch(() => undefined);
  if (!folder?.isDirectory()) throw new UserError(`cannot write the access report to ${out}: the folder ${path.dirname(out)} does not exist`);
}

/** `access`: the audit report of who holds what, from live state. Reads only. */
export async function runAccess(o: Output, flags: AccessFlags): Promise<number> {
  const format = flags.format ?? "markdown";
  if (flags.out) await checkOut(flags.out);
  const { config, warnings } = await loadConfigFile(flags.config);
  const scimToken = config.scim ? o.io.env[config.scim.tokenEnv] : undefined;
  if (scimToken) o.io.addSecret?.(scimToken);
  printDiagnostics(o, warnings);
  const report = await createAccessReport(config, { env: o.io.env, authentikAuth: cliAuthentikAuth(o, config) });
  const text = renderAccessReport(report, format);
  o.io.stdout.write(text);
  if (flags.out) {
    await writeFile(flags.out, text).catch((error: unknown) => {
      throw new UserError(`cannot write the access report to ${flags.out}: ${fileProblem(error)}`);
    });
  }
  return EXIT.ok;
}
