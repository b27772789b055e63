import type { UserRow } from "../../domain/people.js";
import type { AuthentikClient } from "./client.js";
import type { VerifyPeople } from "../../domain/verify.js";

/**
 * Every active user with their direct groups, in pages of 100: a bounded number of
 * requests (users / 100), never one per group or user. include_groups=false keeps
 * the group objects out of each page.
 */
export async function readUsers(client: AuthentikClient): Promise<UserRow[]> {
  const users = await client.list<{ pk: number; username: string; email?: string; groups?: string[]; attributes?: Record<string, unknown> }>("/core/users/", { include_groups: "false", is_active: "true" });
  return users.map((u) => ({ pk: u.pk, username: u.username, email: u.email ?? "", groups: [...(u.groups ?? [])], attributes: u.attributes ?? {} }));
}

/**
 * verify (issue 21): every user with their email (the NameID identity-center's provider sends),
 * whether active, their type (service accounts are no people) and direct groups by name, and
 * every group with its parents by name. Users and groups in pages of 100.
 */
export async function readVerifyPeople(client: AuthentikClient, options: { samlProvider?: string } = {}): Promise<VerifyPeople> {
  const [users, groups, nameId] = await Promise.all([
    client.list<{ pk: number; username: string; email?: string; isActive?: boolean; type?: string; groups?: string[] }>("/core/users/", { include_groups: "false" }),
    client.list<{ pk: string; name: string; parents?: string[]; parent?: string | null }>("/core/groups/", { include_users: "false", include_children: "false", include_parents: "false" }),
    options.samlProvider === undefined ? undefined : readNameId(client, options.samlProvider),
  ]);
  const nameOf = new Map(groups.map((g) => [g.pk, g.name]));
  const names = (pks: readonly string[]) => pks.map((pk) => nameOf.get(pk)).filter((n): n is string => n !== undefined);
  return {
    users: users.map((u) => ({ username: u.username, email: u.email ?? "", active: u.isActive ?? true, ...(u.type ? { type: u.type } : {}), groups: names(u.groups ?? []) })),
    // parents from 2025.12, one parent before
    groups: groups.map((g) => ({ name: g.name, parents: names(Array.isArray(g.parents) ? g.parents : g.parent ? [g.parent] : []) })),
    ...(nameId ? { nameId } : {}),
  };
}

/** What the SAML provider named `providerName` sends as NameID: its name_id_mapping, when it is authentik's managed email or username mapping. */
async function readNameId(client: AuthentikClient, providerName: string): Promise<VerifyPeople["nameId"]> {
  const provider = (await client.list<{ name: string; nameIdMapping?: string | null }>("/providers/saml/")).find((p) => p.name === providerName);
  if (!provider) return undefined; // no provider yet: nobody signs in; the plan creates it
  if (!provider.nameIdMapping) return { source: "other", mapping: "(none: authentik's default NameID)" };
  const mapping = (await client.list<{ pk: string; name: string; managed?: string | null }>("/propertymappings/provider/saml/")).find((m) => m.pk === provider.nameIdMapping);
  if (mapping?.managed === "goauthentik.io/providers/saml/email") return { source: "email" };
  if (mapping?.managed === "goauthentik.io/providers/saml/username") return { source: "username" };
  return { source: "other", mapping: mapping?.name ?? provider.nameIdMapping };
}
