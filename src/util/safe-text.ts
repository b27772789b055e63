/**
 * Characters that must never reach a terminal, a log or a comment raw: C0 and
 * C1 controls (ANSI escape sequences start with ESC, U+001B, or CSI, U+009B),
 * DEL, the line and paragraph separators, the bidirectional marks, embeddings,
 * overrides and isolates that can make text read differently from what it is
 * ("Trojan Source"), the byte order mark, and lone surrogates (half of a
 * UTF-16 pair, which no terminal can show and no API accepts).
 *
 * Tab (U+0009) and newline (U+000A) are not in it: callers decide how to show
 * them (kept in multi-line text, `\n` in one-line text).
 */
export const UNSAFE_CHARS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function hex4(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Text with every unsafe character written as \uXXXX; tab and newline kept. */
export function escapeUnsafe(s: string): string {
  return s.replace(UNSAFE_CHARS, hex4);
}

/** Text on one line: unsafe characters as \uXXXX (a carriage return too), tabs as \t, newlines as \n. */
export function escapeOneLine(s: string): string {
  return escapeUnsafe(s).replace(/\t/g, "\\t").replace(/\n/g, "\\n");
}
