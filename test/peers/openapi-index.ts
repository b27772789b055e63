// The operation index the emulators route by, built from a published OpenAPI
// description (authentik's schema.yml, GitHub's api.github.com.json). Routing
// *from the description* means every path, path-parameter name and operationId
// an emulator answers to is exactly what the real service publishes: a handler
// cannot exist for a path the service does not have.

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

export type OpenApiDocument = { components: { schemas: Record<string, JsonSchema> } } & Record<string, unknown>;

export interface OpenApiSpec<Op extends OperationSpec = OperationSpec> {
  version: string;
  document: OpenApiDocument;
  operations: Op[];
  byId: Map<string, Op>;
}

export interface IndexOptions<Op extends OperationSpec> {
  /**
   * Honour `x-multi-segment` path parameters (GitHub): they may contain "/" and
   * match `(.+)`. Routing order then breaks ties in the number of parameters by
   * fewer multi-segment parameters, then more literal text.
   */
  multiSegment?: boolean;
  /** leave `in: header` parameters out of `parameters` */
  dropHeaderParams?: boolean;
  /** default: from `security` (an empty requirement `{}` allows anonymous calls) */
  anonymousAllowed?: (op: Record<string, unknown>) => boolean;
  /** adds per-emulator fields (e.g. GitHub's `docsUrl`) from the raw operation */
  extend?: (operation: OperationSpec, op: Record<string, unknown>) => Op;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

const securityAllowsAnonymous = (op: Record<string, unknown>): boolean =>
  ((op.security as Record<string, unknown>[] | undefined) ?? []).some((s) => Object.keys(s).length === 0);

export function buildOperationIndex<Op extends OperationSpec = OperationSpec>(document: OpenApiDocument, options: IndexOptions<Op> = {}): OpenApiSpec<Op> {
  const components = (document.components ?? {}) as unknown as Record<string, Record<string, unknown>>;
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
  const anonymousAllowed = options.anonymousAllowed ?? securityAllowsAnonymous;
  const extend = options.extend ?? ((operation) => operation as Op);

  const operations: { op: Op; multi: number; literal: number }[] = [];
  const paths = document.paths as Record<string, Record<string, unknown>>;
  for (const [pathTemplate, item] of Object.entries(paths)) {
    const shared = (item.parameters as unknown[] | undefined) ?? [];
    for (const [method, rawOp] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const op = rawOp as Record<string, unknown>;
      const rawParams = [...shared, ...((op.parameters as unknown[]) ?? [])].map((p) => resolveRef<Record<string, unknown>>(p));
      const multiSegment = new Set(
        options.multiSegment ? rawParams.filter((p) => p.in === "path" && p["x-multi-segment"] === true).map((p) => p.name as string) : [],
      );
      const pathParams: string[] = [];
      const regexSource = pathTemplate.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_m, name: string) => {
        pathParams.push(name);
        return multiSegment.has(name) ? "(.+)" : "([^/]+)";
      });
      const parameters: ParameterSpec[] = rawParams
        .filter((p) => !(options.dropHeaderParams && p.in === "header"))
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
      const operation: OperationSpec = {
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
        anonymousAllowed: anonymousAllowed(op),
      };
      operations.push({ op: extend(operation, op), multi: multiSegment.size, literal: pathTemplate.replace(/\{[^}]+\}/g, "").length });
    }
  }
  // Literal segments must win over templates (/providers/all/types/ vs /providers/all/{id}/).
  operations.sort(
    (a, b) => a.op.pathParams.length - b.op.pathParams.length || (options.multiSegment ? a.multi - b.multi || b.literal - a.literal : 0),
  );
  const ops = operations.map((o) => o.op);
  return {
    version: String((document.info as Record<string, unknown>)?.version ?? "unknown"),
    document,
    operations: ops,
    byId: new Map(ops.map((o) => [o.operationId, o])),
  };
}

export type RouteMatch<Op extends OperationSpec = OperationSpec> =
  | { kind: "operation"; operation: Op; pathParams: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

export function matchRoute<Op extends OperationSpec>(spec: OpenApiSpec<Op>, method: string, path: string): RouteMatch<Op> {
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
