import { UserError } from "../errors.js";
import { importClassicIam } from "../import/classic-iam.js";
import { importIdentityCenter } from "../import/identity-center.js";
import type { ImportOptions } from "../import/types.js";
import { renderImported, writeImported } from "../import/write-config.js";
import { AuthentikClient } from "../providers/authentik/client.js";
import { awsRegion } from "../providers/aws/clients.js";
import { escapeUnsafe } from "../util/safe-text.js";
import { displayUrl } from "../util/redact-url.js";
import { VERSION } from "../version.js";
import { cliAuthAt } from "./authentik-auth.js";
import type { Output } from "./io.js";
import { printDiagnostics } from "./report.js";

export interface ImportFlags {
  mode: "classic-iam" | "identity-center";
  application: string;
  accounts?: string;
  assumeRole?: string;
  region?: string;
  spMetadata?: string;
  accessPortalUrl?: string;
  scimTokenEnv: string;
  url?: string;
  out: string;
  force?: boolean;
}

/** "prod=111111111111,dev=222222222222" → aliases by id. */
export function parseAccounts(text: string | undefined): { alias: string; id: string }[] {
  if (!text) return [];
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(\d{12})$/.exec(entry);
      if (!m) throw new UserError(`--accounts: '${entry}' is not ALIAS=ACCOUNT_ID (e.g. prod=111111111111)`);
      return { alias: m[1]!, id: m[2]! };
    });
}

/** `import`: reads the live setup and writes a configuration that grants exactly what exists today. */
export async function runImport(o: Output, flags: ImportFlags): Promise<number> {
  const env = o.io.env;
  const apiUrl = env.AUTHENTIK_URL;
  if (!apiUrl) throw new UserError("AUTHENTIK_URL is not set: import reads authentik at that URL (the token comes from AUTHENTIK_TOKEN, or a JWT from AUTHENTIK_JWT)");
  const auth = cliAuthAt(o, apiUrl);
  const publicUrl = flags.url ?? apiUrl;
  if (!/^https?:\/\/[^/?#@\s]+(?:\/[^?#\s]*)?$/.test(publicUrl)) throw new UserError(`--url must be authentik's public http(s) URL without user name, password, query or fragment`);
  const options: ImportOptions = {
    application: flags.application,
    accounts: parseAccounts(flags.accounts),
    ...(flags.assumeRole ? { assumeRole: flags.assumeRole } : {}),
    authentikUrl: publicUrl,
    ...(flags.mode === "identity-center" ? { region: flags.region ?? awsRegion(env) } : {}),
    ...(flags.spMetadata ? { spMetadata: flags.spMetadata } : {}),
    ...(flags.accessPortalUrl ? { accessPortalUrl: flags.accessPortalUrl } : {}),
    scimTokenEnv: flags.scimTokenEnv,
    env,
  };
  const client = new AuthentikClient({ url: apiUrl, auth });
  o.error(o.err.dim(`Reading authentik at ${escapeUnsafe(displayUrl(apiUrl))} and AWS…`));
  const imported = flags.mode === "classic-iam" ? await importClassicIam(client, options) : await importIdentityCenter(client, options);
  const text = renderImported(imported, [
    `Written by authentik-aws-gitops ${VERSION} import --mode ${flags.mode} --application ${flags.application}:`,
    "it grants exactly the access that exists today. Run plan: it must show no access change,",
    "only objects taken over (adopt) and restructured (entitlements instead of a hand-made Role mapping, tags).",
  ]);
  const result = await writeImported(flags.out, text, imported.files ?? {}, flags.force === true);
  for (const note of imported.notes) o.error(`${o.err.yellow("note:")} ${escapeUnsafe(note)}`);
  printDiagnostics(o, result.diagnostics);
  const c = result.config!;
  const grants = c.mode === "classic-iam" ? `${c.roles.length} role(s)` : `${c.permissionSets.length} permission set(s)`;
  o.print(`${o.out.green("✓")} wrote ${escapeUnsafe(flags.out)}: mode ${c.mode}, ${c.aws.accounts.length} account(s), ${grants}, ${c.mappings.length} mapping(s)`);
  for (const f of Object.keys(imported.files ?? {})) o.print(`  and ${escapeUnsafe(f)} beside it`);
  o.print(`Next: authentik-aws-gitops plan -c ${escapeUnsafe(flags.out)}   (no access change; adopt and restructure only), then apply.`);
  return 0;
}
