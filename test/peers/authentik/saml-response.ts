// What authentik's SAML provider POSTs to the service provider when a person signs in
// (IdP-initiated, as AWS's console sign-in from authentik's application tile is): the SAML
// Response its AssertionProcessor builds (authentik/providers/saml/processors/assertion.py,
// unchanged in what is read here from version/2025.10.4 to 2026.5; views/sso.py,
// views/flows.py SAMLFlowFinalView; processors/authn_request_parser.py idp_initiated). An
// emulator control (controls.ts samlResponse), since the emulator has no flows or browser.
//
// Signatures are modelled, not computed: with a signing keypair and sign_assertion /
// sign_response, a ds:Signature stands where authentik's xmlsec template puts it (after the
// Issuer) with the algorithms and the KeyInfo certificate authentik's signature carries, but
// its DigestValue and SignatureValue are placeholders ("emulator-unsigned"). What a service
// provider can check with it is *which certificate* signed — the AWS shim refuses a response
// signed with none that the IAM SAML provider's metadata holds, as AWS does ("Response signature
// invalid") — not the cryptography. Not reproduced: encrypted assertions (a provider with an
// encryption keypair is refused), the redirect binding (refused: AWS's sign-in endpoint takes
// POST), the consent and authentication stages of the authorization flow, authentik's events.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { ExpressionEngine } from "./python.js";
import { evaluateMapping } from "./routes/propertymappings.js";
import { userUid } from "./seed.js";
import * as S from "./serialize.js";
import type { MappingRec, SamlProviderRec, Store, UserRec } from "./store.js";

const NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion";
/** authentik's NS_MAP (authentik/common/saml/constants.py), declared on the Response and on each Issuer. */
const NS_MAP = `xmlns:samlp="${NS_SAMLP}" xmlns:saml="${NS_SAML}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"`;

const FORMAT = {
  email: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
  persistent: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
  unspecified: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
  x509: "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
  windows: "urn:oasis:names:tc:SAML:2.0:nameid-format:WindowsDomainQualifiedName",
  transient: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
};

export interface SamlAttribute {
  name: string;
  friendlyName?: string;
  values: string[];
}

export interface SamlResponse {
  /** base64 of the Response XML: the SAMLResponse form field of the POST binding */
  samlResponse: string;
  xml: string;
  /** where the browser POSTs it (the provider's ACS URL) */
  acsUrl: string;
  /** the RelayState form field (the provider's default relay state), when there is one */
  relayState?: string;
  issuer: string;
  nameId: string;
  nameIdFormat: string;
  /** in the order of the assertion: by saml_name */
  attributes: SamlAttribute[];
}

/** authentik/lib/utils/time.py timedelta_from_string: "hours=1;minutes=2" → ms (unknown keys ignored). */
export function timedeltaMs(expr: string): number {
  const unit: Record<string, number> = { microseconds: 0.001, milliseconds: 1, seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 };
  let ms = 0;
  let keys = 0;
  for (const pair of expr.split(";")) {
    const [key, value, ...rest] = pair.split("=");
    if (key === undefined || value === undefined || rest.length > 0) throw new Error(`timedelta ${JSON.stringify(expr)}: not key=value`);
    const factor = unit[key.toLowerCase()];
    if (factor === undefined) continue;
    ms += Number(value.trim()) * factor;
    keys += 1;
  }
  if (keys === 0) throw new Error(`timedelta ${JSON.stringify(expr)}: No valid keys to pass to timedelta`);
  return ms;
}

/** authentik/providers/saml/utils/time.py get_time_string: "%Y-%m-%dT%H:%M:%SZ". */
const timeString = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** get_random_id: "_" + uuid4().hex (never starts with a digit). */
const randomId = (): string => `_${randomUUID().replace(/-/g, "")}`;
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The Response authentik's SAML provider `providerPk` sends for user `userPk`. Throws where
 * authentik would not send one: no such SAML provider; no application (the SSO URLs are under
 * /application/saml/<slug>/: 404); an inactive user (cannot sign in); a user the application's
 * policy engine refuses (PolicyAccessView.user_has_access: "access denied"); and the two
 * features not reproduced (encryption, redirect binding).
 */
export async function buildSamlResponse(store: Store, ser: S.SerializeContext, expressions: ExpressionEngine, options: { provider: number; user: number }): Promise<SamlResponse> {
  const provider = store.providers.get(options.provider);
  if (!provider || provider.kind !== "saml") throw new Error(`samlResponse: no SAML provider ${options.provider}`);
  const app = store.applicationOfProvider(provider.pk);
  if (!app) throw new Error(`samlResponse: SAML provider ${JSON.stringify(provider.name)} has no application, so it has no SSO URL (authentik: 404)`);
  const user = store.users.get(options.user);
  if (!user) throw new Error(`samlResponse: no user ${options.user}`);
  if (!user.is_active) throw new Error(`samlResponse: user ${JSON.stringify(user.username)} is inactive and cannot sign in`);
  if (!store.userPassesApplication(user, app)) {
    throw new Error(`samlResponse: access denied — user ${JSON.stringify(user.username)} does not pass the bindings of application ${JSON.stringify(app.slug)} (authentik shows its access-denied page)`);
  }
  if (provider.encryption_kp) throw new Error("samlResponse: encrypted assertions (encryption_kp) are not reproduced by the emulator");
  if (provider.sp_binding !== "post") {
    throw new Error(`samlResponse: sp_binding ${JSON.stringify(provider.sp_binding)} — authentik would redirect with a deflated response; AWS's SAML endpoint takes the POST binding only`);
  }

  const evaluate = (mapping: MappingRec) => evaluateMapping(store, ser, expressions, { mapping, user, context: {}, provider, formatResult: false, assertion: true });

  // get_attributes: SAMLPropertyMapping.objects.filter(provider=…).order_by("saml_name") — the
  // provider's SAML mappings, by saml_name in the database collation; a failing mapping is
  // skipped (a configuration-error event in authentik), as is one returning None.
  const mappings = store.sortBy(
    provider.property_mappings.map((pk) => store.mappings.get(pk)).filter((m): m is MappingRec => m !== undefined && m.kind === "saml"),
    (m) => m.saml_name ?? "",
  );
  const evaluated = await Promise.all(mappings.map(evaluate));
  const attributes: SamlAttribute[] = [];
  mappings.forEach((m, i) => {
    const out = evaluated[i]!;
    if (!out.successful || out.values === null || out.values === undefined) return;
    attributes.push({ name: m.saml_name ?? "", ...(m.friendly_name ? { friendlyName: m.friendly_name } : {}), values: out.values });
  });

  const { nameId, nameIdFormat } = await nameIdOf(provider, user, store, evaluate);

  let authnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";
  const classRefMapping = provider.authn_context_class_ref_mapping ? store.mappings.get(provider.authn_context_class_ref_mapping) : undefined;
  if (classRefMapping) {
    const out = await evaluate(classRefMapping);
    if (out.successful && typeof out.text === "string") authnContextClassRef = out.text;
  }

  const now = Date.now();
  const issuer = S.samlIssuer(ser, provider);
  const keypair = provider.signing_kp ? store.keypairs.get(provider.signing_kp) : undefined;
  const signature = (id: string): string => (keypair ? signatureElement(provider, keypair.certificate_data, id) : "");
  const responseId = randomId();
  const assertionId = randomId();
  const issueInstant = timeString(now);
  const validNotOnOrAfter = timeString(now + timedeltaMs(provider.assertion_valid_not_on_or_after));
  const attributeXml = attributes
    .map(
      (a) =>
        `<saml:Attribute${a.friendlyName ? ` FriendlyName="${esc(a.friendlyName)}"` : ""} Name="${esc(a.name)}">` +
        a.values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join("") +
        "</saml:Attribute>",
    )
    .join("");
  const xml =
    `<samlp:Response ${NS_MAP} Version="2.0" IssueInstant="${issueInstant}" Destination="${esc(provider.acs_url)}" ID="${responseId}">` +
    `<saml:Issuer ${NS_MAP}>${esc(issuer)}</saml:Issuer>` +
    (provider.sign_response ? signature(responseId) : "") +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion ${NS_MAP} Version="2.0" ID="${assertionId}" IssueInstant="${issueInstant}">` +
    `<saml:Issuer ${NS_MAP}>${esc(issuer)}</saml:Issuer>` +
    (provider.sign_assertion ? signature(assertionId) : "") +
    `<saml:Subject><saml:NameID Format="${esc(nameIdFormat)}">${esc(nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${validNotOnOrAfter}" Recipient="${esc(provider.acs_url)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${timeString(now + timedeltaMs(provider.assertion_valid_not_before))}" NotOnOrAfter="${validNotOnOrAfter}">` +
    (provider.audience !== "" ? `<saml:AudienceRestriction><saml:Audience>${esc(provider.audience)}</saml:Audience></saml:AudienceRestriction>` : "") +
    `</saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${issueInstant}" SessionIndex="${createHash("sha256").update(randomBytes(16)).digest("hex")}" SessionNotOnOrAfter="${timeString(now + timedeltaMs(provider.session_valid_not_on_or_after))}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>${esc(authnContextClassRef)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attributeXml}</saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`;
  return {
    samlResponse: Buffer.from(xml, "utf8").toString("base64"),
    xml,
    acsUrl: provider.acs_url,
    ...(provider.default_relay_state !== "" ? { relayState: provider.default_relay_state } : {}),
    issuer,
    nameId,
    nameIdFormat,
    attributes,
  };
}

/**
 * The ds:Signature authentik's AssertionProcessor._sign makes of its xmlsec template (exclusive
 * C14N, the provider's signature and digest algorithms, enveloped + exc-c14n transforms, KeyInfo
 * with the X509 certificate), with placeholder digest and signature values (see the header).
 */
function signatureElement(provider: SamlProviderRec, certificatePem: string, id: string): string {
  const certificate = certificatePem
    .replace(/\r/g, "")
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, "")
    .replace(/\s+/g, "");
  return (
    `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<ds:SignatureMethod Algorithm="${esc(provider.signature_algorithm)}"/>` +
    `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${esc(provider.digest_algorithm)}"/><ds:DigestValue>emulator-unsigned</ds:DigestValue></ds:Reference>` +
    `</ds:SignedInfo><ds:SignatureValue>emulator-unsigned</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`
  );
}

/**
 * get_name_id for an IdP-initiated request: the format is the provider's default_name_id_policy
 * (unspecified when it has none); the value the user's uid, overridden by name_id_mapping when
 * it returns something (str(value); a failing or None mapping leaves the uid), else chosen by
 * the format (email, uid, the LDAP distinguishedName / upn attribute, a per-session hash).
 */
async function nameIdOf(
  provider: SamlProviderRec,
  user: UserRec,
  store: Store,
  evaluate: (m: MappingRec) => Promise<{ successful: boolean; text?: string | null }>,
): Promise<{ nameId: string; nameIdFormat: string }> {
  const format = provider.default_name_id_policy || FORMAT.unspecified;
  const persistent = userUid(store, user.pk);
  const mapping = provider.name_id_mapping ? store.mappings.get(provider.name_id_mapping) : undefined;
  if (mapping) {
    const out = await evaluate(mapping);
    return { nameId: out.successful && typeof out.text === "string" ? out.text : persistent, nameIdFormat: format };
  }
  const attribute = (key: string): string => {
    const v = user.attributes[key];
    return typeof v === "string" ? v : persistent;
  };
  switch (format) {
    case FORMAT.email:
      return { nameId: user.email, nameIdFormat: format };
    case FORMAT.persistent:
    case FORMAT.unspecified:
      return { nameId: persistent, nameIdFormat: format };
    case FORMAT.x509:
      return { nameId: attribute("distinguishedName"), nameIdFormat: format };
    case FORMAT.windows:
      return { nameId: attribute("upn"), nameIdFormat: format };
    case FORMAT.transient:
      return { nameId: createHash("sha256").update(randomBytes(16)).digest("hex"), nameIdFormat: format };
    default:
      throw new Error(`samlResponse: UnsupportedNameIDFormat — Assertion contains NameID with unsupported format ${format}.`);
  }
}
