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
  /** OWNER/REPO: also the authentik objects for the Action's sign-in with GitHub's OIDC token. */
  authentikOidc?: string;
  authentikOidcAudience?: string;
  authentikOidcEnvironment?: string;
  authentikOidcBranch?: string;
  authentikOidcIssuer?: string;
  authentikOidcClientId?: string;
  authentikOidcWorkflow?: string;
}

/** `permissions`: what plan or apply of this configuration needs from AWS and authentik. Offline: reads only the file. */
export async function runPermissions(o: Output, flags: PermissionsFlags): Promise<number> {
  const { config, warnings } = await loadConfigFile(flags.config);
  printDiagnostics(o, warnings);
  const report = permissionsReport(config, {
    phase: flags.for,
    prune: flags.prune ?? config.options.prune,
    ...(flags.authentikOidc !== undefined
      ? {
          oidc: {
            repository: flags.authentikOidc,
            ...(flags.authentikOidcAudience !== undefined ? { audience: flags.authentikOidcAudience } : {}),
            ...(flags.authentikOidcEnvironment !== undefined ? { environment: flags.authentikOidcEnvironment } : {}),
            ...(flags.authentikOidcBranch !== undefined ? { branch: flags.authentikOidcBranch } : {}),
            ...(flags.authentikOidcIssuer !== undefined ? { issuer: flags.authentikOidcIssuer } : {}),
            ...(flags.authentikOidcClientId !== undefined ? { clientId: flags.authentikOidcClientId } : {}),
            ...(flags.authentikOidcWorkflow !== undefined ? { workflow: flags.authentikOidcWorkflow } : {}),
          },
        }
      : {}),
  });
  o.io.stdout.write(flags.format === "json" ? renderPermissionsJson(report) : renderPermissionsText(report));
  return EXIT.ok;
}
