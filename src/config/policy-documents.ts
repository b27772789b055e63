/** Policy documents as written in the config: a YAML object or a JSON string. */
export type PolicyDocumentObject = Record<string, unknown>;

export type PolicyParseResult = { ok: true; document: PolicyDocumentObject } | { ok: false; reason: string };

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
    const effect = (s as Record<string, unknown>).Effect;
    if (effect !== "Allow" && effect !== "Deny") {
      return { ok: false, reason: `statement ${i + 1} needs Effect "Allow" or "Deny"` };
    }
    const st = s as Record<string, unknown>;
    if (st.Action === undefined && st.NotAction === undefined) {
      return { ok: false, reason: `statement ${i + 1} needs Action or NotAction` };
    }
  }
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
