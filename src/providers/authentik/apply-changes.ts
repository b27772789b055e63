import type { Application, ApplicationEntitlement, PolicyBinding, SAMLPropertyMapping, SAMLProvider, SCIMMapping, SCIMProvider } from "@goauthentik/api";
import { isLookup, isRef, type Change, type Lookup, type Props } from "../../domain/plan-types.js";
import { AuthentikApiError, mayHaveBeenCommitted, type AuthentikClient } from "./client.js";
import { resolveLookup, type AuthentikIds, type AuthentikLookups } from "./ids.js";

export interface AuthentikApplyContext {
  client: AuthentikClient;
  lookups: AuthentikLookups;
  ids: AuthentikIds;
  /** SCIM token from the environment; sent when the SCIM provider is written, never read back. */
  scimToken?: string;
}

function need(map: Map<string, string>, addr: string, what: string): string {
  const v = map.get(addr);
  if (v === undefined) throw new Error(`internal: ${what} of ${addr} is not known (was it created?)`);
  return v;
}

function lookup(ctx: AuthentikApplyContext, value: unknown): string {
  if (!isLookup(value)) throw new Error(`internal: expected a lookup, got ${JSON.stringify(value)}`);
  const id = resolveLookup(ctx.lookups, value as Lookup);
  if (id === undefined) throw new Error(`authentik has no ${value.$lookup} '${value.key}'`);
  return id;
}

/** A property-mapping list mixes our own mappings ($ref) and authentik's managed ones ($lookup). */
function mappingId(ctx: AuthentikApplyContext, value: unknown): string {
  return isRef(value) ? need(ctx.ids.id, value.$ref, "pk") : lookup(ctx, value);
}

function refAddress(value: unknown): string {
  if (!isRef(value)) throw new Error(`internal: expected a reference, got ${JSON.stringify(value)}`);
  return value.$ref;
}

/** DELETE that treats "already gone" as done, so a re-run after a failure converges. */
async function remove(ctx: AuthentikApplyContext, path: string): Promise<void> {
  try {
    await ctx.client.delete(path);
  } catch (error) {
    if (!(error instanceof AuthentikApiError && error.status === 404)) throw error;
  }
}

type Handler = (ctx: AuthentikApplyContext, change: Change, after: Props) => Promise<void>;

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
async function findOne<T>(ctx: AuthentikApplyContext, path: string, query: Record<string, string>, matches: (item: T) => boolean): Promise<T | undefined> {
  const items = await ctx.client.list<T>(path, query);
  return items.find(matches);
}

const propertyMapping: Handler = async (ctx, change, after) => {
  const body = { name: after.name as string, samlName: after.saml_name as string, friendlyName: after.friendly_name as string, expression: after.expression as string };
  if (change.action === "create") {
    const created = await createOnce(
      () => ctx.client.post<SAMLPropertyMapping>("/propertymappings/provider/saml/", body),
      () => findOne<SAMLPropertyMapping>(ctx, "/propertymappings/provider/saml/", { name: body.name }, (m) => m.name === body.name),
    );
    ctx.ids.id.set(change.address, created.pk);
  } else {
    await ctx.client.put(`/propertymappings/provider/saml/${change.liveId}/`, body);
  }
};

const samlProvider: Handler = async (ctx, change, after) => {
  const body = {
    name: after.name as string,
    authorizationFlow: lookup(ctx, after.authorization_flow),
    invalidationFlow: lookup(ctx, after.invalidation_flow),
    acsUrl: after.acs_url as string,
    audience: after.audience as string,
    // Whichever of issuer_override (2026.5+) / issuer (before) the plan was made for.
    ...("issuer_override" in after ? { issuerOverride: after.issuer_override as string } : {}),
    ...("issuer" in after ? { issuer: after.issuer as string } : {}),
    spBinding: after.sp_binding as string,
    signingKp: lookup(ctx, after.signing_kp),
    signAssertion: after.sign_assertion as boolean,
    signResponse: after.sign_response as boolean,
    nameIdMapping: lookup(ctx, after.name_id_mapping),
    propertyMappings: (after.property_mappings as unknown[]).map((r) => need(ctx.ids.id, refAddress(r), "pk")),
  };
  if (change.action === "create") {
    const created = await createOnce(
      () => ctx.client.post<SAMLProvider>("/providers/saml/", body),
      () => findOne<SAMLProvider>(ctx, "/providers/saml/", { name: body.name }, (p) => p.name === body.name),
    );
    ctx.ids.id.set(change.address, String(created.pk));
    ctx.ids.pk.set(change.address, String(created.pk));
  } else {
    // PATCH: fields this tool does not manage keep whatever an admin set.
    await ctx.client.patch(`/providers/saml/${change.liveId}/`, body);
  }
};

const application: Handler = async (ctx, change, after) => {
  const body = {
    name: after.name as string,
    slug: after.slug as string,
    provider: Number(need(ctx.ids.pk, refAddress(after.provider), "pk")),
    group: after.group as string,
    metaLaunchUrl: after.meta_launch_url as string,
    openInNewTab: after.open_in_new_tab as boolean,
    policyEngineMode: after.policy_engine_mode as string,
    metaPublisher: after.meta_publisher as string,
    backchannelProviders: ((after.backchannel_providers as unknown[] | undefined) ?? []).map((r) => Number(need(ctx.ids.pk, refAddress(r), "pk"))),
  };
  if (change.action === "create") {
    const created = await createOnce(
      () => ctx.client.post<Application>("/core/applications/", body),
      () => ctx.client.find<Application>(`/core/applications/${encodeURIComponent(body.slug)}/`),
    );
    ctx.ids.id.set(change.address, created.slug);
    ctx.ids.pk.set(change.address, created.pk);
    // pk is the pbm_uuid bindings target (2025.10 does not return pbm_uuid).
    ctx.ids.pbm.set(change.address, created.pk);
  } else {
    await ctx.client.patch(`/core/applications/${encodeURIComponent(change.liveId!)}/`, body);
  }
};

const entitlement: Handler = async (ctx, change, after) => {
  const body = { name: after.name as string, app: need(ctx.ids.pk, refAddress(after.app), "pk"), attributes: after.attributes as object };
  if (change.action === "create") {
    const created = await createOnce(
      () => ctx.client.post<ApplicationEntitlement>("/core/application_entitlements/", body),
      () => findOne<ApplicationEntitlement>(ctx, "/core/application_entitlements/", { app: body.app, name: body.name }, (e) => e.app === body.app && e.name === body.name),
    );
    ctx.ids.id.set(change.address, created.pbmUuid);
    ctx.ids.pbm.set(change.address, created.pbmUuid);
  } else {
    await ctx.client.patch(`/core/application_entitlements/${change.liveId}/`, body);
  }
};

const binding: Handler = async (ctx, change, after) => {
  const body = {
    target: need(ctx.ids.pbm, refAddress(after.target), "pbm_uuid"),
    group: lookup(ctx, after.group),
    order: after.order as number,
    enabled: after.enabled as boolean,
    negate: after.negate as boolean,
    timeout: after.timeout as number,
    failureResult: after.failure_result as boolean,
  };
  if (change.action === "create") {
    const created = await createOnce(
      () => ctx.client.post<PolicyBinding>("/policies/bindings/", body),
      () => findOne<PolicyBinding>(ctx, "/policies/bindings/", { target: body.target }, (b) => b.target === body.target && b.group === body.group),
    );
    ctx.ids.id.set(change.address, created.pk);
  } else {
    await ctx.client.patch(`/policies/bindings/${change.liveId}/`, body);
  }
};

const scimMapping: Handler = async (ctx, change, after) => {
  const body = { name: after.name as string, expression: after.expression as string };
  if (change.action === "create") {
    const created = await createOnce(
      () => ctx.client.post<SCIMMapping>("/propertymappings/provider/scim/", body),
      () => findOne<SCIMMapping>(ctx, "/propertymappings/provider/scim/", { name: body.name }, (m) => m.name === body.name),
    );
    ctx.ids.id.set(change.address, created.pk);
  } else {
    await ctx.client.put(`/propertymappings/provider/scim/${change.liveId}/`, body);
  }
};

const scimProvider: Handler = async (ctx, change, after) => {
  if (!ctx.scimToken) throw new Error("internal: the SCIM token is not available");
  // Every save of a SCIM provider starts a full sync in authentik: this runs only
  // when the plan found a real difference, never as a no-op write.
  const body = {
    name: after.name as string,
    url: after.url as string,
    token: ctx.scimToken,
    compatibilityMode: after.compatibility_mode as string,
    propertyMappings: (after.property_mappings as unknown[]).map((v) => mappingId(ctx, v)),
    propertyMappingsGroup: (after.property_mappings_group as unknown[]).map((v) => mappingId(ctx, v)),
    // The release's own field for the groups to sync (see releases.ts).
    ...("group_filters" in after ? { groupFilters: (after.group_filters as unknown[]).map((v) => lookup(ctx, v)) } : {}),
    ...("filter_group" in after ? { filterGroup: after.filter_group === null ? null : lookup(ctx, after.filter_group) } : {}),
    excludeUsersServiceAccount: after.exclude_users_service_account as boolean,
    ...("sync_page_size" in after ? { syncPageSize: after.sync_page_size as number } : {}),
    dryRun: after.dry_run as boolean,
  };
  if (change.action === "create") {
    const created = await createOnce(
      () => ctx.client.post<SCIMProvider>("/providers/scim/", body),
      () => findOne<SCIMProvider>(ctx, "/providers/scim/", { name: body.name }, (p) => p.name === body.name),
    );
    ctx.ids.id.set(change.address, String(created.pk));
    ctx.ids.pk.set(change.address, String(created.pk));
  } else {
    await ctx.client.patch(`/providers/scim/${change.liveId}/`, body);
  }
};

const HANDLERS: Record<string, { write: Handler; path: (id: string) => string }> = {
  "authentik.scim_mapping": { write: scimMapping, path: (id) => `/propertymappings/all/${id}/` },
  "authentik.scim_provider": { write: scimProvider, path: (id) => `/providers/scim/${id}/` },
  "authentik.property_mapping": { write: propertyMapping, path: (id) => `/propertymappings/all/${id}/` },
  "authentik.saml_provider": { write: samlProvider, path: (id) => `/providers/saml/${id}/` },
  "authentik.application": { write: application, path: (id) => `/core/applications/${encodeURIComponent(id)}/` },
  "authentik.entitlement": { write: entitlement, path: (id) => `/core/application_entitlements/${id}/` },
  "authentik.policy_binding": { write: binding, path: (id) => `/policies/bindings/${id}/` },
};

export async function applyAuthentikChange(ctx: AuthentikApplyContext, change: Change): Promise<void> {
  const handler = HANDLERS[change.type];
  if (!handler) throw new Error(`internal: no authentik handler for ${change.type}`);
  if (change.action === "delete") {
    await remove(ctx, handler.path(change.liveId!));
    return;
  }
  await handler.write(ctx, change, change.after!);
}
