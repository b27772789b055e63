/**
 * Writes an imported configuration as commented YAML — only once it validates,
 * so `import` never leaves a half-written or invalid file behind.
 */
import { randomBytes } from "node:crypto";
import { access, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Document, isPair, isScalar, type YAMLMap } from "yaml";
import { ConfigError } from "../config/diagnostics.js";
import { validateConfigFile, type ValidationResult } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { escapeUnsafe } from "../util/safe-text.js";
import type { ImportedConfig } from "./types.js";

/** Comment text on one line each, control characters escaped: names from live systems never break out of a comment. */
function commentLines(lines: string[]): string {
  return lines.map((l) => ` ${escapeUnsafe(l).replace(/[\r\n]+/g, " ")}`).join("\n");
}

const SECTION_COMMENTS: Record<string, string[]> = {
  authentik: ["The authentik application and SAML provider, as they are today. authentik.url is the public URL users reach authentik by."],
  aws: ["The accounts the setup reaches. Names are aliases used in this file only."],
  roles: ["The IAM roles that trust the SAML identity provider today, with their policies."],
  permissionSets: ["The permission sets of the IAM Identity Center instance, with their policies."],
  mappings: ["Who holds what today: each authentik group and the roles / permission sets it gets, and where."],
  scim: ["SCIM provisioning, as configured today. The token is never written here: it is read from the environment variable tokenEnv."],
  adopt: [
    "Objects made by hand that this configuration takes over. The first plan lists them as",
    "'adopt': apply marks them as the tool's (the application's Publisher, the ownership tags)",
    "without recreating them. After that apply these lines do nothing and may be removed.",
  ],
};

export function renderImported(imported: ImportedConfig, header: string[]): string {
  const doc = new Document(imported.document);
  doc.commentBefore = commentLines([
    "yaml-language-server: $schema=https://github.com/authentik-aws-gitops/authentik-aws-gitops/schema/config.schema.json",
    "",
    ...header,
    ...(imported.notes.length ? ["", "What import noticed (check before the first apply):", ...imported.notes.map((n) => `- ${n}`)] : []),
  ]);
  for (const item of (doc.contents as YAMLMap).items) {
    if (!isPair(item) || !isScalar(item.key)) continue;
    const text = SECTION_COMMENTS[String(item.key.value)];
    if (text) {
      item.key.commentBefore = commentLines(text);
      item.key.spaceBefore = true;
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * Writes the companion files and then the configuration (atomically: a temporary
 * file validated, then renamed). Refuses to overwrite unless `force`.
 */
export async function writeImported(out: string, text: string, files: Record<string, string>, force: boolean): Promise<ValidationResult> {
  const dir = path.dirname(path.resolve(out));
  const targets = [out, ...Object.keys(files).map((f) => path.resolve(dir, f))];
  if (!force) {
    for (const t of targets) {
      const exists = await access(t).then(
        () => true,
        () => false,
      );
      if (exists) throw new UserError(`${t} exists already; import never overwrites a file (pass --force to replace it)`);
    }
  }
  const folder = await stat(dir).catch(() => undefined);
  if (!folder?.isDirectory()) throw new UserError(`cannot write ${out}: the folder ${dir} does not exist`);
  // Companion files first (the configuration names them and validation reads them); each
  // one written here is removed again if the configuration does not validate.
  const written: { file: string; before?: string }[] = [];
  const temp = path.join(dir, `.${path.basename(out)}.${randomBytes(4).toString("hex")}.tmp.yaml`);
  try {
    for (const [name, content] of Object.entries(files)) {
      const target = path.resolve(dir, name);
      const before = await readFile(target, "utf8").catch(() => undefined); // replaced with --force: put back on failure
      await writeFile(target, content, "utf8");
      written.push({ file: target, ...(before !== undefined ? { before } : {}) });
    }
    await writeFile(temp, text, "utf8");
    const result = await validateConfigFile(temp);
    if (!result.config) {
      // An import that does not validate is a bug in import (or a name the format cannot hold): say exactly what.
      throw new ConfigError(result.diagnostics.map((d) => ({ ...d, file: out })));
    }
    await rename(temp, out);
    written.length = 0;
    return result;
  } catch (error) {
    for (const w of written) await (w.before !== undefined ? writeFile(w.file, w.before, "utf8") : rm(w.file, { force: true }));
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "ENOENT" || code === "EROFS") throw new UserError(`cannot write ${out}: ${(error as Error).message}`);
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}
