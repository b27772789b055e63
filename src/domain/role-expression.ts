/**
 * Reads the "Role" SAML property mapping of a setup made by hand, in the styles
 * authentik's AWS guide gives, into the grants it makes — for `import`, for the
 * access a plan takes over, and for the access report. Pure.
 *
 * Only these shapes are read; anything else is reported as unreadable with the
 * line it stops at, never guessed:
 *   static      return "arn:aws:iam::ID:role/NAME,arn:aws:iam::ID:saml-provider/P"
 *   list        return ["…,…", "…,…", ]
 *   attribute   role_name = user.group_attributes().get("aws_role", "")
 *               return f"arn:aws:iam::ID:role/{role_name},arn:aws:iam::ID:saml-provider/P"
 * (either order inside a pair, as AWS accepts; single or double quotes; comments,
 * blank lines, `request.user` for `user`.)
 */
import { ROLE_EXPRESSION } from "./expressions.js";
import { groupMembers } from "./people.js";

/** One `role_arn,saml_provider_arn` value AWS reads from the Role attribute. */
export interface RolePair {
  roleArn: string;
  samlProviderArn: string;
  accountId: string;
  /** "/" or "/path/". */
  rolePath: string;
  roleName: string;
  samlProviderName: string;
}

export type RoleExpression =
  /** The tool's own expression: grants come from entitlement bindings. */
  | { style: "entitlements" }
  /** Every user who may sign in to the application gets each pair. */
  | { style: "static"; pairs: RolePair[] }
  /**
   * Each user gets the pair built from the value of `attribute` in
   * user.group_attributes(): groups merged in name order (later names win),
   * then the user's own attributes.
   */
  | { style: "group-attribute"; attribute: string; defaultValue: string; template: string; pairFor: (value: string) => RolePair | undefined }
  | { style: "unreadable"; reason: string; line: number };

const ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role(\/(?:[\x21-\x7E]+\/)?)([\w+=,.@-]+)$/;
const PROVIDER_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):saml-provider\/([\w.-]+)$/;

/** "role_arn,provider_arn" (either order) → the pair, or why not. */
export function parseRolePair(value: string): RolePair | string {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length !== 2) return `"${value}" is not "role_arn,saml_provider_arn"`;
  const [a, b] = parts as [string, string];
  const [roleArn, providerArn] = ROLE_ARN.test(a) ? [a, b] : [b, a];
  const role = ROLE_ARN.exec(roleArn);
  const provider = PROVIDER_ARN.exec(providerArn);
  if (!role || !provider) return `"${value}" is not an IAM role ARN and an IAM SAML provider ARN`;
  if (role[1] !== provider[1]) return `"${value}" names a role in account ${role[1]} and a SAML provider in account ${provider[1]}`;
  return { roleArn, samlProviderArn: providerArn, accountId: role[1]!, rolePath: role[2]!, roleName: role[3]!, samlProviderName: provider[2]! };
}

interface Line {
  text: string;
  line: number;
}

/** Statements of the expression: comments and blank lines dropped, bracketed continuations joined. */
function statements(expression: string): Line[] {
  const out: Line[] = [];
  let pending: Line | undefined;
  let depth = 0;
  expression.split(/\r?\n/).forEach((raw, i) => {
    const text = stripComment(raw).trim();
    if (!text) return;
    if (pending) pending.text += ` ${text}`;
    else pending = { text, line: i + 1 };
    for (const ch of text.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "")) {
      if (ch === "[" || ch === "(" || ch === "{") depth++;
      else if (ch === "]" || ch === ")" || ch === "}") depth--;
    }
    if (depth <= 0) {
      out.push(pending);
      pending = undefined;
      depth = 0;
    }
  });
  if (pending) out.push(pending);
  return out;
}

/** A line without its `#` comment (a `#` inside a string literal stays). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "#") return line.slice(0, i);
  }
  return line;
}

const STRING = String.raw`(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')`;
const stringValue = (m: RegExpExecArray, at: number) => unescape(m[at] ?? m[at + 1] ?? "");
function unescape(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

function readPairs(values: string[], line: number): RoleExpression {
  const pairs: RolePair[] = [];
  for (const v of values) {
    const pair = parseRolePair(v);
    if (typeof pair === "string") return { style: "unreadable", reason: pair, line };
    pairs.push(pair);
  }
  return { style: "static", pairs };
}

export function readRoleExpression(expression: string): RoleExpression {
  if (expression.trim() === ROLE_EXPRESSION.trim()) return { style: "entitlements" };
  const lines = statements(expression);
  if (lines.length === 0) return { style: "unreadable", reason: "the expression is empty", line: 1 };
  const logic = lines.find((l) => /^(?:if|elif|else|for|while|def|try|with|match|lambda)\b/.test(l.text));
  if (logic) return { style: "unreadable", reason: `"${logic.text}": the grants depend on logic (conditions, loops) the tool does not evaluate`, line: logic.line };

  if (lines.length === 1) {
    const only = lines[0]!;
    const single = new RegExp(`^return\\s+${STRING}$`).exec(only.text);
    if (single) return readPairs([stringValue(single, 1)], only.line);
    const list = /^return\s+\[(.*)\]$/.exec(only.text);
    if (list) {
      const items = list[1]!.trim().replace(/,\s*$/, "");
      const values: string[] = [];
      const item = new RegExp(`^\\s*${STRING}\\s*(?:,|$)`);
      let rest = items;
      while (rest.trim()) {
        const m = item.exec(rest);
        if (!m) return { style: "unreadable", reason: "the returned list holds something other than string literals", line: only.line };
        values.push(stringValue(m, 1));
        rest = rest.slice(m[0].length);
      }
      if (values.length === 0) return { style: "unreadable", reason: "the returned list is empty", line: only.line };
      return readPairs(values, only.line);
    }
    return { style: "unreadable", reason: `"${only.text}" is not one of the shapes the tool reads (return "role_arn,provider_arn", or a list of them)`, line: only.line };
  }

  if (lines.length === 2) {
    const [assign, ret] = lines as [Line, Line];
    const a = new RegExp(`^([A-Za-z_]\\w*)\\s*=\\s*(?:request\\.)?user\\.group_attributes\\(\\s*(?:request)?\\s*\\)\\.get\\(\\s*${STRING}\\s*(?:,\\s*${STRING}\\s*)?\\)$`).exec(
      assign.text,
    );
    if (!a) return { style: "unreadable", reason: `"${assign.text}" is not "NAME = user.group_attributes().get("ATTRIBUTE", "")"`, line: assign.line };
    const variable = a[1]!;
    const attribute = stringValue(a, 2);
    const defaultValue = stringValue(a, 4);
    const f = /^return\s+f(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')$/.exec(ret.text);
    if (!f) return { style: "unreadable", reason: `"${ret.text}" is not return f"…{${variable}}…"`, line: ret.line };
    const template = unescape(f[1] ?? f[2] ?? "");
    const holes = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!.trim());
    if (holes.length !== 1 || holes[0] !== variable) {
      return { style: "unreadable", reason: `the f-string must use {${variable}} exactly once and nothing else`, line: ret.line };
    }
    // The template must be a valid pair once filled in with a role name.
    const probe = parseRolePair(template.replace(/\{[^{}]*\}/, "probe"));
    if (typeof probe === "string" || !template.includes(`role/`)) {
      return { style: "unreadable", reason: `the f-string is not "arn:aws:iam::ID:role/{${variable}},arn:aws:iam::ID:saml-provider/NAME"`, line: ret.line };
    }
    const pairFor = (value: string): RolePair | undefined => {
      const pair = parseRolePair(template.replace(/\{[^{}]*\}/, value));
      return typeof pair === "string" ? undefined : pair;
    };
    return { style: "group-attribute", attribute, defaultValue, template, pairFor };
  }
  return { style: "unreadable", reason: "the expression has more statements than the shapes the tool reads", line: lines[2]!.line };
}

/** A group as the reader of group attributes needs it. */
export interface GroupWithAttributes {
  name: string;
  attributes: Record<string, unknown>;
}

/** A group × pair the expression grants (to the group's members and its descendants' members). */
export interface ExpressionGrant {
  group: string;
  pair: RolePair;
}

/**
 * What a readable expression grants, by group: static pairs go to every group that
 * may sign in to the application (its group bindings); a group attribute to each
 * group that carries it. `signIn` "everyone": the application has no bindings.
 */
export function expressionGrants(
  expression: Exclude<RoleExpression, { style: "entitlements" | "unreadable" }>,
  groups: readonly GroupWithAttributes[],
  signIn: readonly string[] | "everyone",
): { grants: ExpressionGrant[]; problems: string[] } {
  const grants: ExpressionGrant[] = [];
  const problems: string[] = [];
  if (expression.style === "static") {
    if (signIn === "everyone") {
      problems.push("the application has no policy bindings, so every authentik user may sign in and receives these roles; bind the groups that should have them to the application first");
      return { grants, problems };
    }
    for (const group of signIn) for (const pair of expression.pairs) grants.push({ group, pair });
    return { grants, problems };
  }
  for (const g of groups) {
    const value = g.attributes[expression.attribute];
    if (value === undefined || value === null || value === "") continue;
    if (typeof value !== "string") {
      problems.push(`group '${g.name}' has attribute ${expression.attribute} = ${JSON.stringify(value)}, not a role name`);
      continue;
    }
    const pair = expression.pairFor(value);
    if (!pair) problems.push(`group '${g.name}' has attribute ${expression.attribute} = "${value}", which does not make a role ARN`);
    else grants.push({ group: g.name, pair });
  }
  return { grants, problems };
}

/** A row of access that exists now through a hand-made Role mapping (see PlanInput.liveAccess). */
export interface MappingAccessRow {
  group: string;
  grant: string;
  account: string;
  accountId: string;
}

/**
 * What the hand-made Role mappings on the provider grant now, by group, and what
 * cannot be read (a warning each: the plan cannot show who loses that access).
 */
export function handMadeRoleAccess(
  mappings: readonly { name: string; expression: string }[],
  groups: readonly GroupWithAttributes[],
  signIn: readonly string[] | "everyone",
  grantOf: (pair: RolePair) => { grant: string; account: string; accountId: string },
): { rows: MappingAccessRow[]; warnings: string[] } {
  const rows: MappingAccessRow[] = [];
  const warnings: string[] = [];
  for (const m of mappings) {
    const parsed = readRoleExpression(m.expression);
    if (parsed.style === "entitlements") continue;
    if (parsed.style === "unreadable") {
      warnings.push(
        `the SAML property mapping '${m.name}' on the provider sends AWS roles from an expression the tool cannot read (line ${parsed.line}: ${parsed.reason}); this plan replaces it, and who loses the roles it grants cannot be shown`,
      );
      continue;
    }
    const { grants, problems } = expressionGrants(parsed, groups, signIn);
    for (const p of problems) warnings.push(`the SAML property mapping '${m.name}' on the provider: ${p}`);
    for (const g of grants) rows.push({ group: g.group, ...grantOf(g.pair) });
  }
  return { rows, warnings };
}

/** A user as the per-person reading needs it. */
export interface PersonInAuthentik {
  pk: number;
  username: string;
  /** Direct groups, by pk. */
  groups: readonly string[];
  attributes: Record<string, unknown>;
}

/**
 * What each person holds today through the hand-made Role mappings — exactly, as
 * authentik evaluates them for that person: only if they may sign in to the
 * application (a bound group, their own ancestors' included, or a binding of the user;
 * "everyone" without bindings), and for a group attribute the value
 * user.group_attributes() gives them (their groups and ancestors merged in name order,
 * later names winning, then their own attributes, else the default). Group rows cannot
 * say this (a person in two attribute groups holds one role); the planner compares it
 * with what the mapped groups grant afterwards.
 */
export function handMadeAccessByPerson(
  mappings: readonly { name: string; expression: string }[],
  groups: readonly (GroupWithAttributes & { pk: string; parents: readonly string[] })[],
  users: readonly PersonInAuthentik[],
  signIn: { groups: readonly string[] | "everyone"; users: readonly number[] },
  grantOf: (pair: RolePair) => { grant: string; account: string; accountId: string },
): Map<string, MappingAccessRow[]> {
  const parsed = mappings.map((m) => readRoleExpression(m.expression)).filter((p): p is Exclude<RoleExpression, { style: "entitlements" | "unreadable" }> => p.style === "static" || p.style === "group-attribute");
  const out = new Map<string, MappingAccessRow[]>();
  if (parsed.length === 0) return out;
  // A user's groups and their ancestors (authentik's all_groups()): the groups whose people include them.
  const members = groupMembers(groups, users.map((u) => ({ ...u, groups: [...u.groups] })));
  const groupsOf = new Map<string, (typeof groups)[number][]>();
  for (const g of groups) for (const person of members[g.name] ?? []) groupsOf.set(person, [...(groupsOf.get(person) ?? []), g]);
  const bound = signIn.groups === "everyone" ? undefined : new Set(signIn.groups);
  for (const u of users) {
    const all = groupsOf.get(u.username) ?? [];
    const maySignIn = !bound || all.some((g) => bound.has(g.name)) || signIn.users.includes(u.pk);
    if (!maySignIn) continue;
    const rows: MappingAccessRow[] = [];
    for (const p of parsed) {
      if (p.style === "static") {
        for (const pair of p.pairs) rows.push({ group: "", ...grantOf(pair) });
        continue;
      }
      // authentik orders by name in the database's collation: case-insensitive by default.
      let value: unknown;
      for (const g of [...all].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || (a.name < b.name ? -1 : 1))) {
        if (p.attribute in g.attributes) value = g.attributes[p.attribute];
      }
      if (p.attribute in u.attributes) value = u.attributes[p.attribute];
      if (value === undefined) value = p.defaultValue;
      const pair = typeof value === "string" && value !== "" ? p.pairFor(value) : undefined;
      if (pair) rows.push({ group: "", ...grantOf(pair) });
    }
    if (rows.length) out.set(u.username, rows);
  }
  return out;
}

/**
 * Everything the planner needs about access through hand-made Role mappings (classic):
 * group rows that exist now, each person's roles now, and what cannot be read. A role
 * at another path or behind another SAML provider than the configuration's is another
 * role: it is named by its path, so that the tool's role of the same name never reads
 * as the same grant.
 */
export function handMadeLiveAccess(input: {
  mappings: readonly { name: string; expression: string }[];
  groups: readonly (GroupWithAttributes & { pk: string; parents: readonly string[] })[];
  users: readonly PersonInAuthentik[];
  signIn: readonly string[] | "everyone";
  signInUsers: readonly number[];
  accounts: readonly { alias: string; id: string }[];
  rolePath: string;
  samlProviderName: string;
}): { rows: MappingAccessRow[]; warnings: string[]; byPerson: Map<string, MappingAccessRow[]> } {
  const aliasOf = new Map(input.accounts.map((a) => [a.id, a.alias]));
  const grantOf = (pair: RolePair) => ({
    grant: pair.rolePath === input.rolePath && pair.samlProviderName === input.samlProviderName ? pair.roleName : `${pair.rolePath}${pair.roleName} (via ${pair.samlProviderName})`,
    account: aliasOf.get(pair.accountId) ?? pair.accountId,
    accountId: pair.accountId,
  });
  const { rows, warnings } = handMadeRoleAccess(input.mappings, input.groups, input.signIn, grantOf);
  const byPerson = handMadeAccessByPerson(input.mappings, input.groups, input.users, { groups: input.signIn, users: input.signInUsers }, grantOf);
  // A group's row stands for access only if someone in it holds it today (a group attribute
  // on a group none of whose people may sign in grants nobody anything).
  const members = groupMembers(input.groups, input.users.map((u) => ({ ...u, groups: [...u.groups] })));
  const holds = (row: MappingAccessRow) => {
    const people = members[row.group] ?? [];
    return people.length === 0 || people.some((p) => (byPerson.get(p) ?? []).some((r) => r.grant === row.grant && r.accountId === row.accountId));
  };
  return { rows: rows.filter(holds), warnings, byPerson };
}
