// /providers/saml/ (+ metadata), /providers/scim/ (+ sync status / sync object),
// /providers/all/, and the /tasks/schedules/ subset that triggers a full SCIM sync.
import { randomUUID } from "node:crypto";
import { ApiError, FieldErrorCollector, nonFieldError, notFound } from "../http-errors.js";
import { buildEntityDescriptor } from "../saml-metadata.js";
import { timedeltaError, timedeltaMs } from "../timedelta.js";
import * as S from "../serialize.js";
import { type Attributes, isBackchannel, type ProviderRec, type SamlProviderRec, type ScheduleRec, type ScimProviderRec, type Store } from "../store.js";
import { checkRefs, created, exact, type HandlerContext, type HandlerTable, isNull, list, noContent, ok, pick } from "./common.js";

// The union over the releases; the server has already dropped what the release lacks
// (issuer before 2026.5, issuer_override and sign_logout_response from 2026.5).
const SAML_FIELDS = [
  "name", "authentication_flow", "authorization_flow", "invalidation_flow", "property_mappings", "acs_url", "sls_url",
  "audience", "issuer", "issuer_override", "assertion_valid_not_before", "assertion_valid_not_on_or_after",
  "session_valid_not_on_or_after", "name_id_mapping", "authn_context_class_ref_mapping", "digest_algorithm",
  "signature_algorithm", "signing_kp", "verification_kp", "encryption_kp", "sign_assertion", "sign_response",
  "sign_logout_request", "sign_logout_response", "sp_binding", "sls_binding", "logout_method", "default_relay_state",
  "default_name_id_policy",
] as const;

const SCIM_FIELDS = [
  "name", "property_mappings", "property_mappings_group", "url", "verify_certificates", "token", "auth_mode", "auth_oauth",
  "auth_oauth_params", "compatibility_mode", "service_provider_config_cache_timeout", "exclude_users_service_account",
  "sync_page_size", "sync_page_timeout", "discovery_enabled", "filter_group", "group_filters", "dry_run",
] as const;

const TIMEDELTA_FIELDS = [
  "assertion_valid_not_before", "assertion_valid_not_on_or_after", "session_valid_not_on_or_after",
  "service_provider_config_cache_timeout", "sync_page_timeout",
];
/** authentik's timedelta_string_validator ("hours=1;minutes=2", timedelta.ts). */
export function checkTimedelta(errors: FieldErrorCollector, field: string, value: unknown): void {
  if (typeof value !== "string") return;
  if (timedeltaMs(value) === undefined) errors.add(field, timedeltaError(value));
}

/**
 * Provider.name is `TextField(unique=True)` on the base Provider model, so DRF's
 * UniqueValidator queries Provider.objects — every provider type — and words the
 * error with Provider's verbose_name: "provider with this name already exists."
 * (authentik/core/models.py@version/2025.10.4 … @2026.5.0-rc1; DRF get_unique_error_message).
 */
export function checkProviderName(store: Store, errors: FieldErrorCollector, name: unknown, self?: ProviderRec): void {
  if (typeof name !== "string") return;
  for (const p of store.providers.values()) if (p !== self && p.name === name) errors.add("name", "provider with this name already exists.");
}

function getSaml(ctx: HandlerContext): SamlProviderRec {
  const p = ctx.store.providers.get(Number(ctx.params.id));
  if (!p || p.kind !== "saml") throw notFound("SAML Provider");
  return p;
}

function getScim(ctx: HandlerContext): ScimProviderRec {
  const p = ctx.store.providers.get(Number(ctx.params.id));
  if (!p || p.kind !== "scim") throw notFound("SCIM Provider");
  return p;
}

function writeSaml(ctx: HandlerContext, existing?: SamlProviderRec): SamlProviderRec {
  const { store } = ctx;
  const attrs = pick(ctx, SAML_FIELDS);
  const errors = new FieldErrorCollector();
  checkProviderName(store, errors, attrs.name, existing);
  for (const f of ["authentication_flow", "authorization_flow", "invalidation_flow"]) checkRefs(errors, f, attrs[f], (pk: string) => store.flows.has(pk));
  checkRefs(errors, "property_mappings", attrs.property_mappings, (pk: string) => store.mappings.has(pk));
  for (const f of ["name_id_mapping", "authn_context_class_ref_mapping"]) checkRefs(errors, f, attrs[f], (pk: string) => store.mappings.get(pk)?.kind === "saml");
  for (const f of ["signing_kp", "verification_kp", "encryption_kp"]) checkRefs(errors, f, attrs[f], (pk: string) => store.keypairs.has(pk));
  for (const f of TIMEDELTA_FIELDS) checkTimedelta(errors, f, attrs[f]);
  errors.throwIfAny();
  // The store keeps the issuer in issuer_override whatever the release calls it.
  if (attrs.issuer !== undefined) attrs.issuer_override = attrs.issuer;
  delete attrs.issuer;
  // SAMLProviderSerializer.validate() reads the submitted attrs only: a PATCH
  // setting signing_kp must repeat sign_assertion/sign_response, and since the
  // model default sign_assertion=True is not in attrs, a create with signing_kp
  // alone is rejected too.
  if (attrs.signing_kp && !attrs.sign_assertion && !attrs.sign_response) {
    throw nonFieldError("With a signing keypair selected, at least one of 'Sign assertion' and 'Sign Response' must be selected.");
  }
  if (attrs.logout_method === "backchannel" && attrs.sls_binding === "redirect") attrs.logout_method = "frontchannel_iframe";

  const p: SamlProviderRec = existing ?? {
    kind: "saml",
    pk: store.allocProviderPk(),
    name: "",
    authentication_flow: null,
    authorization_flow: null,
    invalidation_flow: null,
    property_mappings: [],
    backchannel_application: null,
    acs_url: "",
    sls_url: "",
    audience: "",
    // SAMLProvider.issuer default "authentik" before 2026.5; issuer_override default "" from 2026.5.
    issuer_override: ctx.store.release.samlIssuerField === "issuer" ? "authentik" : "",
    assertion_valid_not_before: "minutes=-5",
    assertion_valid_not_on_or_after: "minutes=5",
    session_valid_not_on_or_after: "minutes=86400",
    name_id_mapping: null,
    authn_context_class_ref_mapping: null,
    digest_algorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    signature_algorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    signing_kp: null,
    verification_kp: null,
    encryption_kp: null,
    sign_assertion: true,
    sign_response: false,
    sign_logout_request: false,
    sign_logout_response: false,
    sp_binding: "redirect",
    sls_binding: "redirect",
    logout_method: "frontchannel_iframe",
    default_relay_state: "",
    default_name_id_policy: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
  };
  Object.assign(p, attrs);
  if (Array.isArray(attrs.property_mappings)) p.property_mappings = [...new Set(attrs.property_mappings as string[])];
  if (!existing) store.providers.set(p.pk, p);
  return p;
}

/**
 * A full sync, finished at once: records what it pushed (Store.scimWouldProvision;
 * nothing while the provider is not attached to an application, when authentik's
 * task logs "No provider found. Is it assigned to an application?").
 */
export function triggerFullSync(store: Store, p: ScimProviderRec): void {
  p.syncTriggers += 1;
  const push = store.scimWouldProvision(p);
  p.syncs.push(push);
  store.scimSyncMembers(p, push);
  p.sync = { is_running: false, last_successful_sync: new Date().toISOString(), last_sync_status: "done" };
}

function writeScim(ctx: HandlerContext, existing?: ScimProviderRec): ScimProviderRec {
  const { store } = ctx;
  const attrs = pick(ctx, SCIM_FIELDS);
  const errors = new FieldErrorCollector();
  checkProviderName(store, errors, attrs.name, existing);
  for (const f of ["property_mappings", "property_mappings_group"]) checkRefs(errors, f, attrs[f], (pk: string) => store.mappings.has(pk));
  checkRefs(errors, "group_filters", attrs.group_filters, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "filter_group", attrs.filter_group, (pk: string) => store.groups.has(pk));
  checkRefs(errors, "auth_oauth", attrs.auth_oauth, () => false); // OAuth sources are not emulated
  for (const f of TIMEDELTA_FIELDS) checkTimedelta(errors, f, attrs[f]);
  errors.throwIfAny();

  const before = existing ? JSON.stringify(existing) : undefined;
  const p: ScimProviderRec = existing ?? {
    kind: "scim",
    pk: store.allocProviderPk(),
    name: "",
    authentication_flow: null,
    authorization_flow: null,
    invalidation_flow: null,
    property_mappings: [],
    backchannel_application: null,
    property_mappings_group: [],
    url: "",
    verify_certificates: true,
    token: "",
    auth_mode: "token",
    auth_oauth: null,
    auth_oauth_params: {},
    compatibility_mode: "default",
    service_provider_config_cache_timeout: "hours=1",
    exclude_users_service_account: false,
    sync_page_size: 100,
    sync_page_timeout: "minutes=30",
    discovery_enabled: false,
    group_filters: [],
    dry_run: false,
    sync: { is_running: false },
    syncTriggers: 0,
    syncs: [],
  };
  // filter_group (up to 2025.12) is kept as a group_filters list of at most one.
  if (attrs.filter_group !== undefined) attrs.group_filters = attrs.filter_group === null ? [] : [attrs.filter_group];
  delete attrs.filter_group;
  Object.assign(p, attrs);
  if (attrs.auth_oauth_params !== undefined) p.auth_oauth_params = attrs.auth_oauth_params as Attributes;
  if (!existing) {
    store.providers.set(p.pk, p);
    const schedule: ScheduleRec = {
      id: randomUUID(),
      uid: `authentik.providers.scim.tasks.scim_sync:${p.pk}`,
      identifier: null,
      actor_name: "authentik.providers.scim.tasks.scim_sync",
      rel_obj_app_label: "authentik_providers_scim",
      rel_obj_model: "scimprovider",
      rel_obj_id: String(p.pk),
      crontab: `${p.pk % 60} */4 * * *`,
      paused: false,
      description: null,
    };
    store.schedules.set(schedule.id, schedule);
  } else if (JSON.stringify(p) === before) {
    ctx.warn(`no-op write to SCIM provider ${p.pk} still triggered a full sync`);
  }
  // The provider's schedule has send_on_save=True (authentik/lib/sync/outgoing/models.py
  // schedule_specs@version/2025.10.4): every save starts a full sync.
  triggerFullSync(store, p);
  return p;
}

export const providerHandlers: HandlerTable = {
  providers_all_list(ctx) {
    // `backchannel` filters on Provider.is_backchannel (SCIM providers are backchannel ones).
    const { store } = ctx;
    const backchannel = ctx.query.backchannel as boolean | undefined;
    const rows = [...store.providers.values()].filter((p) => backchannel === undefined || isBackchannel(p) === backchannel);
    return list(ctx, rows.map((p) => S.provider(ctx.ser, p)), {
      filters: {
        // ProviderFilter.filter_application__isnull (authentik/core/api/providers.py@version/2025.10.4):
        // Q(backchannel_application__isnull=value, is_backchannel=True) | Q(application__isnull=value)
        application__isnull: (w, value) => {
          const p = store.providers.get(w.pk as number)!;
          return (isBackchannel(p) && (p.backchannel_application === null) === value) || (store.applicationOfProvider(p.pk) === undefined) === value;
        },
      },
      search: ["name"],
      ordering: ["pk"],
    });
  },
  providers_all_retrieve(ctx) {
    const p = ctx.store.providers.get(Number(ctx.params.id));
    if (!p) throw notFound("provider");
    return ok(S.provider(ctx.ser, p));
  },
  providers_all_destroy(ctx) {
    const p = ctx.store.providers.get(Number(ctx.params.id));
    if (!p) throw notFound("provider");
    ctx.store.deleteProvider(p.pk);
    return noContent();
  },

  providers_saml_list: (ctx) =>
    list(ctx, [...ctx.store.providers.values()].filter((p) => p.kind === "saml").map((p) => S.samlProvider(ctx.ser, p as SamlProviderRec)), {
      // filterset_fields = "__all__": exact match on any model field the schema lists
      filters: Object.fromEntries(
        [
          "acs_url", "assertion_valid_not_before", "assertion_valid_not_on_or_after", "audience", "authentication_flow",
          "authn_context_class_ref_mapping", "authorization_flow", "default_name_id_policy", "default_relay_state",
          "digest_algorithm", "encryption_kp", "invalidation_flow", "issuer", "issuer_override", "logout_method", "name",
          "name_id_mapping", "session_valid_not_on_or_after", "sign_assertion", "sign_logout_request",
          "sign_logout_response", "sign_response", "signature_algorithm", "signing_kp", "sls_binding", "sls_url",
          "sp_binding", "verification_kp",
        ].map((f) => [f, exact(f)]),
      ),
      search: ["name"],
      ordering: ["name"],
    }),
  providers_saml_create: (ctx) => created(S.samlProvider(ctx.ser, writeSaml(ctx))),
  providers_saml_retrieve: (ctx) => ok(S.samlProvider(ctx.ser, getSaml(ctx))),
  providers_saml_update: (ctx) => ok(S.samlProvider(ctx.ser, writeSaml(ctx, getSaml(ctx)))),
  providers_saml_partial_update: (ctx) => ok(S.samlProvider(ctx.ser, writeSaml(ctx, getSaml(ctx)))),
  providers_saml_destroy(ctx) {
    ctx.store.deleteProvider(getSaml(ctx).pk);
    return noContent();
  },
  // Anonymous (security includes {}). authentik builds the SSO URLs from the app
  // slug, so without an application MetadataProcessor raises RelatedObjectDoesNotExist,
  // which SAMLProviderViewSet.metadata answers with Response({"metadata": ""})
  // (authentik/providers/saml/api/providers.py@version/2025.10.4, @version/2026.2.2) and
  // from 2026.5 with `raise Http404` (@2026.5.0-rc1).
  providers_saml_metadata_retrieve(ctx) {
    const p = getSaml(ctx);
    if (!ctx.store.applicationOfProvider(p.pk)) {
      if (ctx.options.metadataWithoutApplication === "404") throw new ApiError(404, { detail: "Not found." });
      return ok({ metadata: "" });
    }
    const xml = buildEntityDescriptor(ctx.ser, p, ctx.query.force_binding as string | undefined);
    if (ctx.query.download !== undefined) {
      return {
        status: 200,
        body: xml,
        contentType: "application/xml",
        headers: { "content-disposition": `attachment; filename="${p.name.replace(/["\r\n]/g, "_")}_authentik_meta.xml"` },
      };
    }
    return ok({ metadata: xml });
  },

  providers_scim_list: (ctx) =>
    list(ctx, [...ctx.store.providers.values()].filter((p) => p.kind === "scim").map((p) => S.scimProvider(ctx.ser, p as ScimProviderRec)), {
      filters: {
        name: exact("name"),
        url: exact("url"),
        exclude_users_service_account: exact("exclude_users_service_account"),
        // filterset_fields: "filter_group" up to 2025.12, "group_filters" from 2026.2
        filter_group: exact("filter_group"),
        group_filters: (w, v) => (v as string[]).some((g) => (w.group_filters as string[]).includes(g)),
      },
      search: ["name"],
      ordering: ["name", "url"],
    }),
  providers_scim_create: (ctx) => created(S.scimProvider(ctx.ser, writeScim(ctx))),
  providers_scim_retrieve: (ctx) => ok(S.scimProvider(ctx.ser, getScim(ctx))),
  providers_scim_update: (ctx) => ok(S.scimProvider(ctx.ser, writeScim(ctx, getScim(ctx)))),
  providers_scim_partial_update: (ctx) => ok(S.scimProvider(ctx.ser, writeScim(ctx, getScim(ctx)))),
  providers_scim_destroy(ctx) {
    ctx.store.deleteProvider(getScim(ctx).pk);
    return noContent();
  },
  providers_scim_sync_status_retrieve: (ctx) => ok({ ...getScim(ctx).sync }),
  // Syncs one user or group right away and returns the task's log messages.
  providers_scim_sync_object_create(ctx) {
    const p = getScim(ctx);
    const model = ctx.body.sync_object_model as string;
    const id = String(ctx.body.sync_object_id);
    const found = model.endsWith(".User") ? ctx.store.users.get(Number(id)) : ctx.store.groups.get(id);
    const now = new Date().toISOString();
    if (!found) {
      return ok({ messages: [{ timestamp: now, log_level: "warning", logger: "authentik.providers.scim.tasks", event: "Object does not exist", attributes: { pk: id } }] });
    }
    const what = "username" in found ? `user ${found.username}` : `group ${found.name}`;
    const dry = p.dry_run && ctx.body.override_dry_run !== true;
    return ok({
      messages: [{ timestamp: now, log_level: "info", logger: "authentik.providers.scim.tasks", event: `${dry ? "Dry-run: would sync" : "Synced"} ${what}`, attributes: { provider: p.name } }],
    });
  },

  tasks_schedules_list: (ctx) =>
    list(ctx, [...ctx.store.schedules.values()].map((s) => S.schedule(ctx.ser, s)), {
      filters: {
        actor_name: exact("actor_name"),
        paused: exact("paused"),
        rel_obj_content_type__app_label: exact("rel_obj_app_label"),
        rel_obj_content_type__model: exact("rel_obj_model"),
        rel_obj_id: exact("rel_obj_id"),
        rel_obj_id__isnull: isNull("rel_obj_id"),
      },
      search: ["uid", "actor_name"],
      ordering: ["uid"],
    }),
  tasks_schedules_retrieve(ctx) {
    const s = ctx.store.schedules.get(ctx.params.id!);
    if (!s) throw notFound("Schedule");
    return ok(S.schedule(ctx.ser, s));
  },
  // "Run now": for a SCIM provider's schedule this is the full-sync trigger. Present in
  // every supported release (from 2025.8); needs send_schedule (permissions.ts) and
  // answers `Response({})`: 200 with {}, although the schema documents 204
  // (authentik/tasks/schedules/api.py@version/2025.10.4, @2026.5.0-rc1; openapi.ts).
  tasks_schedules_send_create(ctx) {
    const s = ctx.store.schedules.get(ctx.params.id!);
    if (!s) throw notFound("Schedule");
    const p = s.rel_obj_id !== null ? ctx.store.providers.get(Number(s.rel_obj_id)) : undefined;
    if (p?.kind === "scim") triggerFullSync(ctx.store, p);
    return ok({});
  },
};
