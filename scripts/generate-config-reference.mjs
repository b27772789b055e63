// Generates schema/REFERENCE.md, the human-readable config reference, from
// schema/config.schema.json. `npm run generate:reference` writes it; a test
// fails when it is stale, so the reference can never drift from the schema.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
export const schemaPath = fileURLToPath(new URL("schema/config.schema.json", root));
export const referencePath = fileURLToPath(new URL("schema/REFERENCE.md", root));

function deref(schema, node) {
  let n = node;
  const seen = new Set();
  while (n && n.$ref && !seen.has(n.$ref)) {
    seen.add(n.$ref);
    const target = n.$ref.replace(/^#\/definitions\//, "");
    const { $ref, ...rest } = n;
    n = { ...schema.definitions[target], ...rest };
  }
  return n;
}

function typeOf(schema, node) {
  const n = deref(schema, node);
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((v) => `\`${v}\``).join(" \\| ");
  if (n.anyOf) return n.anyOf.map((b) => typeOf(schema, b)).join(" \\| ");
  if (n.type === "array") return `list of ${typeOf(schema, n.items ?? {})}`;
  if (n.type === "object" && !n.properties && n.additionalProperties) return `map of ${typeOf(schema, n.additionalProperties)}`;
  if (n.type === "object") return "mapping";
  if (n.type === "integer") return "integer";
  return n.type ?? "any";
}

function rows(schema, node, prefix, out) {
  const n = deref(schema, node);
  const required = new Set(n.required ?? []);
  for (const [key, child] of Object.entries(n.properties ?? {})) {
    if (key === "$schema") continue;
    const c = deref(schema, child);
    const path = `${prefix}${key}`;
    const def = c.default === undefined ? "" : `\`${JSON.stringify(c.default)}\``;
    const desc = (c.description ?? "").replace(/\n/g, " ").replace(/\|/g, "\\|");
    out.push(`| \`${path}\` | ${typeOf(schema, c)} | ${required.has(key) ? "yes" : ""} | ${def} | ${desc} |`);
    if (c.properties) rows(schema, c, `${path}.`, out);
    else if (c.type === "object" && c.additionalProperties && typeof c.additionalProperties === "object") {
      const item = deref(schema, c.additionalProperties);
      if (item.properties) rows(schema, item, `${path}.<name>.`, out);
    } else if (c.type === "array" && c.items) {
      const item = deref(schema, c.items);
      if (item.properties) rows(schema, item, `${path}[].`, out);
    }
  }
}

export async function generateConfigReference() {
  const schema = JSON.parse(await readFile(schemaPath, "utf8"));
  const out = [
    "<!-- Generated from config.schema.json by `npm run generate:reference`. Do not edit by hand. -->",
    "# Configuration reference",
    "",
    schema.description,
    "",
    "Editors that use yaml-language-server (VS Code's YAML extension, Neovim, JetBrains) complete and explain",
    "these keys when the file starts with `# yaml-language-server: $schema=<path or URL of config.schema.json>`.",
    "",
    "| key | type | required | default | description |",
    "| --- | --- | --- | --- | --- |",
  ];
  rows(schema, schema, "", out);
  return `${out.join("\n")}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(referencePath, await generateConfigReference());
  console.log(`wrote ${referencePath}`);
}
