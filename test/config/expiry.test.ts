import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { daysLeft, parseExpiry, timeLeftText } from "../../src/config/expiry.js";
import { validateConfigText } from "../../src/config/load-config.js";

const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "classic-iam.yaml"), "utf8");

/** The classic example with `expires: VALUE` on its last mapping (data-eng, at the line returned). */
function withExpiry(value: string): { text: string; line: number } {
  const text = example.replace("    accounts: [dev]\n\noptions:", `    accounts: [dev]\n    expires: ${value}\n\noptions:`);
  expect(text).not.toBe(example);
  return { text, line: text.split("\n").findIndex((l) => l.startsWith("    expires: ")) + 1 };
}

const lines = (text: string, now?: Date) =>
  validateConfigText("aws-access.yaml", text, now ? { now } : {}).diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);

describe("mappings[].expires: the forms", () => {
  it("a date lasts through that UTC day", () => {
    expect(parseExpiry("2026-12-31")).toEqual({ ok: true, endsAt: new Date("2027-01-01T00:00:00Z"), dateOnly: true });
    expect(parseExpiry("2028-02-29")).toMatchObject({ ok: true, endsAt: new Date("2028-03-01T00:00:00Z") });
  });
  it("a date-time ends at that instant, with Z or an offset", () => {
    expect(parseExpiry("2026-12-31T18:00:00Z")).toMatchObject({ ok: true, endsAt: new Date("2026-12-31T18:00:00Z"), dateOnly: false });
    expect(parseExpiry("2026-12-31T18:00+02:00")).toMatchObject({ ok: true, endsAt: new Date("2026-12-31T16:00:00Z") });
    expect(parseExpiry("2026-12-31T23:30:00.5-01:00")).toMatchObject({ ok: true, endsAt: new Date("2027-01-01T00:30:00.500Z") });
  });
  it("refuses impossible dates and times, and a local time without an offset", () => {
    expect(parseExpiry("2026-02-30")).toMatchObject({ ok: false, kind: "calendar", reason: "is not a date: 2026-02 has 28 days" });
    expect(parseExpiry("2026-02-29")).toMatchObject({ ok: false, kind: "calendar" });
    expect(parseExpiry("2026-13-01")).toMatchObject({ ok: false, kind: "calendar" });
    expect(parseExpiry("2026-12-31T24:00:00Z")).toMatchObject({ ok: false, kind: "calendar" });
    expect(parseExpiry("2026-12-31T18:00:00")).toMatchObject({ ok: false, kind: "form" });
    expect(parseExpiry("31.12.2026")).toMatchObject({ ok: false, kind: "form" });
  });
  it("counts what is left", () => {
    const now = new Date("2026-12-01T12:00:00Z");
    expect(daysLeft("2026-12-04T13:00:00Z", now)).toBe(3);
    expect(timeLeftText("2026-12-04T13:00:00Z", now)).toBe("in 3 days");
    expect(timeLeftText("2026-12-01T17:30:00Z", now)).toBe("in 5 hours");
    expect(timeLeftText("2026-12-01T12:10:00Z", now)).toBe("in less than an hour");
  });
});

describe("validation of mappings[].expires", () => {
  const now = new Date();
  const day = (offsetDays: number) => new Date(now.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);

  it("accepts a future date and resolves it to the instant the grant ends", () => {
    const { text } = withExpiry(day(365));
    const result = validateConfigText("aws-access.yaml", text);
    expect(result.diagnostics).toEqual([]);
    const mapping = result.config!.mappings[2]!;
    expect(mapping.expires).toEqual({
      value: day(365),
      endsAt: new Date(`${day(366)}T00:00:00Z`).toISOString(),
      field: "mappings[2].expires",
      location: expect.stringMatching(/^aws-access\.yaml:\d+:14$/),
    });
    expect(result.config!.review!.expiryWarningDays).toBe(14);
  });

  it("warns on a date already past, at its FILE:LINE:COL, and still validates", () => {
    const { text, line } = withExpiry(day(-1));
    const result = validateConfigText("aws-access.yaml", text);
    expect(result.config).toBeDefined();
    expect(lines(text)).toEqual([
      `aws-access.yaml:${line}:14: warning: the mapping for group 'data-eng' expired on ${day(-1)}: it grants nothing any more, and plan removes what it granted (even with pruning off); delete the mapping, or set a later date to grant it again`,
    ]);
  });

  it("does not warn on today's date: it lasts through the day", () => {
    expect(lines(withExpiry(day(0)).text)).toEqual([]);
  });

  it("refuses an impossible date and an ambiguous local time with FILE:LINE:COL errors", () => {
    const bad = withExpiry("2026-02-30");
    expect(lines(bad.text)).toEqual([`aws-access.yaml:${bad.line}:14: error: 'mappings[2].expires' is not a date: 2026-02 has 28 days`]);
    const local = withExpiry("2026-12-31T18:00:00");
    expect(lines(local.text)).toEqual([
      `aws-access.yaml:${local.line}:14: error: 'mappings[2].expires' must be a date (2026-12-31, the grant lasts through that UTC day) or a date-time with Z or an offset (2026-12-31T18:00:00Z, 2026-12-31T18:00+02:00); a time without Z or an offset is ambiguous`,
    ]);
    const time = withExpiry("2026-12-31T25:00Z");
    expect(lines(time.text)).toEqual([`aws-access.yaml:${time.line}:14: error: 'mappings[2].expires' has the time 25:00, which does not exist`]);
    expect(validateConfigText("aws-access.yaml", bad.text).config).toBeUndefined();
  });

  it("takes the warning window from review.expiryWarningDays", () => {
    const text = `${withExpiry(day(30)).text}\nreview:\n  expiryWarningDays: 45\n`;
    const result = validateConfigText("aws-access.yaml", text);
    expect(result.diagnostics).toEqual([]);
    expect(result.config!.review!.expiryWarningDays).toBe(45);
    expect(lines(`${withExpiry(day(30)).text}\nreview:\n  expiryWarningDays: -1\n`)[0]).toMatch(/error: 'review\.expiryWarningDays'/);
  });

  it("takes verify's certificate warning window from review.certificateWarningDays (default 30), a whole number of days", () => {
    expect(validateConfigText("aws-access.yaml", withExpiry(day(30)).text).config!.review!.certificateWarningDays).toBe(30);
    const result = validateConfigText("aws-access.yaml", `${withExpiry(day(30)).text}\nreview:\n  certificateWarningDays: 60\n`);
    expect(result.diagnostics).toEqual([]);
    expect(result.config!.review!.certificateWarningDays).toBe(60);
    expect(validateConfigText("aws-access.yaml", `${withExpiry(day(30)).text}\nreview:\n  certificateWarningDays: 0\n`).config!.review!.certificateWarningDays).toBe(0);
    expect(lines(`${withExpiry(day(30)).text}\nreview:\n  certificateWarningDays: -1\n`)[0]).toMatch(/error: 'review\.certificateWarningDays'/);
    expect(lines(`${withExpiry(day(30)).text}\nreview:\n  certificateWarningDays: 2.5\n`)[0]).toMatch(/error: 'review\.certificateWarningDays'/);
  });
});
