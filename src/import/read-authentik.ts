/**
 * The authentik side of a setup made by hand, as `import` needs it: the
 * application, its SAML provider (and SCIM backchannel provider), the property
 * mappings on them, the groups bound to the application, every group with its
 * attributes, and the flows and keypair by the names a configuration uses.
 */
import type { Application, CertificateKeyPair, Flow, Group, PolicyBinding, SAMLPropertyMapping, SAMLProvider, SCIMMapping, SCIMProvider } from "@goauthentik/api";
import { UserError } from "../errors.js";
import type { AuthentikClient } from "../providers/authentik/client.js";
import { readAuthentikRelease } from "../providers/authentik/read-state.js";
import type { AuthentikRelease } from "../domain/releases.js";
import type { UserRow } from "../domain/people.js";

export interface AuthentikSetup {
  release: AuthentikRelease;
  application: Application;
  provider: SAMLProvider;
  /** SAML property mappings attached to the provider. */
  providerMappings: SAMLPropertyMapping[];
  authorizationFlow: string;
  invalidationFlow: string;
  signingKeypair?: string;
  /** Group names bound to the application (enabled, not negated), or "everyone" without any binding. */
  signIn: string[] | "everyone";
  /** Bindings on the application that are not group bindings (a user, a policy): not expressible, reported. */
  otherBindings: string[];
  groups: { pk: string; name: string; parents: string[]; attributes: Record<string, unknown> }[];
  users: (UserRow & { attributes: Record<string, unknown> })[];
  scim?: { provider: SCIMProvider; mappings: SCIMMapping[] };
}

export async function readAuthentikSetup(client: AuthentikClient, slug: string, options: { scim: boolean }): Promise<AuthentikSetup> {
  const release = await readAuthentikRelease(client);
  const application = await client.find<Application>(`/core/applications/${encodeURIComponent(slug)}/`);
  if (!application) throw new UserError(`authentik has no application with slug '${slug}' (--application); the slug is the last part of its URL in the admin interface`);
  if (application.provider == null) throw new UserError(`application '${slug}' has no provider in authentik: there is no SAML setup to import`);
  const [providers, flows, keypairs, groups, samlMappings, bindings, users] = await Promise.all([
    client.list<SAMLProvider>("/providers/saml/"),
    client.list<Flow>("/flows/instances/"),
    client.list<CertificateKeyPair>("/crypto/certificatekeypairs/"),
    client.list<Group>("/core/groups/", { include_users: "false", include_children: "false", include_parents: "false" }),
    client.list<SAMLPropertyMapping>("/propertymappings/provider/saml/"),
    client.list<PolicyBinding>("/policies/bindings/", { target: application.pk }),
    client.list<{ pk: number; username: string; groups?: string[]; attributes?: Record<string, unknown> }>("/core/users/", { include_groups: "false", is_active: "true" }),
  ]);
  const provider = providers.find((p) => p.pk === application.provider);
  if (!provider) throw new UserError(`the provider of application '${slug}' (pk ${application.provider}) is not a SAML provider: import reads SAML setups only`);
  const flowSlug = (pk: string | null | undefined) => flows.find((f) => f.pk === pk)?.slug;
  const authorizationFlow = flowSlug(provider.authorizationFlow);
  const invalidationFlow = flowSlug(provider.invalidationFlow);
  if (!authorizationFlow || !invalidationFlow) throw new UserError(`cannot find the flows of SAML provider '${provider.name}' in authentik`);
  const attached = new Set(provider.propertyMappings ?? []);
  const groupName = new Map(groups.map((g) => [g.pk, g.name]));
  // authentik's policy engine skips disabled bindings: with none enabled, everyone passes.
  const onApp = bindings.filter((b) => b.target === application.pk && (b.enabled ?? true));
  const signIn =
    onApp.length === 0 ? ("everyone" as const) : [...new Set(onApp.filter((b) => b.group && (b.enabled ?? true) && !b.negate).map((b) => groupName.get(b.group!) ?? b.group!))].sort();
  const otherBindings = onApp
    .filter((b) => !b.group || b.negate)
    .map((b) => (b.group ? `group '${groupName.get(b.group) ?? b.group}' (negated)` : b.user != null ? `user ${b.user}` : `policy ${b.policy}`));

  let scim: AuthentikSetup["scim"];
  if (options.scim) {
    const backchannel = application.backchannelProviders ?? [];
    if (backchannel.length > 0) {
      const [scimProviders, scimMappings] = await Promise.all([client.list<SCIMProvider>("/providers/scim/"), client.list<SCIMMapping>("/propertymappings/provider/scim/")]);
      const sp = scimProviders.find((p) => backchannel.includes(p.pk));
      if (sp) scim = { provider: sp, mappings: scimMappings.filter((m) => (sp.propertyMappings ?? []).includes(m.pk)) };
    }
  }
  const keypair = keypairs.find((k) => k.pk === provider.signingKp)?.name;
  return {
    release,
    application,
    provider,
    providerMappings: samlMappings.filter((m) => attached.has(m.pk)),
    authorizationFlow,
    invalidationFlow,
    ...(keypair ? { signingKeypair: keypair } : {}),
    signIn,
    otherBindings,
    groups: groups.map((g) => {
      const old = (g as unknown as { parent?: string | null }).parent;
      return { pk: g.pk, name: g.name, parents: Array.isArray(g.parents) ? [...g.parents] : old ? [old] : [], attributes: (g.attributes ?? {}) as Record<string, unknown> };
    }),
    users: users.map((u) => ({ pk: u.pk, username: u.username, groups: [...(u.groups ?? [])], attributes: u.attributes ?? {} })),
    ...(scim ? { scim } : {}),
  };
}

/** "return user.email" / "return request.user.username" → the session name source, if it is one of those. */
export function sessionNameOf(expression: string | undefined): "email" | "username" | undefined {
  const m = /^\s*return\s+(?:request\.)?user\.(email|username)\s*$/.exec((expression ?? "").replace(/#.*$/gm, "").trim());
  return m ? (m[1] as "email" | "username") : undefined;
}

/** `return "3600"` / `return 3600` → seconds. */
export function sessionSecondsOf(expression: string | undefined): number | undefined {
  const m = /^\s*return\s+["']?(\d+)["']?\s*$/.exec((expression ?? "").replace(/#.*$/gm, "").trim());
  return m ? Number(m[1]) : undefined;
}

/** Seconds as the configuration writes durations: "4h", "1h30m", "900s". */
export function durationText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || (!h && !m) ? `${s}s` : ""}`;
}

const POLICY_ORDER = ["Version", "Id", "Statement"];
const STATEMENT_ORDER = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
const ordered = (o: Record<string, unknown>, order: string[]) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || (a < b ? -1 : a > b ? 1 : 0)));

/** A policy document in the order people write it (Version first, then Statement; Effect, Action, Resource). */
export function policyForYaml(doc: Record<string, unknown>): Record<string, unknown> {
  const top = ordered(doc, POLICY_ORDER);
  if (Array.isArray(top.Statement)) top.Statement = top.Statement.map((s) => (s && typeof s === "object" ? ordered(s as Record<string, unknown>, STATEMENT_ORDER) : s));
  return top;
}
