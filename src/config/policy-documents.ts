import { isScalar } from "yaml";
import type { DocPath, YamlSource } from "./yaml-source.js";

/** Policy documents as written in the config: a YAML object or a JSON string. */
export type PolicyDocumentObject = Record<string, unknown>;

export type PolicyParseResult = { ok: true; document: PolicyDocumentObject } | { ok: false; reason: string };

/**
 * A policy document's shape: JSON when written as a string, an object with a Statement
 * that is one object or a non-empty list of objects.
 */
export function parsePolicyDocument(value: unknown): PolicyParseResult {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch {
      // JSON.parse's message quotes the text around the error; say where instead.
      return { ok: false, reason: `is not valid JSON (${jsonErrorAt(value)})` };
    }
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return { ok: false, reason: "must be a JSON object with Version and Statement" };
  }
  const statement = (doc as Record<string, unknown>).Statement;
  if (statement === undefined) return { ok: false, reason: "has no Statement" };
  const statements = Array.isArray(statement) ? statement : [statement];
  if (statements.length === 0) return { ok: false, reason: "has an empty Statement list" };
  for (const [i, s] of statements.entries()) {
    if (s === null || typeof s !== "object" || Array.isArray(s)) {
      return { ok: false, reason: `statement ${i + 1} is not an object` };
    }
  }
  // What each statement holds (Effect, Action, Resource, Condition…) is checked, and
  // located, by the policy rules (rules/policies.ts).
  return { ok: true, document: doc as PolicyDocumentObject };
}

/**
 * Size as IAM counts it for quotas: the JSON without white space.
 * (IAM ignores white space outside strings when checking policy size limits.)
 */
export function policySize(document: PolicyDocumentObject): number {
  return JSON.stringify(document).length;
}

/**
 * Where a string stops being JSON, as "line L, column C of the JSON: what was
 * expected". Only called after JSON.parse failed; never quotes the text.
 */
export function jsonErrorAt(text: string): string {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntax(i, what);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`expected ${word}`);
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail("a string is not closed");
      const ch = text[i]!;
      if (ch === '"') return void i++;
      if (ch < " ") fail("a control character (such as a newline or tab) inside a string; write it as an escape (\\n, \\t)");
      if (ch === "\\") {
        const next = text[i + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("invalid \\u escape in a string");
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else fail("invalid escape sequence in a string");
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail("invalid number");
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail("nested too deeply");
    ws();
    const ch = text[i];
    if (ch === undefined) fail("the text ends where a value was expected");
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        string();
        ws();
        if (text[i] !== ":") fail("expected ':' after a property name");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") return void i++;
        fail("expected ',' or '}' after a property value");
      }
    }
    if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") return void i++;
        fail("expected ',' or ']' after an array element");
      }
    }
    if (ch === '"') return string();
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    if (ch === "-" || (ch! >= "0" && ch! <= "9")) return number();
    fail("unexpected character where a value was expected");
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail("unexpected text after the end of the JSON value");
    return "it cannot be parsed";
  } catch (error) {
    if (!(error instanceof JsonSyntax)) throw error;
    const before = text.slice(0, error.offset);
    const line = before.split("\n").length;
    const column = error.offset - (before.lastIndexOf("\n") + 1) + 1;
    return `line ${line}, column ${column} of the JSON: ${error.what}`;
  }
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    readonly what: string,
  ) {
    super(what);
  }
}

// Positions inside policy documents

/** A place inside a policy document: keys and list indexes below the document itself. */
export type PolicyPath = readonly (string | number)[];

/** Where a JSON text puts each key and value: offsets into the text, by path (as JSON). */
export type JsonPlaces = Map<string, { key?: number; value: number }>;

/** Places are noted this deep (statement → Condition → operator → key → value list → value); deeper values are skipped. */
const PLACES_DEPTH = 8;

/**
 * Where every key and value of a JSON text starts, down to PLACES_DEPTH levels. Only
 * for text JSON.parse accepted. Of two equal keys in one object the last counts, as
 * in JSON.parse. Linear in the text's length; nesting deeper than that is skipped
 * without recursion, so no nesting depth can exhaust the stack.
 */
export function jsonPlaces(text: string): JsonPlaces {
  const places: JsonPlaces = new Map();
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const readString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  /** Past one value, at any depth, without recursion. */
  const skip = () => {
    let depth = 0;
    do {
      ws();
      const ch = text[i];
      if (ch === '"') readString();
      else if (ch === "{" || ch === "[") {
        depth++;
        i++;
      } else if (ch === "}" || ch === "]") {
        depth--;
        i++;
      } else if (ch === "," || ch === ":") i++;
      else {
        while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
      }
    } while (depth > 0 && i < text.length);
  };
  const value = (path: (string | number)[], key?: number): void => {
    ws();
    places.set(JSON.stringify(path), { key, value: i });
    if (path.length >= PLACES_DEPTH) return skip();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        const keyAt = i;
        const name = readString();
        ws();
        i++; // :
        value([...path, name], keyAt);
        ws();
        if (text[i++] === "}") return;
      }
    }
    if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (let n = 0; ; n++) {
        value([...path, n]);
        ws();
        if (text[i++] === "]") return;
      }
    }
    skip();
  };
  value([]);
  return places;
}

/**
 * For a string value as the file writes it (a YAML scalar: block `|` or `>`, quoted,
 * plain), the offset in the file of each character of the value; undefined when the
 * two cannot be lined up. Escapes in double-quoted text are decoded; line breaks and
 * indentation that YAML folds or strips are passed over.
 */
export function valueOffsets(text: string, scalar: { type?: string; range?: readonly number[] | null }, value: string): Int32Array | undefined {
  const range = scalar.range;
  if (!range) return undefined;
  const [start, end] = [range[0]!, range[1]!];
  const block = scalar.type === "BLOCK_LITERAL" || scalar.type === "BLOCK_FOLDED";
  const quoted = scalar.type === "QUOTE_DOUBLE" || scalar.type === "QUOTE_SINGLE";
  let r = block ? text.indexOf("\n", start) + 1 : quoted ? start + 1 : start;
  if (block && r === 0) return undefined;
  const stop = quoted ? end - 1 : end;
  const out = new Int32Array(value.length);
  let v = 0;
  while (v < value.length) {
    if (r >= stop) return undefined;
    const ch = text[r]!;
    if (scalar.type === "QUOTE_DOUBLE" && ch === "\\") {
      const escape = decodeEscape(text, r);
      if (!escape) return undefined;
      if (escape.chars !== "") {
        if (!value.startsWith(escape.chars, v)) return undefined;
        for (let k = 0; k < escape.chars.length; k++) out[v++] = r;
      }
      r += escape.length;
    } else if (scalar.type === "QUOTE_SINGLE" && ch === "'" && text[r + 1] === "'") {
      if (value[v] !== "'") return undefined;
      out[v++] = r;
      r += 2;
    } else if (ch === value[v]) {
      out[v++] = r++;
    } else if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      r++;
    } else return undefined;
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "0": "\0", a: "\x07", b: "\b", t: "\t", "\t": "\t", n: "\n", v: "\v", f: "\f", r: "\r", e: "\x1b", " ": " ",
  '"': '"', "/": "/", "\\": "\\", N: "\u0085", _: "\u00a0", L: "\u2028", P: "\u2029",
};

/** A YAML double-quoted escape at `at` (a backslash): what it stands for and how long it is. */
function decodeEscape(text: string, at: number): { chars: string; length: number } | undefined {
  const next = text[at + 1];
  if (next === undefined) return undefined;
  if (next === "\n" || next === "\r") {
    // An escaped line break: it and the next line's indentation stand for nothing.
    let j = at + 1;
    if (text[j] === "\r") j++;
    if (text[j] === "\n") j++;
    while (text[j] === " " || text[j] === "\t") j++;
    return { chars: "", length: j - at };
  }
  if (Object.hasOwn(SIMPLE_ESCAPES, next)) return { chars: SIMPLE_ESCAPES[next]!, length: 2 };
  const digits = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
  if (digits === 0) return undefined;
  const hex = text.slice(at + 2, at + 2 + digits);
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) return undefined;
  const code = parseInt(hex, 16);
  if (code > 0x10ffff) return undefined;
  return { chars: String.fromCodePoint(code), length: 2 + digits };
}

/** Where a place inside a policy document is in the file, for messages. */
export interface PolicyLocator {
  /** Line and column of the key (`target` "key") or the value at `sub`, or of the nearest place above it that is known. */
  at(sub: PolicyPath, target?: "key" | "value"): { line: number; column: number };
}

/**
 * Positions inside the policy document at `path`: for a document written as YAML, those
 * of its nodes; for one written as a string of JSON, those of the JSON's keys and values
 * inside the string (worked out only when a message needs one), or the string's own
 * position when the file's text and the string cannot be lined up.
 */
export function policyLocator(source: YamlSource, path: DocPath, value: unknown): PolicyLocator {
  if (typeof value !== "string") return { at: (sub, target = "value") => source.position([...path, ...sub], target) };
  let inside: { places: JsonPlaces; offsets: Int32Array } | null | undefined;
  const lines = lineStarts(source);
  return {
    at(sub, target = "value") {
      inside ??= jsonInside(source, path, value);
      if (inside) {
        for (let depth = sub.length; depth >= 0; depth--) {
          const place = inside.places.get(JSON.stringify(sub.slice(0, depth)));
          if (!place) continue;
          const offset = (target === "key" || depth < sub.length ? place.key : undefined) ?? place.value;
          const at = inside.offsets[offset];
          if (at !== undefined) return lines(at);
        }
      }
      return source.position(path);
    },
  };
}

function jsonInside(source: YamlSource, path: DocPath, value: string): { places: JsonPlaces; offsets: Int32Array } | null {
  const node = source.document.getIn(path, true);
  if (!isScalar(node) || node.value !== value) return null;
  const offsets = valueOffsets(source.text, { type: node.type, range: node.range }, value);
  if (!offsets) return null;
  try {
    return { places: jsonPlaces(value), offsets };
  } catch {
    return null;
  }
}

const lineIndex = new WeakMap<YamlSource, number[]>();

/** Line and column (from 1) of an offset in the file, as YamlSource counts them. */
function lineStarts(source: YamlSource): (offset: number) => { line: number; column: number } {
  return (offset) => {
    let starts = lineIndex.get(source);
    if (!starts) {
      starts = [0];
      for (let i = source.text.indexOf("\n"); i >= 0; i = source.text.indexOf("\n", i + 1)) starts.push(i + 1);
      lineIndex.set(source, starts);
    }
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - starts[low]! + 1 };
  };
}
