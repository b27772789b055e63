// Validates every request and every response against the operation in
// authentik's schema.yml with ajv.
//
// OpenAPI 3.0.3 is not JSON Schema, so the component schemas are converted once:
//   * `nullable: true` → a union with null (ajv's own `nullable` keyword needs a
//     sibling `type`, which authentik's `allOf: [$ref]` + nullable fields lack);
//   * `$ref: '#/components/schemas/X'` → an absolute ref into the converted copy;
//   * readOnly/writeOnly are applied per direction: a *response* must not carry
//     writeOnly fields (e.g. the SCIM `token`), a *request* need not carry
//     readOnly ones;
//   * responses are checked with `additionalProperties: false` on every object
//     that declares properties, so an emulator field authentik does not have is
//     caught as an emulator bug instead of silently leaking into the tool's view.
// `format: uri` / `email` accept "" because authentik's DRF fields allow blank
// values (meta_launch_url, sls_url and email default to "") while drf-spectacular
// still emits the format.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { JsonSchema, OpenApiSpec, OperationSpec, ParameterSpec } from "../openapi-index.js";

// ajv-formats is CommonJS with a default export; under NodeNext the namespace
// object is what `import` gives us.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;

type Direction = "request" | "response";
const BASE_ID = "https://authentik-emulator.invalid/";

const OPENAPI_ONLY_KEYWORDS = new Set(["example", "examples", "xml", "externalDocs", "discriminator", "deprecated"]);

function convert(node: unknown, direction: Direction): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, direction));
  if (node === null || typeof node !== "object") return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(src)) {
    if (OPENAPI_ONLY_KEYWORDS.has(key) || key === "nullable") continue;
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/")) {
      out.$ref = `${BASE_ID}${direction}.json${value}`;
    } else if (key === "properties" && value && typeof value === "object") {
      const props: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(value as Record<string, Record<string, unknown>>)) {
        // writeOnly fields never come back in a response: forbid them there.
        if (direction === "response" && prop?.writeOnly === true) continue;
        props[name] = convert(prop, direction);
      }
      out.properties = props;
    } else {
      out[key] = convert(value, direction);
    }
  }
  if (Array.isArray(out.required) && src.properties && typeof src.properties === "object") {
    const props = src.properties as Record<string, Record<string, unknown>>;
    out.required = (out.required as string[]).filter((name) => {
      const p = props[name];
      if (direction === "request" && p?.readOnly === true) return false;
      if (direction === "response" && p?.writeOnly === true) return false;
      return true;
    });
  }
  if (direction === "response" && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (src.nullable === true) {
    if (typeof out.type === "string" && !out.allOf && !out.$ref && !out.anyOf && !out.oneOf) {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
      return out;
    }
    // allOf/$ref/enum-less cases: a union is the only general way to add null.
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

export interface FieldErrors {
  [field: string]: string[];
}

/** Human messages in the style DRF uses, so a 400 from the emulator reads like one from authentik. */
function drfMessage(error: ErrorObject): string {
  switch (error.keyword) {
    case "required":
      return "This field is required.";
    case "type": {
      const t = String((error.params as { type: string }).type);
      if (error.data === null) return "This field may not be null.";
      if (t.includes("integer")) return "A valid integer is required.";
      if (t.includes("number")) return "A valid number is required.";
      if (t.includes("boolean")) return "Must be a valid boolean.";
      if (t.includes("array")) return `Expected a list of items but got type "${typeof error.data}".`;
      if (t.includes("object")) return `Expected a dictionary of items but got type "${typeof error.data}".`;
      return "Not a valid string.";
    }
    case "format": {
      const f = String((error.params as { format: string }).format);
      if (f === "uuid") return `“${String(error.data)}” is not a valid UUID.`;
      if (f === "uri") return "Enter a valid URL.";
      if (f === "email") return "Enter a valid email address.";
      if (f === "date-time") return "Datetime has wrong format.";
      return `Invalid ${f}.`;
    }
    case "minLength":
      return error.data === "" ? "This field may not be blank." : `Ensure this field has at least ${(error.params as { limit: number }).limit} characters.`;
    case "maxLength":
      return `Ensure this field has no more than ${(error.params as { limit: number }).limit} characters.`;
    case "enum":
      return `"${String(error.data)}" is not a valid choice.`;
    case "pattern":
      return "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.";
    case "minimum":
      return `Ensure this value is greater than or equal to ${(error.params as { limit: number }).limit}.`;
    case "maximum":
      return `Ensure this value is less than or equal to ${(error.params as { limit: number }).limit}.`;
    default:
      return error.message ?? "Invalid value.";
  }
}

function toFieldErrors(errors: ErrorObject[], rootField = "non_field_errors"): FieldErrors {
  const out: FieldErrors = {};
  // With a nullable union ajv reports both branches; the non-null branch is the useful one.
  const meaningful = errors.filter((e) => !(e.keyword === "type" && (e.params as { type?: string }).type === "null") && e.keyword !== "anyOf");
  for (const error of meaningful.length > 0 ? meaningful : errors) {
    const segments = error.instancePath.split("/").filter(Boolean);
    let field = segments[0] ?? rootField;
    if (error.keyword === "required" && segments.length === 0) field = (error.params as { missingProperty: string }).missingProperty;
    const message = drfMessage(error);
    const list = (out[field] ??= []);
    if (!list.includes(message)) list.push(message);
  }
  return out;
}

export interface RequestCheck {
  /** DRF-shaped 400 body, when the request breaks the schema */
  errors?: FieldErrors;
  /** top-level body fields the schema does not know: authentik ignores them silently */
  unknownFields: string[];
  unknownQueryParams: string[];
  /** query values coerced to the parameter types */
  query: Record<string, unknown>;
}

export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly spec: OpenApiSpec) {
    this.ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true, validateFormats: true });
    addFormats(this.ajv);
    const lenientUri = this.ajv.formats.uri;
    const lenientEmail = this.ajv.formats.email;
    const orBlank = (f: unknown) => (value: string) =>
      value === "" || (typeof f === "function" ? (f as (v: string) => boolean)(value) : f instanceof RegExp ? f.test(value) : true);
    this.ajv.addFormat("uri", orBlank(lenientUri));
    // Django's EmailValidator also allows the `localhost` domain (akadmin is root@localhost).
    const email = orBlank(lenientEmail);
    this.ajv.addFormat("email", (value: string) => email(value) || /^[^\s@]+@localhost$/.test(value));
    for (const direction of ["request", "response"] as const) {
      this.ajv.addSchema(
        { $id: `${BASE_ID}${direction}.json`, components: { schemas: convert(spec.document.components.schemas, direction) } },
        `${BASE_ID}${direction}.json`,
      );
    }
  }

  private compile(key: string, schema: JsonSchema, direction: Direction): ValidateFunction {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(convert(schema, direction) as JsonSchema);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** Top-level property names of a (possibly $ref'd) schema. */
  private propertyNames(schema: JsonSchema | undefined): Set<string> | undefined {
    let s = schema;
    for (let i = 0; i < 5 && typeof s?.$ref === "string"; i++) {
      s = this.spec.document.components.schemas[(s.$ref as string).split("/").pop()!];
    }
    if (!s || typeof s.properties !== "object") return undefined;
    return new Set(Object.keys(s.properties as object));
  }

  private coerceQueryValue(param: ParameterSpec, raw: string): unknown {
    const schema = param.isArray ? ((param.schema.items as JsonSchema) ?? {}) : param.schema;
    const type = schema.type;
    if (type === "integer") return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (type === "number") return raw.trim() !== "" && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    if (type === "boolean") {
      // `?download` (no value) is how authentik's own metadata URL is built.
      if (raw === "" || /^(true|1)$/i.test(raw)) return true;
      if (/^(false|0)$/i.test(raw)) return false;
      return raw;
    }
    return raw;
  }

  checkRequest(op: OperationSpec, searchParams: URLSearchParams, body: unknown, hasBody: boolean): RequestCheck {
    const errors: FieldErrors = {};
    const query: Record<string, unknown> = {};
    const known = new Set<string>();
    for (const param of op.parameters.filter((p) => p.in === "query")) {
      known.add(param.name);
      const values = searchParams.getAll(param.name);
      if (values.length === 0) {
        if (param.required) errors[param.name] = ["This field is required."];
        continue;
      }
      const coerced = param.isArray ? values.map((v) => this.coerceQueryValue(param, v)) : this.coerceQueryValue(param, values.at(-1)!);
      const validate = this.compile(`${op.operationId}:query:${param.name}`, param.schema, "request");
      if (!validate(coerced)) {
        errors[param.name] = Object.values(toFieldErrors(validate.errors ?? [], param.name)).flat();
        continue;
      }
      query[param.name] = coerced;
    }
    const unknownQueryParams = [...new Set(searchParams.keys())].filter((k) => !known.has(k));

    let unknownFields: string[] = [];
    const bodySchema = op.requestBody?.content["application/json"];
    if (op.requestBody && bodySchema) {
      // DRF treats a missing body as {}: required fields then fail one by one.
      const validate = this.compile(`${op.operationId}:body`, bodySchema, "request");
      if (!validate(hasBody ? body : {})) Object.assign(errors, toFieldErrors(validate.errors ?? []));
      const names = this.propertyNames(bodySchema);
      if (names && body && typeof body === "object" && !Array.isArray(body)) {
        unknownFields = Object.keys(body).filter((k) => !names.has(k));
      }
    }
    return { errors: Object.keys(errors).length > 0 ? errors : undefined, unknownFields, unknownQueryParams, query };
  }

  /** Path parameters use the same schemas; authentik answers a mismatch with 404. */
  checkPathParams(op: OperationSpec, params: Record<string, string>): string[] {
    const problems: string[] = [];
    for (const param of op.parameters.filter((p) => p.in === "path")) {
      const raw = params[param.name] ?? "";
      const value = this.coerceQueryValue(param, raw);
      const validate = this.compile(`${op.operationId}:path:${param.name}`, param.schema, "request");
      if (!validate(value)) problems.push(`path parameter ${param.name}=${JSON.stringify(raw)}: ${this.ajv.errorsText(validate.errors)}`);
    }
    return problems;
  }

  /**
   * Returns a list of problems (empty = valid). Statuses the operation does not
   * document (404, 405, 500 — authentik's schema lists only 200/201/204/400/403)
   * are held to authentik's generic error shapes.
   */
  checkResponse(op: OperationSpec, status: number, contentType: string | undefined, body: unknown): string[] {
    const declared = op.responses[String(status)];
    let schema: JsonSchema | undefined;
    if (declared && Object.keys(declared.content).length > 0) {
      const ct = (contentType ?? "").split(";")[0]!.trim();
      if (!(ct in declared.content)) {
        return [`content type ${ct || "(none)"} not declared for ${status}; declared: ${Object.keys(declared.content).join(", ")}`];
      }
      // The XML download is a raw document although the schema (a drf-spectacular
      // artefact) names the JSON serializer for it; only its type can be checked.
      if (ct !== "application/json") return typeof body === "string" ? [] : ["non-JSON response body must be text"];
      schema = declared.content[ct];
    } else if (declared) {
      if (status === 204) return body === undefined ? [] : ["204 must not have a body"];
      schema = status === 400 ? { $ref: "#/components/schemas/ValidationError" } : { $ref: "#/components/schemas/GenericError" };
    } else if (status >= 400) {
      schema = status === 400 ? { $ref: "#/components/schemas/ValidationError" } : { $ref: "#/components/schemas/GenericError" };
    } else {
      return [`status ${status} is not declared for ${op.operationId}`];
    }
    if (!schema) return [];
    const validate = this.compile(`${op.operationId}:response:${status}`, schema, "response");
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? `: ${(e.params as { additionalProperty: string }).additionalProperty}` : ""}`);
  }
}
