/**
 * Checks a request against AWS's API model (botocore's service JSON, see aws-models.ts) the way
 * AWS's front door does before an operation runs: required members, string length and pattern,
 * enum values, list and map sizes, number ranges — answered with AWS's own wording:
 *
 *   1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint:
 *   Member must satisfy regular expression pattern: [\w+=,.@-]+
 *
 * and, for the query protocol (IAM, STS), the reading of form-encoded parameters into the
 * operation's input (`Tags.member.1.Key=…`, maps as `X.entry.N.key/value`, nested `A.B`).
 *
 * It knows nothing of the tool: AWS's model is the only source (see MOTO-NOTES.md, "What the
 * shim refuses"). Patterns are Java regular expressions; they are translated to JavaScript (`u`
 * flag) and matched against the whole value, as Java's `matches()` does. A pattern JavaScript
 * cannot compile is not checked and is reported in `skippedPatterns`.
 */
import type { ServiceModel, Shape } from "./aws-models.js";

type Json = Record<string, unknown>;

export interface Violation {
  /** AWS's member path: lower-camel member names, list items as `tags.1.member.key` */
  path: string;
  value: unknown;
  /** e.g. "Member must have length less than or equal to 64" */
  constraint: string;
  /** the shape is sensitive: AWS does not echo the value */
  sensitive?: boolean;
}

export interface ValidationResult {
  /** constraint violations (AWS: ValidationException / IAM ValidationError) */
  violations: Violation[];
  /** values of the wrong JSON type (AWS: SerializationException) */
  serialization: string[];
}

export interface ValidatorOptions {
  /**
   * Maps a string before its pattern is checked (not its length): lets identifiers that moto
   * generates in a form AWS does not (see the shim) pass as the AWS form of the same thing.
   */
  patternValue?: (value: string, shapeName: string) => string;
}

const SYNTAX = new Set("^$\\.*+?()[]{}|/".split(""));

/**
 * A Java regular expression as a JavaScript one (whole-value match, `u` flag), or undefined
 * when JavaScript cannot compile it. Java allows escaping any non-alphanumeric character
 * (`\ `, `\:`, `\'`); JavaScript's `u` mode allows only syntax characters (and `-` in a class),
 * so the others lose their backslash — they meant the character itself either way.
 */
export function compileJavaPattern(pattern: string): RegExp | undefined {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) {
      const next = pattern[i + 1]!;
      i += 1;
      if (/[A-Za-z0-9]/.test(next) || SYNTAX.has(next) || (next === "-" && inClass)) out += `\\${next}`;
      else out += next === "-" ? "-" : next;
      // \p{…} and \u…: copy the rest as it is.
      continue;
    }
    if (c === "[" && !inClass) inClass = true;
    else if (c === "]" && inClass) inClass = false;
    out += c;
  }
  try {
    return new RegExp(`^(?:${out})$`, "u");
  } catch {
    return undefined;
  }
}

/** AWS's name of a member in a validation message: the member name with a lower-case first letter. */
const memberPath = (parent: string, name: string): string => {
  const own = name.charAt(0).toLowerCase() + name.slice(1);
  return parent ? `${parent}.${own}` : own;
};

function render(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(renderInner).join(", ")}]`;
  if (typeof value === "object") return `{${Object.entries(value as Json).map(([k, v]) => `${k}=${renderInner(v)}`).join(", ")}}`;
  return String(value);
}
const renderInner = (v: unknown): string => render(v);

/** The message AWS answers a request with these violations with. */
export function validationMessage(violations: Violation[]): string {
  const n = violations.length;
  const parts = violations.map((v) => {
    const value = v.sensitive ? "Value" : v.value === null || v.value === undefined ? "Value null" : `Value '${render(v.value)}'`;
    return `${value} at '${v.path}' failed to satisfy constraint: ${v.constraint}`;
  });
  return `${n} validation error${n === 1 ? "" : "s"} detected: ${parts.join("; ")}`;
}

export class ModelValidator {
  /** Patterns of this model JavaScript cannot compile (not checked). */
  readonly skippedPatterns = new Set<string>();
  private readonly compiled = new Map<string, RegExp | undefined>();

  constructor(
    readonly model: ServiceModel,
    private readonly options: ValidatorOptions = {},
  ) {}

  /** Compiles every pattern of the model now (for reporting what is skipped). */
  compileAll(): { patterns: number; skipped: string[] } {
    let patterns = 0;
    for (const shape of Object.values(this.model.shapes)) {
      if (shape.pattern === undefined) continue;
      patterns += 1;
      this.regex(shape.pattern);
    }
    return { patterns, skipped: [...this.skippedPatterns] };
  }

  hasOperation(operation: string): boolean {
    return Object.hasOwn(this.model.operations, operation);
  }

  /** Checks an operation's input (JSON: the body; query: parseQueryInput's result). */
  validate(operation: string, input: Json): ValidationResult {
    const result: ValidationResult = { violations: [], serialization: [] };
    const ref = this.model.operations[operation]?.input;
    if (!ref) return result;
    this.check(ref.shape, input, "", result);
    return result;
  }

  private regex(pattern: string): RegExp | undefined {
    if (!this.compiled.has(pattern)) {
      const re = compileJavaPattern(pattern);
      if (!re) this.skippedPatterns.add(pattern);
      this.compiled.set(pattern, re);
    }
    return this.compiled.get(pattern);
  }

  private shape(name: string): Shape {
    const s = this.model.shapes[name];
    if (!s) throw new Error(`${this.model.service}: no shape ${name}`);
    return s;
  }

  private check(shapeName: string, value: unknown, path: string, out: ValidationResult): void {
    const shape = this.shape(shapeName);
    const where = path || "the request";
    const add = (constraint: string) => out.violations.push({ path, value, constraint, ...(shape.sensitive ? { sensitive: true } : {}) });
    const length = (n: number, what = "length") => {
      if (shape.min !== undefined && n < shape.min) add(`Member must have ${what} greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && n > shape.max) add(`Member must have ${what} less than or equal to ${shape.max}`);
    };
    switch (shape.type) {
      case "structure": {
        if (shape.document) return; // any JSON document
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          out.serialization.push(`Expected an object at ${where}`);
          return;
        }
        const obj = value as Json;
        if (shape.union) {
          // A union holds exactly one of its members (the wording is the shim's: AWS's is not known).
          const set = Object.keys(shape.members ?? {}).filter((name) => obj[name] !== undefined && obj[name] !== null);
          if (set.length !== 1) add(`Member must have exactly one of ${Object.keys(shape.members ?? {}).join(", ")} set`);
        }
        for (const name of shape.required ?? []) {
          if (obj[name] === undefined || obj[name] === null) {
            out.violations.push({ path: memberPath(path, name), value: null, constraint: "Member must not be null" });
          }
        }
        for (const [name, ref] of Object.entries(shape.members ?? {})) {
          const v = obj[name];
          if (v !== undefined && v !== null) this.check(ref.shape, v, memberPath(path, name), out);
        }
        return;
      }
      case "list": {
        if (!Array.isArray(value)) {
          out.serialization.push(`Expected a list at ${where}`);
          return;
        }
        length(value.length);
        value.forEach((item, i) => {
          if (item !== null && item !== undefined) this.check(shape.member!.shape, item, `${path}.${i + 1}.member`, out);
        });
        return;
      }
      case "map": {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          out.serialization.push(`Expected a map at ${where}`);
          return;
        }
        const entries = Object.entries(value as Json);
        length(entries.length);
        for (const [k, v] of entries) {
          this.scalarMapPart(shape.key!.shape, k, path, "Map keys", out);
          const valueShape = this.shape(shape.value!.shape);
          if (["structure", "list", "map"].includes(valueShape.type)) this.check(shape.value!.shape, v, `${path}.${k}`, out);
          else this.scalarMapPart(shape.value!.shape, v, path, "Map value", out);
        }
        return;
      }
      case "string": {
        if (typeof value !== "string") {
          out.serialization.push(`Expected a string at ${where}`);
          return;
        }
        for (const c of this.stringConstraints(shapeName, shape, value)) add(c);
        return;
      }
      case "integer":
      case "long": {
        if (typeof value !== "number" || !Number.isInteger(value)) {
          out.serialization.push(`Expected an integer at ${where}`);
          return;
        }
        if (shape.min !== undefined && value < shape.min) add(`Member must have value greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && value > shape.max) add(`Member must have value less than or equal to ${shape.max}`);
        return;
      }
      case "double":
      case "float":
        if (typeof value !== "number") out.serialization.push(`Expected a number at ${where}`);
        return;
      case "boolean":
        if (typeof value !== "boolean") out.serialization.push(`Expected a boolean at ${where}`);
        return;
      case "timestamp":
        if (typeof value !== "number" && typeof value !== "string") out.serialization.push(`Expected a timestamp at ${where}`);
        return;
      case "blob": {
        if (typeof value !== "string") {
          out.serialization.push(`Expected base64 data at ${where}`);
          return;
        }
        length(Buffer.from(value, "base64").length);
        return;
      }
      default:
        return;
    }
  }

  private stringConstraints(shapeName: string, shape: Shape, value: string): string[] {
    const found: string[] = [];
    if (shape.min !== undefined && value.length < shape.min) found.push(`Member must have length greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value.length > shape.max) found.push(`Member must have length less than or equal to ${shape.max}`);
    if (shape.pattern !== undefined) {
      const re = this.regex(shape.pattern);
      const tested = this.options.patternValue ? this.options.patternValue(value, shapeName) : value;
      if (re && !re.test(tested)) found.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
    }
    if (shape.enum !== undefined && !shape.enum.includes(value)) found.push(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
    return found;
  }

  /** A scalar map key or value: AWS words these "Map value must satisfy constraint: [..]". */
  private scalarMapPart(shapeName: string, v: unknown, path: string, what: string, out: ValidationResult): void {
    const shape = this.shape(shapeName);
    let found: string[] = [];
    if (shape.type === "string") {
      if (typeof v !== "string") {
        out.serialization.push(`Expected a string in the map at ${path}`);
        return;
      }
      found = this.stringConstraints(shapeName, shape, v);
    } else if ((shape.type === "integer" || shape.type === "long") && typeof v === "number") {
      if (shape.min !== undefined && v < shape.min) found.push(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v > shape.max) found.push(`Member must have value less than or equal to ${shape.max}`);
    }
    if (found.length > 0) out.violations.push({ path, value: v, constraint: `${what} must satisfy constraint: [${found.join(", ")}]` });
  }
}

/**
 * The query protocol (IAM, STS): form parameters → the operation's input structure, by the
 * model (as botocore's QuerySerializer writes them): a member `A` of a structure at `P` is
 * `P.A` (its locationName if it has one); list items `P.member.N` (flattened: `P.N`); map
 * entries `P.entry.N.key` / `P.entry.N.value`; an empty list `P=`. Numbers and booleans are
 * converted; a number that is not one is reported in `serialization`.
 */
export function parseQueryInput(model: ServiceModel, operation: string, params: URLSearchParams): { input: Json; serialization: string[] } {
  const serialization: string[] = [];
  const values = new Map<string, string>();
  for (const [k, v] of params) if (k !== "Action" && k !== "Version") values.set(k, v);
  const keys = [...values.keys()];
  const under = (prefix: string) => keys.some((k) => k.startsWith(`${prefix}.`));
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const indices = (prefix: string): number[] => {
    const re = new RegExp(`^${escape(prefix)}\\.(\\d+)(?:\\.|$)`);
    const found = new Set<number>();
    for (const k of keys) {
      const m = re.exec(k);
      if (m) found.add(Number(m[1]));
    }
    return [...found].sort((a, b) => a - b);
  };

  const read = (shapeName: string, p: string): unknown => {
    const shape = model.shapes[shapeName];
    if (!shape) return undefined;
    switch (shape.type) {
      case "structure": {
        if (p !== "" && !under(p)) return undefined;
        const out: Json = {};
        for (const [name, ref] of Object.entries(shape.members ?? {})) {
          const key = ref.locationName ?? name;
          const v = read(ref.shape, p === "" ? key : `${p}.${key}`);
          if (v !== undefined) out[name] = v;
        }
        return out;
      }
      case "list": {
        if (values.get(p) === "" && !under(p)) return [];
        const member = shape.member!;
        let itemPrefix: string;
        if (shape.flattened) itemPrefix = member.locationName ? [...p.split(".").slice(0, -1), member.locationName].join(".") : p;
        else itemPrefix = `${p}.${member.locationName ?? "member"}`;
        const found = indices(itemPrefix);
        if (found.length === 0) return undefined;
        return found.map((i) => read(member.shape, `${itemPrefix}.${i}`) ?? null);
      }
      case "map": {
        const entryPrefix = shape.flattened ? p : `${p}.entry`;
        const found = indices(entryPrefix);
        if (found.length === 0) return values.get(p) === "" ? {} : undefined;
        const out: Json = {};
        for (const i of found) {
          const k = read(shape.key!.shape, `${entryPrefix}.${i}.${shape.key!.locationName ?? "key"}`);
          const v = read(shape.value!.shape, `${entryPrefix}.${i}.${shape.value!.locationName ?? "value"}`);
          if (typeof k === "string") out[k] = v ?? null;
        }
        return out;
      }
      default: {
        const raw = values.get(p);
        if (raw === undefined) return undefined;
        if (shape.type === "integer" || shape.type === "long") {
          if (!/^-?\d+$/.test(raw.trim())) {
            serialization.push(`Value '${raw}' at '${p}' is not a valid integer`);
            return undefined;
          }
          return Number(raw);
        }
        if (shape.type === "double" || shape.type === "float") return Number(raw);
        if (shape.type === "boolean") return raw === "true";
        return raw;
      }
    }
  };

  const inputShape = model.operations[operation]?.input?.shape;
  const input = inputShape ? ((read(inputShape, "") as Json | undefined) ?? {}) : {};
  return { input, serialization };
}
