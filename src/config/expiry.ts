/**
 * `mappings[].expires`: when a grant ends. Pure: "now" is always the caller's.
 *
 * - A date (`2026-12-31`) is a UTC calendar day, and the grant lasts through it:
 *   it ends when that day ends, at `2027-01-01T00:00:00Z`.
 * - A date-time must say where it is: `Z` or an offset (`2026-12-31T18:00:00Z`,
 *   `2026-12-31T18:00+02:00`). A local time without one is refused as ambiguous
 *   (the runner's clock is UTC, a laptop's is not). Seconds and fractions are optional.
 * - Impossible dates and times (`2026-02-30`, `25:00`) are refused.
 */

import path from "node:path";

/** The schema's pattern for `expires`, with groups (and a missing offset allowed, to say why it is refused). */
const FORM = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:(Z)|([+-])(\d{2}):(\d{2}))?)?$/;

/** A failure of kind "form" is one the schema's pattern reports too; "calendar" only this parser finds. */
export type ParsedExpiry = { ok: true; endsAt: Date; dateOnly: boolean } | { ok: false; kind: "form" | "calendar"; reason: string };

const DAY_MS = 86_400_000;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function parseExpiry(value: string): ParsedExpiry {
  const m = FORM.exec(value);
  if (!m) {
    return { ok: false, kind: "form", reason: "must be a date (2026-12-31, the grant lasts through that UTC day) or a date-time with Z or an offset (2026-12-31T18:00:00Z, 2026-12-31T18:00+02:00)" };
  }
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return { ok: false, kind: "calendar", reason: `has month ${mo}, which does not exist` };
  if (day < 1 || day > daysIn(year, month)) return { ok: false, kind: "calendar", reason: `is not a date: ${y}-${mo} has ${daysIn(year, month)} days` };
  if (h === undefined) return { ok: true, endsAt: new Date(Date.UTC(year, month - 1, day) + DAY_MS), dateOnly: true };
  if (z === undefined && sign === undefined) {
    return { ok: false, kind: "form", reason: "is a local time without Z or an offset, which is ambiguous; write it in UTC with Z (2026-12-31T18:00:00Z) or with its offset (2026-12-31T18:00:00+02:00)" };
  }
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? "0");
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, kind: "calendar", reason: `has the time ${h}:${mi}${s ? `:${s}` : ""}, which does not exist` };
  let offsetMinutes = 0;
  if (sign) {
    const offH = Number(oh);
    const offM = Number(om);
    if (offH > 23 || offM > 59) return { ok: false, kind: "calendar", reason: `has the offset ${sign}${oh}:${om}, which does not exist` };
    offsetMinutes = (sign === "-" ? -1 : 1) * (offH * 60 + offM);
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const endsAt = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return { ok: true, endsAt: new Date(endsAt), dateOnly: false };
}

/** "on 2026-12-31" for a date, "at 2026-12-31T18:00:00Z" for a date-time: how the value reads in a sentence. */
export function expiryPhrase(value: string): string {
  return FORM.exec(value)?.[4] === undefined ? `on ${value}` : `at ${value}`;
}

/** Whole days from `now` until `endsAt` (0 when less than a day is left). */
export function daysLeft(endsAt: Date | string, now: Date): number {
  return Math.max(0, Math.floor((new Date(endsAt).getTime() - now.getTime()) / DAY_MS));
}

/** "in 3 days", "in 1 day", "in 5 hours", "in less than an hour". */
export function timeLeftText(endsAt: Date | string, now: Date): string {
  const ms = new Date(endsAt).getTime() - now.getTime();
  const days = Math.floor(ms / DAY_MS);
  if (days >= 1) return `in ${days} ${days === 1 ? "day" : "days"}`;
  const hours = Math.floor(ms / 3_600_000);
  if (hours >= 1) return `in ${hours} ${hours === 1 ? "hour" : "hours"}`;
  return "in less than an hour";
}

/**
 * Where an expiry is written, as the plan keeps it: "aws-access.yaml:41:14", the file
 * by its base name. It is part of the hashed plan (a change's `expired`), and the hash
 * must not depend on how -c spelled the path or where the command ran.
 */
export function expiryLocation(configFile: string, line: number, column: number): string {
  return `${path.basename(configFile)}:${line}:${column}`;
}

/**
 * An expiry location (expiryLocation) as messages print it: the file named as on the
 * command line, as every error and validate warning names it
 * (".sandbox/classic-iam.yaml:72:14"). `configFile` is the path the configuration was
 * given by (ResolvedConfig.file, Plan.config). A location of another file, or not of
 * this form, is returned as it is.
 */
export function expiryLocationAsGiven(location: string, configFile: string): string {
  const base = path.basename(configFile);
  const rest = location.startsWith(`${base}:`) ? location.slice(base.length) : undefined;
  return rest !== undefined && /^:\d+:\d+$/.test(rest) ? `${configFile}${rest}` : location;
}
