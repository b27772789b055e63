// What a test may ask of the authentik emulator running in another process (see
// ../peer-process.ts): its request log and emulator bugs, the few pokes at state
// that authentik's API cannot make (a stored SCIM token, an authentik without the
// tasks API, objects made outside the API, a token lacking a permission), and
// views of what authentik does behind the API (what a SCIM sync pushes).
import { randomUUID } from "node:crypto";
import { KNOWN_PERMISSIONS } from "./permissions.js";
import { describeCertificate, generateSelfSigned } from "./seed.js";
import { evaluateInAssertion } from "./routes/propertymappings.js";
import { fetchJson, newOAuth2Provider } from "./routes/oauth.js";
import { buildSamlResponse, type SamlResponse } from "./saml-response.js";
import { triggerFullSync } from "./routes/providers.js";
import type { TokenRequestRecord } from "./oauth-token.js";
import type { AuthentikEmulator, RecordedRequest } from "./server.js";
import type { GroupRec, OtherProviderRec, ScimProviderRec, ScimPush } from "./store.js";

export type OtherProviderKind = OtherProviderRec["kind"] | "oauth2";

/** An issued OAuth2 access token as the issuedTokens control shows it. */
export interface IssuedToken {
  id: number;
  /** the access token itself (what a client sends as Bearer): for tests that check it was never shown */
  token: string;
  provider: string;
  username: string;
  scope: string[];
  /** ISO time on the emulator's clock */
  issued: string;
  expires: string;
  /** expired on the emulator's clock now */
  expired: boolean;
  method: string;
  /** the access token's claims */
  claims: Record<string, unknown>;
}

export function authentikControls(emulator: AuthentikEmulator) {
  const { store } = emulator;
  const scimProvider = (name: string): ScimProviderRec => {
    const p = [...store.providers.values()].find((x) => x.name === name);
    if (!p) throw new Error(`no provider named ${JSON.stringify(name)}`);
    if (p.kind !== "scim") throw new Error(`provider ${JSON.stringify(name)} is a ${p.kind} provider, not a SCIM one`);
    return p;
  };
  const flowPk = (slug: string) => store.flowBySlug(slug)?.pk ?? null;

  return {
    /** The release played: the reported version and the minor whose schema applies. */
    release: (): { version: string; minor: string } => ({ version: emulator.release.version, minor: emulator.release.minor }),
    requests: (): RecordedRequest[] => emulator.requests,
    invalidRequests: (): RecordedRequest[] => emulator.invalidRequests(),
    emulatorErrors: (): string[] => emulator.emulatorErrors,
    /** The token authentik stores for the first SCIM provider (2026.8's API never returns it; earlier ones do). */
    scimProviderToken: (): string | undefined => {
      for (const p of store.providers.values()) if (p.kind === "scim") return p.token;
      return undefined;
    },
    /** As on an authentik without (or without access to) the tasks API. */
    clearSchedules: (): void => store.schedules.clear(),

    /**
     * Usernames and group names (each sorted by code point) a full sync of the SCIM
     * provider would push right now — nothing while it is attached to no application.
     * Which users and groups differs by release: see Store.scimWouldProvision.
     */
    scimWouldProvision: (providerName: string): ScimPush => store.scimWouldProvision(scimProvider(providerName)),
    /** What each full sync the provider ran pushed, in order (saving the provider and schedules/{id}/send/ start one). */
    scimSyncs: (providerName: string): ScimPush[] => scimProvider(providerName).syncs.map((s) => ({ users: [...s.users], groups: [...s.groups] })),
    /** A full sync of the provider now, as its schedule's "run now" starts one; what it pushed. */
    scimSync: (providerName: string): ScimPush => {
      const p = scimProvider(providerName);
      triggerFullSync(store, p);
      const push = p.syncs.at(-1)!;
      return { users: [...push.users], groups: [...push.groups] };
    },
    /**
     * The memberships the provider's target holds as its syncs left them (group name →
     * usernames, sorted): the groups' direct members among the users pushed, as changed by
     * scimDropMember / scimKeepMember.
     */
    scimMembers: (providerName: string): Record<string, string[]> =>
      Object.fromEntries([...(scimProvider(providerName).remoteMembers ?? new Map<string, Set<string>>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([g, users]) => [g, [...users].sort()])),
    /** From now on every SCIM sync leaves `user` out of `group` (and takes them out of it at the target), as authentik's sync is reported to drop members. */
    scimDropMember: ({ group, user }: { group: string; user: string }): void => {
      store.scimQuirks.drop.add(`${group}\u0000${user}`);
    },
    /** From now on no SCIM sync removes `user` from `group` at the target once it was sent, whatever authentik holds (members reported never removed). */
    scimKeepMember: ({ group, user }: { group: string; user: string }): void => {
      store.scimQuirks.keep.add(`${group}\u0000${user}`);
    },
    /** The SCIM sync sends every membership as authentik holds it again. */
    scimClearQuirks: (): void => {
      store.scimQuirks.drop.clear();
      store.scimQuirks.keep.clear();
    },
    /** The provider's user (or group) property mappings in the order authentik merges them: by name, in the database collation. */
    scimMappingOrder: (providerName: string, which: "user" | "group" = "user"): string[] => store.scimMappingOrder(scimProvider(providerName), which),

    /**
     * From now on the token's user lacks `codename` (e.g. "authentik_tasks_schedules.send_schedule",
     * "authentik_providers_scim.change_scimprovider"): the operations needing it answer 403
     * {"detail": "You do not have permission to perform this action."} (permissions.ts). Such a
     * user is no superuser, so superuser_full_list no longer shows every application.
     */
    denyPermission: (codename: string): void => {
      if (!KNOWN_PERMISSIONS.has(codename)) {
        const hint = codename.endsWith(".send_schedule") ? " (the schedule permission is authentik_tasks_schedules.send_schedule)" : "";
        throw new Error(`authentik emulator: no permission ${JSON.stringify(codename)} is modelled${hint}; known: ${[...KNOWN_PERMISSIONS].sort().join(", ")}`);
      }
      store.deniedPermissions.add(codename);
    },

    /**
     * Who the API token's user is from now on: `{superuser: true}` (the default, akadmin:
     * every permission, denied ones cleared) or `{superuser: false, permissions}` — a user
     * who is no superuser and holds exactly these permissions through a role. Only a
     * superuser may send a task schedule (permissions.ts SUPERUSER_ONLY).
     */
    tokenUser: (user: { superuser: true } | { superuser: false; permissions: string[] }): void => {
      store.deniedPermissions.clear();
      if (user.superuser) {
        store.grantedPermissions = null;
        return;
      }
      const unknown = user.permissions.filter((p) => !KNOWN_PERMISSIONS.has(p));
      if (unknown.length > 0) throw new Error(`authentik emulator: no permission ${unknown.map((p) => JSON.stringify(p)).join(", ")} is modelled; known: ${[...KNOWN_PERMISSIONS].sort().join(", ")}`);
      store.grantedPermissions = new Set(user.permissions);
    },

    /**
     * The permissions each request from `since` (an index into requests()) on needed, as
     * the emulator checked them: what an authentik role must hold for those requests.
     */
    permissionsUsed: (since = 0): { method: string; path: string; operationId?: string; status: number; permissions: string[]; missing: string[]; superuserOnly: boolean }[] =>
      emulator.requests.slice(since).map((r) => ({
        method: r.method,
        path: r.path,
        ...(r.operationId ? { operationId: r.operationId } : {}),
        status: r.status,
        permissions: [...(r.permissions ?? [])],
        missing: [...(r.missingPermissions ?? [])],
        superuserOnly: r.superuserOnly === true,
      })),

    /**
     * A mapping evaluated as the SAML assertion evaluates it for `user` (pk) — with
     * `provider` (the given provider pk, else the first provider using the mapping), which
     * the public test endpoint never passes.
     */
    evaluateInAssertion: (options: { mapping: string; user: number; provider?: number }): Promise<{ result: string; successful: boolean }> =>
      evaluateInAssertion(store, { store, baseUrl: emulator.url }, emulator.expressions, options),

    /**
     * What authentik's SAML provider `provider` (pk) POSTs to the service provider when user
     * `user` (pk) signs in to its application (IdP-initiated, POST binding): the base64 SAML
     * Response (`samlResponse`) whose assertion carries every SAML property mapping of the
     * provider evaluated for the user with `provider` in the context (by saml_name; None leaves
     * an attribute out, a list gives several AttributeValues), the NameID from name_id_mapping
     * (else by the provider's default NameID policy), Issuer and Audience from the provider.
     * Refused (an error) where authentik would not send one: no application, an inactive user,
     * a user the application's bindings refuse. Unsigned (see saml-response.ts).
     */
    samlResponse: (options: { provider: number; user: number }): Promise<SamlResponse> => buildSamlResponse(store, { store, baseUrl: emulator.url }, emulator.expressions, options),

    /**
     * A provider of a type the emulator has no API for, as an admin would have made it:
     * it shows in /providers/all/ and holds its name against every other provider.
     */
    addProvider: ({ kind, name }: { kind: OtherProviderKind; name: string }): { pk: number } => {
      if (!["oauth2", "ldap", "proxy"].includes(kind)) throw new Error(`addProvider: kind must be oauth2, ldap or proxy, not ${JSON.stringify(kind)}`);
      if ([...store.providers.values()].some((p) => p.name === name)) throw new Error(`addProvider: {"name": ["provider with this name already exists."]}`);
      if (kind === "oauth2") {
        const p = newOAuth2Provider(store, name, { authorization: flowPk("default-provider-authorization-implicit-consent"), invalidation: flowPk("default-provider-invalidation-flow") });
        store.providers.set(p.pk, p);
        return { pk: p.pk };
      }
      const rec: OtherProviderRec = {
        kind,
        pk: store.allocProviderPk(),
        name,
        authentication_flow: null,
        authorization_flow: flowPk(kind === "ldap" ? "default-authentication-flow" : "default-provider-authorization-implicit-consent"),
        invalidation_flow: flowPk("default-provider-invalidation-flow"),
        property_mappings: [],
        backchannel_application: null,
      };
      store.providers.set(rec.pk, rec);
      return { pk: rec.pk };
    },

    /**
     * The keypair named `name` renewed in place, as an admin does in authentik's UI
     * (System → Certificates → Edit) or with PATCH /crypto/certificatekeypairs/{kp_uuid}/
     * {certificate_data, key_data}: same pk and name, so every provider signing with it
     * signs with the new certificate at once and its SAML metadata serves it; the fields
     * authentik derives from the certificate (fingerprints, cert_expiry, cert_subject)
     * follow. `days`: the new certificate's validity (openssl -days).
     */
    renewKeypair: ({ name, days = 365 }: { name: string; days?: number }): { pk: string; fingerprint_sha256: string | null; cert_expiry: string | null } => {
      const kp = [...store.keypairs.values()].find((k) => k.name === name);
      if (!kp) throw new Error(`renewKeypair: no certificate-keypair named ${JSON.stringify(name)}`);
      const { certificate, key } = generateSelfSigned(name, { days, fresh: true });
      Object.assign(kp, { certificate_data: certificate, key_data: key, ...describeCertificate(certificate) });
      return { pk: kp.pk, fingerprint_sha256: kp.fingerprint_sha256, cert_expiry: kp.cert_expiry };
    },

    /**
     * Moves the emulator's clock by `seconds` (cumulative; negative goes back) — the clock that
     * decides whether an access token, or a federated JWT at the token endpoint, has expired.
     * Returns the offset now in effect. `clock({ set: 0 })` goes back to real time.
     */
    clock: (change: { advanceSeconds: number } | { set: number }): { offsetSeconds: number; now: string } => {
      store.clockOffsetMs = "set" in change ? change.set * 1000 : store.clockOffsetMs + change.advanceSeconds * 1000;
      return { offsetSeconds: store.clockOffsetMs / 1000, now: new Date(store.now()).toISOString() };
    },

    /** The OAuth2 access tokens authentik holds (issued, not yet deleted), oldest first. */
    issuedTokens: (): IssuedToken[] =>
      [...store.accessTokens.entries()]
        .sort(([, a], [, b]) => a.id - b.id)
        .map(([token, t]) => ({
          id: t.id,
          token,
          provider: store.providers.get(t.provider)?.name ?? String(t.provider),
          username: store.users.get(t.user)?.username ?? String(t.user),
          scope: [...t.scope],
          issued: new Date(t.issued).toISOString(),
          expires: new Date(t.expires).toISOString(),
          expired: t.expires < store.now(),
          method: t.method,
          claims: t.claims,
        })),

    /** Every request to /application/o/token/, with the reason authentik logs for a refusal and who got a token. */
    tokenRequests: (): TokenRequestRecord[] => emulator.tokenRequests,

    /**
     * authentik's update_well_known_jwks task (authentik/sources/oauth/tasks.py, hourly): for every
     * OAuth source with an oidc_well_known_url, its jwks_uri (and endpoints) read again; for every
     * one with an oidc_jwks_url, oidc_jwks fetched again. What each source ended up with, or why not.
     */
    refreshJwks: async (): Promise<Array<{ slug: string; updated: boolean; error?: string }>> => {
      const out: Array<{ slug: string; updated: boolean; error?: string }> = [];
      for (const s of store.sources.values()) {
        if (s.oidc_well_known_url) {
          const got = await fetchJson(store, s.oidc_well_known_url).catch((err: Error) => ({ ok: false as const, text: err.message }));
          if (got.ok && got.json && typeof got.json === "object") {
            const config = got.json as Record<string, unknown>;
            for (const [attr, key] of [["authorization_url", "authorization_endpoint"], ["access_token_url", "token_endpoint"], ["profile_url", "userinfo_endpoint"], ["oidc_jwks_url", "jwks_uri"]] as const) {
              if (key in config) (s as unknown as Record<string, unknown>)[attr] = config[key];
            }
          } else if (!got.ok) out.push({ slug: s.slug, updated: false, error: `Failed to update OIDC configuration for ${s.slug}: ${got.text}` });
        }
      }
      for (const s of store.sources.values()) {
        if (!s.oidc_jwks_url) continue;
        const got = await fetchJson(store, s.oidc_jwks_url).catch((err: Error) => ({ ok: false as const, text: err.message }));
        if (!got.ok) {
          out.push({ slug: s.slug, updated: false, error: `Failed to update JWKS for ${s.slug}: ${got.text}` });
          continue;
        }
        const changed = JSON.stringify(s.oidc_jwks) !== JSON.stringify(got.json);
        if (changed) s.oidc_jwks = got.json as typeof s.oidc_jwks;
        out.push({ slug: s.slug, updated: changed });
      }
      return out;
    },

    /**
     * authentik's clean_temporary_users task (authentik/core/tasks.py, every 5 minutes): deletes
     * users marked goauthentik.io/user/generated whose goauthentik.io/user/expires (a Unix time,
     * set when the token endpoint *created* the account from a JWT with an exp) has passed on
     * the emulator's clock — with their group memberships, bindings and access tokens. The
     * usernames deleted.
     */
    cleanTemporaryUsers: (): string[] => {
      const deleted: string[] = [];
      for (const u of [...store.users.values()]) {
        if (u.attributes["goauthentik.io/user/generated"] !== true) continue;
        const expires = u.attributes["goauthentik.io/user/expires"];
        if (typeof expires !== "number" || !expires) continue;
        if (store.now() / 1000 - expires > 0) {
          store.deleteUser(u.pk);
          deleted.push(u.username);
        }
      }
      return deleted;
    },

    /** authentik's clean_expired_models task for access tokens: deletes those expired on the emulator's clock; how many. */
    cleanExpiredTokens: (): number => {
      let n = 0;
      for (const [token, t] of store.accessTokens) if (t.expires < store.now()) (store.accessTokens.delete(token), n++);
      return n;
    },

    /**
     * A group made outside the API (a source sync, older data): in 2025.10, whose only
     * guard against a second group of the same name is the API serializer, this can make
     * one; from 2025.12 the database refuses it (Group.name is unique) and so does this.
     */
    addGroup: ({ name, parents = [] }: { name: string; parents?: string[] }): { pk: string } => {
      if (emulator.release.atLeast("2025.12") && [...store.groups.values()].some((g) => g.name === name)) {
        throw new Error(`addGroup: duplicate key value violates unique constraint on authentik_core_group.name (${name})`);
      }
      const g: GroupRec = { pk: randomUUID(), name, is_superuser: false, parents: emulator.release.groupParents === "parent" ? parents.slice(0, 1) : parents, attributes: {}, roles: [] };
      store.groups.set(g.pk, g);
      return { pk: g.pk };
    },
  };
}
export type AuthentikControls = ReturnType<typeof authentikControls>;
