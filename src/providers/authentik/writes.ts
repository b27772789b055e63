/**
 * What every authentik write needs: the context of one apply (client, ids known so
 * far, lookups), turning `$ref`/`$lookup` values into the ids authentik wants, creating
 * exactly once, and deleting what may be gone already. The writes of each kind are in
 * its file under src/resources/.
 */
import { isLookup, isRef, type Lookup, type Ref } from "../../domain/plan-types.js";
import { AuthentikApiError, mayHaveBeenCommitted, type AuthentikClient } from "./client.js";
import { resolveLookup, type AuthentikIds, type AuthentikLookups } from "./ids.js";

export interface AuthentikApplyContext {
  client: AuthentikClient;
  lookups: AuthentikLookups;
  ids: AuthentikIds;
  /** SCIM token from the environment; sent when the SCIM provider is written, never read back. */
  scimToken?: string;
}

/** The id of an object this plan refers to by address (from the live read, or a create earlier in this apply). */
export function idOf(map: Map<string, string>, ref: Ref | string, what: string): string {
  const addr = typeof ref === "string" ? ref : ref.$ref;
  const v = map.get(addr);
  if (v === undefined) throw new Error(`internal: ${what} of ${addr} is not known (was it created?)`);
  return v;
}

/** The id of a named authentik object (a flow, a keypair, a group, one of authentik's own mappings). */
export function lookup(ctx: AuthentikApplyContext, value: Lookup): string {
  if (!isLookup(value)) throw new Error(`internal: expected a lookup, got ${JSON.stringify(value)}`);
  const id = resolveLookup(ctx.lookups, value);
  if (id === undefined) throw new Error(`authentik has no ${value.$lookup} '${value.key}'`);
  return id;
}

/** A property-mapping list mixes our own mappings ($ref) and authentik's managed ones ($lookup). */
export function mappingId(ctx: AuthentikApplyContext, value: Ref | Lookup): string {
  return isRef(value) ? idOf(ctx.ids.id, value, "pk") : lookup(ctx, value);
}

/** DELETE that treats "already gone" as done, so a re-run after a failure converges. */
export async function remove(ctx: AuthentikApplyContext, path: string): Promise<void> {
  try {
    await ctx.client.delete(path);
  } catch (error) {
    if (!(error instanceof AuthentikApiError && error.status === 404)) throw error;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates an object exactly once. A create whose answer was lost (a 5xx from a
 * proxy, a dropped connection, a timeout) may have been committed: sending it again
 * would make a second object, so the object is looked for first (by what identifies
 * it: name, slug, target and group) and, if there, taken as the result.
 */
export async function createOnce<T>(post: () => Promise<T>, find: () => Promise<T | undefined>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await post();
    } catch (error) {
      if (!mayHaveBeenCommitted(error) || attempt >= attempts) throw error;
      // Give authentik a moment: the lost answer's transaction may still be finishing.
      await sleep(200 * 2 ** (attempt - 1));
      const existing = await find().catch(() => undefined);
      if (existing !== undefined) return existing;
    }
  }
}

/** The one object of a list whose fields match, read through a filter the endpoint has (checked again here: a filter an older release lacks is ignored). */
export async function findOne<T>(ctx: AuthentikApplyContext, path: string, query: Record<string, string>, matches: (item: T) => boolean): Promise<T | undefined> {
  const items = await ctx.client.list<T>(path, query);
  return items.find(matches);
}
