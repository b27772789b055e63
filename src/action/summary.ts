/**
 * The job summary: GitHub drops a step summary above 1 MiB altogether, counted in bytes
 * (UTF-8), not characters — each configuration's part is fitted to its share.
 */
import * as core from "@actions/core";

export const JOB_SUMMARY_LIMIT_BYTES = 1024 * 1024;
export const SUMMARY_SEPARATOR = "\n\n---\n\n";

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > maxBytes) break;
    bytes += b;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * `render(maxLength)` (a limit in UTF-16 code units, which never undercount bytes) made to
 * fit `maxBytes` of UTF-8: rendered again with a smaller limit while the bytes overflow,
 * so the renderer cuts where it reads well and says so.
 */
export function fitBytes(maxBytes: number, render: (maxLength: number) => string): string {
  let maxLength = maxBytes;
  for (let attempt = 0; attempt < 6; attempt++) {
    const text = render(maxLength);
    const bytes = Buffer.byteLength(text);
    if (bytes <= maxBytes) return text;
    maxLength = Math.max(0, Math.min(maxLength - 1, Math.floor((maxLength * maxBytes) / bytes * 0.99)));
  }
  return truncateUtf8(render(maxLength), maxBytes);
}

/** Each of `parts` configurations' share of the limit, in bytes. */
export function shareOf(parts: number): number {
  return Math.floor((JOB_SUMMARY_LIMIT_BYTES - 2) / Math.max(1, parts)) - SUMMARY_SEPARATOR.length;
}

/** Writes the parts as the job summary, cut to the limit with a notice if they still overflow (failures are not fitted one by one). */
export async function writeJobSummary(parts: readonly string[], fullHint: string): Promise<void> {
  if (parts.length === 0) return;
  let text = parts.join(SUMMARY_SEPARATOR);
  // addRaw adds a line end (up to 2 bytes).
  if (Buffer.byteLength(text) > JOB_SUMMARY_LIMIT_BYTES - 2) {
    const notice = `\n\n… (cut at GitHub's job summary limit of 1 MiB; ${fullHint})\n`;
    text = `${truncateUtf8(text, JOB_SUMMARY_LIMIT_BYTES - 2 - Buffer.byteLength(notice))}${notice}`;
  }
  await core.summary.addRaw(text, true).write();
}
