import type { UserRow } from "../../domain/people.js";
import type { AuthentikClient } from "./client.js";

/**
 * Every active user with their direct groups, in pages of 100: a bounded number of
 * requests (users / 100), never one per group or user. include_groups=false keeps
 * the group objects out of each page.
 */
export async function readUsers(client: AuthentikClient): Promise<UserRow[]> {
  const users = await client.list<{ pk: number; username: string; groups?: string[]; attributes?: Record<string, unknown> }>("/core/users/", { include_groups: "false", is_active: "true" });
  return users.map((u) => ({ pk: u.pk, username: u.username, groups: [...(u.groups ?? [])], attributes: u.attributes ?? {} }));
}
