import { describePath } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import { isRec, type RuleContext } from "./context.js";

/** Secrets pasted where they do not belong, and text no API accepts. */
export function secrets(ctx: RuleContext): void {
  const { data } = ctx;
  const scim = isRec(data.scim) ? data.scim : undefined;
  if (scim && typeof scim.tokenEnv === "string" && looksLikeTokenValue(scim.tokenEnv)) {
    ctx.error(["scim", "tokenEnv"], "'scim.tokenEnv' looks like the token itself; write the NAME of the environment variable that holds it (e.g. AWS_SCIM_TOKEN) and set that variable in the environment");
  }
  for (const { path, key, code } of findLoneSurrogates(data, [])) {
    ctx.error(path, `${key ? `a key in '${describePath(path.slice(0, -1))}'` : `'${describePath(path)}'`} holds half of a UTF-16 surrogate pair (\\u${code}), which is not a character; no API accepts it`, key ? "key" : "value");
  }
  for (const path of findAwsAccessKeys(data, [])) {
    ctx.error(path, `'${describePath(path)}' looks like an AWS access key; credentials are never written in the config — they come from the standard AWS credential chain`);
  }
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
