/** Policy documents as written in the config: a YAML object or a JSON string. */
export type PolicyDocumentObject = Record<string, unknown>;

export type PolicyParseResult = { ok: true; document: PolicyDocumentObject } | { ok: false; reason: string };

export function parsePolicyDocument(value: unknown): PolicyParseResult {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch (error) {
      return { ok: false, reason: `is not valid JSON (${(error as Error).message})` };
    }
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return { ok: false, reason: "must be a JSON object with Version and Statement" };
  }
  const statement = (doc as Record<string, unknown>).Statement;
  if (statement === undefined) return { ok: false, reason: "has no Statement" };
  const statements = Array.isArray(statement) ? statement : [statement];
  if (statements.length === 0) return { ok: false, reason: "has an empty Statement list" };
  for (const [i, s] of statements.entries()) {
    if (s === null || typeof s !== "object" || Array.isArray(s)) {
      return { ok: false, reason: `statement ${i + 1} is not an object` };
    }
    const effect = (s as Record<string, unknown>).Effect;
    if (effect !== "Allow" && effect !== "Deny") {
      return { ok: false, reason: `statement ${i + 1} needs Effect "Allow" or "Deny"` };
    }
    const st = s as Record<string, unknown>;
    if (st.Action === undefined && st.NotAction === undefined) {
      return { ok: false, reason: `statement ${i + 1} needs Action or NotAction` };
    }
  }
  return { ok: true, document: doc as PolicyDocumentObject };
}

/**
 * Size as IAM counts it for quotas: the JSON without white space.
 * (IAM ignores white space outside strings when checking policy size limits.)
 */
export function policySize(document: PolicyDocumentObject): number {
  return JSON.stringify(document).length;
}
