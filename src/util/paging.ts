import { UserError } from "../errors.js";

/**
 * Collects every page of a paged list, whatever the cursor is (IAM's Marker,
 * AWS's NextToken, authentik's page number, GitHub's next link). A cursor seen
 * twice ends the loop with an error: moto — and AWS itself with duplicate
 * assignments — can hand back the same token forever.
 */
export async function collectPages<T, C extends string | number>(
  what: string,
  fetch: (cursor: C | undefined) => Promise<{ items: readonly T[] | undefined; next: C | undefined | null }>,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<C>();
  let cursor: C | undefined;
  for (;;) {
    const page = await fetch(cursor);
    out.push(...(page.items ?? []));
    const next = page.next ?? undefined;
    if (next === undefined || next === "" || next === 0) return out;
    if (seen.has(next)) throw new UserError(`${what}: pagination returned the same cursor twice; stopping rather than looping forever`);
    seen.add(next);
    cursor = next;
  }
}
