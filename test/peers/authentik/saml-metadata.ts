// IdP metadata in the shape authentik's MetadataProcessor builds
// (authentik/providers/saml/processors/metadata.py): an md:EntityDescriptor with
// the signing (and encryption) certificate, SLO and SSO endpoints under
// /application/saml/<app slug>/ and the supported NameID formats. Its entityID is
// the provider's issuer as the release derives it (serialize.ts samlIssuer).
//
// Not reproduced: authentik also signs the metadata document itself (an
// enveloped ds:Signature) when a signing keypair is set. Consumers of this
// emulator (AWS IAM via moto, the tool's parser) read the certificate and the
// endpoints, not the document signature.
import { randomBytes } from "node:crypto";
import { samlIssuer, samlUrls, type SerializeContext } from "./serialize.js";
import type { SamlProviderRec } from "./store.js";

export const BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
export const BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

const NAME_ID_FORMATS = [
  "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
  "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
  "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
  "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
];

function xmlAttr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** authentik's strip_pem_header: the base64 body of the PEM, line breaks kept. */
function stripPem(pem: string): string {
  return pem
    .replace(/\r/g, "")
    .replace(/-----BEGIN CERTIFICATE-----\n?/, "")
    .replace(/-----END CERTIFICATE-----\n?/, "")
    .trim();
}

function keyDescriptor(use: "signing" | "encryption", pem: string): string {
  return [
    `    <md:KeyDescriptor use="${use}">`,
    "      <ds:KeyInfo>",
    "        <ds:X509Data>",
    `          <ds:X509Certificate>${stripPem(pem)}</ds:X509Certificate>`,
    "        </ds:X509Data>",
    "      </ds:KeyInfo>",
    "    </md:KeyDescriptor>",
  ].join("\n");
}

/** Caller guarantees the provider is linked to an application. */
export function buildEntityDescriptor(ctx: SerializeContext, provider: SamlProviderRec, forceBinding?: string): string {
  const urls = samlUrls(ctx, provider);
  const signing = provider.signing_kp ? ctx.store.keypairs.get(provider.signing_kp) : undefined;
  const encryption = provider.encryption_kp ? ctx.store.keypairs.get(provider.encryption_kp) : undefined;
  const bindings = [
    [BINDING_REDIRECT, urls.url_sso_redirect, urls.url_slo_redirect],
    [BINDING_POST, urls.url_sso_post, urls.url_slo_post],
  ].filter(([binding]) => !forceBinding || binding === forceBinding);

  const lines = [
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_${randomBytes(16).toString("hex")}" entityID="${xmlAttr(samlIssuer(ctx, provider))}">`,
    '  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
  ];
  if (signing) lines.push(keyDescriptor("signing", signing.certificate_data));
  if (encryption) lines.push(keyDescriptor("encryption", encryption.certificate_data));
  for (const [binding, , slo] of bindings) lines.push(`    <md:SingleLogoutService Binding="${binding}" Location="${xmlAttr(slo!)}"/>`);
  for (const format of NAME_ID_FORMATS) lines.push(`    <md:NameIDFormat>${format}</md:NameIDFormat>`);
  for (const [binding, sso] of bindings) lines.push(`    <md:SingleSignOnService Binding="${binding}" Location="${xmlAttr(sso!)}"/>`);
  lines.push("  </md:IDPSSODescriptor>", "</md:EntityDescriptor>", "");
  return lines.join("\n");
}
