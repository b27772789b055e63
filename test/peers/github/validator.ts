// Request/response validation against GitHub's description, reusing the
// authentik emulator's ajv-based OpenApiValidator (OpenAPI 3.0 → JSON Schema:
// nullable, readOnly/writeOnly per direction, `additionalProperties: false` on
// every response object so a field GitHub does not document is an emulator bug;
// validators compiled lazily per operation). What is GitHub-specific lives here:
// the formats GitHub's description uses beyond ajv-formats, and the shape of
// GitHub's answer to a request that breaks the description (422 "Invalid
// request." with one line per problem, as GitHub's schema-validating middleware
// words them).
import type { Ajv } from "ajv";
import { OpenApiValidator, type RequestCheck } from "../authentik/openapi-validator.js";
import type { GitHubOperation, GitHubSpec } from "./openapi.js";

export class GitHubValidator {
  private readonly inner: OpenApiValidator;

  constructor(spec: GitHubSpec) {
    this.inner = new OpenApiValidator(spec);
    // The description also uses `uri-template` (…/issues{/number}), `repo.nwo`
    // (owner/name), `timestamp` (rate-limit reset) — ajv-formats has none of
    // them, and an unknown format would be silently ignored.
    const ajv = (this.inner as unknown as { ajv: Ajv }).ajv;
    ajv.addFormat("uri-template", (v: string) => !/\s/.test(v) && /^[^{}]*(\{[^{}]+\}[^{}]*)*$/.test(v));
    ajv.addFormat("repo.nwo", /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);
    ajv.addFormat("timestamp", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= 0 });
  }

  checkPathParams(op: GitHubOperation, params: Record<string, string>): string[] {
    return this.inner.checkPathParams(op, params);
  }

  /** `message` is GitHub's wording for a 422 when the request breaks the description. */
  checkRequest(op: GitHubOperation, searchParams: URLSearchParams, body: unknown, hasBody: boolean): RequestCheck & { message?: string } {
    const check = this.inner.checkRequest(op, searchParams, body, hasBody);
    if (!check.errors) return check;
    const lines: string[] = [];
    const queryNames = new Set(op.parameters.filter((p) => p.in === "query").map((p) => p.name));
    for (const [field, messages] of Object.entries(check.errors)) {
      const inQuery = queryNames.has(field);
      const value = inQuery ? searchParams.get(field) : field === "non_field_errors" ? body : (body as Record<string, unknown> | undefined)?.[field];
      for (const m of messages) lines.push(githubLine(field, inQuery, value, m));
    }
    return { ...check, message: `Invalid request.\n\n${lines.join("\n")}` };
  }

  checkResponse(op: GitHubOperation, status: number, contentType: string | undefined, body: unknown): string[] {
    return this.inner.checkResponse(op, status, contentType, body);
  }
}

/** Ruby's inspect, which GitHub's messages use for values (nil, "x", 1). */
function rubyRepr(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  return JSON.stringify(value);
}

const TYPE_WORDS: [RegExp, string][] = [
  [/^Not a valid string/, "a string"],
  [/integer/, "an integer"],
  [/number/, "a number"],
  [/boolean/, "a boolean"],
  [/list/, "an array"],
  [/dictionary/, "an object"],
  [/may not be null/, "a valid value"],
];

function githubLine(field: string, inQuery: boolean, value: unknown, drfMessage: string): string {
  if (drfMessage === "This field is required.") return `"${field}" wasn't supplied.`;
  const where = field === "non_field_errors" ? "" : inQuery ? `For '${field}', ` : `For 'properties/${field}', `;
  const type = TYPE_WORDS.find(([re]) => re.test(drfMessage));
  if (type) return `${where}${rubyRepr(value)} is not ${type[1]}.`;
  return `${where}${rubyRepr(value)} is invalid (${drfMessage.replace(/\.$/, "")}).`;
}
