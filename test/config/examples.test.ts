import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigFile } from "../../src/config/load-config.js";

const dir = path.join(import.meta.dirname, "..", "..", "examples");
const examples = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

describe("examples", () => {
  it("include one per mode", () => {
    expect(examples).toEqual(expect.arrayContaining(["classic-iam.yaml", "identity-center.yaml"]));
  });

  it.each(examples)("%s is valid, warning-free and points editors at the schema", async (file) => {
    const full = path.join(dir, file);
    const text = readFileSync(full, "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/config.schema.json");
    const result = await validateConfigFile(full);
    expect(result.diagnostics).toEqual([]);
    expect(result.config).toBeDefined();
  });

  it("classic-iam example resolves defaults and wildcards", async () => {
    const { config } = await validateConfigFile(path.join(dir, "classic-iam.yaml"));
    expect(config?.mode).toBe("classic-iam");
    const readonly = config?.roles.find((r) => r.name === "readonly");
    expect(readonly?.accounts).toEqual(["prod", "dev"]);
    expect(readonly?.maxSessionDuration).toBe(3600);
    expect(config?.roles.find((r) => r.name === "admin")?.maxSessionDuration).toBe(4 * 3600);
    expect(config?.authentik.provider.sessionDuration).toBe(3600);
    expect(config?.aws.rolePath).toBe("/authentik/");
  });

  it("identity-center example resolves the SP metadata path relative to the file", async () => {
    const { config } = await validateConfigFile(path.join(dir, "identity-center.yaml"));
    expect(config?.aws.identityCenter?.spMetadataPath).toBe(path.join(dir, "identity-center-sp-metadata.xml"));
    expect(config?.scim?.groups).toEqual(["aws-admins", "engineers", "data-eng"]);
    expect(config?.permissionSets.find((p) => p.name === "ReadOnly")?.sessionDuration).toBe(8 * 3600);
  });
});
