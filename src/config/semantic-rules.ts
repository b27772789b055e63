import { didYouMean } from "../util/did-you-mean.js";
import type { Diagnostic, Severity } from "./diagnostics.js";
import { formatDuration, parseDuration } from "./durations.js";
import { describePath, nameText, quoteName as q, showable } from "./paths.js";
import { parsePolicyDocument, policySize } from "./policy-documents.js";
import type { DocPath, YamlSource } from "./yaml-source.js";

/**
 * Rules the JSON Schema cannot express: cross references, the mode's sections,
 * AWS limits that depend on several values, and secrets pasted inline.
 *
 * They run even when the schema found errors, so a user sees every problem in
 * one go; hence every rule reads the data defensively instead of trusting types.
 */

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isRec(v) ? Object.entries(v) : []);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** " — did you mean 'x'?" naming a declared name, unless that name looks like a secret. */
function suggestion(input: string, candidates: Iterable<string>): string {
  const match = didYouMean(input, candidates);
  return match === undefined || !showable(match) ? "" : ` — did you mean ${q(match)}?`;
}

// AWS limits (IAM and IAM Identity Center quotas that are not adjustable, or their defaults).
export const LIMITS = {
  roleName: 64,
  permissionSetName: 32,
  roleSessionSeconds: { min: 3600, max: 43200 },
  permissionSetSessionSeconds: { min: 3600, max: 43200 },
  samlSessionSeconds: { min: 900, max: 43200 },
  roleInlinePoliciesChars: 10240,
  permissionSetInlinePolicyChars: 32768,
  managedPoliciesPerRoleDefault: 10,
  managedPoliciesPerPermissionSetDefault: 10,
  tagsPerResource: 50,
} as const;

const CLASSIC_ONLY: readonly DocPath[] = [["roles"], ["adopt", "roles"], ["aws", "samlProvider"], ["aws", "rolePath"], ["authentik", "provider", "sessionName"], ["authentik", "provider", "sessionDuration"]];
const IDENTITY_CENTER_ONLY: readonly DocPath[] = [["permissionSets"], ["adopt", "permissionSets"], ["scim"], ["aws", "identityCenter"], ["aws", "organizationalUnits"]];

export function semanticDiagnostics(source: YamlSource, data: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (severity: Severity, path: DocPath, message: string, target: "key" | "value" = "value") =>
    out.push(source.diagnostic(severity, path, message, target));
  const error = (path: DocPath, message: string, target: "key" | "value" = "value") => report("error", path, message, target);
  const warn = (path: DocPath, message: string, target: "key" | "value" = "value") => report("warning", path, message, target);

  if (!isRec(data)) {
    if (data === null) error([], "the configuration file is empty");
    else error([], "the configuration must be a mapping (key: value) at the top level");
    return out;
  }

  const mode = data.mode === "classic-iam" || data.mode === "identity-center" ? data.mode : undefined;
  const get = (path: DocPath): unknown =>
    path.reduce<unknown>((node, key) => (isRec(node) || Array.isArray(node) ? (node as Rec)[key as string] : undefined), data);

  // --- the mode decides which sections belong -------------------------------------------
  if (mode) {
    const foreign = mode === "classic-iam" ? IDENTITY_CENTER_ONLY : CLASSIC_ONLY;
    const other = mode === "classic-iam" ? "identity-center" : "classic-iam";
    for (const path of foreign) {
      if (get(path) !== undefined) {
        error(path, `'${describePath(path)}' belongs to mode ${other}, but this file's mode is ${mode}`, "key");
      }
    }
    if (mode === "classic-iam" && data.roles === undefined) {
      error(["mode"], "mode classic-iam needs a 'roles' section (it may be empty: roles: {})");
    }
    if (mode === "identity-center") {
      if (data.permissionSets === undefined) error(["mode"], "mode identity-center needs a 'permissionSets' section (it may be empty: permissionSets: {})");
      if (isRec(data.aws) && data.aws.identityCenter === undefined) {
        error(["aws"], "mode identity-center needs 'aws.identityCenter' (region, accessPortalUrl, spMetadata)", "key");
      }
    }
  }

  // --- accounts and organizational units --------------------------------------------------
  const aws = isRec(data.aws) ? data.aws : {};
  const accountAliases = new Set(entries(aws.accounts).map(([alias]) => alias));
  const ouAliases = new Set(entries(aws.organizationalUnits).map(([alias]) => alias));
  const accountIds = new Map<string, string>();
  for (const [alias, account] of entries(aws.accounts)) {
    if (!isRec(account)) continue;
    const id = account.id;
    if (typeof id === "string") {
      const first = accountIds.get(id);
      if (first !== undefined) error(["aws", "accounts", alias, "id"], `account ${q(alias)} has the same id as account ${q(first)}`);
      else accountIds.set(id, alias);
    }
    if (typeof account.assumeRole === "string" && typeof id === "string") {
      const arnAccount = /^arn:[^:]+:iam::(\d{12}):role\//.exec(account.assumeRole)?.[1];
      if (arnAccount && arnAccount !== id) {
        error(["aws", "accounts", alias, "assumeRole"], `'${describePath(["aws", "accounts", alias, "assumeRole"])}' is a role in account ${arnAccount}, but account ${q(alias)} is ${id}; the tool must assume a role inside the account it manages`);
      }
    }
  }
  const ouIds = new Map<string, string>();
  for (const [alias, ou] of entries(aws.organizationalUnits)) {
    if (accountAliases.has(alias)) error(["aws", "organizationalUnits", alias], `${q(alias)} is both an account alias and an organizational unit alias; use distinct names`, "key");
    if (isRec(ou) && typeof ou.id === "string") {
      const first = ouIds.get(ou.id);
      if (first !== undefined) error(["aws", "organizationalUnits", alias, "id"], `organizational unit ${q(alias)} has the same id as ${q(first)}`);
      else ouIds.set(ou.id, alias);
    }
  }

  const checkAccountSelector = (path: DocPath, selector: unknown, allowed: ReadonlySet<string> = accountAliases, what = "account"): string[] => {
    if (selector === "*") return [...allowed];
    const resolved: string[] = [];
    for (const [i, alias] of list(selector).entries()) {
      if (typeof alias !== "string") continue;
      if (!allowed.has(alias)) {
        const declared = what === "account" ? "aws.accounts" : "aws.organizationalUnits";
        const extra = what === "account" && ouAliases.has(alias) ? " (it is an organizational unit: list it under organizationalUnits)" : "";
        error([...path, i], `unknown ${what} ${q(alias)}${extra}${extra ? "" : suggestion(alias, allowed)}; declare it in ${declared}`);
      } else resolved.push(alias);
    }
    return resolved;
  };

  const checkTags = (path: DocPath, tags: unknown, inherited: number) => {
    const count = entries(tags).length + inherited + 2; // + the managed-by and managed-by-config tags
    if (entries(tags).length > 0 && count > LIMITS.tagsPerResource) {
      error(path, `'${describePath(path)}' with aws.tags and the managed-by tags makes ${count} tags; AWS allows ${LIMITS.tagsPerResource}`, "key");
    }
  };
  const globalTags = entries(aws.tags).length;
  if (isRec(aws.tags)) {
    for (const key of Object.keys(aws.tags)) {
      if (key.toLowerCase() === "managed-by" || key.toLowerCase() === "managed-by-config") {
        error(["aws", "tags", key], `the tag '${key}' is reserved: the tool sets it to mark what it owns and for which configuration`, "key");
      }
    }
  }

  const checkDuration = (path: DocPath, value: unknown, range: { min: number; max: number }, what: string): number | undefined => {
    if (typeof value !== "number" && typeof value !== "string") return undefined;
    const seconds = parseDuration(value);
    if (seconds === undefined) return undefined; // the schema reports the form
    if (seconds < range.min || seconds > range.max) {
      error(path, `${what} must be between ${formatDuration(range.min)} and ${formatDuration(range.max)}, not ${formatDuration(seconds)}`);
    }
    return seconds;
  };

  const checkPolicy = (path: DocPath, value: unknown): number | undefined => {
    if (value === undefined || (typeof value !== "string" && !isRec(value))) return undefined;
    const parsed = parsePolicyDocument(value);
    if (!parsed.ok) {
      error(path, `policy document '${describePath(path)}' ${parsed.reason}`);
      return undefined;
    }
    const outside = /[^\t\n\r\u0020-\u00ff]/u.exec(JSON.stringify(parsed.document));
    if (outside) {
      const code = outside[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      error(path, `policy document '${describePath(path)}' holds U+${code}; IAM accepts in a policy only ASCII and Latin-1 characters (U+0020–U+00FF), tabs and line breaks`);
    }
    if (parsed.document.Version === undefined) {
      warn(path, `policy document '${describePath(path)}' has no Version; IAM then assumes "2008-10-17", which has no policy variables — write Version: "2012-10-17"`);
    }
    return policySize(parsed.document);
  };

  const checkNameCollisions = (section: string, maxLength: number, kind: string) => {
    const seen = new Map<string, string>();
    for (const [name] of entries(data[section])) {
      if (name.length > maxLength) error([section, name], `${kind} name is ${[...name].length} characters long; AWS allows at most ${maxLength}`, "key");
      const folded = name.toLowerCase();
      const first = seen.get(folded);
      if (first !== undefined) error([section, name], `${kind} ${q(name)} differs from ${q(first)} only in letter case; AWS treats ${kind} names case-insensitively`, "key");
      else seen.set(folded, name);
    }
  };

  // --- roles (classic-iam) ------------------------------------------------------------------
  checkNameCollisions("roles", LIMITS.roleName, "role");
  const roleAccounts = new Map<string, Set<string>>();
  const roleMaxSession = new Map<string, number>();
  for (const [name, role] of entries(data.roles)) {
    if (!isRec(role)) continue;
    const path = ["roles", name];
    roleAccounts.set(name, new Set(checkAccountSelector([...path, "accounts"], role.accounts)));
    const max = checkDuration([...path, "maxSessionDuration"], role.maxSessionDuration, LIMITS.roleSessionSeconds, `'${describePath([...path, "maxSessionDuration"])}'`);
    roleMaxSession.set(name, max ?? 3600);
    let inlineSize = 0;
    for (const [policyName, doc] of entries(role.inlinePolicies)) {
      inlineSize += checkPolicy([...path, "inlinePolicies", policyName], doc) ?? 0;
    }
    if (inlineSize > LIMITS.roleInlinePoliciesChars) {
      error([...path, "inlinePolicies"], `the inline policies of role ${q(name)} add up to ${inlineSize} characters; IAM allows ${LIMITS.roleInlinePoliciesChars} per role (white space not counted) — move some into a managed policy`, "key");
    }
    if (list(role.managedPolicies).length > LIMITS.managedPoliciesPerRoleDefault) {
      warn([...path, "managedPolicies"], `role ${q(name)} attaches ${list(role.managedPolicies).length} managed policies; AWS allows ${LIMITS.managedPoliciesPerRoleDefault} per role unless the quota was raised`, "key");
    }
    checkTags([...path, "tags"], role.tags, globalTags);
  }

  // classic: the SAML SessionDuration must fit every role it is used with, or sign-in fails.
  const provider = isRec(data.authentik) && isRec(data.authentik.provider) ? data.authentik.provider : {};
  const sessionSeconds = checkDuration(["authentik", "provider", "sessionDuration"], provider.sessionDuration, LIMITS.samlSessionSeconds, "'authentik.provider.sessionDuration'");
  if (sessionSeconds !== undefined && mode === "classic-iam") {
    for (const [role, max] of roleMaxSession) {
      if (sessionSeconds > max) {
        error(["authentik", "provider", "sessionDuration"], `the SAML session duration ${formatDuration(sessionSeconds)} is longer than role ${q(role)} allows (maxSessionDuration ${formatDuration(max)}); AWS would refuse the sign-in`);
      }
    }
  }

  // --- permission sets (identity-center) ----------------------------------------------------
  checkNameCollisions("permissionSets", LIMITS.permissionSetName, "permission set");
  for (const [name, ps] of entries(data.permissionSets)) {
    if (!isRec(ps)) continue;
    const path = ["permissionSets", name];
    checkDuration([...path, "sessionDuration"], ps.sessionDuration, LIMITS.permissionSetSessionSeconds, `'${describePath([...path, "sessionDuration"])}'`);
    const size = checkPolicy([...path, "inlinePolicy"], ps.inlinePolicy);
    if (size !== undefined && size > LIMITS.permissionSetInlinePolicyChars) {
      error([...path, "inlinePolicy"], `the inline policy of permission set ${q(name)} has ${size} characters; IAM Identity Center allows ${LIMITS.permissionSetInlinePolicyChars}`, "key");
    }
    const managed = list(ps.managedPolicies).length + list(ps.customerManagedPolicies).length;
    if (managed > LIMITS.managedPoliciesPerPermissionSetDefault) {
      warn(path, `permission set ${q(name)} attaches ${managed} managed policies; AWS allows ${LIMITS.managedPoliciesPerPermissionSetDefault} per permission set unless the quota was raised`, "key");
    }
    for (const [i, ref] of list(ps.managedPolicies).entries()) {
      if (typeof ref === "string" && !/:iam::aws:policy\//.test(ref)) {
        error([...path, "managedPolicies", i], "permission sets attach only AWS-managed policies by ARN; reference a customer-managed policy by name under customerManagedPolicies");
      }
    }
    const boundary = ps.permissionsBoundary;
    if (isRec(boundary)) {
      const kinds = ["managedPolicyArn", "customerManagedPolicy"].filter((k) => boundary[k] !== undefined);
      if (kinds.length !== 1) error([...path, "permissionsBoundary"], "a permissions boundary needs exactly one of managedPolicyArn or customerManagedPolicy", "key");
    }
    checkTags([...path, "tags"], ps.tags, globalTags);
  }

  // --- mappings -----------------------------------------------------------------------------
  const roleNames = new Set(Object.keys(isRec(data.roles) ? data.roles : {}));
  const permissionSetNames = new Set(Object.keys(isRec(data.permissionSets) ? data.permissionSets : {}));
  const usedRoles = new Set<string>();
  const usedPermissionSets = new Set<string>();
  for (const [index, mapping] of list(data.mappings).entries()) {
    if (!isRec(mapping)) continue;
    const path: DocPath = ["mappings", index];
    if (mode === "classic-iam") {
      if (mapping.permissionSets !== undefined) error([...path, "permissionSets"], "mappings in mode classic-iam grant 'roles', not 'permissionSets'", "key");
      if (mapping.organizationalUnits !== undefined) error([...path, "organizationalUnits"], "organizational units are only for mode identity-center; classic-iam roles live in the accounts they list", "key");
      if (mapping.roles === undefined && mapping.permissionSets === undefined) error(path, "a mapping needs 'roles' (the roles this group gets)");
    }
    if (mode === "identity-center") {
      if (mapping.roles !== undefined) error([...path, "roles"], "mappings in mode identity-center grant 'permissionSets', not 'roles'", "key");
      if (mapping.permissionSets === undefined && mapping.roles === undefined) error(path, "a mapping needs 'permissionSets' (the permission sets this group gets)");
      if (mapping.accounts === undefined && mapping.organizationalUnits === undefined) {
        error(path, "a mapping in mode identity-center needs 'accounts' and/or 'organizationalUnits' to assign its permission sets in");
      }
    }
    if (mapping.accounts !== undefined) checkAccountSelector([...path, "accounts"], mapping.accounts);
    checkAccountSelector([...path, "organizationalUnits"], mapping.organizationalUnits, ouAliases, "organizational unit");
    const group = typeof mapping.group === "string" ? mapping.group : "";

    for (const [i, role] of list(mapping.roles).entries()) {
      if (typeof role !== "string") continue;
      if (!roleNames.has(role)) {
        const hint = permissionSetNames.has(role) ? " (it is a permission set)" : suggestion(role, roleNames);
        error([...path, "roles", i], `mapping for group ${q(group)} names role ${q(role)}, which is not defined in 'roles'${hint}`);
        continue;
      }
      usedRoles.add(role);
      const available = roleAccounts.get(role) ?? new Set<string>();
      for (const [j, alias] of (mapping.accounts === "*" ? [] : list(mapping.accounts)).entries()) {
        if (typeof alias === "string" && accountAliases.has(alias) && !available.has(alias)) {
          error([...path, "accounts", j], `role ${q(role)} does not exist in account ${q(alias)} (its accounts: ${[...available].map(nameText).join(", ") || "none"}); add the account to the role or drop it here`);
        }
      }
    }
    for (const [i, ps] of list(mapping.permissionSets).entries()) {
      if (typeof ps !== "string") continue;
      if (!permissionSetNames.has(ps)) {
        const hint = roleNames.has(ps) ? " (it is a role)" : suggestion(ps, permissionSetNames);
        error([...path, "permissionSets", i], `mapping for group ${q(group)} names permission set ${q(ps)}, which is not defined in 'permissionSets'${hint}`);
      } else usedPermissionSets.add(ps);
    }
  }

  // --- review: custom risk rules name declared accounts --------------------------------------
  const review = isRec(data.review) ? data.review : {};
  const risks = isRec(review.risks) ? review.risks : {};
  for (const [i, rule] of (Array.isArray(risks.custom) ? risks.custom : []).entries()) {
    if (isRec(rule) && rule.accounts !== undefined) checkAccountSelector(["review", "risks", "custom", i, "accounts"], rule.accounts);
  }

  // --- adopt: only what is declared can be taken over ----------------------------------------
  const adopt = isRec(data.adopt) ? data.adopt : {};
  for (const [section, names, what] of [
    ["roles", roleNames, "role"],
    ["permissionSets", permissionSetNames, "permission set"],
  ] as const) {
    for (const [i, name] of list(adopt[section]).entries()) {
      if (typeof name === "string" && !names.has(name)) {
        error(["adopt", section, i], `adopt names ${what} ${q(name)}, which is not declared in '${section}'; only declared objects can be taken over`);
      }
    }
  }

  // --- warnings: things declared that nothing uses -----------------------------------------
  if (mode === "classic-iam") {
    for (const name of roleNames) {
      if (!usedRoles.has(name)) warn(["roles", name], `role ${q(name)} is not granted to any group by a mapping; nobody can sign in to it`, "key");
    }
    for (const alias of accountAliases) {
      const hasRole = [...roleAccounts.values()].some((set) => set.has(alias));
      if (!hasRole) warn(["aws", "accounts", alias], `account ${q(alias)} has no roles; only the SAML identity provider will be created there`, "key");
    }
  }
  if (mode === "identity-center") {
    for (const name of permissionSetNames) {
      if (!usedPermissionSets.has(name)) warn(["permissionSets", name], `permission set ${q(name)} is not assigned to any group by a mapping`, "key");
    }
  }

  // authentik names its own mappings "authentik default … Mapping: …" and manages them
  // (managed set); a prefix like theirs would make the tool's names read as authentik's.
  if (typeof provider.propertyMappingPrefix === "string" && /^\s*authentik\s+default\b/i.test(provider.propertyMappingPrefix)) {
    error(["authentik", "provider", "propertyMappingPrefix"], `propertyMappingPrefix '${provider.propertyMappingPrefix}' names authentik's own mappings ("authentik default … Mapping: …"), which are never the tool's; choose a prefix of your own (the default is "aws-gitops <application slug>")`);
  }

  // --- SCIM ----------------------------------------------------------------------------------
  const scim = isRec(data.scim) ? data.scim : undefined;
  if (scim && mode === "identity-center") {
    // authentik merges SCIM mappings in name order; the tool's user mapping must
    // sort after authentik's default one or the default's userName would win.
    const slug = isRec(data.authentik) && isRec(data.authentik.application) && typeof data.authentik.application.slug === "string" ? data.authentik.application.slug : "";
    const prefix = typeof provider.propertyMappingPrefix === "string" ? provider.propertyMappingPrefix : `aws-gitops ${slug}`;
    const ours = `${prefix}: AWS SCIM User`;
    // The order is the database's collation: case-insensitive (PostgreSQL's usual
    // en_US.UTF-8) or C (byte order, where "Z" sorts before "a"). It must hold in both.
    const theirs = "authentik default SCIM Mapping: User";
    const before = ours.toLowerCase() <= theirs.toLowerCase() ? "" : ours <= theirs ? " in the database's C (byte-order) collation" : undefined;
    if (before !== undefined) {
      const at: DocPath = provider.propertyMappingPrefix === undefined ? ["scim"] : ["authentik", "provider", "propertyMappingPrefix"];
      error(at, `the SCIM user mapping would be named ${q(ours)}, which sorts before "${theirs}"${before}; authentik merges mappings in name order, so choose a prefix that sorts after it (e.g. the default "aws-gitops <slug>")`, "key");
    }
    if (Array.isArray(scim.groups)) {
      const provisioned = new Set(list(scim.groups).filter((g): g is string => typeof g === "string"));
      for (const [index, mapping] of list(data.mappings).entries()) {
        if (isRec(mapping) && typeof mapping.group === "string" && !provisioned.has(mapping.group)) {
          warn(["mappings", index, "group"], `group ${q(mapping.group)} is not in scim.groups, so authentik's SCIM provider will not provision it to IAM Identity Center`);
        }
      }
    }
  }

  // --- where the SCIM token goes ------------------------------------------------------------
  // apply sends the value of scim.tokenEnv to scim.url: the schema allows only AWS's SCIM
  // endpoint, and neither may be made to carry another secret of the run somewhere else.
  if (scim && typeof scim.url === "string") {
    const scimRegion = /^https:\/\/scim\.([a-z0-9-]+)\.amazonaws\.com\//.exec(scim.url)?.[1];
    const ic = isRec(aws.identityCenter) ? aws.identityCenter : {};
    if (scimRegion && typeof ic.region === "string" && scimRegion !== ic.region) {
      error(["scim", "url"], `'scim.url' is in region ${scimRegion}, but aws.identityCenter.region is ${ic.region}; IAM Identity Center serves SCIM only in the region of its instance`);
    }
  }
  if (scim && typeof scim.tokenEnv === "string") {
    const reserved = reservedVariable(scim.tokenEnv);
    if (reserved) {
      error(["scim", "tokenEnv"], `'scim.tokenEnv' names ${scim.tokenEnv}, ${reserved}; the SCIM token needs a variable of its own, e.g. AWS_SCIM_TOKEN`);
    }
  }

  // --- secrets pasted where they do not belong ----------------------------------------------
  if (scim && typeof scim.tokenEnv === "string" && looksLikeTokenValue(scim.tokenEnv)) {
    error(["scim", "tokenEnv"], "'scim.tokenEnv' looks like the token itself; write the NAME of the environment variable that holds it (e.g. AWS_SCIM_TOKEN) and set that variable in the environment");
  }
  for (const { path, key, code } of findLoneSurrogates(data, [])) {
    error(path, `${key ? `a key in '${describePath(path.slice(0, -1))}'` : `'${describePath(path)}'`} holds half of a UTF-16 surrogate pair (\\u${code}), which is not a character; no API accepts it`, key ? "key" : "value");
  }
  for (const path of findAwsAccessKeys(data, [])) {
    error(path, `'${describePath(path)}' looks like an AWS access key; credentials are never written in the config — they come from the standard AWS credential chain`);
  }
  return out;
}

/** The AWS SDK's variables that carry credentials or say where to find them. */
const AWS_CREDENTIAL_VARIABLES = new Set([
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_SSO_SESSION",
]);

/**
 * Why an environment variable may not hold the SCIM token: it holds another
 * secret (or setting) of the run, which apply would then send to the SCIM
 * endpoint. Names compare case-insensitively (Windows environments do).
 */
export function reservedVariable(name: string): string | undefined {
  const n = name.toUpperCase();
  if (n.startsWith("AUTHENTIK_")) return "a variable the tool reads for its own authentik settings (AUTHENTIK_TOKEN is the authentik API token)";
  if (AWS_CREDENTIAL_VARIABLES.has(n) || n.startsWith("AWS_BEARER_TOKEN_")) return "a variable the AWS SDK reads for credentials";
  if (n.startsWith("GITHUB_") || n === "GH_TOKEN" || n === "GH_ENTERPRISE_TOKEN") return "a variable GitHub sets for workflows (GITHUB_TOKEN is the workflow's token)";
  if (n.startsWith("INPUT_")) return "a variable that holds an input of a GitHub Action step";
  if (n.startsWith("ACTIONS_") || n.startsWith("RUNNER_")) return "a variable the GitHub Actions runner sets for itself";
  return undefined;
}

/** Env-var names are short and usually upper case; tokens are long and mixed. */
function looksLikeTokenValue(value: string): boolean {
  if (value.length > 64) return true;
  const mixed = /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value);
  return value.length >= 24 && mixed;
}

/** Strings and keys holding a lone surrogate (a "\\ud800" escape in a double-quoted YAML string). */
function findLoneSurrogates(value: unknown, path: (string | number)[]): { path: DocPath; key: boolean; code: string }[] {
  const lone = (s: string) => /[\ud800-\udfff]/u.exec(s)?.[0]?.charCodeAt(0).toString(16);
  if (typeof value === "string") {
    const code = lone(value);
    return code ? [{ path, key: false, code }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => findLoneSurrogates(v, [...path, i]));
  if (isRec(value)) {
    return Object.entries(value).flatMap(([k, v]) => {
      const code = lone(k);
      return [...(code ? [{ path: [...path, k], key: true, code }] : []), ...findLoneSurrogates(v, [...path, k])];
    });
  }
  return [];
}

function findAwsAccessKeys(value: unknown, path: (string | number)[]): DocPath[] {
  if (typeof value === "string") return /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/.test(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => findAwsAccessKeys(v, [...path, i]));
  if (isRec(value)) return Object.entries(value).flatMap(([k, v]) => findAwsAccessKeys(v, [...path, k]));
  return [];
}
