import { Ajv, type ErrorObject } from "ajv";
import addFormatsModule from "ajv-formats";
import configSchema from "../../schema/config.schema.json" with { type: "json" };
import { didYouMean, editDistance, suggestion } from "../util/did-you-mean.js";
import type { Diagnostic } from "./diagnostics.js";
import { describePath, looksLikeSecretKey, quoteName, SECRET_KEY_MESSAGE, showable } from "./paths.js";
import type { DocPath, YamlSource } from "./yaml-source.js";

// ajv-formats is CommonJS with a default export; under NodeNext the namespace
// object is what `import` gives us.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

type SchemaNode = {
  properties?: Record<string, unknown>;
  patternErrorMessage?: string;
  errorMessage?: string;
  type?: string | string[];
  description?: string;
};

function createValidator() {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  // Annotation keywords shared with editors (VS Code / yaml-language-server read
  // them too): the schema carries the human message next to the rule it explains.
  ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  return ajv.compile(configSchema);
}

let validator: ReturnType<typeof createValidator> | undefined;

export { configSchema };

/** Validates a parsed document against schema/config.schema.json. */
export function schemaDiagnostics(source: YamlSource, data: unknown): Diagnostic[] {
  return schemaCheck(source, data).diagnostics;
}

export interface SchemaCheck {
  diagnostics: Diagnostic[];
  /**
   * Where a value has a type the schema does not allow there (a string where a
   * mapping or a list belongs): what the semantic rules must not read as if it
   * were valid. A value of an allowed type but the wrong form (`accounts: all`
   * where "*" or a list belongs) is not one.
   */
  typeFailures: DocPath[];
}

export function schemaCheck(source: YamlSource, data: unknown): SchemaCheck {
  validator ??= createValidator();
  if (validator(data)) return { diagnostics: [], typeFailures: [] };
  const errors = validator.errors ?? [];
  return { diagnostics: translateErrors(source, errors), typeFailures: typeFailures(errors) };
}

/**
 * The instance paths where the type check failed. Inside an alternative (anyOf,
 * oneOf: a duration is a number or a string) a value fails it when no branch
 * allows its type; a type error deeper inside counts when its branch is the only
 * one that allows the type of the value the alternative is about.
 */
function typeFailures(errors: readonly ErrorObject[]): DocPath[] {
  const alternatives = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const within = (e: ErrorObject, alt: ErrorObject) =>
    e !== alt && e.schemaPath.startsWith(`${alt.schemaPath}/`) && (e.instancePath === alt.instancePath || e.instancePath.startsWith(`${alt.instancePath}/`));
  const branchOf = (e: ErrorObject, alt: ErrorObject) => Number(e.schemaPath.slice(alt.schemaPath.length + 1).split("/")[0]);
  /** The branches of an alternative that allow the type of its value. */
  const typeAllowedBy = (alt: ErrorObject): number[] => {
    const count = Array.isArray(alt.schema) ? alt.schema.length : 0;
    const refused = new Set(
      errors.filter((e) => e.keyword === "type" && e.instancePath === alt.instancePath && within(e, alt) && e.schemaPath === `${alt.schemaPath}/${branchOf(e, alt)}/type`).map((e) => branchOf(e, alt)),
    );
    return Array.from({ length: count }, (_, i) => i).filter((i) => !refused.has(i));
  };
  const allowed = new Map(alternatives.map((alt) => [alt, typeAllowedBy(alt)]));
  const out: DocPath[] = [];
  for (const alt of alternatives) {
    const enclosing = alternatives.filter((other) => within(alt, other));
    if (allowed.get(alt)!.length === 0 && enclosing.every((other) => allowed.get(other)!.length === 1 && allowed.get(other)![0] === branchOf(alt, other))) {
      out.push(pointerToPath(alt.instancePath));
    }
  }
  for (const e of errors) {
    if (e.keyword !== "type") continue;
    const enclosing = alternatives.filter((alt) => within(e, alt));
    // A branch's own type error at the alternative's value is what typeAllowedBy read.
    if (enclosing.some((alt) => e.instancePath === alt.instancePath)) continue;
    if (enclosing.every((alt) => allowed.get(alt)!.length === 1 && allowed.get(alt)![0] === branchOf(e, alt))) out.push(pointerToPath(e.instancePath));
  }
  return out;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "nothing (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return Number.isInteger(value) ? "a number" : "a decimal number";
  return `a ${typeof value}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "a mapping (key: value)",
  array: "a list",
  null: "empty",
};

function expectedType(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(" or ");
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => `'${String(v)}'`).join(", ");
}

/**
 * The unknown key as the message repeats it: a short one, or a misspelling of
 * a property the schema allows (" 'acounts'"); anything else may be a stray
 * piece of a pasted value, and the position already points at it.
 */
function unknownName(name: string, allowed: readonly string[]): string {
  const typo = allowed.some((a) => editDistance(name.toLowerCase(), a.toLowerCase()) <= Math.max(1, Math.floor(Math.max(name.length, a.length) / 3)));
  return (name.length < 8 || typo) && showable(name) ? ` ${quoteName(name)}` : "";
}

/**
 * A string YAML read as a number (an account id, a name of digits) because it has
 * no quotes: how to write it, repeating the text as the file has it, and what the
 * number lost on the way (`012345678901` is read as 12345678901).
 */
function quoteHint(source: YamlSource, path: DocPath, value: number): string {
  const written = source.sourceText(path);
  if (written === undefined || !/^[-+]?[0-9][0-9A-Za-z_.+-]{0,23}$/.test(written) || !showable(written)) return ": quote it";
  const key = path[path.length - 1];
  const example = `${typeof key === "string" && /^[A-Za-z_][\w-]*$/.test(key) ? `${key}: ` : ""}"${written}"`;
  const zeros = /^[-+]?(0+)[0-9]/.exec(written)?.[1];
  const lost = zeros ? ` — unquoted, YAML reads it as the number ${value}, without its leading zero${zeros.length > 1 ? "s" : ""}` : "";
  return `: quote it, e.g. ${example}${lost}`;
}

function translateErrors(source: YamlSource, errors: readonly ErrorObject[]): Diagnostic[] {
  // anyOf/oneOf with an errorMessage: report that one message instead of the
  // noise of every failed branch.
  const summarized = errors.filter(
    (e) => (e.keyword === "anyOf" || e.keyword === "oneOf") && (e.parentSchema as SchemaNode | undefined)?.errorMessage,
  );
  const isBranchNoise = (e: ErrorObject) =>
    summarized.some(
      (s) =>
        s !== e &&
        e.schemaPath.startsWith(`${s.schemaPath}/`) &&
        (e.instancePath === s.instancePath || e.instancePath.startsWith(`${s.instancePath}/`)),
    );

  const misspeltHere = (instancePath: string, missing: string) =>
    errors.some(
      (o) =>
        o.keyword === "additionalProperties" &&
        o.instancePath === instancePath &&
        didYouMean(String((o.params as { additionalProperty: string }).additionalProperty), [missing]) === missing,
    );

  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (path: DocPath, message: string, target: "key" | "value") => {
    const d = source.diagnostic("error", path, message, target);
    const id = `${d.line}:${d.column}:${message}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(d);
    }
  };

  for (const e of errors) {
    if (isBranchNoise(e)) continue;
    const path = pointerToPath(e.instancePath);
    const schema = (e.parentSchema ?? {}) as SchemaNode;
    const where = describePath(path);
    const subject = where === "" ? "the configuration" : `'${where}'`;

    // An error about a property *name* (propertyNames) carries the name; it is
    // repeated only for names of things (a role), never for free text (a tag key).
    if (e.propertyName !== undefined) {
      const keyPath = [...path, e.propertyName];
      const reason = schema.patternErrorMessage ?? e.message ?? "is not allowed";
      const key = path[path.length - 1] === "tags" ? "this key" : `key ${quoteName(e.propertyName)}`;
      push(keyPath, `${key} in ${subject} ${reason}`, "key");
      continue;
    }

    switch (e.keyword) {
      case "propertyNames":
        // Reported through the inner error that names the property.
        break;
      case "additionalProperty":
      case "additionalProperties": {
        const name = String((e.params as { additionalProperty: string }).additionalProperty);
        const keyPath = [...path, name];
        if (looksLikeSecretKey(name)) {
          push(keyPath, `${showable(name) && name.length <= 32 ? `${quoteName(name)} is` : "this key is"} not allowed here: ${SECRET_KEY_MESSAGE}`, "key");
          break;
        }
        const allowed = Object.keys(schema.properties ?? {}).filter((k) => k !== "$schema");
        const hint = suggestion(name, allowed);
        const context = where === "" ? "" : ` in '${where}'`;
        push(
          keyPath,
          `unknown property${unknownName(name, allowed)}${context}${hint || (allowed.length ? ` (allowed: ${quoteList(allowed)})` : "")}`,
          "key",
        );
        break;
      }
      case "required": {
        const name = (e.params as { missingProperty: string }).missingProperty;
        // A misspelt required key is one mistake, not two: the unknown-property
        // error already says "did you mean '<name>'?".
        if (misspeltHere(e.instancePath, name)) break;
        push(path, `${subject} is missing the required property '${name}'`, "key");
        break;
      }
      case "type": {
        const expected = (e.params as { type: unknown }).type;
        const hint = typeof e.data === "number" && expected === "string" ? quoteHint(source, path, e.data) : "";
        push(path, `${subject} must be ${expectedType(expected)}, not ${typeName(e.data)}${hint}`, "value");
        break;
      }
      case "enum": {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const hint = typeof e.data === "string" ? suggestion(e.data, allowed.map(String)) : "";
        push(path, `${subject} must be one of ${quoteList(allowed)}${hint}`, "value");
        break;
      }
      case "const":
        push(path, `${subject} ${schema.errorMessage ?? `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`}`, "value");
        break;
      case "pattern":
        // Values are not echoed: a pattern failure is where a pasted secret would show up.
        push(path, `${subject} ${schema.patternErrorMessage ?? `does not have the expected form (${String((e.params as { pattern: string }).pattern)})`}`, "value");
        break;
      case "format":
        push(path, `${subject} must be a valid ${(e.params as { format: string }).format === "uri" ? "URL" : (e.params as { format: string }).format}`, "value");
        break;
      case "anyOf":
      case "oneOf":
        push(path, `${subject} ${schema.errorMessage ?? "does not match any of the allowed forms"}`, "value");
        break;
      case "minLength":
      case "maxLength": {
        const limit = (e.params as { limit: number }).limit;
        push(path, e.keyword === "minLength" && limit === 1 ? `${subject} must not be empty` : `${subject} must be ${e.keyword === "minLength" ? "at least" : "at most"} ${limit} characters long`, "value");
        break;
      }
      case "minItems":
      case "maxItems": {
        const limit = (e.params as { limit: number }).limit;
        push(path, e.keyword === "minItems" && limit === 1 ? `${subject} must not be an empty list` : `${subject} must have ${e.keyword === "minItems" ? "at least" : "at most"} ${limit} items`, "value");
        break;
      }
      case "minProperties":
        push(path, `${subject} must have at least ${(e.params as { limit: number }).limit} entr${(e.params as { limit: number }).limit === 1 ? "y" : "ies"}`, "value");
        break;
      case "uniqueItems": {
        const { i, j } = e.params as { i: number; j: number };
        push([...path, Math.max(i, j)], `${subject} lists the same item twice (items ${Math.min(i, j) + 1} and ${Math.max(i, j) + 1})`, "value");
        break;
      }
      case "minimum":
      case "maximum":
        push(path, `${subject} must be ${e.keyword === "minimum" ? "at least" : "at most"} ${(e.params as { limit: number }).limit}`, "value");
        break;
      default:
        push(path, `${subject} ${e.message ?? "is invalid"}`, "value");
    }
  }
  return out;
}
