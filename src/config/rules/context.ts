import { didYouMean } from "../../util/did-you-mean.js";
import type { Diagnostic, Severity } from "../diagnostics.js";
import { quoteName as q, showable } from "../paths.js";
import type { DocPath, YamlSource } from "../yaml-source.js";

/**
 * What every semantic rule gets: the file, its data, the names it declares, what
 * earlier rules found, and where to report. The rules run even when the schema
 * found errors, so a user sees every problem in one go; hence every rule reads
 * the data defensively instead of trusting types.
 */

export type Rec = Record<string, unknown>;
export const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);
export const entries = (v: unknown): [string, unknown][] => (isRec(v) ? Object.entries(v) : []);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export type Mode = "classic-iam" | "identity-center";
type Target = "key" | "value";

export interface RuleContext {
  readonly source: YamlSource;
  /** The document: a mapping at the top level (semanticDiagnostics reports anything else and stops). */
  readonly data: Rec;
  /** `mode` when it is one of the modes, else undefined (the schema reports it). */
  readonly mode: Mode | undefined;
  /** The clock expiries are compared with; without it, none is past. */
  readonly now: Date | undefined;
  /** The names the file declares, by the keys of their sections. */
  readonly names: {
    readonly accounts: ReadonlySet<string>;
    readonly organizationalUnits: ReadonlySet<string>;
    readonly roles: ReadonlySet<string>;
    readonly permissionSets: ReadonlySet<string>;
  };
  /** What a rule found that a later rule reads; each field says which rule fills it. */
  readonly found: {
    /** Role → the accounts it is created in (roles). */
    readonly roleAccounts: Map<string, Set<string>>;
    /** Role → its maximum session duration in seconds (roles). */
    readonly roleMaxSession: Map<string, number>;
    /** Roles and permission sets some mapping grants (mappings). */
    readonly usedRoles: Set<string>;
    readonly usedPermissionSets: Set<string>;
  };
  /**
   * Whether the value at `path`, or one holding it, has a type the schema does
   * not allow (a string where a mapping belongs): then what it holds is unknown,
   * and a rule must not conclude from it (no "unknown role" against a `roles`
   * that is a string).
   */
  typeFailed(path: DocPath): boolean;
  /** Whether no value at, above or inside `path` has a type the schema does not allow. */
  typeSound(path: DocPath): boolean;
  add(diagnostic: Diagnostic): void;
  error(path: DocPath, message: string, target?: Target): void;
  warn(path: DocPath, message: string, target?: Target): void;
}

export type Rule = (ctx: RuleContext) => void;

/** A path as one string: keys JSON-quoted, indexes in brackets (no two paths alike). */
const pathKey = (path: DocPath) => path.map((p) => (typeof p === "number" ? `[${p}]` : JSON.stringify(p))).join("");

export function createContext(source: YamlSource, data: Rec, now: Date | undefined, typeFailures: readonly DocPath[], add: (d: Diagnostic) => void): RuleContext {
  const failed = new Set(typeFailures.map(pathKey));
  // Every path above a failure: a value there holds something of the wrong type.
  const holdsFailure = new Set(typeFailures.flatMap((path) => path.map((_, depth) => pathKey(path.slice(0, depth)))));
  const typeFailed = (path: DocPath) => path.some((_, depth) => failed.has(pathKey(path.slice(0, depth + 1)))) || failed.has("");
  const report = (severity: Severity, path: DocPath, message: string, target: Target = "value") => add(source.diagnostic(severity, path, message, target));
  const aws = section(data, "aws");
  return {
    source,
    data,
    mode: data.mode === "classic-iam" || data.mode === "identity-center" ? data.mode : undefined,
    now,
    names: {
      accounts: new Set(entries(aws.accounts).map(([alias]) => alias)),
      organizationalUnits: new Set(entries(aws.organizationalUnits).map(([alias]) => alias)),
      roles: new Set(Object.keys(isRec(data.roles) ? data.roles : {})),
      permissionSets: new Set(Object.keys(isRec(data.permissionSets) ? data.permissionSets : {})),
    },
    found: { roleAccounts: new Map(), roleMaxSession: new Map(), usedRoles: new Set(), usedPermissionSets: new Set() },
    typeFailed,
    typeSound: (path) => !typeFailed(path) && !holdsFailure.has(pathKey(path)),
    add,
    error: (path, message, target) => report("error", path, message, target),
    warn: (path, message, target) => report("warning", path, message, target),
  };
}

/** A mapping-valued entry of `node`, or an empty mapping when it is absent or not a mapping. */
export function section(node: unknown, key: string): Rec {
  const value = isRec(node) ? node[key] : undefined;
  return isRec(value) ? value : {};
}

/** The value at a path, or undefined where the document has nothing there. */
export function valueAt(data: unknown, path: DocPath): unknown {
  return path.reduce<unknown>((node, key) => (isRec(node) || Array.isArray(node) ? (node as Rec)[key as string] : undefined), data);
}

/** " — did you mean 'x'?" naming a declared name, unless that name looks like a secret. */
export function suggestion(input: string, candidates: Iterable<string>): string {
  const match = didYouMean(input, candidates);
  return match === undefined || !showable(match) ? "" : ` — did you mean ${q(match)}?`;
}
