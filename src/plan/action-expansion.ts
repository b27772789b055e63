/**
 * What a permission change means in actions: every statement a role or permission set
 * gains or loses (inline, or in a managed policy it attaches or detaches) expanded
 * against AWS's service authorization reference (src/domain/iam-reference.ts) into the
 * actions it newly allows or no longer allows, counted per service and access level.
 *
 * The grant's statements before and after the change are each turned into the set of
 * (action, resource, condition) it allows: an Allow's actions (its Action patterns, or
 * every action of the reference but its NotAction ones) on each resource it names, less
 * what an unconditional Deny removes (every resource when the Deny names `*`, else the
 * resource it names as written). What the after-set allows that no pair of the
 * before-set covers (the same action on `*`, or on the same resource under no or the
 * same condition) is newly allowed; the reverse is no longer allowed. Each action is
 * credited to the statement that allows it (or, for one a Deny now takes away, to that
 * Deny), which is quoted as written.
 *
 * Managed policies are expanded from their documents as IAM returns them (read by the
 * mode during the plan, only those a change attaches or detaches); a managed policy that
 * stays attached is not read and counts on neither side. Customer-managed policies a
 * permission set references live in each member account: not read, said in `unread`.
 * Pure: the plan and the documents in, the plan's permission rows annotated.
 */
import type { ManagedPolicyDocument } from "../domain/aws-iam.js";
import { ACCESS_LEVELS, globMatch, matchingActions, servicePrefixes, serviceReference, type AccessLevel } from "../domain/iam-reference.js";
import { byCodePoint, canonicalJson } from "../domain/canonical.js";
import type { ActionChange, Change, Plan, Props } from "../domain/plan-types.js";
import { decodePolicyDocument } from "../domain/policy-normalize.js";
import { policyName } from "./permissions.js";

export type { ManagedPolicyDocument };

/** The managed policies to read: per account alias ("" for a permission set), the ARNs a change attaches or detaches. */
export function managedPoliciesToRead(plan: Plan): { account: string; arn: string }[] {
  const out = new Map<string, { account: string; arn: string }>();
  for (const row of plan.permissions) {
    const change = plan.changes.find((c) => c.address === row.address);
    if (!change) continue;
    const before = new Set(arns(change.action === "create" ? null : change.before));
    const after = new Set(arns(change.after));
    for (const arn of [...before, ...after]) {
      if (before.has(arn) && after.has(arn)) continue;
      const account = change.type === "aws.iam.role" ? (change.account ?? "") : "";
      out.set(`${account} ${arn}`, { account, arn });
    }
  }
  return [...out.values()].sort((a, b) => byCodePoint(a.account, b.account) || byCodePoint(a.arn, b.arn));
}

/** The key managedPoliciesToRead's documents are given under. */
export const documentKey = (account: string, arn: string) => `${account} ${arn}`;

const arns = (props: Props | null): string[] => (Array.isArray(props?.managed_policies) ? props.managed_policies.map(String) : []);

/** One statement as the grant holds it, and where it comes from. */
interface SourcedStatement {
  source: string;
  statement: Record<string, unknown>;
}

interface Pair {
  /** "s3:putobject" */
  action: string;
  /** The resource as written; "!" before it for a NotResource. */
  resource: string;
  condition: string;
  from: SourcedStatement;
}

/** Every action of the reference, as "prefix:name" with its level (read once, only for NotAction and service wildcards). */
let everyAction: { key: string; name: string; level: AccessLevel }[] | undefined;
function allActions(): { key: string; name: string; level: AccessLevel }[] {
  everyAction ??= servicePrefixes().flatMap((prefix) => [...serviceReference(prefix)!.actions.values()].map((a) => ({ key: `${prefix}:${a.name.toLowerCase()}`, name: `${prefix}:${a.name}`, level: a.level })));
  return everyAction;
}

const nameOf = new Map<string, { name: string; level: AccessLevel }>();

/** The reference's actions an Action pattern (`s3:Get*`, `*`, `iam:PassRole`) names; none for a pattern the reference does not know. */
export function expandPattern(pattern: string): string[] {
  const lower = pattern.toLowerCase();
  if (lower === "*") return allActions().map(remember);
  const colon = lower.indexOf(":");
  if (colon <= 0) return [];
  const service = lower.slice(0, colon);
  const name = lower.slice(colon + 1);
  if (/[*?]/.test(service)) return allActions().filter((a) => globMatch(lower, a.key)).map(remember);
  const ref = serviceReference(service);
  if (!ref) return [];
  return matchingActions(ref, name).map((a) => remember({ key: `${ref.prefix}:${a.name.toLowerCase()}`, name: `${ref.prefix}:${a.name}`, level: a.level }));
}

function remember(a: { key: string; name: string; level: AccessLevel }): string {
  nameOf.set(a.key, a);
  return a.key;
}

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** The actions a statement applies to: its Action patterns, or every action but its NotAction ones. */
function statementActions(s: Record<string, unknown>): string[] {
  if (s.Action === undefined && s.NotAction !== undefined) {
    const excluded = new Set(list(s.NotAction).flatMap(expandPattern));
    return allActions().filter((a) => !excluded.has(a.key)).map(remember);
  }
  return [...new Set(list(s.Action).flatMap(expandPattern))];
}

function statementResources(s: Record<string, unknown>): string[] {
  if (s.Resource === undefined && s.NotResource !== undefined) return list(s.NotResource).map((r) => `!${r}`);
  const resources = list(s.Resource);
  return resources.length > 0 ? resources : ["*"];
}

function statementsOf(doc: unknown): Record<string, unknown>[] {
  if (doc === undefined || doc === null || doc === "") return [];
  const parsed = typeof doc === "string" ? decodePolicyDocument(doc) : (doc as Record<string, unknown>);
  const st = parsed.Statement;
  if (st === undefined || st === null) return [];
  return (Array.isArray(st) ? st : [st]).filter((s): s is Record<string, unknown> => typeof s === "object" && s !== null);
}

/** What a grant allows: (action, resource, condition) pairs, each with the statement allowing it; and what unconditional Denies took away, by the Deny. */
function allowedPairs(statements: readonly SourcedStatement[]): { allowed: Map<string, Pair>; deniedBy: Map<string, SourcedStatement> } {
  const allowed = new Map<string, Pair>();
  for (const from of statements.filter((s) => s.statement.Effect !== "Deny")) {
    const condition = from.statement.Condition ? canonicalJson(from.statement.Condition) : "";
    for (const action of statementActions(from.statement)) {
      for (const resource of statementResources(from.statement)) {
        const key = `${action} ${resource} ${condition}`;
        if (!allowed.has(key)) allowed.set(key, { action, resource, condition, from });
      }
    }
  }
  const deniedBy = new Map<string, SourcedStatement>();
  for (const from of statements.filter((s) => s.statement.Effect === "Deny" && !s.statement.Condition)) {
    const actions = new Set(statementActions(from.statement));
    const resources = new Set(statementResources(from.statement));
    const everywhere = resources.has("*");
    for (const [key, pair] of allowed) {
      if (actions.has(pair.action) && (everywhere || resources.has(pair.resource))) {
        allowed.delete(key);
        deniedBy.set(key, from);
      }
    }
  }
  return { allowed, deniedBy };
}

/** Whether `other` allows the pair already: the same action on `*`, or on the same resource, unconditionally or under the same condition. */
function covered(pair: Pair, other: ReadonlyMap<string, Pair>): boolean {
  return other.has(`${pair.action} * `) || other.has(`${pair.action} ${pair.resource} `) || other.has(`${pair.action} ${pair.resource} ${pair.condition}`);
}

/** The statements a grant holds: inline (a role's named policies, a permission set's one) and those of the managed policies read. */
function grantStatements(props: Props | null, documents: (arn: string) => ManagedPolicyDocument | undefined, read: ReadonlySet<string>): { statements: SourcedStatement[]; unread: string[] } {
  if (!props) return { statements: [], unread: [] };
  const statements: SourcedStatement[] = [];
  const unread: string[] = [];
  if (props.inline_policies && typeof props.inline_policies === "object") {
    for (const [name, doc] of Object.entries(props.inline_policies as Record<string, unknown>)) for (const s of statementsOf(doc)) statements.push({ source: `inline policy ${name}`, statement: s });
  }
  if (props.inline_policy) for (const s of statementsOf(props.inline_policy)) statements.push({ source: "inline policy", statement: s });
  for (const arn of arns(props)) {
    if (!read.has(arn)) continue;
    const doc = documents(arn);
    if (doc && "document" in doc) for (const s of statementsOf(doc.document)) statements.push({ source: `managed policy ${policyName(arn)}`, statement: s });
    else unread.push(`managed policy ${policyName(arn)}: ${doc?.unread ?? "not read"}`);
  }
  return { statements, unread };
}

/** How the plan quotes a statement: as written (normalized), Sid first, cut at `max` characters. */
export function quoteStatement(statement: Record<string, unknown>, max = 2000): string {
  const order = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];
  const keys = [...order.filter((k) => k in statement), ...Object.keys(statement).filter((k) => !order.includes(k)).sort(byCodePoint)];
  const text = JSON.stringify(Object.fromEntries(keys.map((k) => [k, statement[k]])));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Actions known to let whoever holds them give themselves more (IAM privilege escalation):
 * high wherever they are granted. `*`: only when granted on every resource.
 */
export const ESCALATION_ACTIONS: ReadonlyMap<string, "any" | "*"> = new Map([
  ["iam:passrole", "*"],
  ["sts:assumerole", "*"],
  ["iam:createpolicyversion", "any"],
  ["iam:setdefaultpolicyversion", "any"],
  ["iam:attachrolepolicy", "any"],
  ["iam:attachuserpolicy", "any"],
  ["iam:attachgrouppolicy", "any"],
  ["iam:putrolepolicy", "any"],
  ["iam:putuserpolicy", "any"],
  ["iam:putgrouppolicy", "any"],
  ["iam:updateassumerolepolicy", "any"],
  ["iam:createaccesskey", "any"],
  ["iam:createloginprofile", "any"],
  ["iam:updateloginprofile", "any"],
  ["iam:addusertogroup", "any"],
  ["iam:putrolepermissionsboundary", "any"],
  ["iam:deleterolepermissionsboundary", "any"],
  // What this tool itself writes: whoever may write it hands out access across accounts,
  // or takes over the federation every sign-in trusts.
  ["iam:createsamlprovider", "any"],
  ["iam:updatesamlprovider", "any"],
  ["sso:putinlinepolicytopermissionset", "any"],
  ["sso:attachmanagedpolicytopermissionset", "any"],
  ["sso:attachcustomermanagedpolicyreferencetopermissionset", "any"],
  ["sso:createaccountassignment", "any"],
  ["identitystore:creategroupmembership", "any"],
]);

/**
 * Whether a resource pattern, as written, covers every resource (of its service, or of a
 * type): `*`, a NotResource (written `!…` here), an ARN cut short by a wildcard
 * (`arn:*`, `arn:aws:s3:*`), or an ARN whose resource part is only wildcards after its
 * type (`arn:aws:s3:::*`, the bucket-and-object form, `arn:aws:iam::*:role/*`). Writing `arn:*`
 * instead of `*` must not get past a rule.
 */
export function coversEveryResource(resource: string): boolean {
  if (resource === "*" || resource.startsWith("!")) return true;
  const parts = resource.split(":");
  if (parts[0] !== "arn") return false;
  // A wildcard before the resource part swallows the rest, colons too: arn:*, arn:aws:s3:*.
  if (parts.length < 6) return parts[parts.length - 1]!.endsWith("*");
  // "*", "*" slash "*": every segment a wildcard. IAM's and STS's resources start with their
  // type ("role/*": every role); elsewhere a first segment names something (an S3 bucket).
  const segments = parts.slice(5).join(":").split("/");
  const typed = parts[2] === "iam" || parts[2] === "sts";
  return segments.every((seg, i) => seg === "*" || (typed && i === 0 && segments.length > 1 && /^[a-z-]+$/.test(seg)));
}

const LEVEL_RANK = new Map(ACCESS_LEVELS.map((l, i) => [l, i]));

/** Examples most worth a reviewer's eye first: escalation actions, then by level; within a level policies and ACLs, granting verbs (Put, Attach, Create, Update, Set), short names first. */
const exampleKeys = new Map<string, string>();
/** Actions in exampleOrder, each compared by a key computed once (a statement of `*` names some 20,000). */
function byExample(actions: Iterable<string>): string[] {
  const keyOf = (a: string) => {
    let key = exampleKeys.get(a);
    if (key === undefined) {
      const { name, level } = nameOf.get(a)!;
      const flags = [Number(!ESCALATION_ACTIONS.has(a)), LEVEL_RANK.get(level)!, Number(!/policy|acl/i.test(name)), Number(!/:(put|attach|create|update|set)/i.test(name))].join("");
      key = `${flags}${String(name.length).padStart(4, "0")}${name}`;
      exampleKeys.set(a, key);
    }
    return key;
  };
  return [...actions].map((a) => [keyOf(a), a] as const).sort(([x], [y]) => byCodePoint(x, y)).map(([, a]) => a);
}

/** How many services a statement's expansion lists before the rest are summed up. */
const MAX_SERVICES = 8;
const MAX_EXAMPLES = 3;

function summarize(change: ActionChange["change"], from: SourcedStatement, pairs: readonly Pair[]): ActionChange {
  const byService = new Map<string, Set<string>>();
  for (const p of pairs) {
    const service = p.action.slice(0, p.action.indexOf(":"));
    const set = byService.get(service) ?? new Set();
    set.add(p.action);
    byService.set(service, set);
  }
  const count = (actions: Iterable<string>) => {
    const levels: Partial<Record<AccessLevel, number>> = {};
    for (const a of actions) {
      const level = nameOf.get(a)!.level;
      levels[level] = (levels[level] ?? 0) + 1;
    }
    return Object.fromEntries(ACCESS_LEVELS.filter((l) => levels[l]).map((l) => [l, levels[l]!])) as Partial<Record<AccessLevel, number>>;
  };
  const services = [...byService.entries()]
    .map(([service, actions]) => {
      const sorted = byExample(actions);
      return { service, actions: actions.size, levels: count(actions), examples: sorted.slice(0, MAX_EXAMPLES).map((a) => nameOf.get(a)!.name), sensitive: sorted.filter((a) => ESCALATION_ACTIONS.has(a)) };
    })
    // The services with the most sensitive actions first.
    .sort((a, b) => (b.levels["Permissions management"] ?? 0) + (b.levels.Write ?? 0) - ((a.levels["Permissions management"] ?? 0) + (a.levels.Write ?? 0)) || b.actions - a.actions || byCodePoint(a.service, b.service));
  const allActionsHere = new Set(pairs.map((p) => p.action));
  const resources = [...new Set(pairs.map((p) => p.resource))].sort(byCodePoint);
  const onEveryResource = new Set(pairs.filter((p) => coversEveryResource(p.resource)).map((p) => p.action));
  const escalation = [...allActionsHere]
    .filter((a) => {
      const scope = ESCALATION_ACTIONS.get(a);
      return scope === "any" || (scope === "*" && onEveryResource.has(a));
    })
    .sort(byCodePoint)
    .map((a) => nameOf.get(a)!.name);
  const broadWrite = [...onEveryResource].filter((a) => ["Write", "Permissions management"].includes(nameOf.get(a)!.level));
  const rest = services.slice(MAX_SERVICES);
  const out: ActionChange = {
    change,
    source: from.source,
    statement: quoteStatement(from.statement),
    actions: allActionsHere.size,
    levels: count(allActionsHere),
    services: services.slice(0, MAX_SERVICES).map(({ sensitive: _, ...s }) => s),
    resources: resources.map((r) => (r.startsWith("!") ? `every resource except ${r.slice(1)}` : r)),
  };
  if (rest.length > 0) out.otherServices = { services: rest.length, actions: rest.reduce((n, s) => n + s.actions, 0) };
  if (broadWrite.length > 0) out.writeOnEveryResource = { actions: broadWrite.length, examples: byExample(broadWrite).slice(0, MAX_EXAMPLES).map((a) => nameOf.get(a)!.name) };
  if (escalation.length > 0) out.escalation = escalation;
  return out;
}

/** The actions one grant change newly allows and no longer allows, one entry per statement responsible. */
export function expandChange(before: Props | null, after: Props | null, documents: (arn: string) => ManagedPolicyDocument | undefined): { actions: ActionChange[]; unread: string[] } {
  const b = new Set(arns(before));
  const a = new Set(arns(after));
  const read = new Set([...b, ...a].filter((arn) => !(b.has(arn) && a.has(arn))));
  const was = grantStatements(before, documents, read);
  const will = grantStatements(after, documents, read);
  const then = allowedPairs(was.statements);
  const now = allowedPairs(will.statements);
  const gained = new Map<SourcedStatement, Pair[]>();
  const push = (into: Map<SourcedStatement, Pair[]>, by: SourcedStatement, pair: Pair) => {
    const list = into.get(by);
    if (list) list.push(pair);
    else into.set(by, [pair]);
  };
  for (const pair of now.allowed.values()) if (!covered(pair, then.allowed)) push(gained, pair.from, pair);
  const lost = new Map<SourcedStatement, Pair[]>();
  for (const [key, pair] of then.allowed) {
    if (covered(pair, now.allowed)) continue;
    // Taken away by a Deny of the new statements: that Deny is what to quote.
    const by = now.deniedBy.get(key) ?? pair.from;
    push(lost, by, pair);
  }
  const order = (x: ActionChange, y: ActionChange) => byCodePoint(x.change, y.change) || y.actions - x.actions || byCodePoint(x.statement, y.statement);
  const actions = [...[...gained].map(([from, pairs]) => summarize("allows", from, pairs)), ...[...lost].map(([from, pairs]) => summarize("no-longer-allows", from, pairs))].sort(order);
  const unread = [...new Set([...was.unread, ...will.unread])].sort(byCodePoint);
  if (Array.isArray(after?.customer_managed_policies) && after.customer_managed_policies.length > 0) {
    const refs = (after.customer_managed_policies as { name?: string; path?: string }[]).map((r) => `${r.path ?? "/"}${r.name ?? ""}`);
    const beforeRefs = new Set((Array.isArray(before?.customer_managed_policies) ? (before.customer_managed_policies as { name?: string; path?: string }[]) : []).map((r) => `${r.path ?? "/"}${r.name ?? ""}`));
    for (const ref of refs.filter((r) => !beforeRefs.has(r))) unread.push(`customer-managed policy ${ref}: its document lives in each account the permission set is provisioned to, and is not read`);
  }
  return { actions, unread };
}

/** Annotates each permission row of the plan with the actions its change newly allows and no longer allows. */
export function expandPermissionChanges(plan: Plan, documents: ReadonlyMap<string, ManagedPolicyDocument>): void {
  // The same role in several accounts is the same change: expanded once (a statement of `*` names some 20,000 actions).
  const done = new Map<string, ReturnType<typeof expandChange>>();
  for (const row of plan.permissions) {
    const change: Change | undefined = plan.changes.find((c) => c.address === row.address);
    if (!change) continue;
    const account = change.type === "aws.iam.role" ? (change.account ?? "") : "";
    const before = change.action === "create" ? null : change.before;
    const policies = (props: Props | null) => ({ i: props?.inline_policies ?? null, p: props?.inline_policy ?? null, m: arns(props), c: props?.customer_managed_policies ?? null });
    const docs = [...new Set([...arns(before), ...arns(change.after)])].map((arn) => documents.get(documentKey(account, arn)) ?? null);
    const key = canonicalJson([policies(before), policies(change.after), docs]);
    const expanded = done.get(key) ?? expandChange(before, change.after, (arn) => documents.get(documentKey(account, arn)));
    done.set(key, expanded);
    const { actions, unread } = expanded;
    if (actions.length > 0) row.actions = actions;
    if (unread.length > 0) row.actionsUnread = unread;
  }
}
