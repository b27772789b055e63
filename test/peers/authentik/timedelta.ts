// authentik's timedelta strings ("hours=1;minutes=2"), parsed as
// authentik/lib/utils/time.py timedelta_from_string does (every release read, 2025.10.4 to
// 2026.5.0-rc1): `;`-separated `key=value` pairs; a pair without exactly one `=` is an error;
// keys compared lower-cased and *not* trimmed, unknown keys skipped; values float(value.strip());
// at least one known key. timedelta_string_validator turns a failure into
// "<value> is not in the correct format of 'hours=3;minutes=1'.".
const MS: Record<string, number> = {
  microseconds: 0.001,
  milliseconds: 1,
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
};

/** Python's float() of a stripped string: decimal, exponent, inf/nan words; no hex, no empty. */
function pyFloat(text: string): number | undefined {
  const t = text.trim().replace(/_/g, (m, i: number, str: string) => (/\d/.test(str[i - 1] ?? "") && /\d/.test(str[i + 1] ?? "") ? "" : m));
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  return undefined;
}

/** The duration in milliseconds, or undefined where authentik raises ValueError. */
export function timedeltaMs(expr: string): number | undefined {
  let total = 0;
  let known = 0;
  for (const pair of expr.split(";")) {
    const parts = pair.split("=");
    if (parts.length !== 2) return undefined;
    const key = parts[0]!.toLowerCase();
    if (!(key in MS)) continue;
    const value = pyFloat(parts[1]!);
    if (value === undefined || !Number.isFinite(value)) return undefined;
    total += value * MS[key]!;
    known += 1;
  }
  return known === 0 ? undefined : total;
}

export function timedeltaError(value: string): string {
  return `${value} is not in the correct format of 'hours=3;minutes=1'.`;
}
