/**
 * What every mode's verify shares (issue 21): which people are checked, the report
 * built from the findings of the mode's checks, and the exit code. Pure: inputs in,
 * report out; the mode's checks (classic-iam.ts, …) find, this only assembles.
 */
import { byCodePoint } from "../domain/canonical.js";
import type { VerifyFinding, VerifyReport } from "../domain/verify.js";

export const VERIFY_REPORT_VERSION = 1 as const;

/** Exit codes of `verify`: 0 every checked sign-in works (warnings allowed), 1 a finding is an error, 2 a usage error. */
export const VERIFY_EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/**
 * The people to check: those named (each once, in the order of the names sorted), or
 * everyone who holds some access. Named people authentik does not know are returned
 * in `unknown`, for the caller to refuse.
 */
export function selectPeople(
  holders: readonly string[],
  known: ReadonlySet<string>,
  named: readonly string[] | undefined,
): { people: string[]; unknown: string[] } {
  if (!named || named.length === 0) return { people: [...new Set(holders)].sort(byCodePoint), unknown: [] };
  const wanted = [...new Set(named)].sort(byCodePoint);
  return { people: wanted.filter((n) => known.has(n)), unknown: wanted.filter((n) => !known.has(n)) };
}

const SEVERITY_ORDER: Record<VerifyFinding["severity"], number> = { error: 0, warning: 1 };

/** Findings in a stable order: by subject, then errors first, then grant, account, check and reason; exact repeats dropped. */
export function sortFindings(findings: readonly VerifyFinding[]): VerifyFinding[] {
  const seen = new Set<string>();
  const out: VerifyFinding[] = [];
  for (const f of findings) {
    const key = JSON.stringify([f.severity, f.check, f.subject.kind, f.subject.name, f.grant ?? "", f.account?.id ?? "", f.reason]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out.sort(
    (a, b) =>
      byCodePoint(a.subject.name, b.subject.name) ||
      byCodePoint(a.subject.kind, b.subject.kind) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      byCodePoint(a.grant ?? "", b.grant ?? "") ||
      byCodePoint(a.account?.alias ?? a.account?.id ?? "", b.account?.alias ?? b.account?.id ?? "") ||
      byCodePoint(a.check, b.check) ||
      byCodePoint(a.reason, b.reason),
  );
}

export function buildVerifyReport(input: {
  config: string;
  mode: VerifyReport["mode"];
  checkedAt: Date;
  people: readonly string[];
  grantsChecked: number;
  findings: readonly VerifyFinding[];
  notes?: readonly string[];
}): VerifyReport {
  const findings = sortFindings(input.findings);
  const errors = findings.filter((f) => f.severity === "error").length;
  return {
    version: VERIFY_REPORT_VERSION,
    config: input.config,
    mode: input.mode,
    checkedAt: input.checkedAt.toISOString(),
    people: [...new Set(input.people)].sort(byCodePoint),
    grantsChecked: input.grantsChecked,
    findings,
    notes: [...new Set(input.notes ?? [])],
    summary: { errors, warnings: findings.length - errors },
  };
}

/** 1 when any finding is an error (access does not work as configured); warnings alone are 0. */
export function verifyExitCode(report: Pick<VerifyReport, "findings">): 0 | 1 {
  return report.findings.some((f) => f.severity === "error") ? VERIFY_EXIT.problems : VERIFY_EXIT.ok;
}

/** "prod (111111111111)", or the id alone. */
export function accountWords(account: VerifyFinding["account"]): string {
  if (!account) return "";
  return account.alias && account.alias !== account.id ? `${account.alias} (${account.id})` : account.id;
}

/**
 * The objects of the sign-in chain besides group bindings and assignments: a change to one may
 * affect everyone holding access. identity-center: a permission set (its policies, its
 * provisioning) reaches everyone it is assigned to — the plan's access rows name only who gains
 * or loses it —, the attributes for access control everyone's session, and the SCIM provider and
 * its mappings what reaches the Identity Store.
 */
const CHAIN_TYPES = new Set([
  "aws.iam.role",
  "aws.iam.saml_provider",
  "authentik.saml_provider",
  "authentik.property_mapping",
  "authentik.application",
  "aws.sso.permission_set",
  "aws.sso.access_control_attributes",
  "authentik.scim_provider",
  "authentik.scim_mapping",
]);

type PlanPeople = { access: readonly { people?: { count: number; names?: string[] } }[]; changes: readonly { type: string }[] };

/** Whether the plan changes a link of the chain every sign-in goes through (see CHAIN_TYPES). */
export function changesSharedLink(plan: Pick<PlanPeople, "changes">): boolean {
  return plan.changes.some((c) => CHAIN_TYPES.has(c.type));
}

/**
 * Whom to verify after an apply: the people the plan's access rows name, or everyone
 * (undefined) when the plan changed a link of the chain everyone's sign-in goes through
 * (a role, a SAML provider, a property mapping, the application, a permission set, SCIM) or
 * the plan names no people (review.people: count or off).
 */
export function peopleAffected(plan: PlanPeople): string[] | undefined {
  if (changesSharedLink(plan)) return undefined;
  if (plan.access.some((r) => r.people && r.people.count > 0 && !r.people.names)) return undefined;
  return [...new Set(plan.access.flatMap((r) => r.people?.names ?? []))].sort(byCodePoint);
}
