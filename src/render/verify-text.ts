/**
 * `verify` in a terminal: the findings person by person (errors, then warnings), and the
 * notes. Every name and reason comes from authentik, AWS or the configuration: shown
 * through safeText, so no control or bidirectional character reaches the terminal.
 */
import type { VerifyFinding, VerifyReport, VerifyScope } from "../domain/verify.js";
import type { Styler } from "./terminal-style.js";
import { safeText } from "./values.js";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "admin in prod (111111111111)", "admin", "prod (…)" or "": what a finding is about besides its subject. */
export function findingWhere(f: Pick<VerifyFinding, "grant" | "account">): string {
  const account = f.account ? (f.account.alias && f.account.alias !== f.account.id ? `${f.account.alias} (${f.account.id})` : f.account.id) : "";
  return [f.grant, account].filter(Boolean).join(" in ");
}

/** The counts line every format starts with. */
export function verifySummary(report: VerifyReport): string {
  const errors = report.findings.filter((f) => f.severity === "error").length;
  const warnings = report.findings.length - errors;
  return (
    `${plural(report.people.length, "person", "people")} checked, ${plural(report.grantsChecked, "sign-in")} followed: ` +
    (report.findings.length === 0 ? "every sign-in works as configured" : [errors ? plural(errors, "error") : "", warnings ? plural(warnings, "warning") : ""].filter(Boolean).join(", "))
  );
}

/** Whom verify checked, in words: "the 2 people the plan affected", "everyone with access: …". Plain text (escape where it lands). */
export function verifyScopeWords(scope: VerifyScope, people: number): string {
  switch (scope) {
    case "affected":
      return `the ${plural(people, "person", "people")} the plan affected`;
    case "shared-link":
      return "everyone with access: the plan changed a link every sign-in goes through";
    case "unnamed":
      return "everyone with access: the plan names no people (review.people)";
    case "everyone":
      return "everyone with access";
  }
}

/** "1 sign-in that does not work", "3 sign-ins that do not work": the error findings, each a sign-in (or a group's) that fails. */
export function brokenSignInsWords(errors: number): string {
  return `${plural(errors, "sign-in")} that ${errors === 1 ? "does" : "do"} not work`;
}

/**
 * One line for a failure message (the CLI's error, the Action's failed step): how many sign-ins
 * do not work and the first few — who, which grant where, which link. Plain text, not escaped:
 * the caller escapes it for where it lands.
 */
export function brokenSignInsLine(report: Pick<VerifyReport, "findings">, maxListed = 5): string {
  const errors = report.findings.filter((f) => f.severity === "error");
  const listed = errors.slice(0, maxListed).map((f) => {
    const where = findingWhere(f);
    return `${f.subject.kind === "group" ? "group " : ""}${f.subject.name}${where ? ` — ${where}` : ""}: ${f.check}`;
  });
  const more = errors.length > listed.length ? `; and ${errors.length - listed.length} more` : "";
  return `verify found ${brokenSignInsWords(errors.length)}: ${listed.join("; ")}${more}`;
}

export function renderVerifyText(report: VerifyReport, style: Styler): string {
  const out: string[] = [];
  out.push(`${style.bold("verify")} ${safeText(report.config)} (${report.mode}), checked at ${report.checkedAt}`);
  out.push("");
  const bySubject = new Map<string, VerifyFinding[]>();
  for (const f of report.findings) {
    const key = `${f.subject.kind}\u0000${f.subject.name}`;
    bySubject.set(key, [...(bySubject.get(key) ?? []), f]);
  }
  for (const findings of bySubject.values()) {
    const subject = findings[0]!.subject;
    const bad = findings.some((f) => f.severity === "error");
    out.push(`${bad ? style.red("✗") : style.yellow("!")} ${subject.kind} ${style.bold(safeText(subject.name))}`);
    for (const f of findings) {
      const label = f.severity === "error" ? style.red("error") : style.yellow("warning");
      const where = findingWhere(f);
      out.push(`    ${label} ${f.check}${where ? ` — ${safeText(where)}` : ""}`);
      out.push(`      ${safeText(f.reason)}`);
    }
    out.push("");
  }
  const clean = report.people.filter((p) => !bySubject.has(`person\u0000${p}`));
  if (clean.length > 0) out.push(`${style.green("✓")} ${plural(clean.length, "person", "people")} without findings: ${clean.map(safeText).join(", ")}`, "");
  if ((report.notes ?? []).length > 0) {
    out.push("Notes:");
    for (const n of report.notes ?? []) out.push(`  - ${safeText(n)}`);
    out.push("");
  }
  const errors = report.findings.some((f) => f.severity === "error");
  out.push((errors ? style.red("✗ ") : style.green("✓ ")) + verifySummary(report) + ".");
  return `${out.join("\n")}\n`;
}
