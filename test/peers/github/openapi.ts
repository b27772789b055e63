// Loads GitHub's published REST description (`generated/api.github.com.json`
// from the pinned npm package @octokit/openapi, OpenAPI 3.0.3, ~13 MB) once per
// process and turns it into the same operation index the authentik emulator
// routes by, so its router (`matchRoute`) and ajv validator can be reused.
//
// Differences from authentik's loader:
//   * JSON, not YAML; every operation carries `externalDocs.url`, which GitHub
//     puts into error bodies as `documentation_url`;
//   * path parameters marked `x-multi-segment` (commit_sha, ref, path…) may
//     contain "/", so they match `(.+)`;
//   * routing order: fewer parameters first (a literal segment wins, as on
//     GitHub: /issues/comments before /issues/{issue_number}), then fewer
//     multi-segment parameters, then more literal text — so
//     /commits/{commit_sha}/pulls wins over the multi-segment /commits/{ref}.
//   * the authentik validator falls back to components `GenericError` (and
//     `ValidationError` for 400) for statuses an operation does not declare
//     (GitHub's operations omit e.g. 400, 401 and most 403s); both are aliased
//     to GitHub's `basic-error` ({message, documentation_url, status}), the
//     shape of those answers ("Problems parsing JSON", "Bad credentials", …).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { JsonSchema, OpenApiSpec, OperationSpec, ParameterSpec, ResponseSpec } from "../authentik/openapi.js";

export type { JsonSchema, OpenApiSpec, OperationSpec, ParameterSpec };

export interface GitHubOperation extends OperationSpec {
  /** externalDocs.url, e.g. https://docs.github.com/rest/issues/comments#create-an-issue-comment */
  docsUrl: string;
}

export interface GitHubSpec extends OpenApiSpec {
  operations: GitHubOperation[];
  byId: Map<string, GitHubOperation>;
}

const require = createRequire(import.meta.url);
export const DESCRIPTION_PATH = require.resolve("@octokit/openapi/generated/api.github.com.json");

let cached: GitHubSpec | undefined;

export function loadGitHubSpec(): GitHubSpec {
  if (cached) return cached;
  const document = JSON.parse(readFileSync(DESCRIPTION_PATH, "utf8")) as OpenApiSpec["document"];
  const components = document.components as unknown as Record<string, Record<string, unknown>>;
  const schemas = document.components.schemas;
  schemas.GenericError ??= { $ref: "#/components/schemas/basic-error" };
  schemas.ValidationError ??= { $ref: "#/components/schemas/basic-error" };

  const resolveRef = <T>(node: unknown): T => {
    let current = node as Record<string, unknown>;
    for (let i = 0; i < 10 && typeof current?.$ref === "string"; i++) {
      const [, , section, name] = (current.$ref as string).split("/");
      current = components[section!]?.[name!] as Record<string, unknown>;
    }
    return current as T;
  };

  const operations: (GitHubOperation & { multi: number; literal: number })[] = [];
  const paths = document.paths as Record<string, Record<string, unknown>>;
  for (const [pathTemplate, item] of Object.entries(paths)) {
    const shared = (item.parameters as unknown[] | undefined) ?? [];
    for (const [method, rawOp] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const op = rawOp as Record<string, unknown>;
      const rawParams = [...shared, ...((op.parameters as unknown[]) ?? [])].map((p) => resolveRef<Record<string, unknown>>(p));
      const multiSegment = new Set(rawParams.filter((p) => p.in === "path" && p["x-multi-segment"] === true).map((p) => p.name as string));
      const pathParams: string[] = [];
      const regexSource = pathTemplate.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_m, name: string) => {
        pathParams.push(name);
        return multiSegment.has(name) ? "(.+)" : "([^/]+)";
      });
      const parameters: ParameterSpec[] = rawParams
        .filter((p) => p.in !== "header")
        .map((param) => {
          const schema = (param.schema ?? {}) as JsonSchema;
          return {
            name: param.name as string,
            in: param.in as ParameterSpec["in"],
            required: param.required === true || param.in === "path",
            schema,
            isArray: schema.type === "array",
          };
        });
      const requestBodyRaw = op.requestBody ? resolveRef<Record<string, unknown>>(op.requestBody) : undefined;
      const responses: Record<string, ResponseSpec> = {};
      for (const [status, r] of Object.entries((op.responses as Record<string, unknown>) ?? {})) {
        const resp = resolveRef<Record<string, unknown>>(r);
        const content: Record<string, JsonSchema | undefined> = {};
        for (const [ct, media] of Object.entries((resp.content as Record<string, { schema?: JsonSchema }>) ?? {})) content[ct] = media.schema;
        responses[status] = { content };
      }
      operations.push({
        operationId: op.operationId as string,
        method: method.toUpperCase(),
        pathTemplate,
        pathParams,
        pathRegex: new RegExp(`^${regexSource}$`),
        parameters,
        requestBody: requestBodyRaw
          ? {
              required: requestBodyRaw.required === true,
              content: Object.fromEntries(
                Object.entries((requestBodyRaw.content as Record<string, { schema?: JsonSchema }>) ?? {}).map(([ct, m]) => [ct, m.schema]),
              ),
            }
          : undefined,
        responses,
        anonymousAllowed: true,
        docsUrl: ((op.externalDocs as { url?: string } | undefined)?.url ?? "https://docs.github.com/rest").replace(/^http:/, "https:"),
        multi: multiSegment.size,
        literal: pathTemplate.replace(/\{[^}]+\}/g, "").length,
      });
    }
  }
  operations.sort((a, b) => a.pathParams.length - b.pathParams.length || a.multi - b.multi || b.literal - a.literal);
  const ops: GitHubOperation[] = operations.map(({ multi: _m, literal: _l, ...op }) => op);
  cached = {
    version: String((document.info as Record<string, unknown>)?.version ?? "unknown"),
    document,
    operations: ops,
    byId: new Map(ops.map((o) => [o.operationId, o])),
  };
  return cached;
}
