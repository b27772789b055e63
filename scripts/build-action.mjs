// Bundles the GitHub Action (src/action/index.ts and everything it imports) into
// dist/index.js, which action.yml runs on node24. The bundle is committed, as
// GitHub runs actions from the repository as is; test/action/dist.test.ts fails
// when it is stale. `npm run build:action` writes it.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const entry = fileURLToPath(new URL("../src/action/index.ts", import.meta.url));
export const outfile = fileURLToPath(new URL("../dist/index.js", import.meta.url));

export function bundleOptions(overrides = {}) {
  return {
    entryPoints: [entry],
    // Paths in the bundle's comments are relative to this: the same on every clone.
    absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    outfile,
    legalComments: "none",
    minify: false,
    sourcemap: false,
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __aagCreateRequire } from 'node:module'; const require = __aagCreateRequire(import.meta.url);" },
    ...overrides,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build(bundleOptions());
  console.log(`wrote ${outfile}`);
}
