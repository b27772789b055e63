/**
 * Role sessions at the AWS shim: what STS AssumeRoleWithSAML issues, and what those credentials
 * may do afterwards (see MOTO-NOTES.md, "Role sessions").
 *
 * moto 5.2.1 issues SAML sessions without checking anything (no trust policy, no Role attribute
 * matching, no issuer, DurationSeconds ignored) and never evaluates a session's permissions. A
 * proof that removing a person's access ends their session (issue 21: an inline Deny on
 * aws:TokenIssueTime / aws:userid, as IAM's "Revoke active sessions" adds) needs both, so the
 * shim does them:
 *
 *   - AssumeRoleWithSAML (answered here, with moto minting the keys): the assertion is read,
 *     checked as AWS documents it ("Troubleshooting SAML 2.0 federation with AWS"), the role's
 *     trust policy is evaluated (aws-policy-eval.ts) for the SAML provider and the assertion's
 *     SAML context keys, and the session is recorded: keys, role, AssumedRoleId
 *     (`<RoleId>:<RoleSessionName>`, as moto and AWS set it), issue time (the shim's clock) and
 *     expiry (DurationSeconds, shortened by the SessionDuration attribute and the assertion's
 *     SessionNotOnOrAfter, as the AssumeRoleWithSAML API reference says — moto uses
 *     SessionDuration alone).
 *   - Every later request signed with such an access key id: the session token must be the one
 *     issued, the session must not have expired, and — sts:GetCallerIdentity excepted — the
 *     role's identity-based policies, read from moto at that moment (inline, managed, the
 *     permissions boundary), and any session policy must allow the action and not deny it.
 *
 * Requests signed with any other key (the tool's own credentials, AssumeRole for cross-account
 * work) are not touched.
 */
import { createHash } from "node:crypto";
import { XMLParser } from "fast-xml-parser";
import type { CallIam, IamAnswer } from "./aws-limits.js";
import {
  accessDeniedMessage,
  decide,
  evaluatePolicies,
  type Decision,
  type NamedPolicy,
  type PolicyLayer,
  PolicyModelError,
  type RequestContext,
} from "./aws-policy-eval.js";

/** An error as the shim answers it (query: <ErrorResponse>; JSON: {"__type", "Message"}). */
export interface SessionError {
  type: string;
  message: string;
  status: number;
}

/** A session AssumeRoleWithSAML issued through the shim. */
export interface SamlSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** the role's ARN (with its path), account, name and unique id */
  roleArn: string;
  account: string;
  roleName: string;
  roleId: string;
  /** the SAML provider the session came through */
  principalArn: string;
  /** `<RoleId>:<RoleSessionName>` — the request context's aws:userid */
  assumedRoleId: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>` */
  arn: string;
  sessionName: string;
  /** epoch ms, the shim's clock */
  issuedAt: number;
  expiresAt: number;
  /** the assertion's NameID, its format as STS reports it, its issuer and recipient */
  subject: string;
  subjectType: string;
  issuer: string;
  audience: string;
  nameQualifier: string;
  sourceIdentity?: string;
  /** session policies passed to AssumeRoleWithSAML */
  sessionPolicy?: string;
  sessionPolicyArns: string[];
}

/** What the shim decided for one request signed with a session's key. */
export interface SessionDecision {
  accessKeyId: string;
  arn: string;
  action: string;
  at: number;
  outcome: "allow" | "explicit-deny" | "implicit-deny" | "expired" | "invalid-token" | "not-modelled";
  layer?: PolicyLayer;
  /** the Deny statement that applied */
  statement?: string;
  message?: string;
}

export interface SessionDeps {
  /** epoch ms (the shim's clock) */
  clock(): number;
  /** IAM calls to moto in `account` (the shim's own credentials, never a session's) */
  iam(account: string): CallIam;
  /** AssumeRoleWithSAML at moto, in `account` (moto files the session under the account that asked) */
  motoAssumeRoleWithSaml(account: string, params: URLSearchParams): Promise<{ status: number; body: string }>;
}

const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role";
const SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const SOURCE_IDENTITY_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
const PRINCIPAL_TAG_PREFIX = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
/** AWS's SAML service provider entity id (its metadata, https://signin.aws.amazon.com/static/saml-metadata.xml). */
const AWS_AUDIENCE = "urn:amazon:webservices";
/** "Not authorized to perform sts:AssumeRoleWithSAML (… status code: 403; error code: AccessDenied)" (Troubleshooting SAML 2.0 federation with AWS). */
const NOT_AUTHORIZED: SessionError = { type: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithSAML", status: 403 };
const invalidToken = (message: string): SessionError => ({ type: "InvalidIdentityToken", message, status: 400 });

class Refusal extends Error {
  constructor(readonly error: SessionError) {
    super(error.message);
  }
}
const refuse = (error: SessionError): never => {
  throw new Refusal(error);
};

// ---- the SAML response -------------------------------------------------------------------

/** What AWS reads of a SAML response. */
export interface SamlAssertion {
  issuer?: string;
  nameId?: string;
  nameIdFormat?: string;
  /** SubjectConfirmationData/@Recipient: the endpoint the response was posted to (saml:aud) */
  recipient?: string;
  audiences: string[];
  sessionNotOnOrAfter?: string;
  /** Attribute/@Name (case-sensitive, as AWS reads it) → its AttributeValues */
  attributes: Map<string, string[]>;
  /** the certificates of the response's and the assertion's ds:Signature (KeyInfo) */
  signatureCertificates: string[];
}

const samlParser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ["Assertion", "Attribute", "AttributeValue", "AttributeStatement", "AudienceRestriction", "Audience", "SubjectConfirmation"].includes(name),
});

type Node = Record<string, unknown>;
const text = (v: unknown): string | undefined => {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v && typeof v === "object" && "#text" in v) return text((v as Node)["#text"]);
  if (v && typeof v === "object") return "";
  return undefined;
};
const nodes = (v: unknown): Node[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((n): n is Node => typeof n === "object" && n !== null);

/** Reads a base64 SAML Response (POST binding) — the response itself, not its signature (see MOTO-NOTES.md). */
export function parseSamlResponse(base64: string): SamlAssertion {
  const xml = Buffer.from(base64, "base64").toString("utf8");
  let doc: Node;
  try {
    doc = samlParser.parse(xml, true) as Node;
  } catch (e) {
    throw new Error(`not XML: ${String(e)}`);
  }
  const response = doc.Response as Node | undefined;
  if (!response || typeof response !== "object") throw new Error("no samlp:Response element");
  const assertions = nodes(response.Assertion);
  if (assertions.length !== 1) throw new Error(`${assertions.length} Assertion elements (an EncryptedAssertion is not modelled)`);
  const a = assertions[0]!;
  const subject = (a.Subject ?? {}) as Node;
  const nameId = subject.NameID;
  const confirmation = nodes(subject.SubjectConfirmation)[0] ?? {};
  const data = (confirmation.SubjectConfirmationData ?? {}) as Node;
  const conditions = (a.Conditions ?? {}) as Node;
  const authn = (a.AuthnStatement ?? {}) as Node;
  const attributes = new Map<string, string[]>();
  for (const statement of nodes(a.AttributeStatement)) {
    for (const attribute of nodes(statement.Attribute)) {
      const name = text(attribute["@Name"]);
      if (name === undefined) continue;
      const values = Array.isArray(attribute.AttributeValue) ? attribute.AttributeValue : attribute.AttributeValue === undefined ? [] : [attribute.AttributeValue];
      attributes.set(name, [...(attributes.get(name) ?? []), ...values.map((v) => text(v) ?? "")]);
    }
  }
  const certificates = (parent: Node): string[] =>
    nodes(parent.Signature).flatMap((sig) => {
      const data = ((sig.KeyInfo ?? {}) as Node).X509Data;
      return nodes(data).flatMap((d) => (Array.isArray(d.X509Certificate) ? d.X509Certificate : [d.X509Certificate]).map((c) => (text(c) ?? "").replace(/\s+/g, "")));
    });
  const issuer = text(a.Issuer) ?? text(response.Issuer);
  const nameIdText = text(nameId);
  const format = nameId && typeof nameId === "object" ? text((nameId as Node)["@Format"]) : undefined;
  const recipient = text(data["@Recipient"]);
  const sessionNotOnOrAfter = text(authn["@SessionNotOnOrAfter"]);
  return {
    ...(issuer !== undefined ? { issuer } : {}),
    ...(nameIdText ? { nameId: nameIdText } : {}),
    ...(format !== undefined ? { nameIdFormat: format } : {}),
    ...(recipient !== undefined ? { recipient } : {}),
    audiences: nodes(conditions.AudienceRestriction).flatMap((r) => (Array.isArray(r.Audience) ? r.Audience : [r.Audience]).map((x) => text(x) ?? "")),
    ...(sessionNotOnOrAfter !== undefined ? { sessionNotOnOrAfter } : {}),
    attributes,
    signatureCertificates: [...certificates(response), ...certificates(a)].filter((c) => c !== ""),
  };
}

/** The entityID and signing certificates of IdP metadata as IAM holds it (moto keeps the document as it was given). */
function readMetadata(xml: string): { entityId?: string; certificates: string[] } {
  try {
    const entity = (samlParser.parse(xml) as Node).EntityDescriptor as Node | undefined;
    if (!entity) return { certificates: [] };
    const entityId = text(entity["@entityID"]);
    const certificates = nodes(entity.IDPSSODescriptor)
      .flatMap((idp) => nodes(idp.KeyDescriptor))
      .filter((k) => k["@use"] === undefined || k["@use"] === "signing")
      .map((k) => (text((((k.KeyInfo ?? {}) as Node).X509Data as Node | undefined)?.X509Certificate) ?? "").replace(/\s+/g, ""))
      .filter((c) => c !== "");
    return { ...(entityId !== undefined ? { entityId } : {}), certificates };
  } catch {
    return { certificates: [] };
  }
}

/** "persistent", "transient", or the full Format URI (Uniquely identifying users in SAML-based federation, saml:sub_type). */
function subjectType(format: string | undefined): string {
  if (format === "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent") return "persistent";
  if (format === "urn:oasis:names:tc:SAML:2.0:nameid-format:transient") return "transient";
  return format ?? "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
}

/** `Base64 ( SHA1 ( "https://example.com/saml" + "123456789012" + "/MySAMLIdP" ) )` (same page, saml:namequalifier). */
function nameQualifier(issuer: string, account: string, providerName: string): string {
  return createHash("sha1").update(`${issuer}${account}/${providerName}`).digest("base64");
}

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[^,]*\/)?([\w+=,.@-]+)$/;
const PROVIDER_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):saml-provider\/([\w.-]+)$/;

const xmlEscape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

// ---- reading IAM ---------------------------------------------------------------------------

const members = (node: unknown): unknown[] => {
  const m = (node as { member?: unknown } | undefined)?.member;
  return Array.isArray(m) ? m : m === undefined ? [] : [m];
};
const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});

async function must(callIam: CallIam, action: string, params: Record<string, string>): Promise<Record<string, unknown>> {
  const answer: IamAnswer = await callIam(action, params);
  if (!answer.ok) throw new PolicyModelError(`reading ${action} ${JSON.stringify(params)} from moto failed: ${answer.status} ${answer.code ?? ""} ${answer.message ?? ""}`);
  return answer.result;
}

async function everyPage(callIam: CallIam, action: string, params: Record<string, string>, field: string): Promise<unknown[]> {
  const all: unknown[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await must(callIam, action, { ...params, MaxItems: "1000", ...(marker ? { Marker: marker } : {}) });
    all.push(...members(result[field]));
    if (result.IsTruncated !== "true" || typeof result.Marker !== "string") return all;
    marker = result.Marker;
  }
  throw new PolicyModelError(`${action}: more than 100 pages`);
}

async function managedPolicy(callIam: CallIam, arn: string): Promise<NamedPolicy> {
  const policy = record((await must(callIam, "GetPolicy", { PolicyArn: arn })).Policy);
  const version = String(policy.DefaultVersionId ?? "");
  const document = String(record((await must(callIam, "GetPolicyVersion", { PolicyArn: arn, VersionId: version })).PolicyVersion).Document ?? "");
  return { name: arn, document };
}

interface RoleNow {
  roleId: string;
  arn: string;
  maxSessionDuration: number;
  trust: string;
  boundaryArn?: string;
}

async function getRole(callIam: CallIam, roleName: string): Promise<RoleNow | undefined> {
  const answer = await callIam("GetRole", { RoleName: roleName });
  if (!answer.ok) {
    if (answer.code === "NoSuchEntity") return undefined;
    throw new PolicyModelError(`reading GetRole ${roleName} from moto failed: ${answer.status} ${answer.code ?? ""} ${answer.message ?? ""}`);
  }
  const role = record(answer.result.Role);
  const boundary = record(role.PermissionsBoundary).PermissionsBoundaryArn;
  return {
    roleId: String(role.RoleId ?? ""),
    arn: String(role.Arn ?? ""),
    maxSessionDuration: Number(role.MaxSessionDuration ?? 3600),
    trust: String(role.AssumeRolePolicyDocument ?? ""),
    ...(typeof boundary === "string" ? { boundaryArn: boundary } : {}),
  };
}

// ---- the sessions --------------------------------------------------------------------------

/** The protocol of the service a request went to: how its errors read. */
export type Protocol = "query" | "json";

/**
 * The IAM service prefix of an action, by SigV4 signing name (the credential scope's service).
 * "sso" is IAM Identity Center's (sso-admin) signing name and action prefix alike.
 */
const ACTION_PREFIX: Record<string, string> = {
  iam: "iam",
  sts: "sts",
  sso: "sso",
  identitystore: "identitystore",
  organizations: "organizations",
  servicequotas: "servicequotas",
};

export class RoleSessions {
  /** by access key id */
  readonly sessions = new Map<string, SamlSession>();
  readonly decisions: SessionDecision[] = [];

  constructor(private readonly deps: SessionDeps) {}

  reset(): void {
    this.sessions.clear();
    this.decisions.length = 0;
  }

  /**
   * STS AssumeRoleWithSAML (`params`: the request's query parameters, already checked against
   * STS's API model). The answer's body (200) or the error to answer with.
   */
  async assumeRoleWithSaml(params: URLSearchParams): Promise<{ ok: true; body: string; session: SamlSession } | { ok: false; error: SessionError }> {
    try {
      return await this.assume(params);
    } catch (e) {
      if (e instanceof Refusal) return { ok: false, error: e.error };
      throw e;
    }
  }

  private async assume(params: URLSearchParams): Promise<{ ok: true; body: string; session: SamlSession }> {
    const roleArn = params.get("RoleArn") ?? "";
    const principalArn = params.get("PrincipalArn") ?? "";
    const role = ROLE_ARN.exec(roleArn);
    const provider = PROVIDER_ARN.exec(principalArn);
    if (!role) return refuse({ type: "ValidationError", message: `${roleArn} is not a role ARN`, status: 400 });
    if (!provider) return refuse({ type: "ValidationError", message: `${principalArn} is not a SAML provider ARN`, status: 400 });
    const [, , account, roleName] = role as unknown as [string, string, string, string];
    const [, , providerAccount, providerName] = provider as unknown as [string, string, string, string];

    let assertion: SamlAssertion;
    try {
      assertion = parseSamlResponse(params.get("SAMLAssertion") ?? "");
    } catch (e) {
      // The wording is the shim's: AWS documents no message for an unreadable response.
      return refuse(invalidToken(`Invalid SAML response: ${(e as Error).message}`));
    }

    // "This element must contain at least one role-provider pair … in the same format as the
    // RoleArn and PrincipalArn parameters" (Configuring SAML assertions, Role); the person's choice
    // is the pair the call names. A role the response does not map them to: 403 (Troubleshooting).
    const pairs = (assertion.attributes.get(ROLE_ATTRIBUTE) ?? []).map((v) => v.split(",").map((s) => s.trim()));
    if (!pairs.some((p) => p.length === 2 && p.includes(roleArn) && p.includes(principalArn))) refuse(NOT_AUTHORIZED);

    const sessionNames = assertion.attributes.get(SESSION_NAME_ATTRIBUTE);
    if (!sessionNames || sessionNames.length === 0) refuse(invalidToken("RoleSessionName is required in AuthnResponse"));
    const sessionName = sessionNames![0]!;
    if (!/^[a-zA-Z_0-9+=,.@-]{2,64}$/.test(sessionName)) refuse(invalidToken("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"));
    // "This error can also occur if the SAML response does not include a Subject containing a NameID."
    if (!assertion.nameId) refuse(NOT_AUTHORIZED);
    const sourceIdentity = assertion.attributes.get(SOURCE_IDENTITY_ATTRIBUTE)?.[0];
    if (sourceIdentity !== undefined && (!/^[a-zA-Z_0-9+=,.@-]{2,64}$/.test(sourceIdentity) || sourceIdentity.startsWith("aws:"))) {
      refuse(invalidToken('Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"'));
    }
    if ([...assertion.attributes.keys()].some((n) => n.startsWith(PRINCIPAL_TAG_PREFIX))) {
      throw new PolicyModelError("session tags (PrincipalTag SAML attributes) are not modelled by the shim");
    }

    // The IdP: it must exist, and the response's Issuer must be its metadata's entityID
    // ("Specified provider doesn't exist", "Issuer not present in specified provider"). AWS
    // documents these messages, not their codes for the API: InvalidIdentityToken is the
    // AssumeRoleWithSAML error for an assertion it does not accept (STS API reference).
    // A role trusts an IdP of its own account (the SAML provider is an IAM object of that account).
    if (providerAccount !== account) refuse(NOT_AUTHORIZED);
    const idp = await this.deps.iam(providerAccount)("GetSAMLProvider", { SAMLProviderArn: principalArn });
    if (!idp.ok) refuse(invalidToken("Specified provider doesn't exist."));
    const metadata = readMetadata(String(idp.ok ? (idp.result.SAMLMetadataDocument ?? "") : ""));
    const issuer = assertion.issuer ?? "";
    if (metadata.entityId === undefined || metadata.entityId !== issuer) refuse(invalidToken("Issuer not present in specified provider"));
    // "Response signature invalid (… status code: 400; error code: InvalidIdentityToken)" when the
    // IdP's metadata in IAM does not match what signs (e.g. a renewed certificate). Modelled by
    // certificate only: the emulator's signatures are placeholders (authentik/saml-response.ts),
    // so what counts is that the response or its assertion is signed with a certificate the
    // provider's metadata holds.
    if (!assertion.signatureCertificates.some((c) => metadata.certificates.includes(c))) refuse(invalidToken("Response signature invalid"));
    // "Response does not contain the required audience": AWS's entity id, urn:amazon:webservices.
    if (!assertion.audiences.includes(AWS_AUDIENCE)) refuse(invalidToken("Response does not contain the required audience."));

    const callIam = this.deps.iam(account);
    const now = await getRole(callIam, roleName);
    // "This error can occur if the IAM role specified in the SAML response is misspelled or does not exist."
    if (!now) return refuse(NOT_AUTHORIZED);

    // The trust policy: the SAML provider as Federated principal, sts:AssumeRoleWithSAML (and
    // sts:SetSourceIdentity when the response sets a source identity), its conditions on the
    // SAML keys (IAM and AWS STS condition context keys, "SAML role trust policies").
    const subject = assertion.nameId!;
    const type = subjectType(assertion.nameIdFormat);
    const qualifier = nameQualifier(issuer, providerAccount, providerName);
    const t = this.deps.clock();
    const trustContext: RequestContext = {
      present: new Map([
        ["saml:aud", { value: assertion.recipient ?? "", type: "string" }],
        ["saml:iss", { value: issuer, type: "string" }],
        ["saml:sub", { value: subject, type: "string" }],
        ["saml:sub_type", { value: type, type: "string" }],
        ["saml:namequalifier", { value: qualifier, type: "string" }],
        ["saml:doc", { value: `${providerAccount}/${providerName}`, type: "string" }],
        ["aws:currenttime", { value: new Date(t).toISOString(), type: "date" }],
        ["aws:epochtime", { value: String(Math.floor(t / 1000)), type: "date" }],
      ]),
      absent: new Set(),
    };
    const trust: NamedPolicy[] = [{ name: `${roleName} trust policy`, document: now.trust }];
    for (const action of ["sts:AssumeRoleWithSAML", ...(sourceIdentity !== undefined ? ["sts:SetSourceIdentity"] : [])]) {
      const verdict = evaluatePolicies(trust, action, trustContext, { type: "Federated", value: principalArn });
      if (verdict.deny.length > 0 || verdict.allow.length === 0) refuse(NOT_AUTHORIZED);
    }

    // Duration: DurationSeconds (default 3600) up to the role's maximum; the SessionDuration
    // attribute "can be used to shorten the duration of the session"; and the session lasts
    // "until the time specified in the SAML authentication response's SessionNotOnOrAfter value,
    // whichever is shorter" (AssumeRoleWithSAML API reference; Configuring SAML assertions).
    const requested = params.has("DurationSeconds") ? Number(params.get("DurationSeconds")) : 3600;
    if (requested > now.maxSessionDuration) refuse({ type: "ValidationError", message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", status: 400 });
    let durationMs = requested * 1000;
    const attributeDuration = Number(assertion.attributes.get(SESSION_DURATION_ATTRIBUTE)?.[0]);
    if (Number.isInteger(attributeDuration) && attributeDuration > 0) durationMs = Math.min(durationMs, attributeDuration * 1000);
    if (assertion.sessionNotOnOrAfter !== undefined) {
      // An absolute time of the IdP's (real) clock: how long the session had left when issued.
      const left = Date.parse(assertion.sessionNotOnOrAfter) - Date.now();
      if (!Number.isNaN(left)) durationMs = Math.min(durationMs, left);
    }

    // moto mints the keys. It reads only the first AttributeValue of the Role attribute (and
    // fails on several), so it gets a response holding the chosen pair and the session name,
    // asked in the role's account so that its GetCallerIdentity finds the session.
    const forMoto = Buffer.from(
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Assertion><saml:AttributeStatement>` +
        `<saml:Attribute Name="${ROLE_ATTRIBUTE}"><saml:AttributeValue>${xmlEscape(`${roleArn},${principalArn}`)}</saml:AttributeValue></saml:Attribute>` +
        `<saml:Attribute Name="${SESSION_NAME_ATTRIBUTE}"><saml:AttributeValue>${xmlEscape(sessionName)}</saml:AttributeValue></saml:Attribute>` +
        `</saml:AttributeStatement></saml:Assertion></samlp:Response>`,
    ).toString("base64");
    const motoParams = new URLSearchParams({ Action: "AssumeRoleWithSAML", Version: "2011-06-15", RoleArn: roleArn, PrincipalArn: principalArn, SAMLAssertion: forMoto });
    const answer = await this.deps.motoAssumeRoleWithSaml(account, motoParams);
    if (answer.status !== 200) throw new PolicyModelError(`moto's AssumeRoleWithSAML failed: ${answer.status} ${answer.body.slice(0, 500)}`);
    const field = (name: string): string => {
      const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(answer.body);
      if (!m) throw new PolicyModelError(`moto's AssumeRoleWithSAML answer has no ${name}`);
      return m[1]!.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    };

    const issuedAt = this.deps.clock();
    const session: SamlSession = {
      accessKeyId: field("AccessKeyId"),
      secretAccessKey: field("SecretAccessKey"),
      sessionToken: field("SessionToken"),
      roleArn: now.arn,
      account,
      roleName,
      roleId: now.roleId,
      principalArn,
      assumedRoleId: field("AssumedRoleId"),
      arn: field("Arn"),
      sessionName,
      issuedAt,
      expiresAt: Math.floor((issuedAt + durationMs) / 1000) * 1000,
      subject,
      subjectType: type,
      issuer,
      audience: assertion.recipient ?? "",
      nameQualifier: qualifier,
      ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      ...(params.has("Policy") ? { sessionPolicy: params.get("Policy")! } : {}),
      sessionPolicyArns: [...params.entries()].filter(([k]) => /^PolicyArns\.member\.\d+\.arn$/.test(k)).map(([, v]) => v),
    };
    if (session.assumedRoleId !== `${now.roleId}:${sessionName}`) {
      throw new PolicyModelError(`moto's AssumedRoleId ${session.assumedRoleId} is not <RoleId>:<RoleSessionName> (${now.roleId}:${sessionName})`);
    }
    this.sessions.set(session.accessKeyId, session);

    // The answer as AWS words it (AssumeRoleWithSAMLResponse: Subject = NameID, SubjectType,
    // Issuer, Audience = Recipient, NameQualifier, SourceIdentity) — moto's are made up.
    const el = (name: string, value: string) => `<${name}>${xmlEscape(value)}</${name}>`;
    const body =
      `<AssumeRoleWithSAMLResponse xmlns="${STS_NS}"><AssumeRoleWithSAMLResult>` +
      `<Credentials>${el("AccessKeyId", session.accessKeyId)}${el("SecretAccessKey", session.secretAccessKey)}${el("SessionToken", session.sessionToken)}${el("Expiration", isoSeconds(session.expiresAt))}</Credentials>` +
      `<AssumedRoleUser>${el("AssumedRoleId", session.assumedRoleId)}${el("Arn", session.arn)}</AssumedRoleUser>` +
      el("Subject", subject) +
      el("SubjectType", type) +
      el("Issuer", issuer) +
      el("Audience", session.audience) +
      el("NameQualifier", qualifier) +
      (sourceIdentity !== undefined ? el("SourceIdentity", sourceIdentity) : "") +
      `</AssumeRoleWithSAMLResult><ResponseMetadata>${el("RequestId", field("RequestId"))}</ResponseMetadata></AssumeRoleWithSAMLResponse>`;
    return { ok: true, body, session };
  }

  /**
   * A request signed with `accessKeyId`: undefined when it may go on (not a session of ours, or
   * allowed), else the error to answer with. `signingName` is the credential scope's service,
   * `operation` the API operation, `protocol` how the service words errors.
   */
  async authorize(request: { accessKeyId: string; sessionToken: string | undefined; signingName: string; region: string; operation: string; protocol: Protocol }): Promise<SessionError | undefined> {
    const session = this.sessions.get(request.accessKeyId);
    if (!session) return undefined;
    const at = this.deps.clock();
    const prefix = ACTION_PREFIX[request.signingName];
    const action = `${prefix ?? request.signingName}:${request.operation}`;
    const log = (d: Omit<SessionDecision, "accessKeyId" | "arn" | "action" | "at">): void => {
      this.decisions.push({ accessKeyId: session.accessKeyId, arn: session.arn, action, at, ...d });
    };
    const json = request.protocol === "json";
    // Authentication comes first (Policy evaluation logic: "AWS first authenticates the
    // principal"): the session token must be the one issued with the key, and the session live.
    // Query services answer InvalidClientTokenId / ExpiredToken (403), JSON services
    // UnrecognizedClientException / ExpiredTokenException (400), each "The security token
    // included in the request is invalid." / "… is expired" (AWS's common errors).
    if (request.sessionToken !== session.sessionToken) {
      log({ outcome: "invalid-token" });
      return { type: json ? "UnrecognizedClientException" : "InvalidClientTokenId", message: "The security token included in the request is invalid.", status: json ? 400 : 403 };
    }
    if (at >= session.expiresAt) {
      log({ outcome: "expired" });
      return { type: json ? "ExpiredTokenException" : "ExpiredToken", message: "The security token included in the request is expired", status: json ? 400 : 403 };
    }
    // "No permissions are required to perform this operation. If an administrator attaches a
    // policy to your identity that explicitly denies access to the sts:GetCallerIdentity action,
    // you can still perform this operation." (STS API reference, GetCallerIdentity)
    if (action.toLowerCase() === "sts:getcalleridentity") {
      log({ outcome: "allow" });
      return undefined;
    }
    try {
      if (prefix === undefined) throw new PolicyModelError(`the IAM action prefix of signing name ${JSON.stringify(request.signingName)} is not modelled by the shim`);
      const decision = await this.decideFor(session, action, request.region, at);
      if (decision.decision === "allow") {
        log({ outcome: "allow" });
        return undefined;
      }
      const message = accessDeniedMessage(session.arn, action, decision);
      log({
        outcome: decision.decision,
        layer: decision.layer,
        ...(decision.decision === "explicit-deny" ? { statement: `${decision.statement.policy} statement ${decision.statement.sid ?? decision.statement.index}` } : {}),
        message,
      });
      return { type: json ? "AccessDeniedException" : "AccessDenied", message, status: json ? 400 : 403 };
    } catch (e) {
      if (!(e instanceof PolicyModelError)) throw e;
      log({ outcome: "not-modelled", message: e.message });
      return { type: "ShimNotModelled", message: `aws shim: ${e.message}`, status: 500 };
    }
  }

  /**
   * The request context of a role session's API request (AWS global condition context keys, each
   * key's "Availability"), and the policies in force now, read from moto.
   */
  private async decideFor(session: SamlSession, action: string, region: string, at: number): Promise<Decision> {
    const context: RequestContext = {
      present: new Map([
        // "role-id:caller-specified-role-name" for a SAML federated role session (Principal key values).
        ["aws:userid", { value: session.assumedRoleId, type: "string" }],
        // "included in the request context only when the principal uses temporary credentials"
        ["aws:tokenissuetime", { value: new Date(session.issuedAt).toISOString(), type: "date" }],
        // "For IAM roles, the request context returns the ARN of the role, not the ARN of the user that assumed the role."
        ["aws:principalarn", { value: session.roleArn, type: "string" }],
        ["aws:principalaccount", { value: session.account, type: "string" }],
        ["aws:principaltype", { value: "AssumedRole", type: "string" }],
        // "always included"
        ["aws:currenttime", { value: new Date(at).toISOString(), type: "date" }],
        ["aws:epochtime", { value: String(Math.floor(at / 1000)), type: "date" }],
        ["aws:requestedregion", { value: region, type: "string" }],
        // AWS's API endpoints are HTTPS; the shim stands for them (it is plain HTTP itself).
        ["aws:securetransport", { value: "true", type: "bool" }],
        ["aws:viaawsservice", { value: "false", type: "bool" }],
        ["aws:principalisawsservice", { value: "false", type: "bool" }],
        // SAML keys usable in permission policies (Uniquely identifying users in SAML-based federation).
        ["saml:sub", { value: session.subject, type: "string" }],
        ["saml:sub_type", { value: session.subjectType, type: "string" }],
        ["saml:namequalifier", { value: session.nameQualifier, type: "string" }],
        ...(session.sourceIdentity !== undefined ? [["aws:sourceidentity", { value: session.sourceIdentity, type: "string" as const }] as const] : []),
      ]),
      // Keys AWS documents as absent from such a request: aws:username ("requests made using
      // IAM roles do not include this key"), aws:SourceIdentity (none set), aws:MultiFactorAuthAge
      // (no MFA at AWS), the VPC endpoint keys (no VPC endpoint), the keys of service principals
      // and of calls a service makes on the principal's behalf, aws:referer (no browser link).
      absent: new Set([
        "aws:username",
        ...(session.sourceIdentity === undefined ? ["aws:sourceidentity"] : []),
        "aws:multifactorauthage",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:vpcsourceip",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
        "aws:principalservicename",
        "aws:principalservicenameslist",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:referer",
        "aws:ec2instancesourcevpc",
        "aws:ec2instancesourceprivateipv4",
      ]),
    };

    const callIam = this.deps.iam(session.account);
    const role = await getRole(callIam, session.roleName);
    const layers: Array<{ layer: PolicyLayer; verdict: ReturnType<typeof evaluatePolicies> }> = [];
    // A role deleted (or deleted and made again: a new RoleId) since the session was issued
    // grants the session nothing — its policies are gone. (AWS ties a session to the role's
    // unique id; how it words that refusal is not documented: here, no identity-based policy.)
    let identity: NamedPolicy[] = [];
    if (role && role.roleId === session.roleId) {
      const inline = (await everyPage(callIam, "ListRolePolicies", { RoleName: session.roleName }, "PolicyNames")).map(String);
      for (const name of inline) {
        const document = String((await must(callIam, "GetRolePolicy", { RoleName: session.roleName, PolicyName: name })).PolicyDocument ?? "");
        identity.push({ name, document });
      }
      const attached = await everyPage(callIam, "ListAttachedRolePolicies", { RoleName: session.roleName }, "AttachedPolicies");
      for (const p of attached) identity.push(await managedPolicy(callIam, String(record(p).PolicyArn)));
    } else {
      identity = [];
    }
    layers.push({ layer: "identity-based policy", verdict: evaluatePolicies(identity, action, context) });
    if (role && role.roleId === session.roleId && role.boundaryArn !== undefined) {
      layers.push({ layer: "permissions boundary", verdict: evaluatePolicies([await managedPolicy(callIam, role.boundaryArn)], action, context) });
    }
    if (session.sessionPolicy !== undefined || session.sessionPolicyArns.length > 0) {
      const policies: NamedPolicy[] = [
        ...(session.sessionPolicy !== undefined ? [{ name: "session policy", document: session.sessionPolicy }] : []),
        ...(await Promise.all(session.sessionPolicyArns.map((arn) => managedPolicy(callIam, arn)))),
      ];
      layers.push({ layer: "session policy", verdict: evaluatePolicies(policies, action, context) });
    }
    return decide(layers, action);
  }
}
