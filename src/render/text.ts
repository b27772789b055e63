/**
 * The plan for a terminal, in the shape terraform users know: who gains or
 * loses access first (what a reviewer cares about most), then each change with
 * its symbol, then what needs a human, then the counts and the hash.
 *
 * Pure: no I/O, no trailing newline (the caller prints the text as a line).
 * Every string from the plan passes through safeText/formatValue, so a hostile
 * name cannot move the cursor, recolour the terminal or reorder what is shown.
 */
import type { Styler } from "./terminal-style.js";
import type { AccessRow, Change, ExpiringRow, People, PermissionRow, Plan } from "../domain/plan-types.js";
import { actionChangeWords, applicationWords, daysLeftWords, expiryWords, lifetimeWords, renameWords, formatBlock, formatValue, grantKind, isBlockValue, MAX_NAMES_SHOWN, noAccessChange, peopleCount, quote, safeText, statementWords, summaryCounts, expiryWhere, reasonShown, removedChanges, sessionsEndedGroups } from "./values.js";

const INDENT = "      "; // under the address, past the symbol column

/** Text that must stay on one line (addresses, titles, reasons): newlines shown as \n. */
function oneLine(s: string): string {
  return safeText(s).replace(/\r\n|\r|\n/g, "\\n");
}

/** Multi-line text (warnings, manual steps) with its continuation lines indented under the first. */
function hanging(s: string, indent: string): string {
  return safeText(s).replace(/\r\n|\r|\n/g, `\n${indent}`);
}

function symbol(action: Change["action"], style: Styler): string {
  switch (action) {
    case "create":
      return style.green("  +");
    case "update":
      return style.yellow("  ~");
    case "delete":
      return style.red("  -");
    case "replace":
      return `${style.red("-")}/${style.green("+")}`;
    case "adopt":
      return style.bold("  >");
  }
}

/** "3 people: ann, bob, cy" (the first names and a count of the rest when long). */
function peopleText(p: People | undefined): string {
  if (!p) return "";
  if (!p.names || p.names.length === 0) return ` — ${peopleCount(p.count)}`;
  const shown = p.names.slice(0, MAX_NAMES_SHOWN).map(oneLine).join(", ");
  const more = p.names.length > MAX_NAMES_SHOWN ? `, … and ${p.names.length - MAX_NAMES_SHOWN} more` : "";
  return ` — ${peopleCount(p.count)}: ${shown}${more}`;
}

function permissionLines(p: PermissionRow, kind: string, style: Styler): string[] {
  const where = p.accountId ? ` in ${oneLine(p.account)} (${oneLine(p.accountId)})` : p.account ? ` (assigned in ${oneLine(p.account)})` : "";
  const out = [`  ${p.new ? style.green("+") : style.yellow("~")} ${p.new ? "new" : p.change} ${kind} ${quote(p.grant)}${where}${p.people ? peopleText(p.people).replace(" — ", " — held by ") : ""}`];
  for (const m of p.managedPoliciesAdded) out.push(style.green(`${INDENT}+ managed policy ${oneLine(m)}`));
  for (const m of p.managedPoliciesRemoved) out.push(style.red(`${INDENT}- managed policy ${oneLine(m)}`));
  for (const m of p.customerManagedPoliciesAdded) out.push(style.green(`${INDENT}+ customer-managed policy ${oneLine(m)}`));
  for (const m of p.customerManagedPoliciesRemoved) out.push(style.red(`${INDENT}- customer-managed policy ${oneLine(m)}`));
  if (p.permissionsBoundary) out.push(`${INDENT}permissions boundary ${oneLine(p.permissionsBoundary.before ?? "none")} → ${oneLine(p.permissionsBoundary.after ?? "none")}`);
  for (const [sign, list, paint] of [["+", p.added, style.green], ["-", p.removed, style.red]] as const) {
    for (const st of list) {
      const w = statementWords(st);
      out.push(paint(`${INDENT}${sign} ${w.effect} ${oneLine(w.action)} on ${oneLine(w.resource)}${w.condition ? ` if ${oneLine(w.condition)}` : ""}`));
    }
  }
  // What it means in actions (src/plan/action-expansion.ts).
  for (const a of p.actions ?? []) {
    const w = actionChangeWords(a);
    const paint = a.change === "allows" ? style.green : style.red;
    out.push(paint(`${INDENT}${w.headline} (${w.examples.map(oneLine).join(", ")}${w.more ? ", …" : ""})`));
    out.push(`${INDENT}  by ${oneLine(w.source)}: ${oneLine(w.statement)}`);
  }
  for (const u of p.actionsUnread ?? []) out.push(`${INDENT}actions not counted: ${oneLine(u)}`);
  return out;
}

function accessLine(row: AccessRow, kind: string, mode: string, configFile: string): string {
  const gained = row.change === "gained";
  const text =
    row.kind === "application"
      ? `group ${quote(row.group)} ${gained ? "gains" : "loses"} sign-in to application ${quote(row.grant)} (${applicationWords(mode)})`
      : `group ${quote(row.group)} ${gained ? "gains" : "loses"} ${kind} ${quote(row.grant)} in ${oneLine(row.account)} (${oneLine(row.accountId)})`;
  // Why a grant goes (its expiry passed) or how long a new one lasts.
  const expiry = row.expires
    ? ` — ${row.reason === "expired" ? expiryWords(row.expires, true) : expiryWords(row.expires, false)} (${oneLine(row.expires.field)}, ${oneLine(expiryWhere(row.expires, configFile))})`
    : "";
  const line = `${text}${expiry}${peopleText(row.people)}`;
  // Neutral markers: whether a gain is dangerous is for the risks to say, in colour.
  return `  ${gained ? "+" : "-"} ${line}`;
}

function expiringLine(row: ExpiringRow, kind: string, style: Styler, configFile: string): string {
  return `  ${style.yellow("·")} group ${quote(row.group)}: ${kind} ${quote(row.grant)} in ${oneLine(row.account)} (${oneLine(row.accountId)}) ${expiryWords(row.expires, false)} (${daysLeftWords(row.daysLeft)}; ${oneLine(row.expires.field)}, ${oneLine(expiryWhere(row.expires, configFile))})`;
}

/** One line per top-level property; long documents and multi-line text as indented blocks. */
function propLines(props: Record<string, unknown>, paint: (s: string) => string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (isBlockValue(v)) {
      out.push(paint(`${INDENT}${oneLine(k)}:`));
      for (const line of formatBlock(v)) out.push(paint(`${INDENT}  ${line}`));
    } else {
      out.push(paint(`${INDENT}${oneLine(k)}: ${formatValue(v)}`));
    }
  }
  return out;
}

/** A unified diff, indented, with added and removed lines coloured like `git diff`. */
function patchLines(patch: string, style: Styler): string[] {
  return patch.split("\n").map((raw) => {
    const line = `${INDENT}  ${safeText(raw)}`;
    if (raw.startsWith("+++") || raw.startsWith("---")) return style.bold(line);
    if (raw.startsWith("+")) return style.green(line);
    if (raw.startsWith("-")) return style.red(line);
    if (raw.startsWith("@@")) return style.dim(line);
    return line;
  });
}

function changeLines(change: Change, style: Styler, configFile: string): string[] {
  const out = [`${symbol(change.action, style)} ${style.bold(oneLine(change.address))}`];
  out.push(style.dim(`${INDENT}${oneLine(change.title)} — ${oneLine(reasonShown(change, configFile))}`));
  if (change.action === "create") {
    out.push(...propLines(change.after ?? {}, (s) => s));
  } else if (change.action === "delete") {
    // What disappears, dimmed: a reviewer should be able to see what the object held.
    out.push(...propLines(change.before ?? {}, style.dim));
  } else {
    for (const f of change.fields) {
      if (f.patch !== undefined) {
        out.push(`${INDENT}${oneLine(f.field)}:`);
        out.push(...patchLines(f.patch, style));
      } else {
        out.push(`${INDENT}${oneLine(f.field)}: ${formatValue(f.before)} → ${formatValue(f.after)}`);
      }
    }
  }
  return out;
}

export function renderPlanText(plan: Plan, style: Styler): string {
  const out: string[] = [];
  out.push(
    `${style.bold(`${oneLine(plan.tool.name)} plan for ${oneLine(plan.config)}`)} ${style.dim(`(${oneLine(plan.mode)}, ${oneLine(plan.tool.name)} ${oneLine(plan.tool.version)})`)}`,
  );

  if (plan.changes.length > 0) {
    out.push("", style.bold(`Plan: ${summaryCounts(plan.summary)}.`));
    const removed = removedChanges(plan).length;
    if (removed > 0) out.push(style.red(`! This plan deletes or replaces ${removed} ${removed === 1 ? "object" : "objects"} (marked - under Changes).`));
    if (plan.risks && plan.risks.length > 0) {
      out.push("", style.bold(`Risks (${plan.risks.length}):`));
      for (const r of plan.risks) {
        const paint = r.severity === "high" ? style.red : r.severity === "medium" ? style.yellow : (t: string) => t;
        out.push(`  ${paint(`[${r.severity}]`)} ${oneLine(r.rule)}: ${oneLine(r.message)}`);
        out.push(style.dim(`${INDENT}${r.addresses.slice(0, 5).map(oneLine).join(", ")}${r.addresses.length > 5 ? ` and ${r.addresses.length - 5} more` : ""}`));
      }
    }
    out.push("", style.bold("Access changes:"));
    for (const r of plan.renames ?? []) out.push(`  ${style.dim("=")} ${oneLine(renameWords(r))}`);
    if (plan.access.length === 0) out.push(`  ${noAccessChange(plan)}`);
    // What the rows by group cannot show: people whose roles change although no group's do.
    for (const caveat of plan.accessCaveats ?? []) out.push(caveat.startsWith("  ") ? `      ${oneLine(caveat.trim())}` : `  ${style.yellow("!")} ${hanging(caveat, "    ")}`);
    // Losses first: taking access away is what a reviewer must not miss.
    const rows = [...plan.access.filter((r) => r.change === "lost"), ...plan.access.filter((r) => r.change === "gained")];
    for (const row of rows) out.push(accessLine(row, grantKind(plan.mode), plan.mode, plan.config));
    // options.revokeSessions: what the removal does to credentials already issued.
    for (const g of sessionsEndedGroups(plan)) {
      // Each name quoted: a username holding a comma must not read as two people.
      const shown = g.people.length ? g.people.slice(0, MAX_NAMES_SHOWN).map((p) => quote(oneLine(p))).join(", ") : peopleCount(g.count);
      const more = g.people.length > MAX_NAMES_SHOWN ? ` and ${g.people.length - MAX_NAMES_SHOWN} more` : "";
      out.push(`  ${style.red("x")} the live sessions of ${shown}${more} as role ${quote(oneLine(g.grant))} in ${oneLine(g.account)}${g.accountId && g.accountId !== g.account ? ` (${oneLine(g.accountId)})` : ""} will be ended (options.revokeSessions)`);
    }
    if (plan.permissions && plan.permissions.length > 0) {
      out.push("", style.bold("Permission changes:"));
      for (const p of plan.permissions) out.push(...permissionLines(p, grantKind(plan.mode), style));
    }

    out.push("", style.bold("Changes:"));
    for (const change of plan.changes) out.push("", ...changeLines(change, style, plan.config));
  }

  const lifetimes = plan.lifetimes ?? [];
  if (lifetimes.length > 0) {
    out.push("", style.bold("Access that expires, changed by this plan:") + " grants kept whose end is set, moved or removed");
    for (const r of lifetimes) out.push(`  ${style.yellow("~")} group ${quote(r.group)}: ${grantKind(plan.mode)} ${quote(r.grant)} in ${oneLine(r.account)} (${oneLine(r.accountId)}) ${lifetimeWords(r.before, r.after)}${r.field ? ` (${oneLine(r.field)})` : ""}`);
  }
  const expiring = plan.expiring ?? [];
  if (expiring.length > 0) {
    out.push("", style.bold("Access that expires:") + " grants after this plan that end at a set time (mappings[].expires), soonest first");
    for (const row of expiring) out.push(expiringLine(row, grantKind(plan.mode), style, plan.config));
  }

  if (plan.notPruned.length > 0) {
    out.push(
      "",
      style.bold("Not pruned:") + " managed by authentik-aws-gitops but no longer declared; kept because pruning is off (plan with --prune to delete them)",
    );
    for (const n of plan.notPruned) out.push(`  ${style.yellow("·")} ${oneLine(n.address)} ${style.dim(`— ${oneLine(n.title)}`)}`);
  }

  if (plan.warnings.length > 0) {
    out.push("", style.bold("Warnings:"));
    for (const w of plan.warnings) out.push(`  ${style.yellow("!")} ${hanging(w, "    ")}`);
  }

  if (plan.manualSteps.length > 0) {
    out.push("", style.bold("Manual steps") + " (AWS allows these only in its console):");
    plan.manualSteps.forEach((step, i) => {
      const prefix = `  ${i + 1}. [ ] `;
      out.push(`${prefix}${hanging(step, " ".repeat(prefix.length))}`);
    });
  }

  out.push("");
  if (plan.changes.length === 0) out.push(style.green("No changes. authentik and AWS match the configuration."));
  else out.push(style.bold(`Plan: ${summaryCounts(plan.summary)}.`));
  out.push(`Plan hash: ${oneLine(plan.hash)}`);
  return out.join("\n");
}
