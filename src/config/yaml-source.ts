import { Alias, LineCounter, isCollection, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node } from "yaml";
import { codePointEscape, invisibleCharacters } from "../util/safe-text.js";
import type { Diagnostic, Severity } from "./diagnostics.js";

export type DocPath = readonly (string | number)[];

/** Where a path's key and value start in the text (offsets), for positions. */
interface Place {
  key?: number;
  value?: number;
  /** Where the value's own text ends (before a comment or the line break). */
  valueEnd?: number;
}

/** What one pass over the parsed document finds (linear in its size: a 2 MiB file has ~200,000 nodes). */
interface Survey {
  places: Map<string, Place>;
  /** Keys that repeat an earlier key of the same mapping: offsets of both. */
  duplicates: { offset: number; first: number }[];
  /** Keys that are mappings, lists or aliases. */
  badKeys: number[];
  /** Every alias in document order, with the anchored node it refers to and whether it lies inside it. */
  aliases: { node: Alias; target?: Node; recursive: boolean }[];
}

const placeKey = (path: DocPath) => path.map((p) => (typeof p === "number" ? `#${p}` : `.${p}`)).join("");

/**
 * A parsed YAML file that remembers where every node came from, so that
 * schema and semantic errors can point at the offending key or value.
 */
export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly document: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.lines = new LineCounter();
    this.document = parseDocument(text, {
      lineCounter: this.lines,
      // prettyErrors is off on purpose: pretty errors quote the source line, and
      // that line may hold a secret someone pasted by mistake.
      prettyErrors: false,
      // Duplicate keys are found by survey(): yaml's own check compares every key
      // of a mapping with every other (quadratic: minutes for 50,000 tag keys).
      uniqueKeys: false,
      strict: true,
      // yaml's own warnings (e.g. about a mapping used as a key) go to
      // process.emitWarning and quote the source; every problem is reported
      // as a diagnostic instead.
      logLevel: "error",
    });
  }

  /**
   * YAML syntax errors and warnings, duplicate keys, then problems with keys
   * and aliases. Past the first real syntax error the parser's view of the
   * document is guesswork (one tab used as indentation makes every following
   * line "not at the same column"), so what it reports after that is dropped:
   * duplicate keys before it stay, since they do not throw the parser off.
   */
  syntaxDiagnostics(): Diagnostic[] {
    // A YAML stream holds only printable characters (YAML 1.2, c-printable): a raw
    // NUL, ESC or other control character is no configuration, and would reach
    // values and terminals as is. Reported alone, like a syntax error.
    const control = NOT_PRINTABLE.exec(this.text) ?? (this.text.indexOf("\ufeff", 1) > 0 ? { index: this.text.indexOf("\ufeff", 1), 0: "\ufeff" } : null);
    if (control) {
      const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      const what = control[0] === "\ufeff" ? "a byte order mark (U+FEFF) after the start" : `a control character (U+${code})`;
      return [this.at("error", control.index, `YAML: the file holds ${what}, which a YAML file may not contain; remove it (or write it as an escape in a double-quoted string)`)];
    }
    const errors = [...this.document.errors].sort((a, b) => a.pos[0] - b.pos[0]);
    const upTo = errors.length > 0 ? errors[0]!.pos[0] : Infinity;
    const out: Diagnostic[] = [];
    for (const d of this.survey().duplicates) {
      if (d.offset <= upTo) out.push(this.at("error", d.offset, duplicateKeyMessage(this.lines.linePos(d.first))));
    }
    const add = (severity: Severity, list: readonly { code: string; message: string; pos: [number, number] }[]) => {
      for (const e of list) if (e.pos[0] <= upTo) out.push(this.at(severity, e.pos[0], syntaxMessage(e.code, e.message)));
    };
    add("error", errors);
    add("warning", this.document.warnings);
    if (errors.length === 0) {
      for (const offset of this.survey().badKeys) out.push(this.at("error", offset, "YAML: a key must be a plain value (a name), not a mapping, a list or an alias"));
      out.push(...this.aliasDiagnostics());
    }
    return out;
  }

  private at(severity: Severity, offset: number, message: string): Diagnostic {
    const { line, col } = this.lines.linePos(offset);
    return { severity, message, file: this.file, line, column: col, path: [] };
  }

  private surveyed?: Survey;

  /** One walk over the document in document order: places, duplicate and bad keys, anchors and aliases. */
  private survey(): Survey {
    if (this.surveyed) return this.surveyed;
    const survey: Survey = { places: new Map(), duplicates: [], badKeys: [], aliases: [] };
    // Anchors are noted in yaml's resolution order (pre-order: a node before its
    // children, a key before its value), so an alias refers to the last anchor of
    // its name before it, as yaml resolves it, and one inside its own anchor is seen.
    const anchors = new Map<string, Node>();
    const ancestors: Node[] = [];
    const walk = (node: unknown, path: (string | number)[]): void => {
      if (!node || typeof node !== "object") return;
      const n = node as Node;
      if (n instanceof Alias) {
        const target = anchors.get(n.source);
        survey.aliases.push({ node: n, target, recursive: target !== undefined && ancestors.includes(target) });
        return;
      }
      if (n.anchor) anchors.set(n.anchor, n);
      ancestors.push(n);
      if (isMap(n)) {
        const seen = new Map<string, number>();
        for (const pair of n.items) {
          const key = pair.key as Node | null;
          const keyOffset = key?.range?.[0];
          if (key && (isCollection(key) || key instanceof Alias)) {
            survey.badKeys.push(keyOffset ?? 0);
            walk(key, path);
            walk(pair.value, path);
            continue;
          }
          const name = isScalar(key) ? String(key.value) : "";
          if (keyOffset !== undefined) {
            const first = seen.get(name);
            if (first !== undefined) survey.duplicates.push({ offset: keyOffset, first });
            else seen.set(name, keyOffset);
          }
          const sub = [...path, name];
          const id = placeKey(sub);
          const range = (pair.value as Node | null)?.range;
          if (!survey.places.has(id)) survey.places.set(id, { key: keyOffset, value: range?.[0], valueEnd: range?.[1] });
          walk(key, sub);
          walk(pair.value, sub);
        }
      } else if (isSeq(n)) {
        n.items.forEach((item, i) => {
          const sub = [...path, i];
          const range = (item as Node | null)?.range;
          survey.places.set(placeKey(sub), { value: range?.[0], valueEnd: range?.[1] });
          walk(item, sub);
        });
      }
      ancestors.pop();
    };
    const contents = this.document.contents as Node | null;
    survey.places.set(placeKey([]), { value: contents?.range?.[0] });
    walk(contents, []);
    this.surveyed = survey;
    return survey;
  }

  private converted?: { value: unknown } | { failedAt: number; message: string };

  /**
   * Aliases that point at nothing, aliases inside the node they point at (an
   * infinitely deep document), too many aliases, and aliases that expand too
   * much (a "billion laughs" document, refused by yaml's maxAliasCount). yaml
   * reports none of these as parse errors; it throws when the document is
   * converted.
   */
  private aliasDiagnostics(): Diagnostic[] {
    const aliases = this.survey().aliases;
    if (aliases.length > MAX_ALIASES) {
      return [
        this.at(
          "error",
          aliases[MAX_ALIASES]!.node.range?.[0] ?? 0,
          `YAML: the file uses more than ${MAX_ALIASES} aliases (*name); a configuration needs few — write the values out`,
        ),
      ];
    }
    const out: Diagnostic[] = [];
    for (const { node, target, recursive } of aliases) {
      const offset = node.range?.[0] ?? 0;
      if (!target) {
        out.push(this.at("error", offset, "YAML: an alias refers to an anchor that is not defined before it; define the anchor (&name) above its first alias (*name)"));
      } else if (recursive) {
        out.push(
          this.at("error", offset, "YAML: an alias refers to the node that contains it, which would make the document infinitely deep; a configuration cannot be recursive"),
        );
      }
    }
    if (out.length > 0) return out;
    const converted = this.convert();
    return "failedAt" in converted ? [this.at("error", converted.failedAt, converted.message)] : [];
  }

  /** The document as plain JavaScript, or where and why that failed (an alias bomb). */
  private convert(): { value: unknown } | { failedAt: number; message: string } {
    if (this.converted) return this.converted;
    // yaml throws a bare ReferenceError from inside the alias that exceeds the
    // limit; to say where, each alias notes whether the error came through it.
    let failing: Alias | undefined;
    const wrapped = this.survey().aliases.map((a) => a.node);
    for (const node of wrapped) {
      Object.defineProperty(node, "toJSON", {
        configurable: true,
        value: function (this: Alias, ...args: Parameters<Alias["toJSON"]>) {
          try {
            return Alias.prototype.toJSON.apply(this, args);
          } catch (error) {
            failing ??= this;
            throw error;
          }
        },
      });
    }
    try {
      this.converted = { value: this.document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null };
    } catch (error) {
      if (!(error instanceof ReferenceError)) throw error;
      this.converted = {
        failedAt: failing?.range?.[0] ?? 0,
        message: `YAML: the aliases expand too much (over ${MAX_ALIAS_COUNT} alias expansions), as a "billion laughs" attack would; write the values out or nest fewer aliases`,
      };
    } finally {
      for (const node of wrapped) delete (node as { toJSON?: unknown }).toJSON;
    }
    return this.converted;
  }

  /**
   * Plain JavaScript value of the document (empty document → null). Call it
   * only when syntaxDiagnostics() has no errors: those include the aliases
   * that make conversion impossible.
   */
  toJS(): unknown {
    const converted = this.convert();
    if ("failedAt" in converted) throw new Error(`toJS() of ${this.file} called despite: ${converted.message}`);
    return converted.value;
  }

  /**
   * Line and column of a path: of its key when `target` is "key" and the node
   * is a mapping entry, else of its value. Falls back to the nearest existing
   * ancestor so a diagnostic never lands on line 1 for no reason.
   */
  position(path: DocPath, target: "key" | "value" = "value"): { line: number; column: number } {
    const places = this.survey().places;
    for (let depth = path.length; depth >= 0; depth--) {
      const place = places.get(placeKey(path.slice(0, depth)));
      const wantKey = target === "key" || depth < path.length;
      const offset = (wantKey ? place?.key : undefined) ?? place?.value ?? place?.key;
      if (offset !== undefined) {
        const { line, col } = this.lines.linePos(offset);
        return { line, column: col };
      }
    }
    return { line: 1, column: 1 };
  }

  /**
   * The text of the value at a path exactly as the file writes it (`012345678901`
   * where the data holds the number 12345678901), or undefined when there is none.
   * Only for messages that quote a value the schema classes as harmless.
   */
  sourceText(path: DocPath): string | undefined {
    const place = this.survey().places.get(placeKey(path));
    if (place?.value === undefined || place.valueEnd === undefined) return undefined;
    return this.text.slice(place.value, place.valueEnd);
  }

  /**
   * Keys and values that hold an invisible character (a zero-width space or joiner,
   * a word joiner, a byte order mark inside text, a soft hyphen, a Unicode tag
   * character, a Hangul filler, a bidirectional control…): `aws-admins` with one
   * prints exactly like `aws-admins` and is another group. Pointed at the character
   * itself when the file holds it raw, at the value when it is written as an escape
   * ("\u200b"). The value is never quoted back: it might be a pasted secret.
   */
  invisibleCharacterDiagnostics(): Diagnostic[] {
    const out: Diagnostic[] = [];
    visit(this.document, {
      Scalar: (key, node) => {
        if (typeof node.value !== "string" || !node.range) return;
        const found = invisibleCharacters(node.value);
        if (found.length === 0) return;
        const raw = this.text.slice(node.range[0], node.range[1]);
        const seen = new Set<string>();
        for (const { ch } of found) {
          if (seen.has(ch)) continue;
          seen.add(ch);
          const at = raw.indexOf(ch);
          const what = key === "key" ? "a key" : "a value";
          out.push(
            this.at(
              "error",
              at >= 0 ? node.range[0] + at : node.range[0],
              `${what} holds an invisible character, ${describeInvisible(ch)}${at >= 0 ? "" : ", written as an escape"}: text with it prints exactly like text without it, yet names something else; remove it`,
            ),
          );
        }
      },
    });
    return out;
  }

  diagnostic(severity: Severity, path: DocPath, message: string, target: "key" | "value" = "value"): Diagnostic {
    return { severity, message, file: this.file, path, ...this.position(path, target) };
  }
}

/**
 * The key a duplicate repeats is not named: it may be a pasted secret, and the
 * position already points at it; where it was first defined is what helps.
 */
function duplicateKeyMessage(first: { line: number; col: number }): string {
  return `duplicate key: the same key is already defined at line ${first.line}, column ${first.col} of this mapping; remove or rename one of them`;
}

/** A file may use this many aliases (*name); a configuration needs a handful. */
const MAX_ALIASES = 100;

/** Characters outside YAML's c-printable set (tab, line breaks, U+0085 and the printable ranges are in it). */
const NOT_PRINTABLE = /[^\t\n\r\u0020-\u007e\u0085\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** Beyond this many alias expansions a document is refused (yaml's maxAliasCount). */
const MAX_ALIAS_COUNT = 1000;

/**
 * yaml's messages that hold no text from the file, kept as they are. Others
 * quote the source around the error (`Invalid escape sequence \q…`,
 * `Unresolved tag: !…`, `Plain value cannot start with …`, a lexer error with
 * the offending source), and that text may be a secret someone pasted: those
 * are replaced by a description of their kind. The position comes with the
 * diagnostic either way.
 */
const SAFE_YAML_MESSAGES: readonly RegExp[] = [
  /^Missing closing (?:'|")quote$/,
  /^Implicit (?:map keys need to be followed by map values|keys need to be on a single line|keys of flow sequence pairs need to be on a single line)$/,
  /^(?:Nested mappings are not allowed in compact mappings|A block sequence may not be used as an implicit map key)$/,
  /^(?:All mapping items must start at the same column|All sequence items must start at the same column|Sequence item without - indicator)$/,
  /^(?:Block collections are not allowed within flow collections|Flow end indicator should be more indented than parent)$/,
  /^Flow (?:map|sequence)(?: in block collection must be sufficiently indented and)? (?:must )?end with a [\]}]$/,
  /^(?:Unexpected , in|Missing , between|Missing , or : between|Unexpected empty item in|Missing space after : in) flow (?:map|sequence|collection)(?: items)?$/,
  /^(?:Block scalars with more-indented leading empty lines must use an explicit indentation indicator|Block scalar values in collections must be indented|Block scalar header not found)$/,
  /^Block scalar lines must not be less indented than their (?:explicit indentation indicator|first line)$/,
  /^(?:Tabs are not allowed as indentation|Comments must be separated from other tokens by white space characters)$/,
  /^(?:Tags and anchors must be separated from the next token by white space|A node can have at most one (?:anchor|tag)|An alias node must not specify any properties)$/,
  /^(?:Anchor|Alias) (?:cannot be an empty string|ending in : is ambiguous)$/,
  /^(?:Map keys must be unique|Map comment with trailing content|Missing directives-end(?:\/doc-start)? indicator line|Unexpected doc-end without preceding document|Missing newline after block sequence props)$/,
  /^The : indicator must be at most 1024 chars after the start of an implicit (?:block mapping|flow sequence) key$/,
  /^Unexpected [a-z-]+ (?:token|at node end)$/,
];

/** What each kind of error means, for the messages that quote source text. */
const SYNTAX_KINDS: Record<string, string> = {
  ALIAS_PROPS: "an alias cannot have an anchor or a tag",
  BAD_ALIAS: "an alias (*name) or anchor (&name) is malformed",
  BAD_COLLECTION_TYPE: "a tag does not fit the kind of value it is on",
  BAD_DIRECTIVE: "a directive (a line starting with %) is malformed",
  BAD_DQ_ESCAPE: "invalid escape sequence in a double-quoted string",
  BAD_INDENT: "the indentation does not match the lines around it",
  BAD_PROP_ORDER: "anchors (&name) and tags (!tag) must come right before the value",
  BAD_SCALAR_START: "a plain value cannot start with this character; quote the value",
  BLOCK_AS_IMPLICIT_KEY: "a block value cannot be used as a key",
  BLOCK_IN_FLOW: "block values cannot be used inside { } or [ ]",
  IMPOSSIBLE: "this cannot be parsed",
  KEY_OVER_1024_CHARS: "a key is longer than 1024 characters",
  MISSING_CHAR: "a character is missing here (a closing quote, bracket or brace, or a ':' after a key)",
  MULTILINE_IMPLICIT_KEY: "a key cannot span several lines",
  MULTIPLE_ANCHORS: "a value can have only one anchor (&name)",
  MULTIPLE_DOCS: "the file holds several YAML documents (separated by ---); a configuration is one document",
  MULTIPLE_TAGS: "a value can have only one tag (!tag)",
  NON_STRING_KEY: "a key must be a string",
  RESOURCE_EXHAUSTION: "the document is too large or too deeply nested",
  TAB_AS_INDENT: "tabs are not allowed as indentation",
  TAG_RESOLVE_FAILED: "unknown tag (!tag); a configuration uses no YAML tags",
  UNEXPECTED_TOKEN: "unexpected character here; quote values that contain YAML indicators (: { } [ ] , # & * ! | > ' \" % @ `)",
};

function syntaxMessage(code: string, message: string): string {
  let text = SAFE_YAML_MESSAGES.some((safe) => safe.test(message))
    ? `${message.charAt(0).toLowerCase()}${message.slice(1)}`
    : /^Block scalar header includes extra characters/.test(message)
      ? "block scalar header (| or >) includes extra characters"
      : (SYNTAX_KINDS[code] ?? "the file is not valid YAML here");
  if (code === "TAB_AS_INDENT") text = `${text}; indent with spaces`;
  return `YAML syntax: ${text}`;
}

/** "U+200B (zero width space)": the code point, and what it is where that is well known. */
export function describeInvisible(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  const name =
    cp === 0x200b ? "zero width space"
    : cp === 0x200c ? "zero width non-joiner"
    : cp === 0x200d ? "zero width joiner"
    : cp === 0x2060 ? "word joiner"
    : cp === 0xfeff ? "byte order mark"
    : cp === 0x00ad ? "soft hyphen"
    : cp === 0x034f ? "combining grapheme joiner"
    : cp === 0x180e ? "Mongolian vowel separator"
    : [0x115f, 0x1160, 0x3164, 0xffa0].includes(cp) ? "Hangul filler"
    : cp >= 0xe0000 && cp <= 0xe007f ? "Unicode tag character"
    : (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) ? "variation selector"
    : [0x061c, 0x200e, 0x200f].includes(cp) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ? "bidirectional control"
    : "invisible format character";
  return `${code} (${name}, shown as ${codePointEscape(ch)})`;
}
