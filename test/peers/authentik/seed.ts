// What a fresh authentik install contains, as far as this tool can see it:
// the default flows (from authentik's default blueprints), the self-signed
// keypair, the managed SAML/SCIM (and a few OAuth scope) property mappings from
// blueprints/system/*.yaml, and the bootstrap admin (blueprints/system/bootstrap.yaml).
import { execFileSync } from "node:child_process";
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlowRec, KeypairRec, MappingRec, Store } from "./store.js";

export const SELF_SIGNED_NAME = "authentik Self-signed Certificate";
export const ADMIN_USERNAME = "akadmin";
export const ADMIN_GROUP = "authentik Admins";

interface GeneratedCert {
  certificate: string;
  key: string;
}

const certCache = new Map<string, GeneratedCert>();

/**
 * A real RSA self-signed certificate made by openssl (node's crypto cannot issue
 * X.509), so the SAML metadata embeds a certificate AWS or any parser accepts.
 * Generated once per process and subject: it costs ~0.2 s.
 */
export function generateSelfSigned(commonName: string, options: { days?: number; fresh?: boolean } = {}): GeneratedCert {
  const days = options.days ?? 365;
  const cacheKey = `${commonName}\u0000${days}`;
  const hit = options.fresh ? undefined : certCache.get(cacheKey);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), "ak-emu-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", String(days),
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
        // argv, not a shell: the subject needs no quoting.
        "-subj", `/CN=${commonName}/O=authentik/OU=Self-signed`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const generated = { certificate: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
    if (!options.fresh) certCache.set(cacheKey, generated);
    return generated;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The read-only keypair fields authentik derives from the certificate. */
export function describeCertificate(pem: string): Pick<KeypairRec, "fingerprint_sha256" | "fingerprint_sha1" | "cert_expiry" | "cert_subject" | "key_type"> {
  const cert = new X509Certificate(pem);
  return {
    fingerprint_sha256: cert.fingerprint256.toLowerCase(),
    fingerprint_sha1: cert.fingerprint.toLowerCase(),
    cert_expiry: new Date(Date.parse(cert.validTo)).toISOString(),
    // cryptography's rfc4514_string() lists RDNs last-first, comma-separated.
    cert_subject: cert.subject.split("\n").reverse().join(","),
    key_type: cert.publicKey.asymmetricKeyType === "rsa" ? "rsa" : (cert.publicKey.asymmetricKeyType ?? null),
  };
}

function addFlow(store: Store, slug: string, name: string, title: string, designation: string, authentication = "none"): FlowRec {
  const flow: FlowRec = {
    pk: randomUUID(),
    pbm_uuid: randomUUID(),
    name,
    slug,
    title,
    designation,
    authentication,
    layout: "stacked",
    denied_action: "message_continue",
    policy_engine_mode: "any",
    compatibility_mode: false,
    background: "",
  };
  store.flows.set(flow.pk, flow);
  return flow;
}

function addMapping(store: Store, m: Omit<MappingRec, "pk">): void {
  const rec: MappingRec = { pk: randomUUID(), ...m };
  store.mappings.set(rec.pk, rec);
}

const SAML_MAPPINGS: Array<[managed: string, name: string, samlName: string, expression: string]> = [
  ["upn", "authentik default SAML Mapping: UPN", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "return request.user.attributes.get('upn', request.user.email)\n"],
  ["name", "authentik default SAML Mapping: Name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "return request.user.name\n"],
  ["email", "authentik default SAML Mapping: Email", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "return request.user.email\n"],
  ["username", "authentik default SAML Mapping: Username", "http://schemas.goauthentik.io/2021/02/saml/username", "return request.user.username\n"],
  ["uid", "authentik default SAML Mapping: User ID", "http://schemas.goauthentik.io/2021/02/saml/uid", "return request.user.pk\n"],
  ["groups", "authentik default SAML Mapping: Groups", "http://schemas.xmlsoap.org/claims/Group", "for group in request.user.all_groups():\n    yield group.name\n"],
  ["ms-windowsaccountname", "authentik default SAML Mapping: WindowsAccountname (Username)", "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", "return request.user.username\n"],
];

const SCIM_USER_EXPRESSION = `# Some implementations require givenName and familyName to be set
givenName, familyName = request.user.name, ""
# This default sets givenName to the name before the first space
# and the remainder as family name
# if the user's name has no space the givenName is the entire name
# (this might cause issues with some SCIM implementations)
if " " in request.user.name:
    givenName, _, familyName = request.user.name.partition(" ")

# photos supports URLs to images, however authentik might return data URIs
avatar = request.user.avatar
photos = []
if "://" in avatar:
    photos = [{"value": avatar, "type": "photo"}]

locale = request.user.locale()
if locale == "":
    locale = None

emails = []
if request.user.email != "":
    emails.append({
        "value": request.user.email,
        "type": "other",
        "primary": True,
    })
return {
    "userName": request.user.username,
    "name": {
        "formatted": request.user.name,
        "givenName": givenName,
        "familyName": familyName,
    },
    "photos": photos,
    "locale": locale,
    "emails": emails,
}
`;

export function seed(store: Store): void {
  const now = new Date().toISOString();

  addFlow(store, "default-authentication-flow", "Welcome to authentik!", "Welcome to authentik!", "authentication", "none");
  addFlow(store, "default-invalidation-flow", "Logout", "Default Invalidation Flow", "invalidation", "none");
  addFlow(store, "default-provider-authorization-explicit-consent", "Authorize Application", "Redirecting to %(app)s", "authorization", "require_authenticated");
  addFlow(store, "default-provider-authorization-implicit-consent", "Authorize Application", "Redirecting to %(app)s", "authorization", "require_authenticated");
  addFlow(store, "default-provider-invalidation-flow", "Logged out of application", "You've logged out of %(app)s.", "invalidation", "none");
  addFlow(store, "default-source-authentication", "Welcome to authentik!", "Welcome to authentik!", "authentication", "require_unauthenticated");
  addFlow(store, "default-source-enrollment", "Welcome to authentik! Please select a username.", "Welcome to authentik!", "enrollment", "require_unauthenticated");
  addFlow(store, "default-user-settings-flow", "User settings", "Update your info", "stage_configuration", "require_authenticated");
  addFlow(store, "default-password-change", "Change password", "Change password", "stage_configuration", "require_authenticated");

  for (const [name, managed] of [
    [SELF_SIGNED_NAME, null],
    ["authentik Internal JWT Certificate", "goauthentik.io/crypto/jwt-managed"],
  ] as const) {
    const { certificate, key } = generateSelfSigned(name);
    const kp: KeypairRec = { pk: randomUUID(), name, certificate_data: certificate, key_data: key, managed, ...describeCertificate(certificate) };
    store.keypairs.set(kp.pk, kp);
  }

  for (const [managed, name, samlName, expression] of SAML_MAPPINGS) {
    addMapping(store, { kind: "saml", managed: `goauthentik.io/providers/saml/${managed}`, name, expression, saml_name: samlName, friendly_name: null });
  }
  addMapping(store, { kind: "scim", managed: "goauthentik.io/providers/scim/user", name: "authentik default SCIM Mapping: User", expression: SCIM_USER_EXPRESSION });
  addMapping(store, {
    kind: "scim",
    managed: "goauthentik.io/providers/scim/group",
    name: "authentik default SCIM Mapping: Group",
    expression: 'return {\n    "displayName": group.name,\n}\n',
  });
  // The OAuth2 scope mappings of blueprints/system/providers-oauth2.yaml (same in 2025.10 to
  // 2026.5 but for the profile scope's groups: `request.user.ak_groups` up to 2025.12,
  // `request.user.groups` from 2026.2). They share the name space with the other mapping
  // types and show up in /propertymappings/all/.
  const groupsField = store.release.atLeast("2026.2") ? "groups" : "ak_groups";
  for (const [managed, name, scopeName, description, expression] of [
    ["openid", "authentik default OAuth Mapping: OpenID 'openid'", "openid", "", "# This scope is required by the OpenID-spec, and must as such exist in authentik.\n# The scope by itself does not grant any information\nreturn {}\n"],
    ["email", "authentik default OAuth Mapping: OpenID 'email'", "email", "Email address", 'return {\n    "email": request.user.email,\n    "email_verified": False\n}\n'],
    [
      "profile",
      "authentik default OAuth Mapping: OpenID 'profile'",
      "profile",
      "General Profile Information",
      `return {\n    # Because authentik only saves the user's full name, and has no concept of first and last names,\n    # the full name is used as given name.\n    # You can override this behaviour in custom mappings, i.e. \`request.user.name.split(" ")\`\n    "name": request.user.name,\n    "given_name": request.user.name,\n    "preferred_username": request.user.username,\n    "nickname": request.user.username,\n    "groups": [group.name for group in request.user.${groupsField}.all()],\n}\n`,
    ],
    [
      "entitlements",
      "authentik default OAuth Mapping: Application Entitlements",
      "entitlements",
      "Application entitlements",
      'entitlements = [entitlement.name for entitlement in request.user.app_entitlements(provider.application)]\nreturn {\n    "entitlements": entitlements,\n    "roles": entitlements,\n}\n',
    ],
    [
      "offline_access",
      "authentik default OAuth Mapping: OpenID 'offline_access'",
      "offline_access",
      "Access to request new tokens without interaction",
      "# This scope grants the application a refresh token that can be used to refresh user data\n# and let the application access authentik without the users interaction\nreturn {}\n",
    ],
    [
      "authentik_api",
      "authentik default OAuth Mapping: authentik API access",
      "goauthentik.io/api",
      "authentik API Access on behalf of your user",
      "# This scope grants the application the ability to access the authentik API\n# on behalf of the authorizing user\nreturn {}\n",
    ],
  ] as const) {
    addMapping(store, { kind: "scope", managed: `goauthentik.io/providers/oauth2/scope-${managed}`, name, expression, scope_name: scopeName, description });
  }

  const admins = { pk: randomUUID(), name: ADMIN_GROUP, is_superuser: true, parents: [], attributes: {}, roles: [] };
  store.groups.set(admins.pk, admins);
  const pk = store.allocUserPk();
  store.users.set(pk, {
    pk,
    uuid: randomUUID(),
    username: ADMIN_USERNAME,
    name: "authentik Default Admin",
    email: "root@localhost",
    is_active: true,
    attributes: {},
    path: "users",
    type: "internal",
    groups: [admins.pk],
    roles: [],
    last_login: null,
    date_joined: now,
    password_change_date: now,
    last_updated: now,
  });
}

/** authentik's User.uid: sha256 of "<pk>-<install id>". */
export function userUid(store: Store, pk: number): string {
  return createHash("sha256").update(`${pk}-${store.installId}`).digest("hex");
}
