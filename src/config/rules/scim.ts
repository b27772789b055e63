import { quoteName as q } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import { isRec, list, section, type RuleContext } from "./context.js";

/**
 * scim (identity-center): the tool's user mapping sorts after authentik's default,
 * the groups mappings name are provisioned, and the token goes only to IAM Identity
 * Center's SCIM endpoint in the instance's region, from a variable of its own.
 */
export function scim(ctx: RuleContext): void {
  const { data, mode } = ctx;
  const scim = isRec(data.scim) ? data.scim : undefined;
  if (!scim) return;
  const provider = section(section(data, "authentik"), "provider");
  if (mode === "identity-center") {
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
      ctx.error(at, `the SCIM user mapping would be named ${q(ours)}, which sorts before "${theirs}"${before}; authentik merges mappings in name order, so choose a prefix that sorts after it (e.g. the default "aws-gitops <slug>")`, "key");
    }
    if (Array.isArray(scim.groups) && ctx.typeSound(["scim", "groups"])) {
      const provisioned = new Set(list(scim.groups).filter((g): g is string => typeof g === "string"));
      for (const [index, mapping] of list(data.mappings).entries()) {
        if (isRec(mapping) && typeof mapping.group === "string" && !provisioned.has(mapping.group)) {
          ctx.warn(["mappings", index, "group"], `group ${q(mapping.group)} is not in scim.groups, so authentik's SCIM provider will not provision it to IAM Identity Center`);
        }
      }
    }
  }

  // Where the SCIM token goes: apply sends the value of scim.tokenEnv to scim.url. The
  // schema allows only AWS's SCIM endpoint, and neither may be made to carry another
  // secret of the run somewhere else.
  if (typeof scim.url === "string") {
    const scimRegion = /^https:\/\/scim\.([a-z0-9-]+)\.amazonaws\.com\//.exec(scim.url)?.[1];
    const ic = section(section(data, "aws"), "identityCenter");
    if (scimRegion && typeof ic.region === "string" && scimRegion !== ic.region) {
      ctx.error(["scim", "url"], `'scim.url' is in region ${scimRegion}, but aws.identityCenter.region is ${ic.region}; IAM Identity Center serves SCIM only in the region of its instance`);
    }
  }
  if (typeof scim.tokenEnv === "string") {
    const reserved = reservedVariable(scim.tokenEnv);
    if (reserved) {
      ctx.error(["scim", "tokenEnv"], `'scim.tokenEnv' names ${scim.tokenEnv}, ${reserved}; the SCIM token needs a variable of its own, e.g. AWS_SCIM_TOKEN`);
    }
  }
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
