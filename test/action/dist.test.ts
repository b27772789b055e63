import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { bundleOptions, outfile } from "../../scripts/build-action.mjs";

describe("dist/index.js", () => {
  it("is what `npm run build:action` makes from src/ now (commit a fresh bundle)", async () => {
    const fresh = path.join(mkdtempSync(path.join(tmpdir(), "aag-dist-")), "index.js");
    await build(bundleOptions({ outfile: fresh, logLevel: "silent" }));
    const committed = readFileSync(outfile as string, "utf8");
    const rebuilt = readFileSync(fresh, "utf8");
    // Compare without a diff dump of 3 MB on failure.
    expect(committed.length === rebuilt.length && committed === rebuilt, "dist/index.js is stale: run `npm run build:action` and commit dist/").toBe(true);
  });
});
