import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expiryLocation, expiryLocationAsGiven } from "../../src/config/expiry.js";
import { validateConfigText } from "../../src/config/load-config.js";

/**
 * Where an expiry is written: the plan keeps it by the file's base name (it is hashed,
 * and the hash must not depend on how -c spelled the path); what is printed names the
 * file as given on the command line, as errors do.
 */
const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "classic-iam.yaml"), "utf8");
const withExpiry = (value: string) => example.replace("    accounts: [dev]\n\noptions:", `    accounts: [dev]\n    expires: ${value}\n\noptions:`);
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe("expiry locations", () => {
  it("the plan's location is the same however -c spells the path", () => {
    const locations = ["classic-iam.yaml", "./.sandbox/classic-iam.yaml", "/abs/dir/classic-iam.yaml"].map(
      (file) => validateConfigText(file, withExpiry(day(30))).config!.mappings[2]!.expires!.location,
    );
    expect(new Set(locations).size).toBe(1);
    expect(locations[0]).toMatch(/^classic-iam\.yaml:\d+:14$/);
  });

  it("printed, it names the file as given, at the place a validate warning about it names", () => {
    const file = ".sandbox/classic-iam.yaml";
    const ahead = validateConfigText(file, withExpiry(day(30))).config!;
    const shown = expiryLocationAsGiven(ahead.mappings[2]!.expires!.location, ahead.file);
    const past = validateConfigText(file, withExpiry(day(-1))).diagnostics.find((d) => d.path.join(".") === "mappings.2.expires")!;
    expect(past.severity).toBe("warning");
    expect(shown).toBe(`${past.file}:${past.line}:${past.column}`);
    expect(shown).toMatch(/^\.sandbox\/classic-iam\.yaml:\d+:14$/);
  });

  it("leaves a location of another file, or of another form, as it is", () => {
    expect(expiryLocation("./a/b/aws-access.yaml", 41, 14)).toBe("aws-access.yaml:41:14");
    expect(expiryLocationAsGiven("aws-access.yaml:41:14", "./a/b/aws-access.yaml")).toBe("./a/b/aws-access.yaml:41:14");
    expect(expiryLocationAsGiven("aws-access.yaml:41:14", "aws-access.yaml")).toBe("aws-access.yaml:41:14");
    expect(expiryLocationAsGiven("other.yaml:41:14", "./a/aws-access.yaml")).toBe("other.yaml:41:14");
    expect(expiryLocationAsGiven("aws-access.yaml (scim.groups)", "./a/aws-access.yaml")).toBe("aws-access.yaml (scim.groups)");
  });
});
