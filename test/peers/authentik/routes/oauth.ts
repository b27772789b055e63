// /sources/oauth/ (OAuth sources: the JWKS a federated JWT is verified against) and
// /providers/oauth2/ (OAuth2 providers: jwt_federation_sources, scope mappings,
// access_token_validity) — what the client_credentials JWT flow needs, shaped as authentik's
// serializers shape them (serialize.ts) and validated as they validate.
import { randomUUID } from "node:crypto";
import { ApiError, FieldErrorCollector, nonFieldError, notFound } from "../http-errors.js";
import { generateId } from "../../jwt.js";
import * as S from "../serialize.js";
import type { Attributes, OAuth2ProviderRec, OAuthSourceRec, Store } from "../store.js";
import { checkRefs, created, exact, type HandlerContext, type HandlerTable, list, noContent, ok, pick } from "./common.js";
import { checkProviderName, checkTimedelta } from "./providers.js";

// ---- OAuth sources --------------------------------------------------------------

const SOURCE_FIELDS = [
  "name", "slug", "enabled", "promoted", "authentication_flow", "enrollment_flow", "user_property_mappings", "group_property_mappings",
  "policy_engine_mode", "user_matching_mode", "user_path_template", "icon", "group_matching_mode", "provider_type", "request_token_url",
  "authorization_url", "access_token_url", "profile_url", "pkce", "consumer_key", "consumer_secret", "additional_scopes",
  "oidc_well_known_url", "oidc_jwks_url", "oidc_jwks", "authorization_code_auth_method",
] as const;

function getSource(ctx: HandlerContext): OAuthSourceRec {
  const s = ctx.store.sourceBySlug(ctx.params.slug!);
  if (!s) throw notFound("OAuth Source");
  return s;
}

/**
 * What authentik's `get_http_session().get(url)` + `raise_for_status()` + `.json()` gives, as
 * OAuthSourceSerializer.validate reads it. A failure is the text authentik puts in the field
 * error: up to 2026.2 `exc.response.text if exc.response else str(exc)`, and a Response with an
 * error status is falsy, so an HTTP error reads as requests' "404 Client Error: Not Found for
 * url: …"; from 2026.5 (`exc.response is not None`) it is the response's body. A server that
 * cannot be reached reads as requests' ConnectionError (worded approximately here). A body
 * that is not JSON is an unhandled JSONDecodeError: a 500.
 */
export async function fetchJson(store: Store, url: string): Promise<{ ok: true; json: unknown } | { ok: false; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: { "user-agent": "authentik@emulator" } });
  } catch (err) {
    let where = url;
    try {
      const u = new URL(url);
      where = `HTTPConnectionPool(host='${u.hostname}', port=${u.port || (u.protocol === "https:" ? 443 : 80)}): Max retries exceeded with url: ${u.pathname}${u.search}`;
    } catch {
      return { ok: false, text: `Invalid URL '${url}': No scheme supplied. Perhaps you meant https://${url}?` };
    }
    return { ok: false, text: `${where} (Caused by NewConnectionError('Failed to establish a new connection: ${(err as Error).message}'))` };
  }
  const text = await response.text();
  if (!response.ok) {
    if (store.release.atLeast("2026.5")) return { ok: false, text };
    const kind = response.status < 500 ? "Client" : "Server";
    return { ok: false, text: `${response.status} ${kind} Error: ${response.statusText} for url: ${url}` };
  }
  try {
    return { ok: true, json: JSON.parse(text) as unknown };
  } catch (err) {
    throw new ApiError(500, { detail: `JSONDecodeError: ${(err as Error).message}` });
  }
}

/** Python's str() of a JSON value, as an f-string or str(list) writes it. */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(value);
  const repr = (v: unknown): string => {
    if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    if (Array.isArray(v)) return `[${v.map(repr).join(", ")}]`;
    if (v && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(", ")}}`;
    return pyStr(v);
  };
  return repr(value);
}

/**
 * OAuthSourceSerializer.validate (authentik/sources/oauth/api/source.py@version/2025.10.4,
 * @version/2026.2.2, @2026.5.0-rc1), for the OpenID Connect type (whose well-known and JWKS
 * URLs and endpoint URLs are not preset):
 *   * 2025.10 reads `attrs["provider_type"]`: a PATCH without it is a KeyError (500); later
 *     releases fall back to the stored type;
 *   * `oidc_well_known_url` (as sent) is fetched: a failure is {"oidc_well_known_url": [text]},
 *     a document without `issuer` {"oidc_well_known_url": ["Invalid well-known configuration"]};
 *     authorization_url, access_token_url, profile_url not sent (or empty) are taken from its
 *     authorization_endpoint, token_endpoint, userinfo_endpoint ("" when it has none) — and up to
 *     2026.2 `pkce` from code_challenge_methods_supported, stored as Python writes the value
 *     (a list becomes "['S256']", a missing key ""); from 2026.5 pkce, when not sent, is S256 if
 *     listed, else plain if listed, else none. Its jwks_uri is the JWKS URL unless one is sent;
 *   * the JWKS URL (sent, else from the well-known document) is stored and fetched into
 *     `oidc_jwks` (failure: {"oidc_jwks_url": [text]}), replacing what was sent;
 *   * authorization_url, access_token_url and profile_url must each be in the request (or
 *     have come from the well-known document): "<url> is required for provider OpenID Connect",
 *     a non-field error — a PATCH must repeat them.
 */
async function validateSource(ctx: HandlerContext, attrs: Record<string, unknown>, existing?: OAuthSourceRec): Promise<void> {
  const { store } = ctx;
  if (!store.release.atLeast("2025.12") && attrs.provider_type === undefined) {
    ctx.warn("PATCH /sources/oauth/ without provider_type: authentik 2025.10's validate() reads attrs[\"provider_type\"] (KeyError)");
    throw new ApiError(500, { detail: "KeyError: 'provider_type'" });
  }
  const providerType = (attrs.provider_type as string | undefined) ?? existing?.provider_type;
  if (providerType !== "openidconnect") {
    throw new ApiError(501, { detail: `the emulator models OAuth sources of provider_type openidconnect only, not ${providerType}` });
  }
  let inferredJwksUrl: string | undefined;
  const wellKnown = attrs.oidc_well_known_url as string | undefined;
  if (wellKnown) {
    const got = await fetchJson(store, wellKnown);
    if (!got.ok) throw new ApiError(400, { oidc_well_known_url: [got.text] });
    const config = (got.json && typeof got.json === "object" ? got.json : {}) as Record<string, unknown>;
    if (!("issuer" in config)) throw new ApiError(400, { oidc_well_known_url: ["Invalid well-known configuration"] });
    const fieldMap: Array<[string, string]> = [
      ["authorization_url", "authorization_endpoint"],
      ["access_token_url", "token_endpoint"],
      ["profile_url", "userinfo_endpoint"],
    ];
    if (!store.release.atLeast("2026.5")) fieldMap.push(["pkce", "code_challenge_methods_supported"]);
    for (const [akKey, oidcKey] of fieldMap) {
      if (akKey in attrs && attrs[akKey]) continue;
      const value = config[oidcKey] ?? "";
      attrs[akKey] = typeof value === "string" ? value : pyStr(value);
    }
    if (store.release.atLeast("2026.5") && !attrs.pkce) {
      const methods = config.code_challenge_methods_supported;
      attrs.pkce = Array.isArray(methods) && methods.includes("S256") ? "S256" : Array.isArray(methods) && methods.includes("plain") ? "plain" : "none";
    }
    inferredJwksUrl = typeof config.jwks_uri === "string" ? config.jwks_uri : config.jwks_uri === undefined ? "" : pyStr(config.jwks_uri);
  }
  const jwksUrl = (attrs.oidc_jwks_url as string | undefined) || inferredJwksUrl;
  if (jwksUrl) {
    attrs.oidc_jwks_url = jwksUrl;
    const got = await fetchJson(store, jwksUrl);
    if (!got.ok) throw new ApiError(400, { oidc_jwks_url: [got.text] });
    attrs.oidc_jwks = got.json as Attributes;
  }
  for (const url of ["authorization_url", "access_token_url", "profile_url"]) {
    if (!(url in attrs)) throw nonFieldError(`${url} is required for provider OpenID Connect`);
  }
}

async function writeSource(ctx: HandlerContext, existing?: OAuthSourceRec): Promise<OAuthSourceRec> {
  const { store } = ctx;
  const attrs = pick(ctx, SOURCE_FIELDS);
  const errors = new FieldErrorCollector();
  if (typeof attrs.slug === "string") {
    const other = store.sourceBySlug(attrs.slug);
    // Source.slug is unique on the base Source model (no verbose_name): "source with this slug already exists."
    if (other && other !== existing) errors.add("slug", "source with this slug already exists.");
  }
  for (const f of ["authentication_flow", "enrollment_flow"]) checkRefs(errors, f, attrs[f], (pk: string) => store.flows.has(pk));
  for (const f of ["user_property_mappings", "group_property_mappings"]) checkRefs(errors, f, attrs[f], () => false); // no OAuth source property mappings are emulated
  errors.throwIfAny();
  await validateSource(ctx, attrs, existing);
  const s: OAuthSourceRec = existing ?? {
    pbm_uuid: randomUUID(),
    name: "",
    slug: "",
    enabled: true,
    promoted: false,
    authentication_flow: null,
    enrollment_flow: null,
    user_property_mappings: [],
    group_property_mappings: [],
    policy_engine_mode: "any",
    user_matching_mode: "identifier",
    user_path_template: "goauthentik.io/sources/%(slug)s",
    icon: "",
    group_matching_mode: "identifier",
    provider_type: "",
    request_token_url: null,
    authorization_url: null,
    access_token_url: null,
    profile_url: null,
    pkce: "none",
    consumer_key: "",
    consumer_secret: "",
    additional_scopes: "",
    oidc_well_known_url: "",
    oidc_jwks_url: "",
    oidc_jwks: {},
    authorization_code_auth_method: "basic_auth",
  };
  Object.assign(s, attrs);
  if (!existing) store.sources.set(s.pbm_uuid, s);
  return s;
}

/** Source.get_user_path(): user_path_template % {"slug": slug}, "users" when the template does not format. */
export function sourceUserPath(s: OAuthSourceRec): string {
  let failed = false;
  const path = s.user_path_template.replace(/%(\(([^)]*)\))?([a-z%])/g, (m, _p, key: string | undefined, conv: string) => {
    if (conv === "%" && key === undefined) return "%";
    if (key === "slug" && conv === "s") return s.slug;
    failed = true;
    return m;
  });
  return failed ? "users" : path;
}

// ---- OAuth2 providers ----------------------------------------------------------

const OAUTH2_FIELDS = [
  "name", "authentication_flow", "authorization_flow", "invalidation_flow", "property_mappings", "client_type", "grant_types", "client_id",
  "client_secret", "access_code_validity", "access_token_validity", "refresh_token_validity", "refresh_token_threshold",
  "include_claims_in_id_token", "signing_key", "encryption_key", "redirect_uris", "logout_uri", "logout_method", "sub_mode", "issuer_mode",
  "jwt_federation_sources", "jwt_federation_providers",
] as const;

const OAUTH2_TIMEDELTAS = ["access_code_validity", "access_token_validity", "refresh_token_validity", "refresh_token_threshold"];

/** A new OAuth2Provider with the model's defaults (authentik/providers/oauth2/models.py@version/2026.2.2). */
export function newOAuth2Provider(store: Store, name: string, flows: { authorization: string | null; invalidation: string | null }): OAuth2ProviderRec {
  return {
    kind: "oauth2",
    pk: store.allocProviderPk(),
    name,
    authentication_flow: null,
    authorization_flow: flows.authorization,
    invalidation_flow: flows.invalidation,
    property_mappings: [],
    backchannel_application: null,
    client_type: "confidential",
    // 2026.8 (grant_types from the providers/oauth2/allowed-grant-types branch): the model's
    // default is an empty list — a provider made without grant_types accepts no grant.
    grant_types: [],
    client_id: generateId(40),
    client_secret: generateId(128),
    access_code_validity: "minutes=1",
    access_token_validity: "hours=1",
    refresh_token_validity: "days=30",
    refresh_token_threshold: "seconds=0",
    include_claims_in_id_token: true,
    signing_key: null,
    encryption_key: null,
    redirect_uris: [],
    logout_uri: "",
    logout_method: "backchannel",
    sub_mode: "hashed_user_id",
    issuer_mode: "per_provider",
    jwt_federation_sources: [],
    jwt_federation_providers: [],
  };
}

function getOAuth2(ctx: HandlerContext): OAuth2ProviderRec {
  const p = ctx.store.providers.get(Number(ctx.params.id));
  if (!p || p.kind !== "oauth2") throw notFound("OAuth2/OpenID Provider");
  return p;
}

function writeOAuth2(ctx: HandlerContext, existing?: OAuth2ProviderRec): OAuth2ProviderRec {
  const { store } = ctx;
  const attrs = pick(ctx, OAUTH2_FIELDS);
  const errors = new FieldErrorCollector();
  checkProviderName(store, errors, attrs.name, existing);
  for (const f of ["authentication_flow", "authorization_flow", "invalidation_flow"]) checkRefs(errors, f, attrs[f], (pk: string) => store.flows.has(pk));
  checkRefs(errors, "property_mappings", attrs.property_mappings, (pk: string) => store.mappings.has(pk));
  for (const f of ["signing_key", "encryption_key"]) checkRefs(errors, f, attrs[f], (pk: string) => store.keypairs.has(pk));
  checkRefs(errors, "jwt_federation_sources", attrs.jwt_federation_sources, (pk: string) => store.sources.has(pk));
  checkRefs(errors, "jwt_federation_providers", attrs.jwt_federation_providers, (pk: number) => store.providers.get(pk)?.kind === "oauth2");
  for (const f of OAUTH2_TIMEDELTAS) checkTimedelta(errors, f, attrs[f]);
  if (typeof attrs.client_id === "string") {
    for (const p of store.providers.values()) {
      if (p !== existing && p.kind === "oauth2" && p.client_id === attrs.client_id) errors.add("client_id", "OAuth2/OpenID Provider with this Client ID already exists.");
    }
  }
  // validate_redirect_uris: a regex entry must compile (Python's re; JavaScript's stands in).
  for (const entry of (attrs.redirect_uris as Array<{ matching_mode: string; url: string }> | undefined) ?? []) {
    if (entry.matching_mode !== "regex") continue;
    try {
      new RegExp(entry.url);
    } catch {
      errors.add("redirect_uris", `Invalid Regex Pattern: ${entry.url}`);
    }
  }
  errors.throwIfAny();
  const p = existing ?? newOAuth2Provider(store, "", { authorization: null, invalidation: null });
  Object.assign(p, attrs);
  if (Array.isArray(attrs.property_mappings)) p.property_mappings = [...new Set(attrs.property_mappings as string[])];
  if (Array.isArray(attrs.jwt_federation_sources)) p.jwt_federation_sources = [...new Set(attrs.jwt_federation_sources as string[])];
  if (Array.isArray(attrs.jwt_federation_providers)) p.jwt_federation_providers = [...new Set(attrs.jwt_federation_providers as number[])];
  if (!existing) store.providers.set(p.pk, p);
  return p;
}

const anyOfMany = (field: string) => (w: S.Wire, v: unknown) => (v as unknown[]).map(String).some((x) => (w[field] as unknown[]).map(String).includes(x));

export const oauthHandlers: HandlerTable = {
  sources_oauth_list(ctx) {
    return list(ctx, [...ctx.store.sources.values()].map((s) => S.oauthSource(ctx.ser, s)), {
      filters: {
        ...Object.fromEntries(
          [
            "access_token_url", "additional_scopes", "authentication_flow", "authorization_url", "consumer_key", "enabled", "enrollment_flow",
            "group_matching_mode", "name", "policy_engine_mode", "profile_url", "provider_type", "request_token_url", "slug", "user_matching_mode",
          ].map((f) => [f, exact(f)]),
        ),
        pbm_uuid: exact("pk"),
        // OAuthSourceFilter.filter_has_jwks ignores its value: `queryset.exclude(oidc_jwks__iexact="{}")`
        // for has_jwks=true and has_jwks=false alike.
        has_jwks: (w) => JSON.stringify(w.oidc_jwks) !== "{}",
      },
      search: ["name", "slug"],
      ordering: ["name"],
    });
  },
  sources_oauth_create: async (ctx) => created(S.oauthSource(ctx.ser, await writeSource(ctx))),
  sources_oauth_retrieve: (ctx) => ok(S.oauthSource(ctx.ser, getSource(ctx))),
  sources_oauth_update: async (ctx) => ok(S.oauthSource(ctx.ser, await writeSource(ctx, getSource(ctx)))),
  sources_oauth_partial_update: async (ctx) => ok(S.oauthSource(ctx.ser, await writeSource(ctx, getSource(ctx)))),
  sources_oauth_destroy(ctx) {
    ctx.store.deleteSource(getSource(ctx).pbm_uuid);
    return noContent();
  },

  providers_oauth2_list: (ctx) =>
    list(ctx, [...ctx.store.providers.values()].filter((p): p is OAuth2ProviderRec => p.kind === "oauth2").map((p) => S.oauth2Provider(ctx.ser, p)), {
      filters: {
        ...Object.fromEntries(
          [
            "name", "authorization_flow", "client_type", "client_id", "access_code_validity", "access_token_validity", "refresh_token_validity",
            "include_claims_in_id_token", "signing_key", "sub_mode", "issuer_mode",
          ].map((f) => [f, exact(f)]),
        ),
        property_mappings: anyOfMany("property_mappings"),
        application: (w, v) => ctx.store.applicationOfProvider(w.pk as number)?.pbm_uuid === String(v),
      },
      search: ["name"],
      ordering: ["name"],
    }),
  providers_oauth2_create: (ctx) => created(S.oauth2Provider(ctx.ser, writeOAuth2(ctx))),
  providers_oauth2_retrieve: (ctx) => ok(S.oauth2Provider(ctx.ser, getOAuth2(ctx))),
  providers_oauth2_update: (ctx) => ok(S.oauth2Provider(ctx.ser, writeOAuth2(ctx, getOAuth2(ctx)))),
  providers_oauth2_partial_update: (ctx) => ok(S.oauth2Provider(ctx.ser, writeOAuth2(ctx, getOAuth2(ctx)))),
  providers_oauth2_destroy(ctx) {
    ctx.store.deleteProvider(getOAuth2(ctx).pk);
    return noContent();
  },
};
