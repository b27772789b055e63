/**
 * The plan as a pull-request comment (GitHub-flavoured markdown), in the order
 * a reviewer reads it: the counts and any deletion, who gains or loses access,
 * then each change folded in <details>, then what needs a human, then the hash
 * and commit the plan was made for.
 *
 * Everything taken from the plan is escaped for where it lands (table cell,
 * code span, HTML summary, fenced block, list item): a group called
 * `x|</details><img src=…>` must read as that name, not break the layout.
 * The options title, statusLine, marker and fullPlanHint are the caller's own
 * markdown and are used as given.
 *
 * GitHub refuses comments over 65,536 characters, so with `maxLength` the text
 * is cut to fit: the head (counts, deletion warning, access diff) and the
 * footer (hash) are kept, changes are dropped from the end, open <details> and
 * fences are closed, and a notice says how much is shown.
 */
import type { AccessRow, Change, ExpiringRow, People, PermissionRow, Plan, Risk } from "../domain/plan-types.js";
import { actionChangeWords, daysLeftWords, expiryWords, lifetimeWords, renameWords, formatBlock, formatValue, grantKind, isBlockValue, MAX_NAMES_SHOWN, noAccessChange, peopleCount, safeText, SEVERITY_MARK, statementWords, summaryCounts, expiryWhere, reasonShown, removedChanges } from "./values.js";

export interface MarkdownOptions {
  /** Total length not to exceed (in UTF-16 code units, which never undercounts GitHub's characters). */
  maxLength?: number;
  /** The commit the plan was made for, shown in the footer. */
  commit?: string;
  /** A hidden HTML comment put first, by which the action finds its earlier comment to update. */
  marker?: string;
  /** Replaces the default "### authentik-aws-gitops plan for `file`" heading. */
  title?: string;
  /** A line under the title (e.g. "Applied in run #42" or "Plan failed"). */
  statusLine?: string;
  /** Where the whole plan can be read when this text is cut short. */
  fullPlanHint?: string;
}

/** At most this many deleted addresses in the warning; the rest are counted (and all are under Changes). */
const MAX_LISTED_DELETIONS = 50;

// ---- escaping ------------------------------------------------------------------------------

/** Text kept on one line, unsafe characters visible, newlines shown as \n. */
function oneLine(s: string): string {
  return safeText(s).replace(/\r\n|\r|\n/g, "\\n");
}

/**
 * `@name` in a comment notifies that user or team. GitHub does not link
 * mentions inside code, so a would-be mention in prose is put in <code>: it
 * reads and copies exactly as written, unlike an invisible character after
 * the @, which breaks copy-and-grep. (Addresses are in code spans anyway.) The pattern is
 * GitHub's: an @ not preceded by a word character (so `admin@prod` is no
 * mention), then a login or org/team.
 */
const MENTION = /(?<![A-Za-z0-9_])(@[A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)?)/;

/** Splits text into [prose, mention, prose, mention, …, prose]. */
function splitMentions(s: string): string[] {
  return s.split(new RegExp(MENTION.source, "g"));
}

/**
 * What a name must never spell in anything written: the delimiters of an HTML comment
 * (only the Action's own hidden lines may open one — the plan comment's markers and
 * its reviewed-plan data) and the markers' words. Text holding one is shown with the
 * characters as entities or escapes, never raw.
 */
const MARKUP = /<!--|-->|authentik-aws-gitops:/i;

/**
 * GitHub links bare URLs (`https://…`, `www.…`) and e-mail addresses in text, and
 * neither a backslash escape nor an entity stops it (its parser joins the text back
 * together before it looks). A name is no link: the punctuation that makes one is put
 * in an empty-looking `<span>`, which splits the text where the linker looks, reads
 * and copies the same, and is kept by GitHub. The marker words get the same, so no
 * name spells them. For text already escaped for where it lands (entities, backslashes).
 */
function unlink(s: string): string {
  return s
    .replace(/([A-Za-z0-9]):(?=\/\/)/g, "$1<span>:</span>")
    .replace(/(www)\./gi, "$1<span>.</span>")
    .replace(/@/g, "<span>@</span>")
    .replace(/(authentik-aws-gitops):/gi, "$1<span>:</span>");
}

/** One line, with HTML's special characters as entities. */
function escapeHtml(s: string): string {
  return oneLine(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Text inside an HTML block (the <summary> line that opens a <details>, a <pre>): GitHub
 * reads no markdown there and links nothing, so HTML escaping does, and the marker words
 * are split.
 */
function html(s: string): string {
  return escapeHtml(s).replace(/(authentik-aws-gitops):/gi, "$1<span>:</span>");
}

/**
 * Text inside inline HTML within markdown (a <code> in a table cell or a list item):
 * GitHub still reads markdown between the tags, where `[x](https://…)` would be a link,
 * so markdown's punctuation goes as entities too, and links are broken (unlink).
 */
function htmlInline(s: string): string {
  return unlink(escapeHtml(s).replace(/[\\`*_[\]()!~|]/g, (ch) => `&#${ch.charCodeAt(0)};`));
}

/** For raw HTML prose (the <summary> line, where markdown is not processed). */
function htmlText(s: string): string {
  return splitMentions(oneLine(s))
    .map((part, i) => (i % 2 === 1 ? `<code>${part}</code>` : html(part)))
    .join("");
}

/** Markdown punctuation backslash-escaped and HTML as entities, within one line of text. */
function escapeInline(s: string): string {
  return s
    .replace(/[\\`*_[\]{}()#+!|~]/g, "\\$&")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * Plain text inside markdown (list items, table cells, alerts): markdown
 * punctuation backslash-escaped, HTML as entities, what would start a block
 * (a list marker, a heading) neutralised, and would-be mentions in <code>.
 * Line breaks become <br> so the text stays one source line and cannot end a
 * list item or a table row.
 */
export function mdText(s: string): string {
  const lines = safeText(s)
    .split(/\r\n|\r|\n/)
    .map((line) =>
      splitMentions(line)
        .map((part, i) => {
          // Raw <code> rather than a backtick span: an escaped backtick just before it cannot pair with it.
          if (i % 2 === 1) return `<code>${part}</code>`;
          const text = unlink(escapeInline(part));
          // Only the line's start can begin a block: "-" or "=" a list or a setext heading, "1." an ordered list.
          return i > 0 ? text : text.replace(/^(\s*)([-=])/, "$1\\$2").replace(/^(\s*\d+)([.)])/, "$1\\$2");
        })
        .join(""),
    );
  return lines.join("<br>");
}

/**
 * An inline code span that no backtick in the content can close early. Text that
 * holds markup a name must not spell (MARKUP) goes in <code> with entities instead,
 * since a code span shows its content, and writes it, exactly as given.
 */
export function code(s: string): string {
  if (MARKUP.test(s)) return `<code>${htmlInline(s)}</code>`;
  const text = oneLine(s);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const tick = "`".repeat(longest + 1);
  // A space on each side keeps a leading/trailing backtick or space from being eaten (CommonMark strips one each side).
  const pad = /^[` ]|[` ]$/.test(text) ? " " : "";
  return `${tick}${pad}${text}${pad}${tick}`;
}

/** A table cell: an unescaped "|" would split it (GFM honours "\|" even inside code spans). */
function cell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

export function row(cells: string[]): string {
  return `| ${cells.map(cell).join(" | ")} |`;
}

/**
 * A fenced block that no backtick run in the content can close: the fence is longer
 * than any run. Lines that hold markup a name must not spell (MARKUP) make it a
 * <pre> block with entities instead (a fence writes its content as given).
 */
export function fence(lines: string[], lang = ""): string[] {
  if (lines.some((l) => MARKUP.test(l))) return ["<pre>", ...lines.map((l) => html(l)), "</pre>"];
  const longest = Math.max(0, ...lines.flatMap((l) => (l.match(/`+/g) ?? []).map((run) => run.length)));
  const marker = "`".repeat(Math.max(3, longest + 1));
  return [`${marker}${lang}`, ...lines, marker];
}

// ---- sections ------------------------------------------------------------------------------

const SYMBOL: Record<Change["action"], string> = { adopt: ">", create: "+", update: "~", delete: "-", replace: "-/+" };
const VERB: Record<Change["action"], string> = { adopt: "adopt", create: "create", update: "update", delete: "delete", replace: "replace" };

/** People as a cell: the count and the names, folded when there are many (review.people: count gives no names). */
function peopleCell(p: People | undefined): string {
  if (!p) return "";
  if (!p.names || p.names.length === 0) return peopleCount(p.count);
  const names = p.names.map((n) => `<code>${htmlInline(n)}</code>`).join(", ");
  if (p.names.length <= MAX_NAMES_SHOWN) return `${peopleCount(p.count)}: ${names}`;
  return `<details><summary>${peopleCount(p.count)}</summary>${names}</details>`;
}

function risksSection(risks: readonly Risk[]): string[] {
  const out = [row(["Severity", "Rule", "Finding", "Changes"]), "| --- | --- | --- | --- |"];
  for (const r of risks) {
    const shown = r.addresses.slice(0, 5).map(code).join(", ");
    const more = r.addresses.length > 5 ? ` and ${r.addresses.length - 5} more` : "";
    out.push(row([`${SEVERITY_MARK[r.severity] ?? ""} **${r.severity}**`, code(r.rule), mdText(r.message), `${shown}${more}`]));
  }
  return out;
}

function permissionsSection(rows: readonly PermissionRow[], mode: string): string[] {
  const kind = grantKind(mode);
  const out: string[] = [];
  for (const p of rows) {
    const where = p.accountId ? ` in ${mdText(p.account)} (${code(p.accountId)})` : p.account ? ` (assigned in ${mdText(p.account)})` : "";
    const who = p.people ? ` — held by ${peopleCell(p.people)}` : "";
    out.push(`- **${p.new ? "new" : p.change}** ${kind} ${code(p.grant)}${where}${who}`);
    for (const m of p.managedPoliciesAdded) out.push(`  - **+** managed policy ${code(m)}`);
    for (const m of p.managedPoliciesRemoved) out.push(`  - **−** managed policy ${code(m)}`);
    for (const m of p.customerManagedPoliciesAdded) out.push(`  - **+** customer-managed policy ${code(m)}`);
    for (const m of p.customerManagedPoliciesRemoved) out.push(`  - **−** customer-managed policy ${code(m)}`);
    if (p.permissionsBoundary) out.push(`  - permissions boundary ${code(p.permissionsBoundary.before ?? "none")} → ${code(p.permissionsBoundary.after ?? "none")}`);
    for (const [sign, list] of [["**+**", p.added], ["**−**", p.removed]] as const) {
      for (const st of list) {
        const w = statementWords(st);
        out.push(`  - ${sign} ${w.effect} ${code(w.action)} on ${code(w.resource)}${w.condition ? ` if ${code(w.condition)}` : ""}`);
      }
    }
    for (const a of p.actions ?? []) {
      const w = actionChangeWords(a);
      out.push(`  - ${mdText(w.headline)} (${w.examples.map(code).join(", ")}${w.more ? ", …" : ""}) — ${mdText(w.source)}: ${code(w.statement)}`);
    }
    for (const u of p.actionsUnread ?? []) out.push(`  - actions not counted: ${mdText(u)}`);
  }
  return out;
}

function accessTable(rows: readonly AccessRow[], mode: string): string[] {
  const kind = grantKind(mode);
  const heading = kind === "role" ? "Role" : "Permission set";
  const withPeople = rows.some((r) => r.people);
  const out = withPeople
    ? [row(["Change", "Group", `${heading}`, "Account", "People"]), "| --- | --- | --- | --- | --- |"]
    : [row(["Change", "Group", `${heading}`, "Account"]), "| --- | --- | --- | --- |"];
  // Losses first: taking access away is what a reviewer must not miss.
  const ordered = [...rows.filter((r) => r.change === "lost"), ...rows.filter((r) => r.change === "gained")];
  for (const r of ordered) {
    const expiry = r.expires ? `<br>${mdText(expiryWords(r.expires, r.reason === "expired"))} (${code(r.expires.field)})` : "";
    out.push(
      row([
        `${r.change === "lost" ? "🔴 **loses**" : "🟢 gains"}${expiry}`,
        code(r.group),
        r.kind === "application" ? `sign-in to application ${code(r.grant)}` : code(r.grant),
        r.kind === "application" ? "authentik (tile and SCIM provisioning)" : `${mdText(r.account)} (${code(r.accountId)})`,
        ...(withPeople ? [peopleCell(r.people)] : []),
      ]),
    );
  }
  return out;
}

/** At most this many rows of access that expires in the comment's head; the rest are counted (the JSON has all). */
const MAX_EXPIRING_ROWS = 50;

function expiringSection(rows: readonly ExpiringRow[], mode: string, configFile: string): string[] {
  const kind = grantKind(mode);
  const out = [row(["Group", kind === "role" ? "Role" : "Permission set", "Account", "Expires", "Left", "Where"]), "| --- | --- | --- | --- | --- | --- |"];
  for (const r of rows.slice(0, MAX_EXPIRING_ROWS)) {
    out.push(row([code(r.group), code(r.grant), `${mdText(r.account)} (${code(r.accountId)})`, code(r.expires.value), daysLeftWords(r.daysLeft), `${code(r.expires.field)} ${mdText(expiryWhere(r.expires, configFile))}`]));
  }
  if (rows.length > MAX_EXPIRING_ROWS) out.push("", `… and ${rows.length - MAX_EXPIRING_ROWS} more (all in the plan JSON's \`expiring\`).`);
  return out;
}

/** Properties as a two-column table; multi-line text and big documents as blocks under it. */
function propsSection(props: Record<string, unknown>, label: string): string[] {
  const out: string[] = [];
  const blocks: string[] = [];
  const table = [row(["Field", label]), "| --- | --- |"];
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (isBlockValue(v)) {
      table.push(row([code(k), "_(below)_"]));
      blocks.push("", `${code(k)}:`, "", ...fence(formatBlock(v)));
    } else {
      table.push(row([code(k), code(formatValue(v))]));
    }
  }
  if (table.length > 2) out.push(...table);
  out.push(...blocks);
  return out;
}

/**
 * Fields with a before and an after value as a table; fields shown as a
 * unified diff (policy documents, expressions) each as their own block under
 * it, since no Before or After cell could hold them.
 */
function fieldsSection(change: Change): string[] {
  const out: string[] = [];
  const table = [row(["Field", "Before", "After"]), "| --- | --- | --- |"];
  const diffs: string[] = [];
  for (const f of change.fields) {
    if (f.patch !== undefined) {
      diffs.push("", `${code(f.field)} (diff, live → configured):`, "", ...fence(f.patch.split("\n").map(safeText), "diff"));
    } else {
      table.push(row([code(f.field), code(formatValue(f.before)), code(formatValue(f.after))]));
    }
  }
  if (table.length > 2) out.push(...table);
  out.push(...diffs);
  return out;
}

/**
 * One change, folded: the summary line says what and why; the body shows the
 * fields, then which changes of this plan it waits for (a dependency that
 * does not change needs no waiting; apply orders only what it changes).
 */
function changeBlock(change: Change, inPlan: ReadonlySet<string>, configFile: string): string[] {
  const summary = `<code>${html(SYMBOL[change.action])}</code> ${VERB[change.action]} <code>${html(change.address)}</code> — ${htmlText(change.title)}: ${htmlText(reasonShown(change, configFile))}`;
  let body: string[];
  if (change.action === "create") body = propsSection(change.after ?? {}, "Value");
  else if (change.action === "delete") body = propsSection(change.before ?? {}, "Value (deleted)");
  else body = fieldsSection(change);
  const waitsFor = change.dependsOn.filter((d) => d !== change.address && inPlan.has(d));
  if (waitsFor.length > 0) {
    body.push("", `Runs after: ${waitsFor.map(code).join(", ")}`);
  }
  // The blank lines after <summary> and before </details> switch GitHub back to markdown inside the HTML block.
  return [`<details><summary>${summary}</summary>`, "", ...(body.length > 0 ? body : ["_(no fields)_"]), "", "</details>"];
}

/** Grants kept whose end is set, moved or removed: before → after (lifetimes.ts). */
function lifetimeSection(plan: Plan): string[] {
  const rows = plan.lifetimes ?? [];
  if (rows.length === 0) return [];
  const out = ["Changed by this plan:", "", row(["Group", grantKind(plan.mode) === "role" ? "Role" : "Permission set", "Account", "Before → after", "Where"]), "| --- | --- | --- | --- | --- |"];
  for (const r of rows) {
    out.push(row([code(r.group), code(r.grant), `${mdText(r.account)} (${code(r.accountId)})`, `${r.before === null ? "permanent" : code(r.before)} → ${r.after === null ? "**permanent**" : code(r.after)}<br>${mdText(lifetimeWords(r.before, r.after))}`, r.field ? code(r.field) : ""]));
  }
  return out;
}

/** Grants only re-created under another name or place (renames.ts). */
function renamesSection(plan: Plan): string[] {
  return (plan.renames ?? []).map((r) => `- 🔁 ${mdText(renameWords(r))} (${r.addresses.length} changes re-create it)`);
}

function deletionWarning(plan: Plan): string[] {
  const removed = removedChanges(plan);
  if (removed.length === 0) return [];
  const deletes = removed.filter((c) => c.action === "delete").length;
  const replaces = removed.length - deletes;
  const what = [deletes ? `deletes ${deletes} ${deletes === 1 ? "object" : "objects"}` : "", replaces ? `replaces ${replaces} (delete, then create)` : ""]
    .filter(Boolean)
    .join(" and ");
  const out = ["> [!WARNING]", `> **This plan ${what}:**`];
  for (const c of removed.slice(0, MAX_LISTED_DELETIONS)) {
    out.push(`> - ${code(c.address)} — ${mdText(c.title)}${c.action === "replace" ? " _(replaced)_" : ""}${c.expired ? ` _(${mdText(expiryWords(c.expired, true))})_` : ""}`);
  }
  if (removed.length > MAX_LISTED_DELETIONS) out.push(`> - … and ${removed.length - MAX_LISTED_DELETIONS} more (all listed under Changes)`);
  return out;
}

interface Parts {
  head: string[];
  changes: string[][];
  tail: string[];
  footer: string[];
}

function buildParts(plan: Plan, options: MarkdownOptions): Parts {
  const head: string[] = [];
  if (options.marker) head.push(options.marker);
  head.push(options.title ?? `### ${mdText(plan.tool.name)} plan for ${code(plan.config)}`);
  if (options.statusLine) head.push("", options.statusLine);
  head.push("");
  if (plan.changes.length === 0) {
    head.push("**No changes.** authentik and AWS match the configuration.");
  } else {
    head.push(`**${summaryCounts(plan.summary)}** · mode ${code(plan.mode)}`);
    const warning = deletionWarning(plan);
    if (warning.length > 0) head.push("", ...warning);
    if (plan.risks && plan.risks.length > 0) head.push("", `#### ⚠️ Risks (${plan.risks.length})`, "", ...risksSection(plan.risks));
    head.push("", "#### Access changes", "");
    const renames = renamesSection(plan);
    if (renames.length > 0) head.push(...renames, "");
    head.push(...(plan.access.length > 0 ? accessTable(plan.access, plan.mode) : [noAccessChange(plan)]));
    if (plan.accessCaveats?.length) head.push("", ...plan.accessCaveats.map((c) => (c.startsWith("  ") ? `  - ${mdText(c.trim())}` : `- ⚠️ ${mdText(c)}`)));
    if (plan.permissions && plan.permissions.length > 0) head.push("", "#### Permission changes", "", ...permissionsSection(plan.permissions, plan.mode));
  }
  const expiring = plan.expiring ?? [];
  const lifetimes = lifetimeSection(plan);
  if (expiring.length > 0 || lifetimes.length > 0) head.push("", "#### Access that expires");
  if (lifetimes.length > 0) head.push("", ...lifetimes);
  if (expiring.length > 0) head.push("", "Grants after this plan that end at a set time (`mappings[].expires`), soonest first:", "", ...expiringSection(expiring, plan.mode, plan.config));
  if (plan.changes.length > 0) head.push("", `#### Changes (${plan.changes.length})`);

  // Each change block is preceded by a blank line so it starts its own HTML block.
  const inPlan = new Set(plan.changes.map((c) => c.address));
  const changes = plan.changes.map((c) => ["", ...changeBlock(c, inPlan, plan.config)]);

  const tail: string[] = [];
  if (plan.notPruned.length > 0) {
    tail.push("", "#### Not pruned", "", "Managed by authentik-aws-gitops but no longer declared; kept because pruning is off (plan with `--prune` to delete them):", "");
    for (const n of plan.notPruned) tail.push(`- ${code(n.address)} — ${mdText(n.title)}`);
  }
  if (plan.warnings.length > 0) {
    tail.push("", "#### Warnings", "");
    for (const w of plan.warnings) tail.push(`- ${mdText(w)}`);
  }
  if (plan.manualSteps.length > 0) {
    tail.push("", "#### Manual steps", "", "AWS allows these only in its console:", "");
    for (const step of plan.manualSteps) tail.push(`- [ ] ${mdText(step)}`);
  }

  const meta = [`Plan hash ${code(plan.hash)}`];
  if (options.commit) meta.push(`for commit ${code(options.commit)}`);
  meta.push(mdText(`${plan.tool.name} ${plan.tool.version}`));
  const footer = ["", "---", `<sub>${meta.join(" · ")}</sub>`];
  return { head, changes, tail, footer };
}

// ---- truncation ----------------------------------------------------------------------------

/** Characters the lines take once joined with "\n" (each line plus its separator). */
function cost(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

/**
 * The longest prefix of `lines` that, with an ellipsis marking the cut and what
 * it takes to close the <details> and code fence it leaves open, fits in `budget`.
 */
function cutLines(lines: readonly string[], budget: number): string[] {
  let openDetails = 0;
  let openFence: string | undefined;
  const kept: string[] = [];
  let used = 0;
  const closers = (details: number, fenceMarker: string | undefined) => [
    "…",
    ...(fenceMarker ? [fenceMarker] : []),
    ...Array.from({ length: details }, () => ["", "</details>"]).flat(),
  ];
  for (const line of lines) {
    let details = openDetails;
    let fenceMarker = openFence;
    if (fenceMarker === "</pre>") {
      if (line === "</pre>") fenceMarker = undefined;
    } else if (fenceMarker !== undefined) {
      if (/^`+\s*$/.test(line) && line.trim().length >= fenceMarker.length) fenceMarker = undefined;
    } else {
      const opening = /^(`{3,})/.exec(line);
      if (opening) fenceMarker = opening[1];
      else if (line === "<pre>") fenceMarker = "</pre>";
      // Only the generator writes <details> at the start of a line outside a fence.
      else if (line.startsWith("<details")) details++;
      else if (line.startsWith("</details>")) details--;
    }
    if (used + line.length + 1 + cost(closers(details, fenceMarker)) > budget) break;
    kept.push(line);
    used += line.length + 1;
    openDetails = details;
    openFence = fenceMarker;
  }
  return [...kept, ...closers(openDetails, openFence)];
}

interface Cut {
  shown: number;
  total: number;
  partial: boolean;
  accessCut: boolean;
  tailCut: boolean;
}

function notice(cut: Cut, options: MarkdownOptions): string[] {
  const hint = options.fullPlanHint ?? "The full plan is in the job summary and the plan JSON.";
  const extra = [cut.partial ? "the change shown is cut short" : "", cut.accessCut ? "the access table is cut short" : "", cut.tailCut ? "the sections after the changes are cut short" : ""]
    .filter(Boolean)
    .join("; ");
  return [
    "",
    "> [!CAUTION]",
    `> ⚠️ The plan is too long for one comment: ${cut.shown} of ${cut.total} changes shown${extra ? ` (${extra})` : ""}. ${hint}`,
  ];
}

export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const parts = buildParts(plan, options);
  const full = [...parts.head, ...parts.changes.flat(), ...parts.tail, ...parts.footer].join("\n");
  const max = options.maxLength;
  if (max === undefined || full.length <= max) return full;

  const total = plan.changes.length;
  // Reserve the longest notice this cut could need, so what is chosen below always fits with it.
  const reserve = cost(notice({ shown: total, total, partial: true, accessCut: true, tailCut: true }, options));
  const fixed = cost(parts.head) + cost(parts.footer) + reserve;
  let result: string[];

  if (fixed > max) {
    // Not even the head fits (thousands of access rows): keep its start (counts and
    // deletion warning come first), then the notice and the hash.
    const head = cutLines(parts.head, max - cost(parts.footer) - reserve);
    result = [...head, ...notice({ shown: 0, total, partial: false, accessCut: true, tailCut: parts.tail.length > 0 }, options), ...parts.footer];
  } else {
    const budget = max - fixed;
    // Warnings and manual steps are short and need a human: keep them, unless they
    // would take more than half the room left for the changes.
    const tailReserve = Math.min(cost(parts.tail), Math.floor(budget / 2));
    let room = budget - tailReserve;
    const kept: string[] = [];
    let shown = 0;
    let partial = false;
    for (const block of parts.changes) {
      const c = cost(block);
      if (c <= room) {
        kept.push(...block);
        room -= c;
        shown++;
        continue;
      }
      // A single change too big for the comment (a huge policy diff) is shown in part rather
      // than not at all; otherwise stop at a whole change, which reads better than a torn one.
      const start = shown === 0 ? cutLines(block, room) : [];
      if (start.some((l) => l.startsWith("<details"))) {
        kept.push(...start);
        room -= cost(start);
        partial = true;
      }
      break;
    }
    const tailRoom = room + tailReserve;
    const tailCut = cost(parts.tail) > tailRoom;
    const tail = tailCut ? cutLines(parts.tail, tailRoom) : parts.tail;
    result = [...parts.head, ...kept, ...notice({ shown, total, partial, accessCut: false, tailCut }, options), ...tail, ...parts.footer];
  }

  const text = result.join("\n");
  // Only a maxLength smaller than the footer itself can get here; honour the limit regardless.
  if (text.length <= max) return text;
  // Never split a surrogate pair when cutting.
  const cutAt = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, cutAt));
}
