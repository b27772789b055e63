import type { DocPath } from "./yaml-source.js";

/** "mappings[0].roles[1]" — how a person names a place in the file. */
export function describePath(path: DocPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

const SECRET_KEY = /(?:^|[_-])?(?:token|secret|password|passwd|private[_-]?key|access[_-]?key|api[_-]?key|credentials?)$/i;

/** Keys under which people paste secrets ("token", "scimToken", "secretAccessKey"...). */
export function looksLikeSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/Env$/.test(key);
}

export const SECRET_KEY_MESSAGE =
  "secrets are never written in the config; the authentik token is read from the AUTHENTIK_TOKEN environment variable, the SCIM token from the variable named by scim.tokenEnv, and AWS credentials from the standard AWS chain";
