// Loads authentik's published OpenAPI description (schema.yml inside the pinned
// @goauthentik/api package) and turns it into an operation index the emulator
// routes by. Routing *from the schema* means every path, path-parameter name and
// operationId the emulator answers to is exactly what authentik publishes: a
// handler cannot exist for a path authentik does not have.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parse as parseYaml } from "yaml";

export type JsonSchema = Record<string, unknown>;

export interface ParameterSpec {
  name: string;
  in: "query" | "path" | "header" | "cookie";
  required: boolean;
  schema: JsonSchema;
  /** form/explode arrays arrive as repeated query keys (?a=1&a=2) */
  isArray: boolean;
}

export interface ResponseSpec {
  /** content type → schema; empty when the status is documented without a body */
  content: Record<string, JsonSchema | undefined>;
}

export interface OperationSpec {
  operationId: string;
  method: string; // upper case
  pathTemplate: string; // e.g. /core/applications/{slug}/
  pathParams: string[];
  pathRegex: RegExp;
  parameters: ParameterSpec[];
  requestBody?: { required: boolean; content: Record<string, JsonSchema | undefined> };
  responses: Record<string, ResponseSpec>;
  /** `security: [..., {}]` means the operation is also reachable anonymously */
  anonymousAllowed: boolean;
}

export interface OpenApiSpec {
  version: string;
  document: { components: { schemas: Record<string, JsonSchema> } } & Record<string, unknown>;
  operations: OperationSpec[];
  byId: Map<string, OperationSpec>;
}

const require = createRequire(import.meta.url);
const SCHEMA_PATH = require.resolve("@goauthentik/api/schema.yml");

let cached: OpenApiSpec | undefined;

/** Parsing the 60k-line YAML takes ~2 s, so it is done once per process. */
export function loadSpec(): OpenApiSpec {
  if (cached) return cached;
  const document = parseYaml(readFileSync(SCHEMA_PATH, "utf8"), { maxAliasCount: -1 }) as OpenApiSpec["document"];
  const components = (document.components ?? {}) as Record<string, Record<string, unknown>>;
  const resolveRef = <T>(node: unknown): T => {
    let current = node as Record<string, unknown>;
    // Parameters and responses may be $refs into components; schemas keep their
    // $refs (ajv resolves those).
    for (let i = 0; i < 10 && typeof current?.$ref === "string"; i++) {
      const [, , section, name] = (current.$ref as string).split("/");
      current = components[section!]?.[name!] as Record<string, unknown>;
    }
    return current as T;
  };

  const operations: OperationSpec[] = [];
  const paths = document.paths as Record<string, Record<string, unknown>>;
  for (const [pathTemplate, item] of Object.entries(paths)) {
    const shared = (item.parameters as unknown[] | undefined) ?? [];
    for (const [method, rawOp] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const op = rawOp as Record<string, unknown>;
      const pathParams: string[] = [];
      const regexSource = pathTemplate.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        pathParams.push(name);
        return "([^/]+)";
      });
      const parameters: ParameterSpec[] = [...shared, ...((op.parameters as unknown[]) ?? [])].map((p) => {
        const param = resolveRef<Record<string, unknown>>(p);
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
        for (const [ct, media] of Object.entries((resp.content as Record<string, { schema?: JsonSchema }>) ?? {})) {
          content[ct] = media.schema;
        }
        responses[status] = { content };
      }
      const security = (op.security as Record<string, unknown>[] | undefined) ?? [];
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
        anonymousAllowed: security.some((s) => Object.keys(s).length === 0),
      });
    }
  }
  // Literal segments must win over templates (/providers/all/types/ vs /providers/all/{id}/).
  operations.sort((a, b) => a.pathParams.length - b.pathParams.length);
  cached = {
    version: String((document.info as Record<string, unknown>)?.version ?? "unknown"),
    document,
    operations,
    byId: new Map(operations.map((o) => [o.operationId, o])),
  };
  return cached;
}

export type RouteMatch =
  | { kind: "operation"; operation: OperationSpec; pathParams: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

export function matchRoute(spec: OpenApiSpec, method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  let matchedTemplate: string | undefined;
  for (const operation of spec.operations) {
    const m = operation.pathRegex.exec(path);
    if (!m) continue;
    // Several templates can match one path; the first (fewest params) is the route.
    if (matchedTemplate !== undefined && matchedTemplate !== operation.pathTemplate) continue;
    matchedTemplate = operation.pathTemplate;
    if (operation.method !== method) {
      allowed.push(operation.method);
      continue;
    }
    const pathParams: Record<string, string> = {};
    try {
      operation.pathParams.forEach((name, i) => {
        pathParams[name] = decodeURIComponent(m[i + 1]!);
      });
    } catch {
      return { kind: "not-found" }; // malformed %-escape
    }
    return { kind: "operation", operation, pathParams };
  }
  return allowed.length > 0 ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
}
