/**
 * verify, identity-center (issue 21): the chain a person's sign-in to AWS through IAM Identity
 * Center goes through, link by link, from what authentik and AWS hold now. Pure: the readers
 * are src/providers/aws/sso-verify-read.ts (AWS) and src/providers/authentik/read-people.ts
 * (authentik, readVerifyPeople).
 *
 * For each person with access (an active, non-service user who is a member of a mapped
 * group — directly or through a descendant group, as authentik counts members):
 *   - identity-store-user: an Identity Store user whose userName is the NameID authentik
 *     sends (the provider's NameID mapping is authentik's "email" mapping,
 *     src/desired/authentik-common.ts), else IAM Identity Center refuses the sign-in;
 *   - group-members: for every mapped group, the person is a member of the Identity Store group
 *     of that name exactly when authentik counts them a member (missing: the SCIM sync dropped
 *     them, or they are a member only through a child group, which SCIM does not send; extra:
 *     the sync never removed them) — the divergence authentik cannot see itself.
 * For each mapped group: identity-store-group (it exists in the Identity Store) and assignment
 * (each permission set in each account the configuration assigns it). For each assigned
 * permission set and account: provisioning (provisioned there, at its latest version).
 */
import type { ResolvedConfig } from "../config/model.js";
import { activeMappings } from "../desired/expiry.js";
import type { TargetAccount } from "../domain/accounts.js";
import { byCodePoint } from "../domain/canonical.js";
import type { IdentityCenterVerifyLive, VerifyFinding, VerifyPeople } from "../domain/verify.js";

export type { IdentityCenterVerifyLive, VerifyPeople } from "../domain/verify.js";

export interface IdentityCenterVerifyInput {
  config: ResolvedConfig;
  /** Mappings whose `expires` has passed grant nothing. */
  now: Date;
  authentik: VerifyPeople;
  aws: IdentityCenterVerifyLive;
  /** --person (or the people an apply affected): only these authentik usernames, and the groups they are in. */
  people?: readonly string[];
  /**
   * An apply just started authentik's SCIM sync (it wrote the SCIM provider, its group filters,
   * or the application's bindings): the users and memberships the sync writes may not have
   * reached the Identity Store yet. Those the store lacks, and memberships it still holds, are
   * warnings that say so — the apply waited only for the groups it assigns. A member through a
   * child group stays an error: no sync sends that membership.
   */
  scimSyncPending?: boolean;
}

export interface IdentityCenterVerification {
  /** The people checked, sorted. */
  people: string[];
  /** How many (person, permission set, account) sign-ins were followed. */
  grantsChecked: number;
  findings: VerifyFinding[];
}

interface Grant {
  group: string;
  permissionSet: string;
  account: { alias?: string; id: string };
}

const SERVICE_TYPES = new Set(["service_account", "internal_service_account"]);

function accountText(a: { alias?: string; id: string }): string {
  return a.alias && a.alias !== a.id ? `${a.alias} (${a.id})` : a.id;
}

function grantText(g: Pick<Grant, "permissionSet" | "account">): string {
  return `${g.permissionSet} in ${accountText(g.account)}`;
}

/** The grants the configuration makes now: group × permission set × account (OUs expanded), each once. */
export function configuredGrants(config: ResolvedConfig, now: Date, ouAccounts: ReadonlyMap<string, readonly TargetAccount[]>): Grant[] {
  const declared = new Map(config.aws.accounts.map((a) => [a.alias, a.id]));
  const out = new Map<string, Grant>();
  for (const m of activeMappings(config.mappings, now)) {
    const targets: { alias?: string; id: string }[] = [];
    if (Array.isArray(m.accounts)) for (const alias of m.accounts) targets.push({ alias, id: declared.get(alias)! });
    for (const ou of m.organizationalUnits) for (const a of ouAccounts.get(ou) ?? []) targets.push(a.label !== a.id ? { alias: a.label, id: a.id } : { id: a.id });
    for (const permissionSet of m.grants) {
      for (const account of targets) {
        const key = `${m.group}\u0000${permissionSet}\u0000${account.id}`;
        if (!out.has(key)) out.set(key, { group: m.group, permissionSet, account });
      }
    }
  }
  return [...out.values()].sort((a, b) => byCodePoint(a.group, b.group) || byCodePoint(a.permissionSet, b.permissionSet) || byCodePoint(a.account.id, b.account.id));
}

export function identityCenterVerification(input: IdentityCenterVerifyInput): IdentityCenterVerification {
  const { config, authentik, aws } = input;
  const grants = configuredGrants(config, input.now, aws.ouAccounts);
  const mappedGroups = [...new Set(grants.map((g) => g.group))].sort(byCodePoint);
  const grantsOf = new Map<string, Grant[]>();
  for (const g of grants) grantsOf.set(g.group, [...(grantsOf.get(g.group) ?? []), g]);
  const grantKey = (g: Pick<Grant, "permissionSet" | "account">) => `${g.permissionSet}\u0000${g.account.id}`;

  // --- authentik: who is in each mapped group, directly and through descendants ---------------
  const parents = new Map(authentik.groups.map((g) => [g.name, g.parents]));
  const ancestorsOf = (name: string): Set<string> => {
    const seen = new Set<string>();
    const queue = [name];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(parents.get(next) ?? []));
    }
    return seen;
  };
  const people = authentik.users.filter((u) => u.active && !SERVICE_TYPES.has(u.type ?? "internal"));
  const personByName = new Map(people.map((u) => [u.username, u]));
  /** group → username → "direct" | the child group they are a member through */
  const membersOf = new Map<string, Map<string, string>>();
  for (const u of people) {
    for (const direct of u.groups) {
      for (const g of ancestorsOf(direct)) {
        if (!grantsOf.has(g)) continue;
        const m = membersOf.get(g) ?? new Map<string, string>();
        if (g === direct) m.set(u.username, "direct");
        else if (!m.has(u.username)) m.set(u.username, direct);
        membersOf.set(g, m);
      }
    }
  }
  const expected = new Map<string, Grant[]>(); // username → grants, each (permission set, account) once
  for (const [group, members] of membersOf) {
    for (const username of members.keys()) {
      const list = expected.get(username) ?? [];
      for (const g of grantsOf.get(group) ?? []) if (!list.some((x) => grantKey(x) === grantKey(g))) list.push(g);
      expected.set(username, list);
    }
  }
  const wanted = input.people ? new Set(input.people) : undefined;
  const inScope = (username: string) => !wanted || wanted.has(username);
  const checkedPeople = [...expected.keys()].filter(inScope).sort(byCodePoint);
  const groupInScope = (group: string) => !wanted || [...(membersOf.get(group)?.keys() ?? [])].some((u) => wanted.has(u));

  // --- the Identity Store: whose user is whose ----------------------------------------------
  const lower = (s: string) => s.toLowerCase();
  const byUserName = new Map(aws.users.map((u) => [lower(u.userName), u]));
  const storeGroups = new Map(aws.groups.map((g) => [g.name, g]));
  /** The NameID authentik sends: the user's email (the managed email mapping the tool configures) or username; undefined when the provider's mapping is another one. */
  const nameIdSource = authentik.nameId ?? { source: "email" as const };
  const nameIdOf = (u: { username: string; email: string }): string | undefined =>
    nameIdSource.source === "email" ? u.email : nameIdSource.source === "username" ? u.username : undefined;
  /** The Identity Store user a person signs in as (userName = NameID), else the one SCIM made for them (userName = username, or their email among its emails). */
  const storeUserOf = (u: { username: string; email: string }) => {
    const nameId = nameIdOf(u);
    const exact = nameId ? byUserName.get(lower(nameId)) : undefined;
    if (exact) return { user: exact, matches: true };
    const other = byUserName.get(lower(u.username)) ?? (u.email ? aws.users.find((s) => s.emails.some((e) => lower(e) === lower(u.email))) : undefined);
    return other ? { user: other, matches: false } : undefined;
  };
  const personOfStoreUser = new Map<string, string>();
  for (const u of people) {
    const s = storeUserOf(u);
    if (s && !personOfStoreUser.has(s.user.id)) personOfStoreUser.set(s.user.id, u.username);
  }

  const findings: VerifyFinding[] = [];
  const scimNote = config.scim ? "authentik's SCIM sync" : "whatever provisions the Identity Store (scim: is not configured)";
  /** What the SCIM sync writes: an error, or a warning while the sync an apply started may still be running. */
  const pending = Boolean(input.scimSyncPending && config.scim);
  const syncSeverity: VerifyFinding["severity"] = pending ? "warning" : "error";
  const syncing = (reason: string) =>
    pending ? `${reason} — this apply started authentik's SCIM sync, which may still be running: run verify again once it has finished` : reason;

  // --- groups: in the Identity Store, assigned, provisioned -----------------------------------
  const liveAssignments = new Set(aws.assignments.map((a) => `${a.group}\u0000${a.permissionSet}\u0000${a.accountId}`));
  const sets = new Map(aws.permissionSets.map((p) => [p.name, p]));
  for (const group of mappedGroups) {
    if (!groupInScope(group)) continue;
    const list = grantsOf.get(group)!;
    if (!storeGroups.has(group)) {
      findings.push({
        severity: "error",
        check: "identity-store-group",
        subject: { kind: "group", name: group },
        reason: `group '${group}' is not in the Identity Store (${aws.identityStoreId}): ${scimNote} has not provisioned it, so none of its members gets ${list.map(grantText).join(", ")}`,
      });
      continue;
    }
    for (const g of list) {
      const ps = sets.get(g.permissionSet);
      if (!liveAssignments.has(`${group}\u0000${g.permissionSet}\u0000${g.account.id}`)) {
        findings.push({
          severity: "error",
          check: "assignment",
          subject: { kind: "group", name: group },
          grant: g.permissionSet,
          account: g.account,
          reason: ps
            ? `group '${group}' is not assigned permission set ${g.permissionSet} in account ${accountText(g.account)}: its members cannot sign in with it there (apply creates the assignment)`
            : `permission set ${g.permissionSet} does not exist in IAM Identity Center, so group '${group}' holds nothing in account ${accountText(g.account)} (apply creates it)`,
        });
        continue;
      }
      if (!ps) continue;
      if (ps.notLatestIn.includes(g.account.id)) {
        findings.push({
          severity: "error",
          check: "provisioning",
          subject: { kind: "group", name: group },
          grant: g.permissionSet,
          account: g.account,
          reason: `permission set ${g.permissionSet} changed since it was last provisioned to account ${accountText(g.account)} (LATEST_PERMISSION_SET_NOT_PROVISIONED): members of '${group}' signing in there get the old version's permissions until it is re-provisioned (the plan shows "needs re-provisioning"; apply does it)`,
        });
      } else if (!ps.provisionedTo.includes(g.account.id)) {
        findings.push({
          severity: "error",
          check: "provisioning",
          subject: { kind: "group", name: group },
          grant: g.permissionSet,
          account: g.account,
          reason: `permission set ${g.permissionSet} is assigned to group '${group}' in account ${accountText(g.account)} but not provisioned there: AWS created no role for it in that account`,
        });
      }
    }
  }

  // --- people: their Identity Store user and their memberships ------------------------------
  let grantsChecked = 0;
  for (const username of checkedPeople) {
    const person = personByName.get(username)!;
    const mine = expected.get(username)!;
    grantsChecked += mine.length;
    const found = storeUserOf(person);
    const nameId = nameIdOf(person);
    if (!found || !found.matches) {
      const scimUserName = nameIdSource.source === "email" && config.scim?.userMapping.userName === "username" ? " (scim.userMapping.userName is username: SCIM sets userName to the authentik username; the NameID is the email)" : "";
      const why =
        nameIdSource.source === "other"
          ? `authentik's SAML provider sends the NameID through the mapping '${nameIdSource.mapping}', which verify cannot evaluate (the tool configures authentik's email mapping; the plan shows the drift)${found ? `; ${username}'s Identity Store user is '${found.user.userName}'` : ""}`
          : !nameId
            ? `${username} has no email in authentik, so authentik sends an empty NameID, which matches no Identity Store user`
            : found
              ? `the NameID authentik sends for ${username} is '${nameId}', but their Identity Store user's userName is '${found.user.userName}'${scimUserName}`
              : `no Identity Store user has the userName '${nameId}', the NameID authentik sends for ${username}: ${scimNote} has not provisioned them`;
      // Only a user the store lacks altogether may still be on its way; a mismatch is not.
      const notYet = !found && nameIdSource.source !== "other" && Boolean(nameId);
      const reason = `${why}; IAM Identity Center refuses their sign-in (${mine.map(grantText).join(", ")})`;
      findings.push({ severity: notYet ? syncSeverity : "error", check: "identity-store-user", subject: { kind: "person", name: username }, reason: notYet ? syncing(reason) : reason });
    }
    if (!found) continue; // no user: no memberships to compare
    for (const group of mappedGroups) {
      const how = membersOf.get(group)?.get(username);
      const store = storeGroups.get(group);
      if (!how || !store || store.memberIds.includes(found.user.id)) continue;
      const lost = (grantsOf.get(group) ?? []).filter((g) => liveAssignments.has(`${group}\u0000${g.permissionSet}\u0000${g.account.id}`));
      const why =
        how === "direct"
          ? `${username} is a member of group '${group}' in authentik but not in the Identity Store: ${scimNote} did not provision the membership`
          : `${username} is a member of group '${group}' in authentik only through its child group '${how}', which authentik's SCIM sync does not send as a member of '${group}' (the Identity Store has no nested groups)`;
      for (const g of lost.length > 0 ? lost : [undefined]) {
        const reason = g ? `${why}, so they do not get ${grantText(g)} through it` : why;
        findings.push({
          severity: how === "direct" ? syncSeverity : "error",
          check: "group-members",
          subject: { kind: "person", name: username },
          ...(g ? { grant: g.permissionSet, account: g.account } : {}),
          reason: how === "direct" ? syncing(reason) : reason,
        });
      }
    }
  }

  // Extra members: in the Identity Store group, not a member in authentik (or no longer a person with access).
  for (const group of mappedGroups) {
    const store = storeGroups.get(group);
    if (!store) continue;
    for (const id of store.memberIds) {
      const username = personOfStoreUser.get(id);
      if (username && membersOf.get(group)?.has(username)) continue;
      const userName = aws.users.find((u) => u.id === id)?.userName ?? id;
      const name = username ?? userName;
      if (!inScope(name)) continue;
      const held = new Set((username ? (expected.get(username) ?? []) : []).map(grantKey));
      const extra = (grantsOf.get(group) ?? []).filter((g) => !held.has(grantKey(g)) && liveAssignments.has(`${group}\u0000${g.permissionSet}\u0000${g.account.id}`));
      const who = username ? `${username} (Identity Store user '${userName}')` : `Identity Store user '${userName}', whom no active authentik user signs in as,`;
      const why = `${who} is a member of the Identity Store group '${group}' but not of authentik's: ${scimNote} never removed the membership`;
      if (extra.length === 0) {
        findings.push({ severity: "warning", check: "group-members", subject: { kind: "person", name }, reason: `${why} (it gives them nothing they do not hold otherwise)` });
      }
      for (const g of extra) {
        findings.push({ severity: syncSeverity, check: "group-members", subject: { kind: "person", name }, grant: g.permissionSet, account: g.account, reason: syncing(`${why}, so they still hold ${grantText(g)}`) });
      }
    }
  }

  return { people: checkedPeople, grantsChecked, findings: sortFindings(findings) };
}

/** The findings of identity-center's checks (see identityCenterVerification for the people and counts). */
export function verifyIdentityCenter(input: IdentityCenterVerifyInput): VerifyFinding[] {
  return identityCenterVerification(input).findings;
}

function sortFindings(findings: VerifyFinding[]): VerifyFinding[] {
  return findings.sort(
    (a, b) =>
      byCodePoint(a.subject.kind, b.subject.kind) ||
      byCodePoint(a.subject.name, b.subject.name) ||
      byCodePoint(a.check, b.check) ||
      byCodePoint(a.grant ?? "", b.grant ?? "") ||
      byCodePoint(a.account?.id ?? "", b.account?.id ?? "") ||
      byCodePoint(a.reason, b.reason),
  );
}
