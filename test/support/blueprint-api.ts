/**
 * A blueprint that `permissions --authentik-oidc` prints, created through authentik's API in
 * the emulator (which has no blueprint importer): each entry, in order, as the API object of
 * its model — `!KeyOf` the pk of an earlier entry's object (for a policy binding's target,
 * the application's pbm_uuid, as authentik's KeyOf does), `!Find [model, [field, value]]`
 * the pk of the one object whose field has the value, a role's `permissions` assigned
 * through /rbac/permissions/assigned_by_roles/. What it sends is the blueprint's attrs as
 * written, but for URLs the test swaps (GitHub's JWKS URL for the GitHub emulator's).
 */
import { parseDocument, Scalar } from "yaml";

type Api = <T = any>(method: string, apiPath: string, body?: unknown) => Promise<T>;

interface Tag {
  tag: "KeyOf" | "Find";
  value: string | [string, [string, string]];
}

interface Entry {
  model: string;
  id?: string;
  identifiers: Record<string, unknown>;
  attrs: Record<string, unknown>;
}

/** Where each model lives in the API. */
const ENDPOINTS: Record<string, string> = {
  "authentik_sources_oauth.oauthsource": "/sources/oauth/",
  "authentik_providers_oauth2.oauth2provider": "/providers/oauth2/",
  "authentik_core.application": "/core/applications/",
  "authentik_policies_expression.expressionpolicy": "/policies/expression/",
  "authentik_policies.policybinding": "/policies/bindings/",
  "authentik_rbac.role": "/rbac/roles/",
  "authentik_core.group": "/core/groups/",
  "authentik_core.user": "/core/users/",
  "authentik_flows.flow": "/flows/instances/",
  "authentik_providers_oauth2.scopemapping": "/propertymappings/provider/scope/",
};

export function parseBlueprint(text: string): { entries: Entry[] } {
  const doc = parseDocument(text, {
    customTags: [
      { tag: "!KeyOf", resolve: (value: string) => ({ tag: "KeyOf", value }) },
      { tag: "!Find", collection: "seq", resolve: (seq) => new Scalar({ tag: "Find", value: seq.toJSON() as unknown }) },
    ],
  });
  if (doc.errors.length > 0) throw new Error(`blueprint: ${doc.errors.map((e) => e.message).join("; ")}`);
  return doc.toJS() as { entries: Entry[] };
}

const isTag = (v: unknown): v is Tag => typeof v === "object" && v !== null && "tag" in v && ((v as Tag).tag === "KeyOf" || (v as Tag).tag === "Find");

/** Creates the blueprint's objects; the created objects by entry id (and by model for those without one). */
export async function applyBlueprint(api: Api, text: string, replace: Record<string, string> = {}): Promise<Map<string, Record<string, unknown>>> {
  const made = new Map<string, Record<string, unknown>>();
  const { entries } = parseBlueprint(text);
  const swap = (v: unknown): unknown => (typeof v === "string" && v in replace ? replace[v] : v);
  for (const entry of entries) {
    const endpoint = ENDPOINTS[entry.model];
    if (!endpoint) throw new Error(`blueprint: no API endpoint known for ${entry.model}`);
    const resolve = async (v: unknown): Promise<unknown> => {
      if (!isTag(v)) return swap(v);
      if (v.tag === "KeyOf") {
        const obj = made.get(v.value as string);
        if (!obj) throw new Error(`!KeyOf ${String(v.value)}: no earlier entry`);
        // authentik's KeyOf gives a policy binding the PolicyBindingModel's pbm_uuid.
        return entry.model === "authentik_policies.policybinding" && obj.pbm_uuid !== undefined ? obj.pbm_uuid : obj.pk;
      }
      const [model, [field, value]] = v.value as [string, [string, string]];
      const listed = await api<{ results: Record<string, unknown>[] }>("GET", `${ENDPOINTS[model]}?page_size=100`);
      const found = listed.results.filter((o) => o[field] === value);
      if (found.length !== 1) throw new Error(`!Find ${model} ${field}=${value}: ${found.length} objects`);
      return found[0]!.pk;
    };
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry.attrs)) {
      if (entry.model === "authentik_rbac.role" && k === "permissions") continue;
      body[k] = Array.isArray(v) ? await Promise.all(v.map(resolve)) : await resolve(v);
    }
    for (const [k, v] of Object.entries(entry.identifiers)) body[k] ??= await resolve(v);
    const created = await api<Record<string, unknown>>("POST", endpoint, body);
    if (entry.model === "authentik_rbac.role" && Array.isArray(entry.attrs.permissions)) {
      await api("POST", `/rbac/permissions/assigned_by_roles/${String(created.pk)}/assign/`, { permissions: entry.attrs.permissions });
    }
    made.set(entry.id ?? `${entry.model}#${made.size}`, created);
  }
  return made;
}
