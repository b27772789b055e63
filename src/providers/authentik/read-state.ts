import type {
  Application,
  ApplicationEntitlement,
  CertificateKeyPair,
  Flow,
  Group,
  PolicyBinding,
  Provider,
  SCIMMapping,
  SCIMProvider,
  SAMLPropertyMapping,
  SAMLProvider,
} from "@goauthentik/api";
import type { ResolvedConfig } from "../../config/model.js";
import { address } from "../../domain/addresses.js";
import { summarizeIdpMetadata, type IdpMetadataSummary } from "../../domain/saml-metadata.js";
import { SAML_ATTRIBUTE } from "../../domain/expressions.js";
import { UserError } from "../../errors.js";
import { byCodePoint } from "../../domain/canonical.js";
import { MANAGED_BY_VALUE, ownedUnless, type LiveResource, type Lookup, type PlanProblem, type Props } from "../../domain/plan-types.js";
import type { AuthentikIds, AuthentikLookups } from "./ids.js";
import type { AuthentikClient } from "./client.js";
import { authentikRelease, type AuthentikRelease } from "../../domain/releases.js";

export interface AuthentikLiveState {
  release: AuthentikRelease;
  lookups: AuthentikLookups;
  resources: LiveResource[];
  /** Ids of managed objects by address (what apply needs to reference them). */
  ids: AuthentikIds;
  providerPk?: number;
  idpMetadata?: IdpMetadataSummary;
  problems: PlanProblem[];
  /** Every group with its parents (2025.10: its one `parent`), for the people of each group. */
  groups: { pk: string; name: string; parents: string[]; attributes: Record<string, unknown> }[];
  /**
   * SAML property mappings for AWS's Role attribute on the configured provider that the
   * tool did not write (a setup made by hand): what they grant is read from their
   * expression (see role-expression.ts), as access that exists now.
   */
  handMadeRoleMappings: { pk: string; name: string; expression: string }[];
  /** Groups bound to the application (enabled, not negated), or "everyone" when it has no enabled binding at all. */
  signIn: string[] | "everyone";
  /** Users bound to the application one by one (enabled, not negated). */
  signInUsers: number[];
}

/** Reads the release once: everything after speaks its API (see releases.ts). */
export async function readAuthentikRelease(client: AuthentikClient): Promise<AuthentikRelease> {
  const v = await client.get<{ versionCurrent: string }>("/admin/version/");
  return authentikRelease(v.versionCurrent, client.baseUrl);
}

const byKey = <T>(items: T[], key: (t: T) => string, value: (t: T) => string) => new Map(items.map((i) => [key(i), value(i)]));
const reverse = (m: Map<string, string>) => new Map([...m].map(([k, v]) => [v, k]));

/** A live id shown as the lookup it corresponds to, so plans compare and read by name. */
function asLookup(kind: Lookup["$lookup"], table: Map<string, string>, id: string | null | undefined): Lookup | string | null {
  if (id === null || id === undefined || id === "") return null;
  const key = reverse(table).get(String(id));
  return key === undefined ? `unknown ${kind} ${id}` : { $lookup: kind, key };
}

/**
 * Reads what the SAML side of both modes manages in authentik: lookups (flows,
 * keypairs, groups, managed mappings), our property mappings, the provider, the
 * application, its entitlements and their bindings. Every list is paged in bulk.
 */
export async function readAuthentikState(
  client: AuthentikClient,
  config: ResolvedConfig,
  options: { groupsNeeded: { name: string; location: string }[]; release: AuthentikRelease },
): Promise<AuthentikLiveState> {
  const { release } = options;
  const problems: PlanProblem[] = [];
  const app = config.authentik.application.slug;
  const providerName = config.authentik.provider.name;
  const prefix = `${config.authentik.provider.propertyMappingPrefix}: `;

  const withScim = config.mode === "identity-center";
  const [flows, keypairs, groups, samlMappings, providers, scimMappings, scimProviders, allProviders] = await Promise.all([
    client.list<Flow>("/flows/instances/"),
    client.list<CertificateKeyPair>("/crypto/certificatekeypairs/"),
    client.list<Group>("/core/groups/", { include_users: "false", include_children: "false", include_parents: "false" }),
    client.list<SAMLPropertyMapping>("/propertymappings/provider/saml/"),
    client.list<SAMLProvider>("/providers/saml/"),
    withScim ? client.list<SCIMMapping>("/propertymappings/provider/scim/") : Promise.resolve([] as SCIMMapping[]),
    withScim ? client.list<SCIMProvider>("/providers/scim/") : Promise.resolve([] as SCIMProvider[]),
    // Provider names are unique across every provider type: an OAuth or LDAP provider
    // with the configured name would make the create fail half-way through an apply.
    client.list<Provider>("/providers/all/"),
  ]);
  const lookups: AuthentikLookups = {
    flows: byKey(flows, (f) => f.slug, (f) => f.pk),
    keypairs: byKey(keypairs, (k) => k.name, (k) => k.pk),
    groups: byKey(groups, (g) => g.name, (g) => g.pk),
    managedMappings: byKey([...samlMappings, ...scimMappings].filter((m) => m.managed), (m) => m.managed!, (m) => m.pk),
  };

  const p = config.authentik.provider;
  if (!lookups.flows.has(p.authorizationFlow)) problems.push({ message: `authentik has no flow with slug '${p.authorizationFlow}' (authentik.provider.authorizationFlow)` });
  if (!lookups.flows.has(p.invalidationFlow)) problems.push({ message: `authentik has no flow with slug '${p.invalidationFlow}' (authentik.provider.invalidationFlow)` });
  if (!lookups.keypairs.has(p.signingKeypair)) problems.push({ message: `authentik has no certificate-keypair named '${p.signingKeypair}' (authentik.provider.signingKeypair)` });
  const reported = new Set<string>();
  const groupsByName = new Map<string, number>();
  for (const g of groups) groupsByName.set(g.name, (groupsByName.get(g.name) ?? 0) + 1);
  for (const g of options.groupsNeeded) {
    if (reported.has(g.name)) continue;
    if (!lookups.groups.has(g.name)) {
      reported.add(g.name);
      problems.push({ message: `${g.location}: authentik has no group named '${g.name}'; groups are never created by this tool — create it in authentik or fix the name` });
    } else if ((groupsByName.get(g.name) ?? 0) > 1) {
      // Only releases before 2026.2 allow this; picking one would grant the wrong people.
      reported.add(g.name);
      problems.push({
        message: `${g.location}: authentik ${release.version} has ${groupsByName.get(g.name)} groups named '${g.name}' (authentik before 2025.12 does not keep group names unique), so the tool cannot tell which one is meant; rename all but one in authentik`,
      });
    }
  }
  const expectedKinds: [string | undefined, string, string][] = [
    [config.authentik.provider.name, "authentik_providers_saml.samlprovider", "authentik.provider.name"],
    [config.scim?.providerName, "authentik_providers_scim.scimprovider", "scim.providerName"],
  ];
  for (const [name, model, setting] of expectedKinds) {
    const clash = name === undefined ? undefined : allProviders.find((x) => x.name === name && x.metaModelName !== model);
    if (clash) {
      problems.push({
        message: `authentik already has a provider named '${name}' (${clash.verboseName}, pk ${clash.pk}); provider names are unique across every provider type in authentik, so ${setting} must name another one`,
      });
    }
  }

  const resources: LiveResource[] = [];
  const ids: AuthentikIds = { id: new Map(), pk: new Map(), pbm: new Map() };
  /** The tool's property mappings (by name prefix) of one kind, indexed by pk for references. */
  const ownMappings = <M extends { pk: string; name: string; managed?: string | null }>(
    mappings: M[],
    kind: { type: "authentik.property_mapping" | "authentik.scim_mapping"; label: string; address: (name: string) => string; props: (m: M) => Props },
  ): Map<string, string> => {
    const byPk = new Map<string, string>();
    for (const m of mappings) {
      if (!m.name.startsWith(prefix)) continue;
      const addr = kind.address(m.name);
      byPk.set(m.pk, addr);
      ids.id.set(addr, m.pk);
      resources.push({
        address: addr,
        type: kind.type,
        system: "authentik",
        title: `${kind.label} "${m.name}"`,
        id: m.pk,
        props: kind.props(m),
        // authentik's own mappings (managed set) are never the tool's, whatever their name.
        ...ownedUnless(Boolean(m.managed) && `it is one of authentik's own mappings (managed: ${m.managed})`),
      });
    }
    return byPk;
  };
  const mappingAddressByPk = ownMappings(samlMappings, {
    type: "authentik.property_mapping",
    label: "SAML property mapping",
    address: address.propertyMapping,
    props: (m) => ({ name: m.name, saml_name: m.samlName, friendly_name: m.friendlyName ?? "", expression: m.expression }),
  });
  const scimMappingAddressByPk = ownMappings(scimMappings, {
    type: "authentik.scim_mapping",
    label: "SCIM property mapping",
    address: address.scimMapping,
    props: (m) => ({ name: m.name, expression: m.expression }),
  });
  const application = await client.find<Application>(`/core/applications/${encodeURIComponent(app)}/`);
  // The application is the tool's when it carries the tool's name as publisher (set
  // on create). One made by hand is never taken over silently: only when the
  // configuration says `adopt: application: true`, and then the plan lists it (and
  // what comes with it: its provider, backchannel provider and group bindings) as adopt.
  const appMarked = application?.metaPublisher === MANAGED_BY_VALUE;
  const appAdopting =
    application && !appMarked && config.adopt?.application ? `it was made by hand: its Publisher is ${JSON.stringify(application.metaPublisher ?? "")}, not '${MANAGED_BY_VALUE}'; apply sets it` : undefined;
  const appOwned = appMarked || appAdopting !== undefined;
  const withApplication = `it comes with application '${app}', which this configuration adopts`;

  const scimProviderAddressByPk = new Map<number, string>();
  for (const sp of scimProviders) {
    const declared = sp.name === config.scim?.providerName;
    const attached = sp.assignedBackchannelApplicationSlug === app;
    if (!declared && !attached) continue;
    const addr = address.scimProvider(sp.name);
    const foreign = Boolean(sp.assignedBackchannelApplicationSlug) && !attached;
    scimProviderAddressByPk.set(sp.pk, addr);
    ids.id.set(addr, String(sp.pk));
    ids.pk.set(addr, String(sp.pk));
    const mappingValue = (pk: string) =>
      scimMappingAddressByPk.has(pk) ? { $ref: scimMappingAddressByPk.get(pk)! } : (asLookup("managed_mapping", lookups.managedMappings, pk) ?? `property mapping ${pk}`);
    resources.push({
      address: addr,
      type: "authentik.scim_provider",
      system: "authentik",
      title: `SCIM provider "${sp.name}"`,
      id: String(sp.pk),
      props: {
        name: sp.name,
        url: sp.url,
        compatibility_mode: sp.compatibilityMode ?? "default",
        property_mappings: (sp.propertyMappings ?? []).map(mappingValue).sort(byCodePoint),
        property_mappings_group: (sp.propertyMappingsGroup ?? []).map(mappingValue).sort(byCodePoint),
        ...(release.scimGroupFilter === "group_filters"
          ? { group_filters: (sp.groupFilters ?? []).map((g) => asLookup("group", lookups.groups, g)).sort(byCodePoint) }
          : { filter_group: asLookup("group", lookups.groups, (sp as { filterGroup?: string | null }).filterGroup) }),
        exclude_users_service_account: sp.excludeUsersServiceAccount ?? false,
        ...(release.scimSyncPageSize ? { sync_page_size: sp.syncPageSize ?? null } : {}),
        dry_run: sp.dryRun ?? false,
      },
      ...ownedUnless(foreign && `it is the backchannel provider of application '${sp.assignedBackchannelApplicationSlug}'`),
      ...(attached && appAdopting ? { adopting: withApplication } : {}),
    });
  }

  const provider = providers.find((x) => x.name === providerName);
  const providerAddress = address.samlProvider(providerName);
  if (provider) {
    const linkedElsewhere = Boolean(provider.assignedApplicationSlug) && provider.assignedApplicationSlug !== app;
    const linkedToForeignApp = provider.assignedApplicationSlug === app && !appOwned;
    ids.id.set(providerAddress, String(provider.pk));
    ids.pk.set(providerAddress, String(provider.pk));
    resources.push({
      address: providerAddress,
      type: "authentik.saml_provider",
      system: "authentik",
      title: `SAML provider "${provider.name}"`,
      id: String(provider.pk),
      props: samlProviderProps(provider, lookups, mappingAddressByPk, release),
      ...ownedUnless(
        (linkedElsewhere || linkedToForeignApp) &&
          `it belongs to application '${provider.assignedApplicationSlug}'${linkedToForeignApp ? ", which authentik-aws-gitops does not manage" : ""}`,
      ),
      ...(!linkedElsewhere && provider.assignedApplicationSlug === app && appAdopting ? { adopting: withApplication } : {}),
    });
  }

  let idpMetadata: IdpMetadataSummary | undefined;
  let signIn: string[] | "everyone" = [];
  let signInUsers: number[] = [];
  if (application) {
    const appAddress = address.application(app);
    const foreignProvider = application.provider != null && (!provider || application.provider !== provider.pk);
    ids.id.set(appAddress, application.slug);
    ids.pk.set(appAddress, application.pk);
    // An application's pk is its pbm_uuid (what bindings target); 2025.10's
    // responses carry only the pk.
    ids.pbm.set(appAddress, application.pk);
    resources.push({
      address: appAddress,
      type: "authentik.application",
      system: "authentik",
      title: `application "${application.name}" (${application.slug})`,
      id: application.slug,
      props: {
        slug: application.slug,
        name: application.name,
        provider: application.provider == null ? null : provider && application.provider === provider.pk ? { $ref: providerAddress } : `provider ${application.provider}`,
        group: application.group ?? "",
        meta_launch_url: application.metaLaunchUrl ?? "",
        open_in_new_tab: application.openInNewTab ?? false,
        policy_engine_mode: application.policyEngineMode ?? "any",
        meta_publisher: application.metaPublisher ?? "",
        backchannel_providers: (application.backchannelProviders ?? [])
          .map((pk) => (scimProviderAddressByPk.has(pk) ? { $ref: scimProviderAddressByPk.get(pk)! } : `provider ${pk}`))
          .sort(byCodePoint),
      },
      ...ownedUnless(
        !appOwned
          ? `its Publisher is not '${MANAGED_BY_VALUE}': it was made by hand; to hand it over to the tool, add 'adopt: { application: true }' to the configuration (authentik-aws-gitops import writes it)`
          : foreignProvider && `it uses another provider (pk ${application.provider}), not SAML provider '${providerName}'`,
      ),
      ...(appAdopting && !foreignProvider ? { adopting: appAdopting } : {}),
    });

    const entitlements = await client.list<ApplicationEntitlement>("/core/application_entitlements/", { app: application.pk });
    const entitlementByPbm = new Map<string, string>();
    const ownedEntitlements = new Set<string>();
    for (const e of entitlements) {
      const addr = address.entitlement(app, e.name);
      entitlementByPbm.set(e.pbmUuid, e.name);
      // Only entitlements the tool wrote carry managed_by; others in the app stay untouched.
      const mine = (e.attributes as Record<string, unknown> | undefined)?.managed_by === MANAGED_BY_VALUE;
      if (mine) ownedEntitlements.add(e.pbmUuid);
      ids.id.set(addr, e.pbmUuid);
      ids.pbm.set(addr, e.pbmUuid);
      resources.push({
        address: addr,
        type: "authentik.entitlement",
        system: "authentik",
        title: `entitlement "${e.name}" of application ${app}`,
        id: e.pbmUuid,
        props: { name: e.name, app: { $ref: appAddress }, attributes: (e.attributes ?? {}) as Props },
        ...ownedUnless(!mine && `it has no attribute managed_by: ${MANAGED_BY_VALUE}`),
      });
    }
    // Bindings on the application itself decide who sees it and whom SCIM provisions;
    // bindings on entitlements decide who gets which role. Both are read in bulk.
    // target_in goes in the query string: a few dozen uuids per request keeps URLs
    // far below the ~8 KB proxies accept, however many entitlements there are.
    const targets = [application.pk, ...entitlements.map((e) => e.pbmUuid)];
    const chunks = Array.from({ length: Math.ceil(targets.length / 50) }, (_, i) => targets.slice(i * 50, i * 50 + 50));
    const bindings = (await Promise.all(chunks.map((chunk) => client.list<PolicyBinding>("/policies/bindings/", { target_in: chunk })))).flat();
    const groupName = reverse(lookups.groups);
    // authentik's policy engine skips disabled bindings: with none enabled, everyone passes.
    const onApp = bindings.filter((b) => b.target === application.pk && (b.enabled ?? true));
    signIn = onApp.length === 0 ? "everyone" : [...new Set(onApp.filter((b) => b.group && !b.negate).map((b) => groupName.get(b.group!) ?? b.group!))].sort(byCodePoint);
    signInUsers = onApp.filter((b) => b.user != null && !b.negate).map((b) => b.user!);
    for (const b of bindings) {
      const onApplication = b.target === application.pk;
      const entitlement = entitlementByPbm.get(b.target);
      if (!onApplication && entitlement === undefined) continue;
      const who = b.group ? `group:${groupName.get(b.group) ?? b.group}` : b.user != null ? `user:${b.user}` : `policy:${b.policy}`;
      const targetAddress = onApplication ? appAddress : address.entitlement(app, entitlement!);
      const finalAddress = b.group
        ? onApplication
          ? address.applicationBinding(app, groupName.get(b.group) ?? b.group)
          : address.binding(app, entitlement!, groupName.get(b.group) ?? b.group)
        : `authentik.policy_binding[${app}${onApplication ? "" : `/${entitlement}`}→${who}]`;
      ids.id.set(finalAddress, b.pk);
      resources.push({
        address: finalAddress,
        type: "authentik.policy_binding",
        system: "authentik",
        title: `${who.replace(":", ' "')}" → ${onApplication ? `application "${app}"` : `entitlement "${entitlement}"`}`,
        id: b.pk,
        props: {
          target: { $ref: targetAddress },
          ...(b.group ? { group: asLookup("group", lookups.groups, b.group) } : {}),
          ...(b.user != null ? { user: b.user } : {}),
          ...(b.policy ? { policy: b.policy } : {}),
          order: b.order,
          enabled: b.enabled ?? true,
          negate: b.negate ?? false,
          timeout: b.timeout ?? 30,
          failure_result: b.failureResult ?? false,
        },
        // Group bindings on the tool's application and entitlements are the tool's; a
        // binding for a single user or a policy was added by hand and is left alone.
        ...ownedUnless(
          !(b.group && (onApplication ? appOwned : ownedEntitlements.has(b.target))) &&
            `it was added by hand (not a group binding on the managed ${onApplication ? "application" : "entitlement"})`,
        ),
        ...(b.group && onApplication && appAdopting ? { adopting: withApplication } : {}),
      });
    }

    if (provider && application.provider === provider.pk) {
      const { metadata } = await client.getRaw<{ metadata: string }>(`/providers/saml/${provider.pk}/metadata/`);
      if (metadata) {
        try {
          idpMetadata = summarizeIdpMetadata(metadata);
        } catch (error) {
          throw new UserError(`authentik returned SAML metadata for provider '${providerName}' that cannot be read: ${(error as Error).message}`);
        }
      }
    }
  }

  const groupTree = groups.map((g) => {
    const old = (g as unknown as { parent?: string | null }).parent;
    return { pk: g.pk, name: g.name, parents: Array.isArray(g.parents) ? [...g.parents] : old ? [old] : [], attributes: (g.attributes ?? {}) as Record<string, unknown> };
  });
  const attached = new Set(provider?.propertyMappings ?? []);
  const handMadeRoleMappings = samlMappings
    .filter((m) => attached.has(m.pk) && m.samlName === SAML_ATTRIBUTE.role && !m.name.startsWith(prefix))
    .map((m) => ({ pk: m.pk, name: m.name, expression: m.expression }))
    .sort((a, b) => byCodePoint(a.name, b.name));
  return {
    release,
    lookups,
    resources,
    ids,
    ...(provider ? { providerPk: provider.pk } : {}),
    ...(idpMetadata ? { idpMetadata } : {}),
    problems,
    groups: groupTree,
    handMadeRoleMappings,
    signIn,
    signInUsers,
  };
}

function samlProviderProps(provider: SAMLProvider, lookups: AuthentikLookups, mappingAddressByPk: Map<string, string>, release: AuthentikRelease): Props {
  return {
    name: provider.name,
    authorization_flow: asLookup("flow", lookups.flows, provider.authorizationFlow),
    invalidation_flow: asLookup("flow", lookups.flows, provider.invalidationFlow),
    sp_binding: provider.spBinding ?? "redirect",
    signing_kp: asLookup("keypair", lookups.keypairs, provider.signingKp),
    sign_assertion: provider.signAssertion ?? false,
    sign_response: provider.signResponse ?? false,
    name_id_mapping: asLookup("managed_mapping", lookups.managedMappings, provider.nameIdMapping),
    acs_url: provider.acsUrl,
    audience: provider.audience ?? "",
    ...(release.samlIssuerField === "issuer_override"
      ? { issuer_override: provider.issuerOverride ?? "" }
      : { issuer: (provider as { issuer?: string }).issuer ?? "" }),
    property_mappings: (provider.propertyMappings ?? [])
      .map((pk) => (mappingAddressByPk.has(pk) ? { $ref: mappingAddressByPk.get(pk)! } : `property mapping ${pk}`))
      .sort(byCodePoint),
  };
}
