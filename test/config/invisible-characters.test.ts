/**
 * A name with an invisible character prints exactly like the name without it and is
 * another name (`aws-admins` + U+200B is another authentik group): validation refuses
 * it wherever the configuration holds it, at the character, and every output writes
 * such characters visibly.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import { escapeUnsafe } from "../../src/util/safe-text.js";

const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "classic-iam.yaml"), "utf8");

function errors(text: string): string[] {
  return validateConfigText("aws-access.yaml", text, { now: new Date("2026-01-01T00:00:00Z") })
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.line}:${d.column} ${d.message}`);
}

/** Line and column (1-based) of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

describe("validation refuses invisible characters in what the configuration declares", () => {
  it.each([
    ["zero width space", "\u200b"],
    ["zero width non-joiner", "\u200c"],
    ["zero width joiner", "\u200d"],
    ["word joiner", "\u2060"],
    ["soft hyphen", "\u00ad"],
    ["Unicode tag character", "\u{e0041}"],
    ["Hangul filler", "\u3164"],
    ["Hangul filler (half width)", "\uffa0"],
    ["Mongolian vowel separator", "\u180e"],
    ["variation selector", "\ufe00"],
  ])("a group name with a %s, at the character", (_what, ch) => {
    const text = example.replace("  - group: aws-admins\n", `  - group: aws-admins${ch}\n`);
    const found = errors(text);
    const at = where(text, ch);
    expect(found.filter((e) => e.startsWith(`${at} `))).toHaveLength(1);
    expect(found.find((e) => e.startsWith(`${at} `))).toMatch(/invisible character, U\+[0-9A-F]{4,5} \(.*shown as \\u/);
  });

  it("in a role name (a key), an account name, a tag and a policy's Sid", () => {
    const text = example
      .replace("  readonly:\n", "  read\u200bonly:\n")
      .replace("      name: Production\n", "      name: Produc\u2060tion\n")
      .replace("    cost-center: platform\n", "    cost-center: plat\u00adform\n")
      .replace("          - Sid: ReadDataLake\n", "          - Sid: ReadData\u200cLake\n");
    const found = errors(text).filter((e) => e.includes("invisible character"));
    const at = (ch: string) => where(text, ch);
    expect(found.map((e) => e.split(" ")[0])).toEqual([at("\u00ad"), at("\u2060"), at("\u200b"), at("\u200c")]);
    expect(found.find((e) => e.startsWith(`${at("\u200b")} `))).toContain("a key holds");
  });

  it("written as an escape in a double-quoted string: at the value", () => {
    const text = example.replace("  - group: aws-admins\n", '  - group: "aws-admins\\u200b"\n');
    expect(errors(text).filter((e) => e.includes("invisible character"))).toEqual([
      `${where(text, '"aws-admins')} a value holds an invisible character, U+200B (zero width space, shown as \\u200b), written as an escape: text with it prints exactly like text without it, yet names something else; remove it`,
    ]);
  });

  it("a byte order mark inside the text: refused at the character, as YAML forbids it", () => {
    const text = example.replace("  - group: aws-admins\n", "  - group: aws-admins\ufeff\n");
    expect(errors(text)).toEqual([`${where(text, "\ufeff")} YAML: the file holds a byte order mark (U+FEFF) after the start, which a YAML file may not contain; remove it (or write it as an escape in a double-quoted string)`]);
  });

  it("keeps what emoji are made of (👩‍💻, ⚠️, a keycap 1️⃣), not a selector after a letter or digit", () => {
    expect(errors(example.replace("    name: AWS\n", "    name: AWS ⚠️ on-call 1️⃣ 👩‍💻\n"))).toEqual([]);
    const digit = example.replace("  - group: aws-admins\n", "  - group: aws-admins1\ufe0f\n");
    expect(errors(digit)).toEqual([expect.stringMatching(new RegExp(`^${where(digit, "\ufe0f")} a value holds an invisible character, U\\+FE0F`))]);
  });

  it("refuses a joiner between two pictographs that make no emoji (🔥‍🔥 shows as 🔥🔥)", () => {
    const text = example.replace("    name: AWS\n", "    name: AWS 🔥\u200d🔥\n");
    expect(errors(text)).toEqual([expect.stringContaining("U+200D (zero width joiner")]);
  });

  it("the message never quotes the value (it may be a pasted secret)", () => {
    const text = example.replace("    name: AWS\n", "    name: kR7vQ2mXp9LwZt4Bn\u200bH8sJc3Yd6FgA1eU\n");
    const found = errors(text);
    expect(found).toHaveLength(1);
    expect(found[0]).not.toContain("kR7v");
  });
});

describe("outputs make invisible characters visible", () => {
  it.each([
    ["aws-admins\u200b", "aws-admins\\u200b"],
    ["a\u00adb", "a\\u00adb"],
    ["tag\u{e0041}", "tag\\u{e0041}"],
    ["\u3164", "\\u3164"],
    ["👩‍💻 ⚠️ 1️⃣", "👩‍💻 ⚠️ 1️⃣"],
    ["🔥\u200d🔥", "🔥\\u200d🔥"],
    ["aws-admins1\ufe0f", "aws-admins1\\ufe0f"],
    ["a\u200db", "a\\u200db"],
  ])("%j → %s", (input, shown) => {
    expect(escapeUnsafe(input)).toBe(shown);
  });
});
