import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { generateConfigTypes, outputPath } from "../../scripts/generate-config-types.mjs";

describe("generated config types", () => {
  it("src/config/config.generated.ts matches schema/config.schema.json (run `npm run generate:types`)", async () => {
    const fresh: string = await generateConfigTypes();
    expect(readFileSync(outputPath as string, "utf8")).toBe(fresh);
  });
});

describe("schema", () => {
  it("describes every property, so editors can show hover help", () => {
    const schema = JSON.parse(readFileSync(new URL("../../schema/config.schema.json", import.meta.url), "utf8"));
    const missing: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (node === null || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      const props = n.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [key, value] of Object.entries(props ?? {})) {
        // A property described by its $ref target counts as described.
        if (typeof value.description !== "string" && typeof value.$ref !== "string") missing.push(`${where}.${key}`);
        visit(value, `${where}.${key}`);
      }
      for (const [key, value] of Object.entries((n.definitions as Record<string, unknown>) ?? {})) visit(value, `#${key}`);
      for (const k of ["items", "additionalProperties"]) if (typeof n[k] === "object") visit(n[k], `${where}[]`);
      for (const k of ["anyOf", "oneOf"]) for (const branch of (n[k] as unknown[]) ?? []) visit(branch, where);
    };
    visit(schema, "");
    expect(missing).toEqual([]);
  });
});

describe("config reference", () => {
  it("schema/REFERENCE.md matches the schema (run `npm run generate:reference`)", async () => {
    // @ts-expect-error -- plain ESM script without type declarations
    const { generateConfigReference, referencePath } = await import("../../scripts/generate-config-reference.mjs");
    expect(readFileSync(referencePath as string, "utf8")).toBe(await generateConfigReference());
  });
});
