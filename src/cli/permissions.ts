import { loadConfigFile } from "../config/load-config.js";
import { EXIT } from "../errors.js";
import { permissionsReport, type Phase } from "../permissions/model.js";
import { renderPermissionsJson, renderPermissionsText } from "../permissions/render.js";
import type { Output } from "./io.js";
import { printDiagnostics } from "./report.js";

export interface PermissionsFlags {
  config: string;
  for: Phase;
  format?: "text" | "json";
  prune?: boolean;
}

/** `permissions`: what plan or apply of this configuration needs from AWS and authentik. Offline: reads only the file. */
export async function runPermissions(o: Output, flags: PermissionsFlags): Promise<number> {
  const { config, warnings } = await loadConfigFile(flags.config);
  printDiagnostics(o, warnings);
  const report = permissionsReport(config, { phase: flags.for, prune: flags.prune ?? config.options.prune });
  o.io.stdout.write(flags.format === "json" ? renderPermissionsJson(report) : renderPermissionsText(report));
  return EXIT.ok;
}
