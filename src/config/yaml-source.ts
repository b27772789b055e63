import { Alias, LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node } from "yaml";
import type { Diagnostic, Severity } from "./diagnostics.js";

export type DocPath = readonly (string | number)[];

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
    // prettyErrors is off on purpose: pretty errors quote the source line, and
    // that line may hold a secret someone pasted by mistake.
    this.document = parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
    });
  }

  /**
   * YAML syntax errors and warnings (duplicate keys included), then problems
   * with aliases. Past the first real syntax error the parser's view of the
   * document is guesswork (one tab used as indentation makes every following
   * line "not at the same column"), so what it reports after that is dropped:
   * duplicate keys before it stay, since they do not throw the parser off.
   */
  syntaxDiagnostics(): Diagnostic[] {
    const errors = [...this.document.errors].sort((a, b) => a.pos[0] - b.pos[0]);
    const first = errors.find((e) => e.code !== "DUPLICATE_KEY");
    const upTo = first ? first.pos[0] : Infinity;
    const out: Diagnostic[] = [];
    const add = (severity: Severity, list: readonly { code: string; message: string; pos: [number, number] }[]) => {
      for (const e of list) {
        if (e.pos[0] > upTo) continue;
        const message = e.code === "DUPLICATE_KEY" ? this.duplicateKeyMessage(e.pos[0]) : syntaxMessage(e.code, e.message);
        out.push(this.at(severity, e.pos[0], message));
      }
    };
    add("error", errors);
    add("warning", this.document.warnings);
    if (errors.length === 0) out.push(...this.aliasDiagnostics());
    return out;
  }

  private at(severity: Severity, offset: number, message: string): Diagnostic {
    const { line, col } = this.lines.linePos(offset);
    return { severity, message, file: this.file, line, column: col, path: [] };
  }

  private converted?: { value: unknown } | { failedAt: number; message: string };

  /**
   * Aliases that point at nothing, aliases inside the node they point at (an
   * infinitely deep document), and aliases that expand too much (a "billion
   * laughs" document, refused by yaml's maxAliasCount). yaml reports none of
   * these as parse errors; it throws when the document is converted.
   */
  private aliasDiagnostics(): Diagnostic[] {
    const out: Diagnostic[] = [];
    visit(this.document, {
      Alias: (_key, node, path) => {
        const target = node.resolve(this.document);
        const offset = node.range?.[0] ?? 0;
        if (!target) {
          out.push(this.at("error", offset, "YAML: an alias refers to an anchor that is not defined before it; define the anchor (&name) above its first alias (*name)"));
        } else if (path.includes(target as never)) {
          out.push(
            this.at("error", offset, "YAML: an alias refers to the node that contains it, which would make the document infinitely deep; a configuration cannot be recursive"),
          );
        }
      },
    });
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
    const wrapped: Alias[] = [];
    visit(this.document, {
      Alias: (_key, node) => {
        wrapped.push(node);
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
      },
    });
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

  private duplicateKeyMessage(offset: number): string {
    // The parser reports the offset of the repeated key; name it for the reader.
    const rest = this.text.slice(offset);
    const key = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^:#\n]*?))\s*:/.exec(rest);
    const name = key ? (key[1] ?? key[2] ?? key[3] ?? "").trim() : "";
    return name
      ? `duplicate key '${name}': it is already defined in this mapping; remove or rename one of them`
      : "duplicate key: it is already defined in the same mapping";
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

  /** The node at a path, or undefined when the path does not exist. */
  nodeAt(path: DocPath): Node | undefined {
    if (path.length === 0) return (this.document.contents as Node | null) ?? undefined;
    const node = this.document.getIn(path, true);
    return node && typeof node === "object" ? (node as Node) : undefined;
  }

  /** The key node of the last path element, when the parent is a mapping. */
  keyNodeAt(path: DocPath): Node | undefined {
    if (path.length === 0) return undefined;
    const parent = this.nodeAt(path.slice(0, -1));
    const last = path[path.length - 1];
    if (!isMap(parent)) return undefined;
    for (const pair of parent.items) {
      if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(last)) return pair.key;
    }
    return undefined;
  }

  /**
   * Line and column of a path: of its key when `target` is "key" and the node
   * is a mapping entry, else of its value. Falls back to the nearest existing
   * ancestor so a diagnostic never lands on line 1 for no reason.
   */
  position(path: DocPath, target: "key" | "value" = "value"): { line: number; column: number } {
    for (let depth = path.length; depth >= 0; depth--) {
      const sub = path.slice(0, depth);
      const wantKey = target === "key" || depth < path.length;
      const node = (wantKey ? this.keyNodeAt(sub) : undefined) ?? this.nodeAt(sub) ?? this.keyNodeAt(sub);
      const offset = node?.range?.[0];
      if (offset !== undefined) {
        const { line, col } = this.lines.linePos(offset);
        return { line, column: col };
      }
    }
    return { line: 1, column: 1 };
  }

  diagnostic(severity: Severity, path: DocPath, message: string, target: "key" | "value" = "value"): Diagnostic {
    return { severity, message, file: this.file, path, ...this.position(path, target) };
  }

  /** True when the node at path is a sequence (used to tell list items apart). */
  isSequence(path: DocPath): boolean {
    return isSeq(this.nodeAt(path));
  }
}

/** Beyond this many alias expansions a document is refused (yaml's maxAliasCount). */
const MAX_ALIAS_COUNT = 1000;

/**
 * yaml's message, minus the source text a few of them quote: an escape
 * sequence or a block scalar header may be part of a pasted secret.
 */
function syntaxMessage(code: string, message: string): string {
  let text = message;
  if (code === "BAD_DQ_ESCAPE") text = "invalid escape sequence in a double-quoted string";
  else if (/^Block scalar header includes extra characters/.test(text)) text = "block scalar header (| or >) includes extra characters";
  else if (code === "TAB_AS_INDENT") text = `${text}; indent with spaces`;
  return `YAML syntax: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}
