/**
 * classic-iam: live authentik state → who may assume which IAM role in which account.
 * Pure. A person holds role R in account A through group G when G is bound to an
 * entitlement of the application whose attributes carry R's ARN (the tool's Role
 * mapping sends it), or when a Role property mapping made by hand sends R to them
 * (the styles authentik's guide gives, read by role-expression.ts) — in both cases
 * only if the person may sign in to the application at all.
 */
import type { ResolvedConfig } from "../config/model.js";
import { roleArn } from "../domain/aws-iam.js";
import { byCodePoint } from "../domain/canonical.js";
import { MANAGED_BY_VALUE } from "../domain/plan-types.js";
import { expressionGrants, readRoleExpression, type RolePair } from "../domain/role-expression.js";
import type { GroupGrant, Person, Unlisted } from "./types.js";

export interface LiveBinding {
  /** pbm uuid of the application or entitlement it is on. */
  target: string;
  /** Group pk. */
  group?: string;
  /** User pk. */
  user?: number;
  /** Policy pk. */
  policy?: string;
  enabled: boolean;
  negate: boolean;
}

export interface ClassicAccessLive {
  /** Absent: authentik has no application with the configured slug. */
  application?: { slug: string; pk: string; policyEngineMode: string; providerName?: string; providerIsSaml: boolean };
  applicationBindings: LiveBinding[];
  entitlements: { name: string; pbmUuid: string; attributes: Record<string, unknown> }[];
  entitlementBindings: LiveBinding[];
  /** The SAML property mappings on the application's provider that set AWS's Role attribute. */
  roleMappings: { name: string; expression: string }[];
  /** The application's SAML provider as verify needs it: where it posts, what it signs with, the SessionDuration mappings on it. */
  samlProvider?: { pk: number; name: string; acsUrl: string; signingKp: string | null; sessionDurationMappings: { name: string; expression: string }[] };
  groups: { pk: string; name: string; parents: string[]; attributes: Record<string, unknown> }[];
  /** Active users. */
  users: { pk: number; username: string; email?: string; groups: string[]; attributes: Record<string, unknown> }[];
}

export interface ClassicAccess {
  grants: GroupGrant[];
  unlisted: Unlisted[];
  notes: string[];
}

const ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role(\/(?:[\x21-\x7E]+\/)?)([\w+=,.@-]+)$/;

/** The usual PostgreSQL text order (en_US.UTF-8, ICU): case-insensitive first, ties by case, then bytes. */
const LINGUISTIC = new Intl.Collator("en-US", { sensitivity: "variant", ignorePunctuation: false, numeric: false });
export const byCollation = (a: string, b: string) => LINGUISTIC.compare(a, b) || byCodePoint(a, b);

const arnsOf = (pair: RolePair) => ({ roleArn: pair.roleArn, samlProviderArn: pair.samlProviderArn });

const BY_HAND_MAPPING = "sent by a Role property mapping made by hand, not by the tool";

/** (group, role, account id) the configuration grants, as keys. */
export function declaredClassicGrants(config: ResolvedConfig): Set<string> {
  const ids = new Map(config.aws.accounts.map((a) => [a.alias, a.id]));
  const out = new Set<string>();
  for (const m of config.mappings) {
    for (const roleName of m.grants) {
      const role = config.roles.find((r) => r.name === roleName);
      if (!role) continue;
      const targets = m.accounts === "role-default" ? role.accounts : m.accounts.filter((a) => role.accounts.includes(a));
      for (const alias of targets) out.add(`${m.group}\u0000${role.name}\u0000${ids.get(alias)}`);
    }
  }
  return out;
}

export function classicAccess(live: ClassicAccessLive, config: ResolvedConfig): ClassicAccess {
  const grants: GroupGrant[] = [];
  const unlisted: Unlisted[] = [];
  const notes: string[] = [];
  const app = live.application;
  if (!app) {
    notes.push(`authentik has no application '${config.authentik.application.slug}': nobody signs in to AWS through it`);
    return { grants, unlisted, notes };
  }

  // Every group of each user: their groups and all their ancestors (a parent group's bindings reach its child groups' members).
  const groupByPk = new Map(live.groups.map((g) => [g.pk, g]));
  const allGroups = new Map<number, string[]>();
  for (const u of live.users) {
    const seen = new Set<string>();
    const queue = [...u.groups];
    while (queue.length > 0) {
      const pk = queue.shift()!;
      if (seen.has(pk)) continue;
      const g = groupByPk.get(pk);
      if (!g) continue;
      seen.add(pk);
      queue.push(...g.parents);
    }
    allGroups.set(u.pk, [...seen].map((pk) => groupByPk.get(pk)!.name));
  }
  const person = (u: ClassicAccessLive["users"][number]): Person => ({ username: u.username, ...(u.email ? { email: u.email } : {}) });
  const groupName = (pk: string) => groupByPk.get(pk)?.name ?? `group ${pk}`;
  const membersOf = (name: string) => live.users.filter((u) => allGroups.get(u.pk)!.includes(name));

  // Who may sign in: the application's bindings (none at all: everyone).
  const appBindings = live.applicationBindings.filter((b) => b.enabled);
  const everyone = appBindings.length === 0;
  const signInGroups = [...new Set(appBindings.filter((b) => b.group && !b.negate).map((b) => groupName(b.group!)))].sort(byCodePoint);
  const signInUsers = new Set(appBindings.filter((b) => b.user != null && !b.negate).map((b) => b.user!));
  for (const b of appBindings) {
    if (b.policy) unlisted.push({ source: `application '${app.slug}'`, reason: `a binding to policy ${b.policy} lets people sign in whom the report cannot name (only group and user bindings are read); access of people who pass only that policy is not listed` });
    else if (b.negate) unlisted.push({ source: `application '${app.slug}'`, reason: `a negated binding (${b.group ? `group '${groupName(b.group)}'` : `user ${b.user}`}) lets everyone else sign in; the report cannot list who that is` });
  }
  if (!everyone && app.policyEngineMode === "all" && appBindings.length > 1) {
    notes.push(`application '${app.slug}' has policy engine mode "all": a person must pass every one of its ${appBindings.length} bindings; the report lists everyone who passes any of them`);
  }
  const signInUserSet = new Set(
    live.users.filter((u) => everyone || signInUsers.has(u.pk) || allGroups.get(u.pk)!.some((g) => signInGroups.includes(g))).map((u) => u.pk),
  );
  const maySignIn = (u: { pk: number }) => signInUserSet.has(u.pk);
  if (everyone) notes.push(`application '${app.slug}' has no policy bindings, so every authentik user may sign in to it`);

  const declared = declaredClassicGrants(config);
  const configRoles = new Map(config.roles.map((r) => [r.name, r]));

  // The Role mappings on the provider: the tool's reads entitlements; others are read as the guide writes them.
  const entitlementsSent = live.roleMappings.some((m) => readRoleExpression(m.expression).style === "entitlements");
  if (!app.providerIsSaml) notes.push(`application '${app.slug}' has no SAML provider: AWS receives no roles through it`);

  // --- entitlements --------------------------------------------------------------------------------
  let entitlementGrants = 0;
  for (const e of [...live.entitlements].sort((a, b) => byCodePoint(a.name, b.name))) {
    const roleValue = e.attributes.aws_role_arn;
    if (roleValue === undefined) continue; // not an AWS entitlement
    const source = `entitlement "${e.name}"`;
    const role = typeof roleValue === "string" ? ROLE_ARN.exec(roleValue) : null;
    if (!role) {
      notes.push(`${source} has aws_role_arn ${JSON.stringify(roleValue)}, which is not an IAM role ARN: AWS refuses it`);
      continue;
    }
    if (typeof e.attributes.aws_saml_provider_arn !== "string") {
      notes.push(`${source} has no aws_saml_provider_arn attribute: the tool's Role mapping sends nothing for it`);
      continue;
    }
    const [, accountId, , roleName] = role as unknown as [string, string, string, string];
    const toolMade = e.attributes.managed_by === MANAGED_BY_VALUE;
    const configRole = configRoles.get(roleName);
    const arns = { roleArn: roleValue as string, samlProviderArn: e.attributes.aws_saml_provider_arn };
    const expectedArn = configRole ? roleArn(accountId, config.aws.rolePath, roleName) : undefined;
    for (const b of live.entitlementBindings.filter((x) => x.target === e.pbmUuid && x.enabled)) {
      if (b.policy || b.negate) {
        unlisted.push({
          source,
          reason: b.policy
            ? `bound to policy ${b.policy}: who passes it cannot be read, so the people holding role ${roleName} in ${accountId} through it are not listed`
            : `a negated binding grants role ${roleName} in ${accountId} to everyone outside ${b.group ? `group '${groupName(b.group)}'` : `user ${b.user}`}; not listed`,
        });
        continue;
      }
      entitlementGrants++;
      if (b.group) {
        const group = groupName(b.group);
        const reason = !toolMade
          ? `the entitlement was made by hand (its attributes have no managed_by: ${MANAGED_BY_VALUE})`
          : expectedArn !== roleValue
            ? `role ${roleName} is not declared in the configuration (or not under rolePath ${config.aws.rolePath})`
            : !declared.has(`${group}\u0000${roleName}\u0000${accountId}`)
              ? `the configuration does not map group '${group}' to ${roleName} in this account: the binding was added by hand`
              : undefined;
        grants.push({
          via: group,
          viaKind: "group",
          grant: roleName,
          grantKind: "role",
          accountId,
          managed: reason === undefined,
          ...(reason ? { reason } : {}),
          source,
          ...arns,
          people: membersOf(group).filter(maySignIn).map(person),
        });
      } else if (b.user != null) {
        const u = live.users.find((x) => x.pk === b.user);
        grants.push({
          via: "(user binding)",
          viaKind: "user",
          grant: roleName,
          grantKind: "role",
          accountId,
          managed: false,
          reason: "the entitlement is bound to a single user by hand",
          source,
          ...arns,
          people: u && maySignIn(u) ? [person(u)] : [],
        });
      }
    }
  }
  if (entitlementGrants > 0 && !entitlementsSent) {
    notes.push(
      `the provider has no Role mapping that reads entitlements (the tool's): the entitlement bindings below are listed, but AWS receives no roles from them until that mapping is on the provider`,
    );
  }

  // --- Role mappings made by hand --------------------------------------------------------------------
  for (const m of [...live.roleMappings].sort((a, b) => byCodePoint(a.name, b.name))) {
    const parsed = readRoleExpression(m.expression);
    const source = `Role mapping '${m.name}'`;
    if (parsed.style === "entitlements") continue;
    if (parsed.style === "unreadable") {
      unlisted.push({ source, reason: `access through it cannot be listed: ${parsed.reason}`, line: parsed.line });
      continue;
    }
    const base = { grantKind: "role" as const, managed: false, reason: BY_HAND_MAPPING, source };
    if (parsed.style === "static") {
      if (everyone) {
        for (const pair of parsed.pairs) {
          grants.push({ ...base, via: "(everyone)", viaKind: "everyone", grant: pair.roleName, accountId: pair.accountId, ...arnsOf(pair), people: live.users.map(person) });
        }
        continue;
      }
      const { grants: byGroup } = expressionGrants(parsed, [], signInGroups);
      for (const g of byGroup) grants.push({ ...base, via: g.group, viaKind: "group", grant: g.pair.roleName, accountId: g.pair.accountId, ...arnsOf(g.pair), people: membersOf(g.group).map(person) });
      for (const pk of signInUsers) {
        const u = live.users.find((x) => x.pk === pk);
        if (!u) continue;
        for (const pair of parsed.pairs) grants.push({ ...base, via: "(user binding)", viaKind: "user", grant: pair.roleName, accountId: pair.accountId, ...arnsOf(pair), people: [person(u)] });
      }
      continue;
    }
    // group-attribute: the value each person ends up with — their groups merged in name order
    // (later names win), then their own attributes — decides their one role.
    const { grants: byGroup, problems } = expressionGrants(parsed, live.groups, everyone ? "everyone" : signInGroups);
    for (const p of problems) notes.push(`${source}: ${p}`);
    const attr = parsed.attribute;
    const granted = new Map<string, GroupGrant>();
    for (const g of byGroup) {
      // Every group that carries the attribute, even if all its members get another value from a later group.
      granted.set(`${g.group}\u0000${g.pair.roleArn}`, { ...base, via: g.group, viaKind: "group", grant: g.pair.roleName, accountId: g.pair.accountId, ...arnsOf(g.pair), people: [] });
    }
    const attrsOf = (name: string | undefined) => (name === undefined ? {} : (live.groups.find((g) => g.name === name)?.attributes ?? {}));
    const depends = new Map<string, { linguistic: string; bytes: string; people: number }>();
    for (const u of live.users.filter(maySignIn)) {
      let value: unknown = parsed.defaultValue;
      let via = "(default value)";
      let viaKind: GroupGrant["viaKind"] = "everyone";
      let reason = BY_HAND_MAPPING;
      // Groups merge in name order as the database sorts names, which the tool cannot see:
      // the usual linguistic (case-insensitive) order is listed, and where byte order
      // (collation C) gives another value, the row and a note say so.
      const carrying = allGroups.get(u.pk)!.filter((name) => attr in attrsOf(name));
      const linguistic = [...carrying].sort(byCollation).at(-1);
      const bytes = [...carrying].sort(byCodePoint).at(-1);
      if (linguistic !== undefined) {
        value = attrsOf(linguistic)[attr];
        via = linguistic;
        viaKind = "group";
      }
      if (attr in u.attributes) {
        value = u.attributes[attr];
        via = "(user attribute)";
        viaKind = "user";
      } else if (bytes !== linguistic && JSON.stringify(attrsOf(bytes)[attr]) !== JSON.stringify(value)) {
        reason = `${BY_HAND_MAPPING}; the value depends on the database's collation (with byte order, group '${bytes}' sets ${attr} instead; see the notes)`;
        const key = `${linguistic}\u0000${bytes}`;
        const d = depends.get(key) ?? { linguistic: linguistic!, bytes: bytes!, people: 0 };
        d.people++;
        depends.set(key, d);
      }
      if (typeof value !== "string" || value === "") continue;
      const pair = parsed.pairFor(value);
      if (!pair) continue; // said once per group in problems
      const key = `${via}\u0000${pair.roleArn}\u0000${reason}`;
      let grant = granted.get(key);
      if (!grant) granted.set(key, (grant = { ...base, reason, via, viaKind, grant: pair.roleName, accountId: pair.accountId, ...arnsOf(pair), people: [] }));
      grant.people.push(person(u));
    }
    for (const d of depends.values()) {
      notes.push(
        `${source}: ${d.people} ${d.people === 1 ? "person is" : "people are"} in both group '${d.linguistic}' and group '${d.bytes}', which set ${attr} differently; authentik merges group attributes in name order as the database sorts names: ` +
          `'${d.linguistic}' wins under a linguistic collation (en_US.UTF-8 on most PostgreSQL servers; listed so), '${d.bytes}' under byte order (collation C, e.g. the postgres:16-alpine of authentik's own compose file)`,
      );
    }
    grants.push(...granted.values());
  }
  return { grants, unlisted, notes };
}

/** Whether a trust policy lets the SAML provider's users assume the role (an Allow of sts:AssumeRoleWithSAML for it). Pure. */
export function trustsSamlProvider(policy: Record<string, unknown> | null, samlProviderArn: string): boolean {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  const statements = list(policy?.Statement) as Record<string, unknown>[];
  return statements.some((st) => {
    if (st?.Effect !== "Allow") return false;
    const actions = list(st.Action).map(String);
    if (!actions.some((a) => a === "*" || a === "sts:*" || a.toLowerCase() === "sts:assumerolewithsaml")) return false;
    const principal = st.Principal as Record<string, unknown> | string | undefined;
    if (principal === "*") return true;
    return typeof principal === "object" && principal !== null && list(principal.Federated).includes(samlProviderArn);
  });
}
