/**
 * Whether a role's trust policy, as it is live in IAM, lets a SAML sign-in through: an
 * Allow of sts:AssumeRoleWithSAML whose principal is the SAML provider the Role value
 * names and whose conditions hold for an assertion posted to `audience` (SAML:aud is the
 * sign-in endpoint the assertion was posted to, the authentik provider's ACS URL), and no
 * Deny that matches. Pure.
 *
 * It evaluates what a trust policy for SAML usually says — Effect, Action/NotAction,
 * Principal (Federated or "*"), and String conditions on SAML:aud — and says so when a
 * statement depends on anything else (another condition key, NotPrincipal): such a
 * statement is "cannot tell", never silently allowed or refused.
 */

export type TrustVerdict =
  | { allowed: true }
  | { allowed: false; reason: string }
  /** A statement that could decide depends on what verify cannot evaluate. */
  | { unknown: string };

const SAML_ACTION = "sts:assumerolewithsaml";

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

const glob = (pattern: string, value: string, caseless: boolean): boolean => {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, caseless ? "is" : "s");
  return re.test(value);
};

function actionMatches(st: Record<string, unknown>): boolean {
  if (st.NotAction !== undefined) return !list(st.NotAction).some((a) => typeof a === "string" && glob(a, SAML_ACTION, true));
  return list(st.Action).some((a) => typeof a === "string" && glob(a, SAML_ACTION, true));
}

/** true/false, or a reason it cannot be told. */
function principalMatches(st: Record<string, unknown>, samlProviderArn: string): boolean | string {
  if (st.NotPrincipal !== undefined) return "a statement uses NotPrincipal";
  const p = st.Principal;
  if (p === "*") return true;
  if (typeof p !== "object" || p === null) return false;
  const federated = list((p as Record<string, unknown>).Federated);
  return federated.includes(samlProviderArn) || federated.includes("*");
}

/** The operators verify evaluates for SAML:aud (with IfExists: the key is always present in a SAML sign-in). */
const OPERATORS: Record<string, (values: string[], actual: string) => boolean> = {
  stringequals: (vs, a) => vs.includes(a),
  stringnotequals: (vs, a) => !vs.includes(a),
  stringequalsignorecase: (vs, a) => vs.some((v) => v.toLowerCase() === a.toLowerCase()),
  stringnotequalsignorecase: (vs, a) => !vs.some((v) => v.toLowerCase() === a.toLowerCase()),
  stringlike: (vs, a) => vs.some((v) => glob(v, a, false)),
  stringnotlike: (vs, a) => !vs.some((v) => glob(v, a, false)),
};

/** true/false for the statement's conditions with SAML:aud = audience, or why it cannot be told. */
function conditionsHold(st: Record<string, unknown>, audience: string): boolean | string {
  const condition = st.Condition;
  if (condition === undefined) return true;
  if (typeof condition !== "object" || condition === null) return "a statement has a Condition that is not an object";
  for (const [rawOperator, body] of Object.entries(condition as Record<string, unknown>)) {
    const operator = rawOperator.toLowerCase().replace(/^for(any|all)value:/, "").replace(/ifexists$/, "");
    for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
      if (key.toLowerCase() !== "saml:aud") return `a statement's condition ${rawOperator} on ${key} depends on what verify does not evaluate`;
      const test = OPERATORS[operator];
      if (!test) return `a statement's condition operator ${rawOperator} on SAML:aud is not evaluated by verify`;
      if (!test(list(value).map(String), audience)) return false;
    }
  }
  return true;
}

/** The SAML:aud values a statement allows (StringEquals/StringLike), for the reason when the audience is not among them. */
function audiencesOf(st: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [operator, body] of Object.entries((st.Condition ?? {}) as Record<string, unknown>)) {
    if (!/^(?:for(?:any|all)value:)?string(?:equals|like)(?:ignorecase)?(?:ifexists)?$/i.test(operator)) continue;
    for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) if (key.toLowerCase() === "saml:aud") out.push(...list(value).map(String));
  }
  return out;
}

export function evaluateTrust(policy: Record<string, unknown> | null, request: { samlProviderArn: string; audience: string }): TrustVerdict {
  if (!policy) return { allowed: false, reason: "it has no trust policy" };
  const statements = list(policy.Statement).filter((s): s is Record<string, unknown> => typeof s === "object" && s !== null);
  const forAction = statements.filter(actionMatches);
  let unknown: string | undefined;
  // An explicit Deny wins.
  for (const st of forAction.filter((s) => s.Effect === "Deny")) {
    const p = principalMatches(st, request.samlProviderArn);
    const c = p === true ? conditionsHold(st, request.audience) : p;
    if (p === true && c === true) return { allowed: false, reason: `a Deny statement${st.Sid ? ` (${String(st.Sid)})` : ""} refuses sts:AssumeRoleWithSAML from ${request.samlProviderArn}` };
    if (typeof c === "string") unknown ??= `${c} (a Deny statement)`;
  }
  const allows = forAction.filter((s) => s.Effect === "Allow");
  let allowed = false;
  for (const st of allows) {
    const p = principalMatches(st, request.samlProviderArn);
    if (typeof p === "string") {
      unknown ??= p;
      continue;
    }
    if (!p) continue;
    const c = conditionsHold(st, request.audience);
    if (c === true) allowed = true;
    else if (typeof c === "string") unknown ??= c;
  }
  if (unknown !== undefined) return { unknown };
  if (allowed) return { allowed: true };
  // Why not, in words: the nearest miss.
  if (allows.length === 0) return { allowed: false, reason: "its trust policy allows no sts:AssumeRoleWithSAML" };
  const forProvider = allows.filter((s) => principalMatches(s, request.samlProviderArn) === true);
  if (forProvider.length === 0) {
    const trusted = [...new Set(allows.flatMap((s) => list((s.Principal as Record<string, unknown> | undefined)?.Federated).map(String)))];
    return {
      allowed: false,
      reason: `its trust policy allows sts:AssumeRoleWithSAML from ${trusted.length > 0 ? trusted.join(", ") : "no SAML provider"} only, not from ${request.samlProviderArn}, which authentik names in the Role value`,
    };
  }
  const audiences = [...new Set(forProvider.flatMap(audiencesOf))];
  return {
    allowed: false,
    reason:
      audiences.length > 0
        ? `its trust policy allows SAML:aud ${audiences.join(", ")} only, and authentik posts the assertion to ${request.audience} (the SAML provider's ACS URL)`
        : `its trust policy's conditions refuse an assertion posted to ${request.audience} (the SAML provider's ACS URL)`,
  };
}
