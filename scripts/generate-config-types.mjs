// Generates src/config/config.generated.ts from schema/config.schema.json, the single
// source of truth for the config format. `npm run generate:types` writes the file;
// test/config/generated-types.test.ts fails when the committed file is stale.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

const root = new URL("../", import.meta.url);
export const schemaPath = fileURLToPath(new URL("schema/config.schema.json", root));
export const outputPath = fileURLToPath(new URL("src/config/config.generated.ts", root));

export async function generateConfigTypes() {
  const schema = JSON.parse(await readFile(schemaPath, "utf8"));
  return compile(schema, "AuthentikAwsGitopsConfig", {
    bannerComment:
      "/* Generated from schema/config.schema.json by `npm run generate:types`. Do not edit by hand. */",
    additionalProperties: false,
    unreachableDefinitions: false,
    strictIndexSignatures: true,
    // Bounds are validated by ajv; as types they would only become unions of tuples.
    maxItems: -1,
    style: { singleQuote: false, printWidth: 100 },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(outputPath, await generateConfigTypes());
  console.log(`wrote ${outputPath}`);
}
