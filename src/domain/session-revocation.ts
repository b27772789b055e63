/**
 * The policy document of aws.iam.session_revocation (src/resources/aws-iam-session-revocation.ts),
 * written and read back: pure, so that the IAM reader and the kind share it.
 */
import { byCodePoint } from "./canonical.js";

/** The name of the inline policy on the role; no other inline policy of a role may take it. */
export const REVOCATION_POLICY_NAME = "authentik-aws-gitops-ended-sessions";

/** A session's entry before apply: sessions issued before the moment apply writes the policy. */
export const AT_APPLY = "at apply";

/**
 * How far past the moment it is written the Deny reaches. It is written before the
 * authentik change that removes the access (so that a failed write leaves the access in
 * place, and the next plan shows both again, instead of a removal whose sessions live on):
 * 5 minutes for authentik's SAML response, valid that long by default (its provider's
 * "Assertion not valid on or after": minutes=5; AWS accepts it until then, so a response
 * obtained just before the removal can still be turned into a session after it), plus 10
 * for the rest of the apply to remove the access. Only the people who lose the role are
 * named, and after the removal they get no new response for it, so the margin refuses
 * nothing they are entitled to.
 */
export const REVOCATION_MARGIN_SECONDS = 900;

/**
 * How long an entry is kept after its instant: the longest role session AWS allows (12
 * hours), whatever the role allows today — a maximum lowered later does not shorten a
 * session issued before.
 */
export const LONGEST_SESSION_SECONDS = 43_200;

/** The key of an entry that ends every session of the role issued before its instant (when naming each does not fit). */
export const EVERY_SESSION = "*";

/** IAM: the inline policies of a role add up to at most this many characters (white space not counted). */
export const ROLE_INLINE_POLICY_CHARS = 10_240;

/** The instant sessions must be issued after: the write's time plus the margin, in whole seconds rounded up. */
export function revocationInstant(now: Date): string {
  const ms = Math.ceil(now.getTime() / 1000) * 1000 + REVOCATION_MARGIN_SECONDS * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The size IAM counts for the policy, before apply knows the role's id (AROA + 17 characters) and the instants. */
export function revocationPolicySize(sessions: Readonly<Record<string, string>>): number {
  const filled = Object.fromEntries(Object.keys(sessions).map((k) => [k, "2026-01-01T00:00:00Z"]));
  return JSON.stringify(revocationPolicy("AROAXXXXXXXXXXXXXXXXX", filled)).length;
}

/** The policy document: one Deny per instant, naming the sessions issued before it. */
export function revocationPolicy(roleId: string, sessions: Readonly<Record<string, string>>): Record<string, unknown> {
  const byInstant = new Map<string, string[]>();
  for (const [session, before] of Object.entries(sessions)) byInstant.set(before, [...(byInstant.get(before) ?? []), session]);
  return {
    Version: "2012-10-17",
    Statement: [...byInstant.entries()]
      .sort(([a], [b]) => byCodePoint(a, b))
      .flatMap(([before, all]) => {
        const names = all.filter((n) => n !== EVERY_SESSION).sort(byCodePoint);
        const issued = { DateLessThan: { "aws:TokenIssueTime": before } };
        const sid = `EndSessionsIssuedBefore${before.replace(/[^0-9TZ]/g, "")}`;
        return [
          // Every session of the role (AWS's own AWSRevokeOlderSessions has this shape).
          ...(all.includes(EVERY_SESSION) ? [{ Sid: `${sid}All`, Effect: "Deny", Action: "*", Resource: "*", Condition: issued }] : []),
          ...(names.length ? [{ Sid: sid, Effect: "Deny", Action: "*", Resource: "*", Condition: { StringEquals: { "aws:userid": names.map((n) => `${roleId}:${n}`) }, ...issued } }] : []),
        ];
      }),
  };
}

/** Reads a live policy back into sessions; statements of another shape are counted, not guessed. */
export function readRevocationPolicy(document: unknown): { sessions: Record<string, string>; unreadable: number } {
  const sessions: Record<string, string> = {};
  let unreadable = 0;
  const statements = (document as { Statement?: unknown })?.Statement;
  for (const s of Array.isArray(statements) ? statements : statements ? [statements] : []) {
    const st = s as { Effect?: unknown; Action?: unknown; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };
    // As written, or normalized (src/domain/policy-normalize.ts: single values as one-element lists).
    const one = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
    const ids = st.Condition?.StringEquals?.["aws:userid"];
    const before = one(st.Condition?.DateLessThan?.["aws:TokenIssueTime"]);
    const list = typeof ids === "string" ? [ids] : Array.isArray(ids) ? ids : [];
    const conditions = Object.keys(st.Condition ?? {}).length;
    const denyAll = st.Effect === "Deny" && one(st.Action) === "*" && one(st.Resource) === "*" && typeof before === "string";
    if (denyAll && conditions === 1) {
      // Every session of the role issued before the instant.
      const known = sessions[EVERY_SESSION];
      if (known === undefined || byCodePoint(known, before as string) < 0) sessions[EVERY_SESSION] = before as string;
      continue;
    }
    if (!denyAll || conditions !== 2 || list.length === 0 || !list.every((i) => typeof i === "string" && i.includes(":"))) {
      unreadable++;
      continue;
    }
    for (const id of list as string[]) {
      const session = id.slice(id.indexOf(":") + 1);
      const known = sessions[session];
      // Two statements for one session: the later instant denies more.
      if (known === undefined || byCodePoint(known, before as string) < 0) sessions[session] = before as string;
    }
  }
  return { sessions, unreadable };
}
