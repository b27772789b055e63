import path from "node:path";
import type { AuthentikAwsGitopsConfig, PolicyDocument } from "./config.generated.js";
import { ConfigError, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { parseDuration } from "./durations.js";
import { expiryLocation, parseExpiry } from "./expiry.js";
import type { MappingExpiry, ResolvedConfig, ResolvedMapping } from "./model.js";
import { configRoot, FileRefused, FileTooLarge, formatBytes, readRegularFile } from "./read-file.js";
import { resolveReview } from "./review.js";
import { readSpMetadataFile } from "./sp-metadata-file.js";
import { parsePolicyDocument, type PolicyDocumentObject } from "./policy-documents.js";
import { schemaCheck } from "./schema-validation.js";
import { semanticDiagnostics } from "./semantic-rules.js";
import { YamlSource } from "./yaml-source.js";

export interface ValidationResult {
  /** Errors and warnings, sorted by position. */
  diagnostics: Diagnostic[];
  /** Present only when there are no errors. */
  config?: ResolvedConfig;
  source: YamlSource;
}

export const DEFAULTS = {
  authorizationFlow: "default-provider-authorization-implicit-consent",
  invalidationFlow: "default-provider-invalidation-flow",
  signingKeypair: "authentik Self-signed Certificate",
  samlProvider: "authentik",
  rolePath: "/authentik/",
  propertyMappingPrefix: "aws-gitops",
  sessionSeconds: 3600,
} as const;

/**
 * Validates config text: YAML syntax, then the JSON Schema and the semantic
 * rules together, so that one run reports every problem. `file` is used in
 * messages and to resolve relative paths (spMetadata).
 */
export interface ValidationOptions {
  /** The clock an expiry is compared with (validation warns on one already past); default: now. */
  now?: Date;
}

export function validateConfigText(file: string, text: string, options: ValidationOptions = {}): ValidationResult {
  const now = options.now ?? new Date();
  const source = new YamlSource(file, text);
  const syntax = source.syntaxDiagnostics();
  if (syntax.some((d) => d.severity === "error")) {
    // Past a syntax error the document shape is guesswork; report just these.
    return { diagnostics: atMost(sortDiagnostics(syntax)), source };
  }
  const data = source.toJS();
  const schema = data === null || typeof data !== "object" || Array.isArray(data) ? { diagnostics: [], typeFailures: [] } : schemaCheck(source, data);
  // What the schema found of the wrong type, the semantic rules do not read as if it were valid.
  const rules = [...schema.diagnostics, ...semanticDiagnostics(source, data, now, schema.typeFailures)];
  // A name the schema already refuses at the same place (e.g. for a bidirectional override) needs no second message.
  const taken = new Set(rules.filter((d) => d.severity === "error").map((d) => `${d.line}:${d.column}`));
  const invisible = source.invisibleCharacterDiagnostics().filter((d) => !taken.has(`${d.line}:${d.column}`));
  const diagnostics = atMost(sortDiagnostics([...syntax, ...invisible, ...rules]));
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics, source };
  return { diagnostics, source, config: resolveConfig(source, data as AuthentikAwsGitopsConfig) };
}

/** More problems than anyone reads (a file with 20,000 repeated keys): the first ones, and how many more. */
export const MAX_DIAGNOSTICS = 100;

function atMost(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS) return diagnostics;
  const rest = diagnostics.slice(MAX_DIAGNOSTICS);
  const next = rest[0]!;
  const errors = rest.filter((d) => d.severity === "error").length;
  return [
    ...diagnostics.slice(0, MAX_DIAGNOSTICS),
    {
      ...next,
      severity: errors > 0 ? "error" : "warning",
      message: `${rest.length} more problems from here on are not shown (${errors} of them errors); fix the ones above and validate again`,
      path: [],
    },
  ];
}

/** Reads and validates a config file; throws ConfigError listing every error. */
export async function loadConfigFile(file: string, options: ValidationOptions = {}): Promise<{ config: ResolvedConfig; warnings: Diagnostic[]; source: YamlSource }> {
  const result = await validateConfigFile(file, options);
  if (!result.config) throw new ConfigError(result.diagnostics);
  return { config: result.config, warnings: result.diagnostics, source: result.source };
}

/** A configuration is text of a few hundred KB at most; past this it is refused unread. */
export const CONFIG_MAX_BYTES = 2 * 1024 * 1024;

export async function validateConfigFile(file: string, options: ValidationOptions = {}): Promise<ValidationResult> {
  const refuse = (reason: string, line = 1, column = 1): ValidationResult => ({
    diagnostics: [{ severity: "error", message: `cannot read the configuration: ${reason}`, file, line, column, path: [] }],
    source: new YamlSource(file, ""),
  });
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, CONFIG_MAX_BYTES);
  } catch (error) {
    if (error instanceof FileTooLarge) return refuse(`it ${error.message}; a configuration of over ${formatBytes(CONFIG_MAX_BYTES)} is refused`);
    if (error instanceof FileRefused) return refuse(`it ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code;
    return refuse(code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (error as Error).message);
  }
  const text = decodeUtf8(bytes);
  if (typeof text !== "string") return refuse(`it is not UTF-8 text (an invalid byte sequence at byte ${text.offset + 1})`, text.line, text.column);
  const result = validateConfigText(file, text, options);
  return result.config ? checkReferencedFiles(result) : result;
}

/**
 * The file as text: UTF-8 (a byte order mark at the start is dropped), or
 * where the first byte that is not UTF-8 is, as line and column.
 */
function decodeUtf8(bytes: Buffer): string | { offset: number; line: number; column: number } {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // Find the first invalid byte: the longest prefix that decodes.
    let good = 0;
    let bad = bytes.length;
    while (good < bad) {
      const mid = Math.ceil((good + bad) / 2);
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
        good = mid;
      } catch {
        bad = mid - 1;
      }
    }
    const before = new TextDecoder("utf-8").decode(bytes.subarray(0, good));
    const lines = before.split("\n");
    return { offset: good, line: lines.length, column: [...lines[lines.length - 1]!].length + 1 };
  }
}

/**
 * Files the config points at are part of its validity: an unreadable,
 * malformed or out-of-repository SP metadata file is reported at the line
 * that names it.
 */
async function checkReferencedFiles(result: ValidationResult): Promise<ValidationResult> {
  const ic = result.config!.aws.identityCenter;
  if (!ic) return result;
  const root = await configRoot(result.source.file).catch(() => path.dirname(path.resolve(result.source.file)));
  ic.spMetadataRoot = root;
  const problem = await readSpMetadataFile(ic.spMetadataPath, root).then(
    () => undefined,
    (error: Error) => error.message,
  );
  if (!problem) return result;
  const diagnostics = sortDiagnostics([...result.diagnostics, result.source.diagnostic("error", ["aws", "identityCenter", "spMetadata"], problem)]);
  return { diagnostics, source: result.source };
}

function policy(doc: PolicyDocument): PolicyDocumentObject {
  const parsed = parsePolicyDocument(doc);
  // Validation already rejected unparsable documents.
  if (!parsed.ok) throw new Error(`internal: unvalidated policy document (${parsed.reason})`);
  return parsed.document;
}

function seconds(value: number | string | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}

function mappingExpiry(source: YamlSource, index: number, value: string): MappingExpiry {
  const parsed = parseExpiry(value);
  // Validation already rejected what does not parse.
  if (!parsed.ok) throw new Error(`internal: unvalidated expiry (${parsed.reason})`);
  const pos = source.position(["mappings", index, "expires"]);
  // The file by its name only: this goes into the hashed plan, which must not depend on
  // how -c spelled the path or where the command ran (printed: expiryLocationAsGiven).
  return { value, endsAt: parsed.endsAt.toISOString(), field: `mappings[${index}].expires`, location: expiryLocation(source.file, pos.line, pos.column) };
}

function resolveConfig(source: YamlSource, raw: AuthentikAwsGitopsConfig): ResolvedConfig {
  const accountAliases = Object.keys(raw.aws.accounts);
  const selectAccounts = (selector: string | string[]) => (selector === "*" ? [...accountAliases] : [...selector]);
  const mappings: ResolvedMapping[] = raw.mappings.map((m, index) => {
    const pos = source.position(["mappings", index]);
    return {
      group: m.group,
      grants: [...(raw.mode === "classic-iam" ? (m.roles ?? []) : (m.permissionSets ?? []))],
      accounts: m.accounts === undefined ? (raw.mode === "classic-iam" ? "role-default" : []) : selectAccounts(m.accounts),
      organizationalUnits: [...(m.organizationalUnits ?? [])],
      location: `${source.file}:${pos.line}:${pos.column}`,
      path: ["mappings", index],
      ...(m.expires !== undefined ? { expires: mappingExpiry(source, index, m.expires) } : {}),
    };
  });
  const ic = raw.aws.identityCenter;
  const scim = raw.scim;
  const at = (path: (string | number)[]) => {
    const pos = source.position(path);
    return `${source.file}:${pos.line}:${pos.column}`;
  };
  return {
    file: source.file,
    mode: raw.mode,
    authentik: {
      url: raw.authentik.url,
      application: {
        slug: raw.authentik.application.slug,
        name: raw.authentik.application.name,
        group: raw.authentik.application.group,
        launchUrl: raw.authentik.application.launchUrl,
        openInNewTab: raw.authentik.application.openInNewTab ?? false,
      },
      provider: {
        name: raw.authentik.provider.name,
        authorizationFlow: raw.authentik.provider.authorizationFlow ?? DEFAULTS.authorizationFlow,
        invalidationFlow: raw.authentik.provider.invalidationFlow ?? DEFAULTS.invalidationFlow,
        signingKeypair: raw.authentik.provider.signingKeypair ?? DEFAULTS.signingKeypair,
        sessionName: raw.authentik.provider.sessionName ?? "email",
        sessionDuration:
          raw.authentik.provider.sessionDuration === undefined ? undefined : parseDuration(raw.authentik.provider.sessionDuration),
        // Per application by default, so several configs sharing one authentik never own each other's mappings.
        propertyMappingPrefix: raw.authentik.provider.propertyMappingPrefix ?? `${DEFAULTS.propertyMappingPrefix} ${raw.authentik.application.slug}`,
      },
    },
    aws: {
      accounts: Object.entries(raw.aws.accounts).map(([alias, a]) => ({
        alias,
        id: a!.id,
        assumeRoleArn: a!.assumeRole,
        name: a!.name,
      })),
      organizationalUnits: Object.entries(raw.aws.organizationalUnits ?? {}).map(([alias, ou]) => ({ alias, id: ou!.id, name: ou!.name })),
      samlProviderName: raw.aws.samlProvider ?? DEFAULTS.samlProvider,
      rolePath: raw.aws.rolePath ?? DEFAULTS.rolePath,
      tags: { ...(raw.aws.tags ?? {}) } as Record<string, string>,
      ...(raw.aws.signInRegions ? { signInRegions: [...raw.aws.signInRegions] } : {}),
      identityCenter: ic && {
        region: ic.region,
        instanceArn: ic.instanceArn,
        identityStoreId: ic.identityStoreId,
        accessPortalUrl: ic.accessPortalUrl,
        spMetadataPath: path.resolve(path.dirname(source.file), ic.spMetadata),
        spMetadataLocation: at(["aws", "identityCenter", "spMetadata"]),
        ...(ic.accessControlAttributes
          ? {
              accessControlAttributes: Object.entries(ic.accessControlAttributes)
                .map(([key, v]) => (typeof v === "string" ? { key, source: v } : { key, fromAuthentik: v!.fromAuthentik }))
                .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
            }
          : {}),
      },
    },
    roles: Object.entries(raw.roles ?? {}).map(([name, r]) => ({
      name,
      description: r!.description,
      accounts: selectAccounts(r!.accounts),
      managedPolicies: [...(r!.managedPolicies ?? [])],
      inlinePolicies: Object.fromEntries(Object.entries(r!.inlinePolicies ?? {}).map(([n, d]) => [n, policy(d!)])),
      permissionsBoundary: r!.permissionsBoundary,
      maxSessionDuration: seconds(r!.maxSessionDuration, DEFAULTS.sessionSeconds),
      tags: { ...(r!.tags ?? {}) } as Record<string, string>,
    })),
    permissionSets: Object.entries(raw.permissionSets ?? {}).map(([name, p]) => ({
      name,
      description: p!.description,
      sessionDuration: seconds(p!.sessionDuration, DEFAULTS.sessionSeconds),
      relayState: p!.relayState,
      managedPolicies: [...(p!.managedPolicies ?? [])],
      customerManagedPolicies: (p!.customerManagedPolicies ?? []).map((c) => ({ name: c.name, path: c.path ?? "/" })),
      inlinePolicy: p!.inlinePolicy === undefined ? undefined : policy(p!.inlinePolicy),
      permissionsBoundary: p!.permissionsBoundary?.managedPolicyArn
        ? { managedPolicyArn: p!.permissionsBoundary.managedPolicyArn }
        : p!.permissionsBoundary?.customerManagedPolicy
          ? { customerManagedPolicy: { name: p!.permissionsBoundary.customerManagedPolicy.name, path: p!.permissionsBoundary.customerManagedPolicy.path ?? "/" } }
          : undefined,
      tags: { ...(p!.tags ?? {}) } as Record<string, string>,
    })),
    mappings,
    scim: scim && {
      url: scim.url,
      tokenEnv: scim.tokenEnv,
      tokenEnvLocation: at(["scim", "tokenEnv"]),
      providerName: scim.providerName ?? `${raw.authentik.provider.name}-scim`,
      groups: scim.groups ?? [...new Set(raw.mappings.map((m) => m.group))],
      groupsLocation: at(scim.groups ? ["scim", "groups"] : ["scim"]),
      userMapping: { userName: scim.userMapping?.userName ?? "email", dropPhotos: scim.userMapping?.dropPhotos ?? true },
    },
    options: { prune: raw.options?.prune ?? false, allowDeleteAll: raw.options?.allowDeleteAll ?? false, revokeSessions: raw.options?.revokeSessions ?? false },
    adopt: { application: raw.adopt?.application ?? false, roles: [...(raw.adopt?.roles ?? [])], permissionSets: [...(raw.adopt?.permissionSets ?? [])] },
    review: resolveReview(raw),
  };
}
