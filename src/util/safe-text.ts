/**
 * Characters that must never reach a terminal, a log or a comment raw: C0 and
 * C1 controls (ANSI escape sequences start with ESC, U+001B, or CSI, U+009B),
 * DEL, the line and paragraph separators, lone surrogates (half of a UTF-16
 * pair, which no terminal can show and no API accepts), and every invisible
 * format character: the bidirectional marks, embeddings, overrides and isolates
 * that make text read differently from what it is ("Trojan Source"), and the
 * characters that show as nothing at all — zero-width spaces and joiners, the
 * word joiner, the byte order mark, soft hyphens, Unicode tag characters, Hangul
 * fillers, variation selectors (Unicode's Default_Ignorable_Code_Point and
 * format category, Cf). With one of them, `aws-admins` and `aws-admins\u200b`
 * print alike and are two different groups.
 *
 * Tab (U+0009) and newline (U+000A) are not in it: callers decide how to show
 * them (kept in multi-line text, `\n` in one-line text).
 *
 * Emoji keep the invisible characters they are made of — the joiner in 👩‍💻, the
 * selector in ⚠️ and 1️⃣, the tags of 🏴󠁧󠁢󠁥󠁮󠁧󠁿 — but only inside an emoji Unicode recommends
 * (RGI_Emoji): `🔥‍🔥` is no emoji and shows exactly as `🔥🔥`, and `admins1` followed by
 * a selector shows as `admins1`.
 */
export const UNSAFE_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\p{Cs}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/** Invisible format characters only (no controls): what a name in a configuration may not hold. */
export const INVISIBLE_CHARS = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/** Every emoji sequence Unicode recommends for general interchange (a `v`-flag property: Node 20 has it). */
const RGI_EMOJI = new RegExp("\\p{RGI_Emoji}", "gv");
/** What an emoji may be made of that is otherwise invisible: the zero-width joiner, variation selectors, tag characters. */
const EMOJI_PART = /^[\u200d\ufe0e\ufe0f\u{e0020}-\u{e007f}]$/u;

/**
 * A test of offsets in `s`: is the invisible character there part of an emoji (so it
 * shows as the emoji, not as nothing)? The emoji are found once, on the first question.
 */
export function emojiPartsOf(s: string): (ch: string, index: number) => boolean {
  let ranges: [number, number][] | undefined;
  return (ch, index) => {
    if (!EMOJI_PART.test(ch)) return false;
    ranges ??= [...s.matchAll(RGI_EMOJI)].map((m) => [m.index!, m.index! + m[0].length] as [number, number]);
    return ranges.some(([start, end]) => index > start && index < end);
  };
}

/** `\u200b` for the Basic Multilingual Plane, `\u{e0041}` beyond it. */
export function codePointEscape(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, "0")}`;
}

/** Text with every unsafe character written as \uXXXX (or \u{XXXXX}); tab and newline kept. */
export function escapeUnsafe(s: string): string {
  const emoji = emojiPartsOf(s);
  return s.replace(UNSAFE_CHARS, (ch: string, index: number) => (emoji(ch, index) ? ch : codePointEscape(ch)));
}

/**
 * JSON text with every unsafe character written as a JSON escape (`\u200b`; beyond
 * the Basic Multilingual Plane as a surrogate pair, `\udb40\udc41`, since JSON has no
 * `\u{…}`): the same value once parsed, nothing hidden when read. Only for text that
 * is JSON, where every unsafe character sits inside a string.
 */
export function escapeUnsafeJson(json: string): string {
  const emoji = emojiPartsOf(json);
  return json.replace(UNSAFE_CHARS, (ch: string, index: number) =>
    emoji(ch, index) ? ch : [...Array(ch.length).keys()].map((i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""),
  );
}

/** The characters escapeUnsafe would escape (for tests that hold output free of them). */
export function unsafeCharacters(s: string): string[] {
  const emoji = emojiPartsOf(s);
  return [...s.matchAll(UNSAFE_CHARS)].filter((m) => !emoji(m[0], m.index!)).map((m) => m[0]);
}

/** The invisible characters in `s` that are not part of an emoji, with their offsets (UTF-16). */
export function invisibleCharacters(s: string): { ch: string; index: number }[] {
  const out: { ch: string; index: number }[] = [];
  const emoji = emojiPartsOf(s);
  for (const m of s.matchAll(INVISIBLE_CHARS)) if (!emoji(m[0], m.index!)) out.push({ ch: m[0], index: m.index! });
  return out;
}

/** Text on one line: unsafe characters as \uXXXX (a carriage return too), tabs as \t, newlines as \n. */
export function escapeOneLine(s: string): string {
  return escapeUnsafe(s).replace(/\t/g, "\\t").replace(/\n/g, "\\n");
}

/**
 * One line of a GitHub Actions log. The runner reads a line as a workflow command
 * when it starts with `::` once leading white space is trimmed (`::error::`,
 * `::add-mask::`, `::stop-commands::`), and — its older syntax — when it holds
 * `##[` anywhere (`##[warning]`). On top of escapeOneLine (no line break, CR, ESC
 * or other control can start a new line or paint the log), both are written with
 * an escape, visibly: `\u003a:error::…`, `##\u005bwarning]`.
 */
export function escapeLogLine(s: string): string {
  return escapeOneLine(s)
    .replace(/^(\s*):(?=:)/, "$1\\u003a")
    .replace(/##\[/g, "##\\u005b");
}
