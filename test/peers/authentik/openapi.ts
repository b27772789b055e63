// Loads authentik's published OpenAPI description (schema.yml inside the pinned
// @goauthentik/api package) and turns it into the operation index the emulator
// routes by (see ../openapi-index.ts).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parse as parseYaml } from "yaml";
import { buildOperationIndex, type OpenApiDocument, type OpenApiSpec } from "../openapi-index.js";

const require = createRequire(import.meta.url);
const SCHEMA_PATH = require.resolve("@goauthentik/api/schema.yml");

let cached: OpenApiSpec | undefined;

/** Parsing the 60k-line YAML takes ~2 s, so it is done once per process. */
export function loadSpec(): OpenApiSpec {
  if (cached) return cached;
  const document = parseYaml(readFileSync(SCHEMA_PATH, "utf8"), { maxAliasCount: -1 }) as OpenApiDocument;
  cached = buildOperationIndex(document);
  return cached;
}
