/**
 * What the access report reads from authentik (classic-iam): wider than the plan —
 * every entitlement of the application (the tool's and those made by hand), every
 * binding on them and on the application, the Role property mappings on the
 * application's provider, and every group and active user with their attributes.
 * All lists are paged in bulk; nothing is written.
 */
import type { Application, ApplicationEntitlement, Group, PolicyBinding, SAMLPropertyMapping, SAMLProvider } from "@goauthentik/api";
import type { ResolvedConfig } from "../config/model.js";
import { SAML_ATTRIBUTE } from "../domain/expressions.js";
import type { ClassicAccessLive, LiveBinding } from "./classic.js";
import type { AuthentikClient } from "../providers/authentik/client.js";

function binding(b: PolicyBinding): LiveBinding {
  return {
    target: b.target,
    ...(b.group ? { group: b.group } : {}),
    ...(b.user != null ? { user: b.user } : {}),
    ...(b.policy ? { policy: b.policy } : {}),
    enabled: b.enabled ?? true,
    negate: b.negate ?? false,
  };
}

export async function readClassicAccess(client: AuthentikClient, config: ResolvedConfig): Promise<ClassicAccessLive> {
  const slug = config.authentik.application.slug;
  const [application, groups, users] = await Promise.all([
    client.find<Application>(`/core/applications/${encodeURIComponent(slug)}/`),
    client.list<Group>("/core/groups/", { include_users: "false", include_children: "false", include_parents: "false" }),
    client.list<{ pk: number; username: string; email?: string; groups?: string[]; attributes?: Record<string, unknown> }>("/core/users/", {
      include_groups: "false",
      is_active: "true",
    }),
  ]);
  const groupRows = groups.map((g) => {
    const old = (g as unknown as { parent?: string | null }).parent;
    return { pk: g.pk, name: g.name, parents: Array.isArray(g.parents) ? [...g.parents] : old ? [old] : [], attributes: (g.attributes ?? {}) as Record<string, unknown> };
  });
  const userRows = users.map((u) => ({ pk: u.pk, username: u.username, ...(u.email ? { email: u.email } : {}), groups: [...(u.groups ?? [])], attributes: u.attributes ?? {} }));
  if (!application) return { applicationBindings: [], entitlements: [], entitlementBindings: [], roleMappings: [], groups: groupRows, users: userRows };

  const [entitlements, providers, mappings] = await Promise.all([
    client.list<ApplicationEntitlement>("/core/application_entitlements/", { app: application.pk }),
    application.provider != null ? client.list<SAMLProvider>("/providers/saml/") : Promise.resolve([] as SAMLProvider[]),
    application.provider != null ? client.list<SAMLPropertyMapping>("/propertymappings/provider/saml/") : Promise.resolve([] as SAMLPropertyMapping[]),
  ]);
  const provider = providers.find((p) => p.pk === application.provider);
  const targets = [application.pk, ...entitlements.map((e) => e.pbmUuid)];
  const chunks = Array.from({ length: Math.ceil(targets.length / 50) }, (_, i) => targets.slice(i * 50, i * 50 + 50));
  const bindings = (await Promise.all(chunks.map((chunk) => client.list<PolicyBinding>("/policies/bindings/", { target_in: chunk })))).flat();
  const onProvider = new Set(provider?.propertyMappings ?? []);
  return {
    application: {
      slug: application.slug,
      pk: application.pk,
      policyEngineMode: application.policyEngineMode ?? "any",
      ...(provider ? { providerName: provider.name } : {}),
      providerIsSaml: provider !== undefined,
    },
    applicationBindings: bindings.filter((b) => b.target === application.pk).map(binding),
    entitlements: entitlements.map((e) => ({ name: e.name, pbmUuid: e.pbmUuid, attributes: (e.attributes ?? {}) as Record<string, unknown> })),
    entitlementBindings: bindings.filter((b) => b.target !== application.pk).map(binding),
    roleMappings: mappings.filter((m) => onProvider.has(m.pk) && m.samlName === SAML_ATTRIBUTE.role).map((m) => ({ name: m.name, expression: m.expression })),
    ...(provider
      ? {
          samlProvider: {
            pk: provider.pk,
            name: provider.name,
            acsUrl: provider.acsUrl,
            signingKp: provider.signingKp ?? null,
            sessionDurationMappings: mappings
              .filter((m) => onProvider.has(m.pk) && m.samlName === SAML_ATTRIBUTE.sessionDuration)
              .map((m) => ({ name: m.name, expression: m.expression })),
          },
        }
      : {}),
    groups: groupRows,
    users: userRows,
  };
}
