import { escapeOneLine } from "../util/safe-text.js";
import type { DocPath } from "./yaml-source.js";

/*
 * What messages may repeat from the file.
 *
 * A message gives a position and a description. It names what the schema
 * defines (property names, allowed values) and the identifiers a file declares
 * (roles, permission sets, account aliases, groups), because "role 'admn' is
 * not defined — did you mean 'admin'?" is what makes an error quick to fix. It
 * never repeats free text (descriptions, display names, tag keys and values,
 * URLs, comments, YAML source around a syntax error) and never an identifier
 * that looks like a credential: a token pasted in the wrong place, or broken
 * into pieces by a stray `,` or `}`, must not come back in the output.
 */

/** Keys whose entries are free text: a tag key is anything a person typed. */
const FREE_TEXT_MAPS = new Set(["tags"]);

/** "mappings[0].roles[1]" — how a person names a place in the file. Free-text keys show as […]. */
export function describePath(path: DocPath): string {
  let out = "";
  for (const [i, part] of path.entries()) {
    const parent = i > 0 ? path[i - 1] : undefined;
    if (typeof part === "number") out += `[${part}]`;
    else if ((typeof parent === "string" && FREE_TEXT_MAPS.has(parent)) || looksLikeSecret(part)) out += "[…]";
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${escapeOneLine(JSON.stringify(part))}]`;
  }
  return out;
}

/**
 * An identifier from the file as a message shows it: quoted, with control
 * characters made visible — or, when it looks like a credential, only its
 * length. Text of fewer than 8 characters is always shown.
 */
export function quoteName(name: string): string {
  if (looksLikeSecret(name)) return `<a name that looks like a secret, ${[...name].length} characters, not shown>`;
  return `'${escapeOneLine(name)}'`;
}

/** An identifier as quoteName shows it, without the quotes (in lists: "its accounts: prod, dev"). */
export function nameText(name: string): string {
  return looksLikeSecret(name) ? `<a name that looks like a secret, ${[...name].length} characters, not shown>` : escapeOneLine(name);
}

/** Whether a message may show this identifier (see quoteName). */
export function showable(name: string): boolean {
  return !looksLikeSecret(name);
}

/**
 * Whether text looks like a credential rather than a name. Names read as
 * words: each run of letters and digits splits (at case changes and digits)
 * into words with vowels, numbers and short acronyms, as `AdministratorAccess`,
 * `data-engineer`, `S3ReadOnly` or `team-2024` do. Tokens and keys do not:
 * `kR7vQ2mX`, hex strings, base64. Runs (text split at anything but letters,
 * digits, + and =) shorter than 8 characters never count, so short names
 * always show.
 */
export function looksLikeSecret(text: string): boolean {
  for (const run of text.match(/[A-Za-z0-9+=]{8,}/g) ?? []) {
    if (runLooksRandom(run)) return true;
  }
  return false;
}

const VOWELS = /[aeiouyAEIOUY]/;

function runLooksRandom(run: string): boolean {
  if (/[+=]/.test(run)) return true; // base64 (a name has no + or = inside a word)
  const hasDigit = /[0-9]/.test(run);
  if (hasDigit && /[a-zA-Z]/.test(run) && (/^[0-9a-f]+$/.test(run) || /^[0-9A-F]+$/.test(run))) return true; // hex
  const words = run.match(/[0-9]+|[A-Z]+(?![a-z])|[A-Z]?[a-z]+/g) ?? [];
  if (words.filter((w) => /^[0-9]/.test(w)).length > 2) return true;
  return !words.every((w) => {
    if (/^[0-9]+$/.test(w)) return true;
    if (/^[A-Z]+$/.test(w)) return w.length <= 5; // an acronym: IAM, EC, AWS
    return w.length >= 2 && VOWELS.test(w) && !/[^aeiouyAEIOUY]{4,}/.test(w);
  });
}

const SECRET_KEY = /(?:^|[_-])?(?:token|secret|password|passwd|private[_-]?key|access[_-]?key|api[_-]?key|credentials?)$/i;

/** Keys under which people paste secrets ("token", "scimToken", "secretAccessKey"...). */
export function looksLikeSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/Env$/.test(key);
}

export const SECRET_KEY_MESSAGE =
  "secrets are never written in the config; the authentik token is read from the AUTHENTIK_TOKEN environment variable, the SCIM token from the variable named by scim.tokenEnv, and AWS credentials from the standard AWS chain";
