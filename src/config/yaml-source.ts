import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
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

  /** YAML syntax errors and warnings (duplicate keys included). */
  syntaxDiagnostics(): Diagnostic[] {
    const out: Diagnostic[] = [];
    const add = (severity: Severity, list: readonly { code: string; message: string; pos: [number, number] }[]) => {
      for (const e of list) {
        const { line, col } = this.lines.linePos(e.pos[0]);
        const message = e.code === "DUPLICATE_KEY" ? this.duplicateKeyMessage(e.pos[0]) : syntaxMessage(e.message);
        out.push({ severity, message, file: this.file, line, column: col, path: [] });
      }
    };
    add("error", this.document.errors);
    add("warning", this.document.warnings);
    return out;
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

  /** Plain JavaScript value of the document (empty document → null). */
  toJS(): unknown {
    return this.document.toJS({ maxAliasCount: 1000 }) ?? null;
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

function syntaxMessage(message: string): string {
  return `YAML syntax: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}
