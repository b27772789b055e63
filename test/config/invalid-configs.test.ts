import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigFile, validateConfigText } from "../../src/config/load-config.js";

/**
 * Each file under test/fixtures/invalid is a config with mistakes; the
 * `# expect: LINE:COL SEVERITY: MESSAGE` lines at its end list exactly the
 * diagnostics it must produce — every error and warning, no more, no fewer.
 */
const dir = path.join(import.meta.dirname, "..", "fixtures", "invalid");
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();

function expectations(file: string): string[] {
  return readFileSync(path.join(dir, file), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("# expect: "))
    .map((l) => l.slice("# expect: ".length));
}

describe("invalid configurations", () => {
  it("has a corpus of at least 30 cases", () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)("%s", async (file) => {
    const expected = expectations(file);
    expect(expected.some((e) => / error: /.test(e)), "each case expects at least one error").toBe(true);
    const result = await validateConfigFile(path.join(dir, file));
    const actual = result.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}: ${d.message}`);
    expect(actual).toEqual(expected);
    expect(result.config).toBeUndefined();
    for (const d of result.diagnostics) expect(d.file).toBe(path.join(dir, file));
  });
});

describe("secrets in the config", () => {
  const secrets: Record<string, string> = {
    "34-scim-token-inline.yaml": "kR7vQ2mXp9LwZt4BnH8sJc3Yd6FgA1eU",
    "35-authentik-token-inline.yaml": "ak-7f3a9c2e-super-secret-value",
    "36-aws-access-key-inline.yaml": "AKIAIOSFODNN7EXAMPLE",
    "52-authentik-url-with-password.yaml": "hunter2pw",
  };
  it.each(Object.entries(secrets))("%s never echoes the secret", async (file, secret) => {
    const result = await validateConfigFile(path.join(dir, file));
    expect(result.diagnostics.length).toBeGreaterThan(0);
    for (const d of result.diagnostics) expect(d.message).not.toContain(secret);
  });
});

describe("YAML syntax errors", () => {
  it.each([
    ["an invalid escape in a double-quoted string", 'version: 1\ntoken: "\\qSECRETVALUE"\n', "2:9 error: YAML syntax: invalid escape sequence in a double-quoted string"],
    ["extra characters after a block scalar header", "version: 1\ntoken: |SECRETVALUE\n  x\n", "2:9 error: YAML syntax: block scalar header (| or >) includes extra characters"],
  ])("never quote the source text for %s", (_what, text, expected) => {
    const result = validateConfigText("x.yaml", text);
    expect(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}: ${d.message}`)).toEqual([expected]);
    for (const d of result.diagnostics) expect(d.message).not.toContain("SECRET");
  });
});
