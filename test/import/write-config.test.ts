import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { durationText, policyForYaml, sessionNameOf, sessionSecondsOf } from "../../src/import/read-authentik.js";
import { safeAlias } from "../../src/import/classic-iam.js";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "../../src/config/diagnostics.js";
import { UserError } from "../../src/errors.js";
import { renderImported, writeImported } from "../../src/import/write-config.js";

describe("import: writing the configuration", () => {
  it("keeps hostile names from live systems inside their comments and values", () => {
    const hostile = "ops\nmode: identity-center\n# injected";
    const text = renderImported(
      { document: { version: 1, mode: "classic-iam", mappings: [{ group: hostile, roles: ["admin"] }] }, notes: [`group '${hostile}' is odd\r\nadopt: {}`] },
      ["header\nversion: 2"],
    );
    const data = parse(text);
    expect(data.mode).toBe("classic-iam");
    expect(data.version).toBe(1);
    expect(data.adopt).toBeUndefined();
    expect(data.mappings[0].group).toBe(hostile);
    // Every line of the notes is a comment line.
    for (const line of text.split("\n").filter((l) => l.includes("is odd") || l.includes("header"))) expect(line.startsWith("#")).toBe(true);
  });

  it("explains each section and lists what import noticed at the top", () => {
    const text = renderImported({ document: { version: 1, mode: "classic-iam", mappings: [], adopt: { application: true } }, notes: ["bob gets both"] }, ["Written by import"]);
    expect(text.startsWith("# yaml-language-server: $schema=")).toBe(true);
    expect(text).toContain("# What import noticed (check before the first apply):\n# - bob gets both");
    expect(text).toMatch(/# Objects made by hand that this configuration takes over[\s\S]*\nadopt:\n  application: true/);
  });

  it("small helpers: aliases, durations, session names, policy key order", () => {
    expect(safeAlias("Production Account", "111111111111")).toBe("production-account");
    expect(safeAlias("--", "111111111111")).toBe("111111111111");
    expect([durationText(3600), durationText(5400), durationText(900), durationText(43200)]).toEqual(["1h", "1h30m", "15m", "12h"]);
    expect(sessionNameOf("return user.email")).toBe("email");
    expect(sessionNameOf("return request.user.username  # who")).toBe("username");
    expect(sessionNameOf("return user.name")).toBeUndefined();
    expect(sessionSecondsOf('return "7200"')).toBe(7200);
    expect(Object.keys(policyForYaml({ Statement: [{ Resource: "*", Effect: "Allow", Action: "s3:*" }], Version: "2012-10-17" }))).toEqual(["Version", "Statement"]);
    expect(Object.keys((policyForYaml({ Statement: [{ Resource: "*", Effect: "Allow", Action: "s3:*" }] }).Statement as object[])[0]!)).toEqual(["Effect", "Action", "Resource"]);
  });

  it("writes nothing when the configuration does not validate, puts back a companion file it replaced, and says a missing folder plainly", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "import-"));
    const out = path.join(dir, "aws-access.yaml");
    await expect(writeImported(out, "version: 2\n", { "sp.xml": "<x/>" }, false)).rejects.toBeInstanceOf(ConfigError);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.join(dir, "sp.xml"))).toBe(false);
    writeFileSync(path.join(dir, "sp.xml"), "mine");
    await expect(writeImported(out, "version: 2\n", { "sp.xml": "<x/>" }, false)).rejects.toThrow(/exists already/);
    await expect(writeImported(out, "version: 2\n", { "sp.xml": "<x/>" }, true)).rejects.toBeInstanceOf(ConfigError);
    expect(readFileSync(path.join(dir, "sp.xml"), "utf8")).toBe("mine");
    await expect(writeImported(path.join(dir, "missing", "a.yaml"), "version: 1\n", {}, false)).rejects.toBeInstanceOf(UserError);
  });
});
