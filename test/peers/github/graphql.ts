// GitHub's GraphQL endpoint (POST /graphql), emulated for exactly two queries:
//
//   query { viewer { login } }      (also `{ viewer { login } }` and `query Name { … }`)
//
// which is how a token finds out whom it acts as — for every token type: a personal
// token gets its user's login, GITHUB_TOKEN `github-actions[bot]`, a GitHub App
// installation token `<app-slug>[bot]` (REST `GET /user` refuses both installation
// kinds with 403 "Resource not accessible by integration"); and
//
//   query($id: ID!) { node(id: $id) { ... on IssueComment { editor { login } } } }
//
// who last edited a comment (null: never edited). REST does not say; GitHub lets anyone
// with write access edit another's comment. As GitHub's GraphQL names actors, a bot's
// login comes without the `[bot]` suffix REST gives it (`github-actions`).
//
// There is no GraphQL schema here to validate against, so the emulator is strict
// about what it knows and loud about what it does not:
//   * the request shape is checked as GitHub reads it — a JSON object with a string
//     `query`, optional `variables` (object or null) and `operationName` (string or
//     null); anything else is an invalid request (recorded);
//   * a query that does not lex, or whose brackets do not balance, is answered the
//     way GitHub answers a parse error (HTTP 200, `{errors: [{message, locations}]}`)
//     and recorded as invalid;
//   * any other well-formed query is a gap in the emulator, not an answer: it lands
//     in `emulatorErrors` and is answered with an `errors` entry saying so.
import type { Actor, HandlerResult } from "./routes.js";

export const GRAPHQL_DOCS = "https://docs.github.com/graphql";
export const GRAPHQL_AUTH_DOCS = "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql";
/** What the emulator answers, as text (whitespace and commas aside). */
export const VIEWER_LOGIN_QUERY = "query { viewer { login } }";

export interface GraphqlOutcome {
  result: HandlerResult;
  /** the request broke GitHub's GraphQL-over-HTTP contract or did not parse */
  invalid?: string;
  /** a well-formed request the emulator cannot answer */
  gap?: string;
  warnings?: string[];
}

interface Token {
  kind: "punct" | "name" | "number" | "string";
  text: string;
  line: number;
  column: number;
}

class LexError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** GraphQL's lexical grammar: names, numbers, strings, punctuators; whitespace, commas and # comments are ignored. */
function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = () => ({ line, column: i - lineStart + 1 });
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === "\r") {
      i++;
      if (source[i] === "\n") i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "," || ch === "\ufeff") {
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < source.length && source[i] !== "\n" && source[i] !== "\r") i++;
      continue;
    }
    const pos = at();
    if (source.startsWith("...", i)) {
      tokens.push({ kind: "punct", text: "...", ...pos });
      i += 3;
      continue;
    }
    if ("!$&():=@[]{|}".includes(ch)) {
      tokens.push({ kind: "punct", text: ch, ...pos });
      i++;
      continue;
    }
    const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i));
    if (name) {
      tokens.push({ kind: "name", text: name[0], ...pos });
      i += name[0].length;
      continue;
    }
    const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: "number", text: number[0], ...pos });
      i += number[0].length;
      continue;
    }
    if (ch === '"') {
      let end: number;
      if (source.startsWith('"""', i)) {
        const close = source.indexOf('"""', i + 3);
        if (close < 0) throw new LexError("Unterminated string", pos.line, pos.column);
        end = close + 3;
      } else {
        const quoted = /^"(?:[^"\\\n\r]|\\.)*"/.exec(source.slice(i));
        if (!quoted) throw new LexError("Unterminated string", pos.line, pos.column);
        end = i + quoted[0].length;
      }
      tokens.push({ kind: "string", text: source.slice(i, end), ...pos });
      for (let j = i; j < end; j++) {
        if (source[j] === "\n") {
          line++;
          lineStart = j + 1;
        }
      }
      i = end;
      continue;
    }
    throw new LexError(`Parse error on ${JSON.stringify(ch)} (UNKNOWN_CHAR) at [${pos.line}, ${pos.column}]`, pos.line, pos.column);
  }
  return tokens;
}

const CLOSER: Record<string, string> = { "{": "}", "(": ")", "[": "]" };
const PUNCT_NAME: Record<string, string> = { "}": "RCURLY", ")": "RPAREN", "]": "RBRACKET", "{": "LCURLY", "(": "LPAREN", "[": "LBRACKET" };

/** Brackets must pair up: a document that fails this does not parse on GitHub either. */
function checkBrackets(tokens: Token[]): { message: string; line?: number; column?: number } | undefined {
  const open: Token[] = [];
  for (const t of tokens) {
    if (t.kind !== "punct") continue;
    if (CLOSER[t.text]) open.push(t);
    else if ("})]".includes(t.text)) {
      const last = open.pop();
      if (!last || CLOSER[last.text] !== t.text) return { message: `Parse error on "${t.text}" (${PUNCT_NAME[t.text]}) at [${t.line}, ${t.column}]`, line: t.line, column: t.column };
    }
  }
  if (open.length > 0 || tokens.length === 0) return { message: "Unexpected end of document" };
  return undefined;
}

/** The query's text after `query` and an optional operation name, tokens joined by single spaces (undefined: another operation name was asked for). */
function queryBody(tokens: Token[], operationName: string | null | undefined): string | undefined {
  let rest = tokens.map((t) => t.text);
  if (rest[0] === "query") {
    rest = rest.slice(1);
    if (tokens[1]?.kind === "name") {
      if (operationName != null && operationName !== rest[0]) return undefined;
      rest = rest.slice(1);
    }
  }
  return rest.join(" ");
}

const VIEWER_LOGIN = "{ viewer { login } }";
const COMMENT_EDITOR = "( $ id : ID ! ) { node ( id : $ id ) { ... on IssueComment { editor { login } } } }";

/** What the GraphQL handler may read of the emulator's state. */
export interface GraphqlState {
  /** The comment whose node id this is, with its last editor's login and whether that login is a bot. */
  commentByNodeId(id: string): { editor: string | null; editorIsBot: boolean } | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Answers a request to /graphql from `actor` (already authenticated by the server:
 * unknown tokens got 401 "Bad credentials"; `undefined` means no Authorization header).
 */
export function handleGraphql(method: string, raw: string, actor: Actor | undefined, state?: GraphqlState): GraphqlOutcome {
  const rateHeaders = { "x-ratelimit-resource": "graphql" };
  if (method !== "POST") {
    return {
      result: { status: 404, body: { message: "Not Found", documentation_url: GRAPHQL_DOCS, status: "404" } },
      invalid: `GitHub's GraphQL API is POST /graphql, not ${method}`,
    };
  }
  if (!actor) {
    return { result: { status: 401, body: { message: "This endpoint requires you to be authenticated.", documentation_url: GRAPHQL_AUTH_DOCS } } };
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { result: { status: 400, body: { message: "Problems parsing JSON", documentation_url: GRAPHQL_DOCS, status: "400" } }, invalid: "body is not JSON" };
  }
  const errors = (message: string, extra: Record<string, unknown> = {}): HandlerResult => ({ status: 200, body: { errors: [{ message, ...extra }] }, headers: rateHeaders });
  if (!isObject(body) || typeof body.query !== "string") {
    return { result: errors("A query attribute must be specified and must be a string."), invalid: "body has no string `query`" };
  }
  if (body.variables !== undefined && body.variables !== null && !isObject(body.variables)) {
    return { result: errors("Variables are invalid JSON."), invalid: "`variables` is neither an object nor null" };
  }
  if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== "string") {
    return { result: errors("operationName must be a string."), invalid: "`operationName` is neither a string nor null" };
  }
  const warnings = Object.keys(body)
    .filter((k) => !["query", "variables", "operationName"].includes(k))
    .map((k) => `unknown body field ignored: ${k}`);

  let tokens: Token[];
  try {
    tokens = lex(body.query);
  } catch (err) {
    const e = err as LexError;
    return { result: errors(e.message, { locations: [{ line: e.line, column: e.column }] }), invalid: `query does not parse: ${e.message}`, warnings };
  }
  const parse = checkBrackets(tokens);
  if (parse) {
    return {
      result: errors(parse.message, parse.line ? { locations: [{ line: parse.line, column: parse.column }] } : {}),
      invalid: `query does not parse: ${parse.message}`,
      warnings,
    };
  }
  const asked = queryBody(tokens, body.operationName as string | null | undefined);
  if (asked === VIEWER_LOGIN) return { result: { status: 200, body: { data: { viewer: { login: actor.login } } }, headers: rateHeaders }, warnings };
  if (asked === COMMENT_EDITOR && state) {
    const id = isObject(body.variables) ? body.variables.id : undefined;
    if (typeof id !== "string") return { result: errors("Variable $id of type ID! was provided invalid value"), invalid: "no string variable id", warnings };
    const comment = state.commentByNodeId(id);
    if (!comment) {
      return { result: { status: 200, body: { data: { node: null }, errors: [{ type: "NOT_FOUND", path: ["node"], message: `Could not resolve to a node with the global id of '${id}'` }] }, headers: rateHeaders }, warnings };
    }
    const login = comment.editor === null ? null : comment.editorIsBot ? comment.editor.replace(/\[bot\]$/, "") : comment.editor;
    return { result: { status: 200, body: { data: { node: { editor: login === null ? null : { login } } } }, headers: rateHeaders }, warnings };
  }
  const message = `The GitHub emulator answers only \`${VIEWER_LOGIN_QUERY}\` and the IssueComment editor query on /graphql, not: ${body.query.replace(/\s+/g, " ").trim().slice(0, 300)}`;
  return { result: errors(message), gap: message, warnings };
}
