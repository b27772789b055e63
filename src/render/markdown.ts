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
import { actionChangeWords, applicationWords, daysLeftWords, expiryWords, lifetimeWords, renameWords, formatBlock, formatValue, grantKind, isBlockValue, MAX_NAMES_SHOWN, noAccessChange, peopleCount, safeText, SEVERITY_MARK, statementWords, summaryCounts, expiryWhere, reasonShown, removedChanges, sessionsEndedGroups, withoutDefaults } from "./values.js";

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
  /**
   * The plan read as drift (a scheduled check of the default branch): what the plan would
   * take away is live access not in the configuration, what it would add is configuration
   * not yet applied — not a change anyone proposes.
   */
  drift?: boolean;
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

/** At most this many group or people names in one fold; the rest are counted (the plan JSON has all). */
const MAX_GROUPS_LISTED = 100;

/** People as a cell: the count and the names, folded when there are many (review.people: count gives no names). */
function peopleCell(p: People | undefined): string {
  if (!p) return "";
  if (!p.names || p.names.length === 0) return peopleCount(p.count);
  const names = p.names.slice(0, MAX_GROUPS_LISTED).map((n) => `<code>${htmlInline(n)}</code>`).join(", ");
  if (p.names.length <= MAX_NAMES_SHOWN) return `${peopleCount(p.count)}: ${names}`;
  const more = p.names.length > MAX_GROUPS_LISTED ? ` and ${p.names.length - MAX_GROUPS_LISTED} more` : "";
  return `<details><summary>${peopleCount(p.count)}</summary>${names}${more}</details>`;
}

/** People merged over several rows: the names once each when every row names them, else the counts added (which may count someone in two groups twice). */
function mergePeople(list: readonly (People | undefined)[]): People | undefined {
  const known = list.filter((p): p is People => p !== undefined);
  if (known.length === 0) return undefined;
  if (known.every((p) => p.names !== undefined)) {
    const names = [...new Set(known.flatMap((p) => p.names!))].sort();
    return { count: names.length, names };
  }
  return { count: known.reduce((n, p) => n + p.count, 0) };
}


/** Group names as a cell: one to three written out, more folded under their count. */
function groupsCell(groups: readonly string[]): string {
  if (groups.length <= 3) return groups.map(code).join(", ");
  const listed = groups.slice(0, MAX_GROUPS_LISTED).map((g) => `<code>${htmlInline(g)}</code>`).join(", ");
  const more = groups.length > MAX_GROUPS_LISTED ? ` and ${groups.length - MAX_GROUPS_LISTED} more` : "";
  return `<details><summary>${groups.length} groups</summary>${listed}${more}</details>`;
}

/** A finding's message cut where it names a group and an account, so findings that differ only there read as one. */
type Piece = { text: string } | { slot: "group" } | { slot: "account" };

/** Findings that differ only in the group or the account they name: one row, with how many. */
interface RiskRow {
  risk: Risk;
  pieces: Piece[];
  /** The groups named, each with its people as the finding counts them. */
  groups: Map<string, number | undefined>;
  accounts: string[];
  count: number;
  addresses: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The message in pieces: `group <name> (<n> people)` before " gains", and the first ` in <account>` ending a word. */
function slots(message: string, groups: readonly string[], accounts: readonly string[]): { pieces: Piece[]; group?: string; people?: number; account?: string } {
  let group: string | undefined;
  let people: number | undefined;
  let pieces: Piece[] = [{ text: message }];
  for (const g of groups) {
    const m = new RegExp(`(^|: )group ${escapeRegExp(g)}(?: \\((\\d+) (?:person|people)\\))?(?= gains )`).exec(message);
    if (!m) continue;
    group = g;
    people = m[2] === undefined ? undefined : Number(m[2]);
    pieces = [{ text: `${message.slice(0, m.index)}${m[1]}` }, { slot: "group" }, { text: message.slice(m.index + m[0].length) }];
    break;
  }
  const last = pieces[pieces.length - 1] as { text: string };
  for (const a of accounts) {
    const m = new RegExp(` in ${escapeRegExp(a)}(?=$|[ :,)])`).exec(last.text);
    if (!m) continue;
    pieces = [...pieces.slice(0, -1), { text: `${last.text.slice(0, m.index)} in ` }, { slot: "account" }, { text: last.text.slice(m.index + m[0].length) }];
    return { pieces, ...(group !== undefined ? { group } : {}), ...(people !== undefined ? { people } : {}), account: a };
  }
  return { pieces, ...(group !== undefined ? { group } : {}), ...(people !== undefined ? { people } : {}) };
}

/**
 * One row per rule and grant: findings whose message differs only in the group named
 * (`group team-01 (2 people) gains readonly …`) or the account (`… in prod`) are merged,
 * the groups, people and accounts counted.
 */
function groupRisks(risks: readonly Risk[], groupNames: readonly string[], accountNames: readonly string[]): RiskRow[] {
  const groups = [...new Set(groupNames)].sort((a, b) => b.length - a.length);
  const accounts = [...new Set(accountNames)].filter((a) => a !== "").sort((a, b) => b.length - a.length);
  const rows = new Map<string, RiskRow>();
  for (const r of risks) {
    const cut = slots(r.message, groups, accounts);
    const key = JSON.stringify([r.rule, r.severity, cut.pieces]);
    const existing = rows.get(key);
    if (existing) {
      if (cut.group !== undefined && !existing.groups.has(cut.group)) existing.groups.set(cut.group, cut.people);
      if (cut.account !== undefined && !existing.accounts.includes(cut.account)) existing.accounts.push(cut.account);
      existing.count++;
      existing.addresses = [...new Set([...existing.addresses, ...r.addresses])];
    } else {
      rows.set(key, {
        risk: r,
        pieces: cut.pieces,
        groups: new Map(cut.group !== undefined ? [[cut.group, cut.people]] : []),
        accounts: cut.account !== undefined ? [cut.account] : [],
        count: 1,
        addresses: [...r.addresses],
      });
    }
  }
  return [...rows.values()];
}

function riskFinding(row: RiskRow): string {
  if (row.count === 1) return mdText(row.risk.message);
  const names = [...row.groups.keys()];
  const counts = [...row.groups.values()];
  const people = counts.some((n) => n === undefined) ? undefined : counts.reduce<number>((a, b) => a + b!, 0);
  let text = "";
  let afterGroups = false;
  for (const p of row.pieces) {
    // "30 groups gain …", not "gains".
    if ("text" in p) text += afterGroups && names.length > 1 ? p.text.replace(/^ gains /, " gain ") : p.text;
    else if (p.slot === "group") text += names.length === 1 ? `group ${names[0]}${people === undefined ? "" : ` (${peopleCount(people)})`}` : `${names.length} groups${people === undefined ? "" : ` (${peopleCount(people)})`}`;
    else text += row.accounts.length === 1 ? row.accounts[0] : `${row.accounts.slice(0, -1).join(", ")} and ${row.accounts[row.accounts.length - 1]}`;
    afterGroups = "slot" in p && p.slot === "group";
  }
  return `${mdText(text)}${names.length > 1 ? `<br>${groupsCell(names)}` : ""}`;
}

/** At most this many risk rows before the rest are folded (they come most severe first). */
export const MAX_RISK_ROWS = 10;

/**
 * Rows past `max` folded under a <details>, or — `compact`, for a comment that must be cut
 * anyway — left out and counted, so that the head of a huge plan still fits and reads
 * whole: every section's first rows rather than the first section's thousands.
 */
function folded(header: readonly string[], lines: readonly string[], max: number, what: (n: number) => string, compact: boolean): string[] {
  const out = [...header, ...lines.slice(0, max)];
  const rest = lines.length - max;
  if (rest <= 0) return out;
  if (compact) out.push("", `_… and ${what(rest)}, in the full plan._`);
  else out.push("", `<details><summary>${what(rest)}</summary>`, "", ...header, ...lines.slice(max), "", "</details>");
  return out;
}

function risksSection(risks: readonly Risk[], groupNames: readonly string[], accountNames: readonly string[], compact: boolean): string[] {
  const rows = groupRisks(risks, groupNames, accountNames);
  const header = [row(["Severity", "Rule", "Finding", "Count", "Changes"]), "| --- | --- | --- | --- | --- |"];
  const lines = rows.map((r) => {
    const shown = r.addresses.slice(0, 4).map(code).join(", ");
    const more = r.addresses.length > 4 ? ` and ${r.addresses.length - 4} more` : "";
    return row([`${SEVERITY_MARK[r.risk.severity] ?? ""} **${r.risk.severity}**`, code(r.risk.rule), riskFinding(r), String(r.count), `${shown}${more}`]);
  });
  return [`#### ⚠️ Risks (${rows.length})`, "", ...folded(header, lines, MAX_RISK_ROWS, (n) => `${n} more risk ${n === 1 ? "row" : "rows"}`, compact)];
}

/** A permission row's content, without where it applies: rows equal in it read as one. */
function permissionKey(p: PermissionRow): string {
  return JSON.stringify([p.grant, p.change, p.new ?? false, p.added, p.removed, p.managedPoliciesAdded, p.managedPoliciesRemoved, p.customerManagedPoliciesAdded, p.customerManagedPoliciesRemoved, p.permissionsBoundary ?? null, p.accountId === ""]);
}

function whereCell(accounts: readonly { account: string; accountId: string }[]): string {
  return accounts.map((a) => (a.accountId ? `${mdText(a.account)} (${code(a.accountId)})` : mdText(a.account))).join(", ");
}

/** One entry per grant and what changes in it, with every account it applies to. */
/** In a comment cut anyway, at most this many permission entries (each grant's, with its statements). */
const MAX_PERMISSION_ENTRIES_CUT = 10;

function permissionsSection(rows: readonly PermissionRow[], mode: string, compact: boolean): string[] {
  const kind = grantKind(mode);
  const merged = new Map<string, PermissionRow[]>();
  for (const p of rows) merged.set(permissionKey(p), [...(merged.get(permissionKey(p)) ?? []), p]);
  const out: string[] = [];
  const entries = [...merged.values()];
  for (const same of compact ? entries.slice(0, MAX_PERMISSION_ENTRIES_CUT) : entries) {
    const p = same[0]!;
    const where = p.accountId ? ` in ${whereCell(same)}` : p.account ? ` (assigned in ${mdText(p.account)})` : "";
    const people = mergePeople(same.map((x) => x.people));
    const who = people ? ` — held by ${peopleCell(people)}` : "";
    out.push(`- ${p.new ? "**+** new" : `**~** ${p.change}`} ${kind} ${code(p.grant)}${where}${who}`);
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
  const rest = entries.length - MAX_PERMISSION_ENTRIES_CUT;
  if (compact && rest > 0) out.push("", `_… and ${rest} more permission ${rest === 1 ? "change" : "changes"}, in the full plan._`);
  return out;
}

/** Access rows that read the same but for the group: the groups (and their people) together. */
interface AccessGroup {
  change: AccessRow["change"];
  kind: AccessRow["kind"];
  grant: string;
  accounts: { account: string; accountId: string }[];
  groups: string[];
  people: People | undefined;
  expires: AccessRow["expires"];
  reason: AccessRow["reason"];
}

/**
 * Access rows grouped: first each group's accounts for one grant ("team-01 gains readonly
 * in prod and dev"), then the groups whose rows are otherwise identical ("30 groups gain
 * readonly in prod and dev"). Order: losses first, then as the plan lists them.
 */
export function groupAccess(rows: readonly AccessRow[]): AccessGroup[] {
  const expiryKey = (r: AccessRow) => (r.expires ? `${r.reason ?? ""}\u0000${r.expires.value}\u0000${r.expires.field}` : "");
  const perGroup = new Map<string, AccessGroup>();
  const ordered = [...rows.filter((r) => r.change === "lost"), ...rows.filter((r) => r.change === "gained")];
  for (const r of ordered) {
    const k = JSON.stringify([r.change, r.kind ?? "", r.grant, r.group, expiryKey(r)]);
    const g = perGroup.get(k);
    if (g) {
      g.accounts.push({ account: r.account, accountId: r.accountId });
      g.people = mergePeople([g.people, r.people]);
    } else perGroup.set(k, { change: r.change, kind: r.kind, grant: r.grant, accounts: [{ account: r.account, accountId: r.accountId }], groups: [r.group], people: r.people, expires: r.expires, reason: r.reason });
  }
  const merged = new Map<string, AccessGroup>();
  for (const g of perGroup.values()) {
    const k = JSON.stringify([g.change, g.kind ?? "", g.grant, g.accounts, g.expires ? [g.reason ?? "", g.expires.value, g.expires.field] : ""]);
    const m = merged.get(k);
    if (m) {
      m.groups.push(...g.groups);
      m.people = mergePeople([m.people, g.people]);
    } else merged.set(k, { ...g, groups: [...g.groups], accounts: [...g.accounts] });
  }
  return [...merged.values()];
}

/** Everyone the access rows affect, each person once (when the rows name them). */
function peopleAffected(rows: readonly AccessRow[]): string | undefined {
  const known = rows.map((r) => r.people).filter((p): p is People => p !== undefined);
  if (known.length === 0) return undefined;
  if (known.every((p) => p.names !== undefined)) return `**${peopleCount(new Set(known.flatMap((p) => p.names!)).size)}** affected`;
  // Without names, a person in two groups cannot be told apart: the largest group is the least.
  return `at least **${peopleCount(Math.max(...known.map((p) => p.count)))}** affected`;
}

/** At most this many access rows before the rest are folded. */
export const MAX_ACCESS_ROWS = 10;

function accessTable(rows: readonly AccessRow[], mode: string, drift: boolean, compact: boolean): string[] {
  const kind = grantKind(mode);
  const heading = kind === "role" ? "Role" : "Permission set";
  const withPeople = rows.some((r) => r.people);
  const header = withPeople
    ? [row(["Change", "Groups", heading, "Where", "People"]), "| --- | --- | --- | --- | --- |"]
    : [row(["Change", "Groups", heading, "Where"]), "| --- | --- | --- | --- |"];
  const lines = groupAccess(rows).map((g) => {
    const expiry = g.expires ? `<br>${mdText(expiryWords(g.expires, g.reason === "expired"))} (${code(g.expires.field)})` : "";
    // Neutral words: whether a change is dangerous is the risks' to say, in colour.
    const change = drift ? (g.change === "lost" ? "live, not in the configuration" : "configured, not yet applied") : g.change === "lost" ? "**−** loses" : "**+** gains";
    return row([
      `${change}${expiry}`,
      groupsCell(g.groups),
      g.kind === "application" ? `sign-in to application ${code(g.grant)}` : code(g.grant),
      g.kind === "application" ? mdText(applicationWords(mode)) : whereCell(g.accounts),
      ...(withPeople ? [peopleCell(g.people)] : []),
    ]);
  });
  return folded(header, lines, MAX_ACCESS_ROWS, (n) => `${n} more access ${n === 1 ? "row" : "rows"}`, compact);
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

/** Properties as a two-column table; multi-line text and big documents as blocks under it; fields at their kind's default left out, and said once. */
function propsSection(type: string, props: Record<string, unknown>, label: string): string[] {
  const { shown, hidden } = withoutDefaults(type, props);
  const out: string[] = [];
  const blocks: string[] = [];
  const table = [row(["Field", label]), "| --- | --- |"];
  for (const [k, v] of Object.entries(shown)) {
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
  if (hidden.length > 0) out.push("", `_${hidden.length === 1 ? "One field" : `${hidden.length} fields`} at the default (${hidden.map((h) => mdText(h)).join(", ")}) not shown._`);
  return out;
}

/** Where a field's diff was shown first, by its text: the same diff in another account is pointed to, not repeated. */
type SeenDiffs = Map<string, number>;

/**
 * Fields with a before and an after value as a table; fields shown as a
 * unified diff (policy documents, expressions) each as their own block under
 * it, since no Before or After cell could hold them — once: a change whose diff
 * another change already showed points to it.
 */
function fieldsSection(change: Change, number: number, seen: SeenDiffs): string[] {
  const out: string[] = [];
  const table = [row(["Field", "Before", "After"]), "| --- | --- | --- |"];
  const diffs: string[] = [];
  for (const f of change.fields) {
    if (f.patch !== undefined) {
      const key = `${f.field}\u0000${f.patch}`;
      const first = seen.get(key);
      if (first !== undefined) diffs.push("", `${code(f.field)}: the same diff as ${changeLink(first)}.`);
      else {
        seen.set(key, number);
        diffs.push("", `${code(f.field)} (diff, live → configured):`, "", ...fence(f.patch.split("\n").map(safeText), "diff"));
      }
    } else {
      table.push(row([code(f.field), code(formatValue(f.before)), code(formatValue(f.after))]));
    }
  }
  if (table.length > 2) out.push(...table);
  out.push(...diffs);
  return out;
}

/** A link to a change's block in this comment (GitHub keeps the anchor under its user-content- prefix, and follows it). */
function changeLink(n: number): string {
  return `[change ${n}](#change-${n})`;
}

/**
 * One change, folded: the summary line names the object once (its title, in words) and
 * says why; the body gives its address, the fields, then which changes of this plan it
 * waits for (a dependency that does not change needs no waiting; apply orders only what
 * it changes).
 */
function changeBlock(change: Change, number: number, inPlan: ReadonlySet<string>, configFile: string, seen: SeenDiffs): string[] {
  const summary = `<a name="change-${number}"></a>${number}. <code>${html(SYMBOL[change.action])}</code> ${VERB[change.action]} ${htmlText(change.title)} — ${htmlText(reasonShown(change, configFile))}`;
  const body: string[] = [`Address: ${code(change.address)}`, ""];
  if (change.action === "create") body.push(...propsSection(change.type, change.after ?? {}, "Value"));
  else if (change.action === "delete") body.push(...propsSection(change.type, change.before ?? {}, "Value (deleted)"));
  else body.push(...fieldsSection(change, number, seen));
  const waitsFor = change.dependsOn.filter((d) => d !== change.address && inPlan.has(d));
  if (waitsFor.length > 0) {
    body.push("", `Runs after: ${waitsFor.map(code).join(", ")}`);
  }
  if (body.length === 2) body.push("_(no fields)_");
  // One blank line after the address, when the section starts with one of its own (never inside a block).
  if (body[2] === "") body.splice(2, 1);
  // The blank lines after <summary> and before </details> switch GitHub back to markdown inside the HTML block.
  return [`<details><summary>${summary}</summary>`, "", ...body, "", "</details>"];
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

function deletionWarning(plan: Plan, numberOf: ReadonlyMap<Change, number>): string[] {
  const removed = removedChanges(plan);
  if (removed.length === 0) return [];
  const deletes = removed.filter((c) => c.action === "delete").length;
  const replaces = removed.length - deletes;
  const what = [deletes ? `deletes ${deletes} ${deletes === 1 ? "object" : "objects"}` : "", replaces ? `replaces ${replaces} (delete, then create)` : ""]
    .filter(Boolean)
    .join(" and ");
  const out = ["> [!WARNING]", `> **This plan ${what}** (marked \`-\` under Changes):`];
  for (const c of removed.slice(0, MAX_LISTED_DELETIONS)) {
    out.push(`> - ${changeLink(numberOf.get(c)!)}: ${code(c.address)}${c.action === "replace" ? " _(replaced)_" : ""}${c.expired ? ` _(${mdText(expiryWords(c.expired, true))})_` : ""}`);
  }
  if (removed.length > MAX_LISTED_DELETIONS) out.push(`> - … and ${removed.length - MAX_LISTED_DELETIONS} more (all listed under Changes)`);
  return out;
}

/**
 * Whom a change is about, for keeping a group's changes together (and never cutting
 * between them): the group a binding or an assignment is for; other objects stand alone.
 */
function subjectOf(c: Change): string {
  const binding = /→group:(.*)\]$/.exec(c.address);
  if (c.type === "authentik.policy_binding" && binding) return `group\u0000${binding[1]}`;
  const assignment = /^aws\.sso\.account_assignment\[(.+)→[^→]*\]$/.exec(c.address);
  if (c.type === "aws.sso.account_assignment" && assignment) return `group\u0000${assignment[1]}`;
  return `object\u0000${c.address}`;
}

/** The changes in reading order: objects first, as the plan lists them, then each group's changes together. */
function changesInOrder(changes: readonly Change[]): Change[][] {
  const bySubject = new Map<string, Change[]>();
  for (const c of changes) bySubject.set(subjectOf(c), [...(bySubject.get(subjectOf(c)) ?? []), c]);
  const units = [...bySubject.entries()];
  return [...units.filter(([k]) => k.startsWith("object")), ...units.filter(([k]) => k.startsWith("group"))].map(([, list]) => list);
}

interface Parts {
  /** Marker, title, status and counts: the truncation notice goes right under them. */
  top: string[];
  head: string[];
  /** Change blocks, in units that are never cut apart (one object, or one group's changes). */
  changes: string[][];
  /** How many changes each unit holds. */
  sizes: number[];
  tail: string[];
  footer: string[];
}

function buildParts(plan: Plan, options: MarkdownOptions, compact = false): Parts {
  const top: string[] = [];
  const head: string[] = [];
  const drift = options.drift === true;
  if (options.marker) top.push(options.marker);
  top.push(options.title ?? `### ${mdText(plan.tool.name)} plan for ${code(plan.config)}`);
  if (options.statusLine) top.push("", options.statusLine);
  top.push("");
  const units = changesInOrder(plan.changes);
  const numberOf = new Map<Change, number>();
  units.flat().forEach((c, i) => numberOf.set(c, i + 1));
  if (plan.changes.length === 0) {
    top.push("**No changes.** authentik and AWS match the configuration.");
  } else {
    const affected = peopleAffected(plan.access);
    top.push(`**${summaryCounts(plan.summary)}** · mode ${code(plan.mode)}${affected ? ` · ${affected}` : ""}`);
    const warning = deletionWarning(plan, numberOf);
    if (warning.length > 0) head.push("", ...warning);
    const groupNames = plan.access.map((r) => r.group);
    const accountNames = [...plan.access.map((r) => r.account), ...(plan.permissions ?? []).flatMap((p) => p.account.split(", "))];
    if (plan.risks && plan.risks.length > 0) head.push("", ...risksSection(plan.risks, groupNames, accountNames, compact));
    head.push("", drift ? "#### Access: live and configured" : "#### Access changes", "");
    if (drift && plan.access.length > 0) head.push("Live access not in the configuration, and configuration not yet applied:", "");
    const renames = renamesSection(plan);
    if (renames.length > 0) head.push(...renames, "");
    head.push(...(plan.access.length > 0 ? accessTable(plan.access, plan.mode, drift, compact) : [noAccessChange(plan)]));
    if (plan.accessCaveats?.length) head.push("", ...plan.accessCaveats.map((c) => (c.startsWith("  ") ? `  - ${mdText(c.trim())}` : `- ⚠️ ${mdText(c)}`)));
    // options.revokeSessions: what the removal does to credentials already issued.
    const ended = sessionsEndedGroups(plan);
    if (ended.length > 0) {
      head.push(
        "",
        ...ended.map((g) => {
          const shown = g.people.length ? g.people.slice(0, MAX_NAMES_SHOWN).map(code).join(", ") : peopleCount(g.count);
          const more = g.people.length > MAX_NAMES_SHOWN ? ` and ${g.people.length - MAX_NAMES_SHOWN} more` : "";
          return `- ⏹️ The live sessions of ${shown}${more} as role ${code(g.grant)} in ${mdText(g.account)}${g.accountId && g.accountId !== g.account ? ` (${mdText(g.accountId)})` : ""} will be ended (${code("options.revokeSessions")}).`;
        }),
      );
    }
    if (plan.permissions && plan.permissions.length > 0) head.push("", "#### Permission changes", "", ...permissionsSection(plan.permissions, plan.mode, compact));
  }
  const expiring = plan.expiring ?? [];
  const lifetimes = lifetimeSection(plan);
  if (expiring.length > 0 || lifetimes.length > 0) head.push("", "#### Access that expires");
  if (lifetimes.length > 0) head.push("", ...lifetimes);
  if (expiring.length > 0) head.push("", "Grants after this plan that end at a set time (`mappings[].expires`), soonest first:", "", ...expiringSection(expiring, plan.mode, plan.config));
  if (plan.changes.length > 0) head.push("", `#### Changes (${plan.changes.length})`);

  // Each change block is preceded by a blank line so it starts its own HTML block.
  const inPlan = new Set(plan.changes.map((c) => c.address));
  const seen: SeenDiffs = new Map();
  const changes = units.map((unit) => unit.flatMap((c) => ["", ...changeBlock(c, numberOf.get(c)!, inPlan, plan.config, seen)]));

  const tail: string[] = [];
  if (plan.notPruned.length > 0) {
    tail.push(
      "",
      "#### Not pruned",
      "",
      drift
        ? "Managed by authentik-aws-gitops, live, and not in the configuration; kept because pruning is off:"
        : "Managed by authentik-aws-gitops but no longer declared; kept because pruning is off (plan with `--prune` to delete them):",
      "",
    );
    for (const n of plan.notPruned) tail.push(`- ${code(n.address)} — ${mdText(n.title)}`);
  }
  if (plan.warnings.length > 0) {
    tail.push("", "#### Warnings", "");
    // The same warning for thirty objects reads once, with how many.
    const counted = new Map<string, number>();
    for (const w of plan.warnings) counted.set(w, (counted.get(w) ?? 0) + 1);
    for (const [w, n] of counted) tail.push(`- ${mdText(w)}${n > 1 ? ` _(×${n})_` : ""}`);
  }
  if (plan.manualSteps.length > 0) {
    tail.push("", "#### Manual steps", "", "AWS allows these only in its console:", "");
    for (const step of plan.manualSteps) tail.push(`- [ ] ${mdText(step)}`);
  }

  const meta = [`Plan hash ${code(plan.hash)}`];
  if (options.commit) meta.push(`for commit ${code(options.commit)}`);
  meta.push(mdText(`${plan.tool.name} ${plan.tool.version}`));
  const footer = ["", "---", `<sub>${meta.join(" · ")}</sub>`];
  return { top, head, changes, sizes: units.map((u) => u.length), tail, footer };
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
  /** The head's longer tables show their first rows only. */
  shortened?: boolean;
}

function notice(cut: Cut, options: MarkdownOptions): string[] {
  const hint = options.fullPlanHint ?? "The full plan is in the job summary and the plan JSON.";
  const extra = [
    cut.shortened && !cut.accessCut ? "the risks, access and permission tables show their first rows" : "",
    cut.partial ? "the change shown is cut short" : "",
    cut.accessCut ? "the access summary below is cut short" : "",
    cut.tailCut ? "the sections after the changes are cut short" : "",
  ]
    .filter(Boolean)
    .join("; ");
  return [
    "",
    "> [!CAUTION]",
    `> ⚠️ **This comment does not show the whole plan**: ${cut.shown} of ${cut.total} changes shown, each object's and each group's changes whole${extra ? ` (${extra})` : ""}. ${hint}`,
  ];
}

export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  let parts = buildParts(plan, options);
  const full = [...parts.top, ...parts.head, ...parts.changes.flat(), ...parts.tail, ...parts.footer].join("\n");
  const max = options.maxLength;
  if (max === undefined || full.length <= max) return full;

  const total = plan.changes.length;
  // Reserve the longest notice this cut could need, so what is chosen below always fits with it.
  const reserve = Math.max(
    cost(notice({ shown: total, total, partial: true, accessCut: true, tailCut: true }, options)),
    cost(notice({ shown: total, total, partial: true, accessCut: false, tailCut: true, shortened: true }, options)),
  );
  // When even the head does not fit, its folded rows give way first (counted, in the full plan).
  const shortened = cost(parts.top) + cost(parts.head) + cost(parts.footer) + reserve > max;
  if (shortened) parts = buildParts(plan, options, true);
  const fixed = cost(parts.top) + cost(parts.head) + cost(parts.footer) + reserve;
  let result: string[];

  if (fixed > max) {
    // Not even the head fits (thousands of access rows): keep its start (counts and
    // deletion warning come first), then the hash; the notice is at the top.
    const head = cutLines(parts.head, max - cost(parts.top) - cost(parts.footer) - reserve);
    result = [...parts.top, ...notice({ shown: 0, total, partial: false, accessCut: true, tailCut: parts.tail.length > 0 }, options), ...head, ...parts.footer];
  } else {
    const budget = max - fixed;
    // Warnings and manual steps are short and need a human: keep them, unless they
    // would take more than half the room left for the changes.
    const tailReserve = Math.min(cost(parts.tail), Math.floor(budget / 2));
    let room = budget - tailReserve;
    const kept: string[] = [];
    let shown = 0;
    let partial = false;
    for (const [i, unit] of parts.changes.entries()) {
      const c = cost(unit);
      if (c <= room) {
        kept.push(...unit);
        room -= c;
        shown += parts.sizes[i]!;
        continue;
      }
      // A single change too big for the comment (a huge policy diff) is shown in part rather
      // than not at all; otherwise stop between objects and groups, which reads better than a torn one.
      const start = shown === 0 ? cutLines(unit, room) : [];
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
    result = [...parts.top, ...notice({ shown, total, partial, accessCut: false, tailCut, shortened }, options), ...parts.head, ...kept, ...tail, ...parts.footer];
  }

  const text = result.join("\n");
  // Only a maxLength smaller than the footer itself can get here; honour the limit regardless.
  if (text.length <= max) return text;
  // Never split a surrogate pair when cutting.
  const cutAt = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, cutAt));
}
