import { AWS_LIMITS } from "../../domain/aws-quotas.js";
import { CONFIG_TAG, MANAGED_BY_TAG } from "../../domain/plan-types.js";
import { describePath, quoteName as q } from "../paths.js";
import type { DocPath } from "../yaml-source.js";
import { entries, isRec, section, type RuleContext } from "./context.js";

/** The tags the tool writes itself, on every role and permission set. */
const OWN_TAGS = [MANAGED_BY_TAG, CONFIG_TAG];

/**
 * Tags, as AWS will hold them: aws.tags on every role or permission set, with its own
 * tags and the tool's managed-by and managed-by-config. Refused: the tool's two
 * anywhere (it would overwrite them, silently); the prefix aws: in any letter case
 * (the schema refuses it written in lower case); for roles, keys that differ only in
 * letter case (IAM's tag keys are case-insensitive — IAM Identity Center's are not);
 * more than AWS holds (50 per role, 75 per permission set). Tag keys are free text,
 * so messages point at them and never repeat them.
 */
export function tags(ctx: RuleContext): void {
  const globalTags = section(ctx.data, "aws").tags;
  const objects: { path: DocPath; tags: unknown; what: string }[] = [
    ...(ctx.mode === "identity-center" ? [] : entries(ctx.data.roles).map(([name, r]) => ({ path: ["roles", name], tags: isRec(r) ? r.tags : undefined, what: `role ${q(name)}` }))),
    ...(ctx.mode === "classic-iam" ? [] : entries(ctx.data.permissionSets).map(([name, p]) => ({ path: ["permissionSets", name], tags: isRec(p) ? p.tags : undefined, what: `permission set ${q(name)}` }))),
  ];
  const caseInsensitive = ctx.mode === "classic-iam";

  for (const [path, map] of [[["aws", "tags"], globalTags] as const, ...objects.map((o) => [[...o.path, "tags"], o.tags] as const)]) {
    if (!isRec(map)) continue;
    const seen = new Set<string>();
    for (const key of Object.keys(map)) {
      const at: DocPath = [...path, key];
      if (OWN_TAGS.includes(key.toLowerCase())) {
        ctx.error(at, `the tag '${key}' is reserved: the tool sets it to mark what it owns and for which configuration`, "key");
      } else if (/^aws:/i.test(key) && !key.startsWith("aws:")) {
        ctx.error(at, `this tag key in '${describePath(path)}' starts with aws: (in another letter case); AWS reserves the prefix aws: in any letter case for its own tags`, "key");
      }
      const folded = key.toLowerCase();
      if (caseInsensitive && seen.has(folded)) {
        ctx.error(at, `this tag key in '${describePath(path)}' differs from another one there only in letter case; IAM tag keys are case-insensitive, so a role cannot carry both`, "key");
      }
      seen.add(folded);
    }
  }

  // A role's keys against aws.tags: the same key overrides its value; one in another letter case is a second tag IAM refuses.
  const global = isRec(globalTags) ? Object.keys(globalTags) : [];
  if (caseInsensitive) {
    const folded = new Map(global.map((k) => [k.toLowerCase(), k]));
    for (const o of objects) {
      for (const key of isRec(o.tags) ? Object.keys(o.tags) : []) {
        const other = folded.get(key.toLowerCase());
        if (other !== undefined && other !== key) {
          ctx.error([...o.path, "tags", key], `this tag key in '${describePath([...o.path, "tags"])}' differs from one in aws.tags only in letter case; IAM tag keys are case-insensitive, so a role cannot carry both (to give this role another value, write the key as aws.tags does)`, "key");
        }
      }
    }
  }

  // How many: aws.tags and the tool's two on every object, then each object's own.
  if (!ctx.mode || !ctx.typeSound(["aws", "tags"])) return;
  const [limit, kind, holder] = ctx.mode === "classic-iam" ? [AWS_LIMITS.tagsPerRole, "role", "IAM"] : [AWS_LIMITS.tagsPerPermissionSet, "permission set", "IAM Identity Center"];
  const everywhere = global.filter((k) => !OWN_TAGS.includes(k.toLowerCase()));
  if (everywhere.length + OWN_TAGS.length > limit) {
    ctx.error(
      ["aws", "tags"],
      `aws.tags puts ${everywhere.length} tags on every ${kind}, and the tool adds ${MANAGED_BY_TAG} and ${CONFIG_TAG}: ${everywhere.length + OWN_TAGS.length} in all; ${holder} allows at most ${limit} tags per ${kind}`,
      "key",
    );
    return;
  }
  for (const o of objects) {
    if (!isRec(o.tags) || !ctx.typeSound([...o.path, "tags"])) continue;
    const distinct = new Set([...everywhere, ...Object.keys(o.tags).filter((k) => !OWN_TAGS.includes(k.toLowerCase()))]).size;
    if (distinct + OWN_TAGS.length > limit) {
      ctx.error(
        [...o.path, "tags"],
        `${o.what} would carry ${distinct + OWN_TAGS.length} tags: ${distinct} of its own and aws.tags, and the tool's ${MANAGED_BY_TAG} and ${CONFIG_TAG}; ${holder} allows at most ${limit} tags per ${kind}`,
        "key",
      );
    }
  }
}
