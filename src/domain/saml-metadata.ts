import { XMLParser } from "fast-xml-parser";

/**
 * What matters about an IdP's SAML metadata for the trust AWS places in it:
 * compared instead of the raw XML, whose formatting is not ours to control.
 */
export interface IdpMetadataSummary {
  entityId: string;
  signingCertificates: string[];
  ssoUrls: string[];
}

/**
 * The part of IdP metadata whose change AWS must learn about: who signs (entity id)
 * and with what. The SSO URLs follow the host name authentik was reached by, so
 * comparing them would flip the plan between runs that use different URLs.
 */
export function trustRelevant(summary: IdpMetadataSummary): { entityId: string; signingCertificates: string[] } {
  return { entityId: summary.entityId, signingCertificates: summary.signingCertificates };
}

const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, attributeNamePrefix: "@" });

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function summarizeIdpMetadata(xml: string): IdpMetadataSummary {
  const doc = parser.parse(xml) as Record<string, any>;
  const entity = doc.EntityDescriptor;
  if (!entity) throw new Error("not SAML metadata: no EntityDescriptor element");
  const idp = asArray(entity.IDPSSODescriptor)[0] ?? {};
  const certificates = asArray(idp.KeyDescriptor)
    .filter((k: any) => k["@use"] === undefined || k["@use"] === "signing")
    .map((k: any) => String(k?.KeyInfo?.X509Data?.X509Certificate ?? "").replace(/\s+/g, ""))
    .filter((c: string) => c !== "");
  return {
    entityId: String(entity["@entityID"] ?? ""),
    signingCertificates: [...new Set(certificates)].sort(),
    ssoUrls: asArray(idp.SingleSignOnService)
      .map((s: any) => String(s["@Location"] ?? ""))
      .filter(Boolean)
      .sort(),
  };
}

export interface SpMetadata {
  entityId: string;
  acsUrl: string;
}

/** The ACS URL and entity id (audience) of a service provider, e.g. IAM Identity Center. */
export function parseSpMetadata(xml: string): SpMetadata {
  let doc: Record<string, any>;
  try {
    doc = parser.parse(xml) as Record<string, any>;
  } catch (error) {
    throw new Error(`not valid XML (${(error as Error).message})`);
  }
  const entity = doc.EntityDescriptor;
  if (!entity) throw new Error("no EntityDescriptor element: this is not SAML metadata");
  const entityId = String(entity["@entityID"] ?? "");
  if (!entityId) throw new Error("the EntityDescriptor has no entityID");
  const sp = asArray(entity.SPSSODescriptor)[0];
  if (!sp) throw new Error("no SPSSODescriptor element: this is not service-provider metadata");
  const services = asArray<any>(sp.AssertionConsumerService);
  const post = services.find((s) => String(s["@Binding"] ?? "").endsWith("HTTP-POST")) ?? services[0];
  const acsUrl = String(post?.["@Location"] ?? "");
  if (!/^https:\/\//.test(acsUrl)) throw new Error("no HTTPS AssertionConsumerService Location");
  return { entityId, acsUrl };
}
