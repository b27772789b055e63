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
 * How long after the removal sessions are still refused: authentik's SAML response is
 * valid for 5 minutes (its provider's default "Assertion not valid on or after":
 * minutes=5), and AWS accepts it until then — so a response obtained just before the
 * removal can still be turned into a session after it. Only the people who lost the role
 * are named, and they can get no new response for it, so the margin refuses nothing
 * they are entitled to.
 */
export const ASSERTION_VALIDITY_SECONDS = 300;

/** The instant sessions must be issued after: apply's time plus the assertion's validity, in whole seconds rounded up. */
export function revocationInstant(now: Date): string {
  const ms = Math.ceil(now.getTime() / 1000) * 1000 + ASSERTION_VALIDITY_SECONDS * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The policy document: one Deny per instant, naming the sessions issued before it. */
export function revocationPolicy(roleId: string, sessions: Readonly<Record<string, string>>): Record<string, unknown> {
  const byInstant = new Map<string, string[]>();
  for (const [session, before] of Object.entries(sessions)) byInstant.set(before, [...(byInstant.get(before) ?? []), session]);
  return {
    Version: "2012-10-17",
    Statement: [...byInstant.entries()]
      .sort(([a], [b]) => byCodePoint(a, b))
      .map(([before, names]) => ({
        Sid: `EndSessionsIssuedBefore${before.replace(/[^0-9TZ]/g, "")}`,
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: {
          StringEquals: { "aws:userid": names.sort(byCodePoint).map((n) => `${roleId}:${n}`) },
          DateLessThan: { "aws:TokenIssueTime": before },
        },
      })),
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
    const whole = st.Effect === "Deny" && one(st.Action) === "*" && one(st.Resource) === "*" && Object.keys(st.Condition ?? {}).length === 2;
    if (!whole || typeof before !== "string" || list.length === 0 || !list.every((i) => typeof i === "string" && i.includes(":"))) {
      unreadable++;
      continue;
    }
    for (const id of list as string[]) {
      const session = id.slice(id.indexOf(":") + 1);
      const known = sessions[session];
      // Two statements for one session: the later instant denies more.
      if (known === undefined || byCodePoint(known, before) < 0) sessions[session] = before;
    }
  }
  return { sessions, unreadable };
}
