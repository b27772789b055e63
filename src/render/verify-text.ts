/**
 * `verify` in a terminal: the findings person by person (errors, then warnings), and the
 * notes. Every name and reason comes from authentik, AWS or the configuration: shown
 * through safeText, so no control or bidirectional character reaches the terminal.
 *
 * Where verify runs unasked (after an apply, in the Action) review.people decides whether
 * people are named: with `count` or `off` the findings are counted per link, grant and
 * account (countedFindings), and a reason that names a person is withheld.
 */
import type { PeopleShown, VerifyFinding, VerifyReport, VerifyScope } from "../domain/verify.js";
import type { Styler } from "./terminal-style.js";
import { safeText } from "./values.js";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "admin in prod (111111111111)", "admin", "prod (…)" or "": what a finding is about besides its subject. */
export function findingWhere(f: Pick<VerifyFinding, "grant" | "account">): string {
  const account = f.account ? (f.account.alias && f.account.alias !== f.account.id ? `${f.account.alias} (${f.account.id})` : f.account.id) : "";
  return [f.grant, account].filter(Boolean).join(" in ");
}

/** The counts line every format starts with (review.people: off counts no people). */
export function verifySummary(report: VerifyReport, people: PeopleShown = "names"): string {
  const errors = report.findings.filter((f) => f.severity === "error").length;
  const warnings = report.findings.length - errors;
  return (
    `${people === "off" ? "" : `${plural(report.people.length, "person", "people")} checked, `}${plural(report.grantsChecked, "sign-in")} followed: ` +
    (report.findings.length === 0 ? "every sign-in works as configured" : [errors ? plural(errors, "error") : "", warnings ? plural(warnings, "warning") : ""].filter(Boolean).join(", "))
  );
}

/** Whom verify checked, in words: "the 2 people the plan affected", "everyone with access: …". Plain text (escape where it lands). */
export function verifyScopeWords(scope: VerifyScope, people: number, shown: PeopleShown = "names"): string {
  switch (scope) {
    case "affected":
      return shown === "off" ? "the people the plan affected" : `the ${plural(people, "person", "people")} the plan affected`;
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
export function brokenSignInsLine(report: Pick<VerifyReport, "findings" | "people">, maxListed = 5, people: PeopleShown = "names"): string {
  const errors = report.findings.filter((f) => f.severity === "error");
  const items = people === "names" ? errors.map((f) => ({ ...f, who: `${f.subject.kind === "group" ? "group " : ""}${f.subject.name}` })) : countedFindings(report, people).filter((f) => f.severity === "error");
  const listed = items.slice(0, maxListed).map((f) => {
    const where = findingWhere(f);
    return `${f.who}${where ? ` — ${where}` : ""}: ${f.check}`;
  });
  const more = items.length > listed.length ? `; and ${items.length - listed.length} more` : "";
  return `verify found ${brokenSignInsWords(errors.length)}: ${listed.join("; ")}${more}`;
}

/** A finding as shown without naming a person: whom it concerns in words ("group engineers", "2 people"), the reason or why it is withheld. */
export interface CountedFinding extends Omit<VerifyFinding, "subject"> {
  who: string;
}

const WITHHELD = { count: "(not shown: the reason names the person, and review.people is count)", off: "(not shown: the reason names the person, and review.people is off)" } as const;

/**
 * The findings without people's names (review.people: count or off): the findings about people
 * merged per severity, link, grant, account and reason, and counted ("2 people"; "people" with
 * off); a reason that holds the name of someone checked is withheld. Groups are named as the
 * plan names them. In the report's order (by the first finding of each).
 */
export function countedFindings(report: Pick<VerifyReport, "findings" | "people">, people: Exclude<PeopleShown, "names">): CountedFinding[] {
  const names = [...new Set([...report.people, ...report.findings.filter((f) => f.subject.kind === "person").map((f) => f.subject.name)])].filter((n) => n.length > 0);
  const merged = new Map<string, { finding: VerifyFinding; reason: string; people: Set<string> }>();
  for (const f of report.findings) {
    const reason = names.some((n) => f.reason.includes(n)) ? WITHHELD[people] : f.reason;
    const key = JSON.stringify([f.severity, f.check, f.subject.kind, f.subject.kind === "group" ? f.subject.name : "", f.grant ?? "", f.account?.id ?? "", reason]);
    const entry = merged.get(key) ?? { finding: f, reason, people: new Set<string>() };
    if (f.subject.kind === "person") entry.people.add(f.subject.name);
    merged.set(key, entry);
  }
  const order = (f: VerifyFinding) => (f.severity === "error" ? 0 : 1);
  return [...merged.values()]
    .sort((a, b) => order(a.finding) - order(b.finding))
    .map(({ finding: { subject, ...rest }, reason, people: who }) => ({
      ...rest,
      reason,
      who: subject.kind === "group" ? `group ${subject.name}` : people === "off" ? "people" : plural(who.size, "person", "people"),
    }));
}

export function renderVerifyText(report: VerifyReport, style: Styler, people: PeopleShown = "names"): string {
  if (people !== "names") return renderCountedText(report, style, people);
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

/** renderVerifyText without people's names (review.people: count or off). */
function renderCountedText(report: VerifyReport, style: Styler, people: Exclude<PeopleShown, "names">): string {
  const out: string[] = [`${style.bold("verify")} ${safeText(report.config)} (${report.mode}), checked at ${report.checkedAt} — review.people: ${people}, no names shown`, ""];
  for (const f of countedFindings(report, people)) {
    const label = f.severity === "error" ? style.red("error") : style.yellow("warning");
    const where = findingWhere(f);
    out.push(`${f.severity === "error" ? style.red("✗") : style.yellow("!")} ${safeText(f.who)}: ${label} ${f.check}${where ? ` — ${safeText(where)}` : ""}`);
    out.push(`      ${safeText(f.reason)}`);
  }
  if (report.findings.length > 0) out.push("");
  const errors = report.findings.some((f) => f.severity === "error");
  out.push((errors ? style.red("✗ ") : style.green("✓ ")) + verifySummary(report, people) + ".");
  return `${out.join("\n")}\n`;
}
