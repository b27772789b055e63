/**
 * Role sessions at the AWS shim (aws-sessions.ts, aws-policy-eval.ts) and the authentik
 * emulator's SAML response (authentik/saml-response.ts): a person signs in through authentik's
 * SAML provider, exchanges the response for credentials at STS AssumeRoleWithSAML, and the shim
 * evaluates every later request signed with them against the role's policies as they are at
 * that moment — the proof issue 21 asks for that an inline Deny on aws:userid and
 * aws:TokenIssueTime ends the sessions issued before its time and no others.
 *
 * The peers run as the end-to-end tests run them (processes of their own, startPeers); the
 * authentik side is the classic setup of authentik's AWS guide (test/support/guide-setup.ts)
 * plus a SessionDuration mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreatePolicyCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  UpdateSAMLProviderCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, AssumeRoleWithSAMLCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { accessDeniedMessage, decide, evaluatePolicies, PolicyModelError, type RequestContext } from "./aws-policy-eval.js";
import { awsClientConfig, MOTO_REGION } from "./moto.js";
import { buildClassicGuideSetup, guideTrustPolicy, seedGuidePopulation, type ClassicGuideSetup } from "../support/guide-setup.js";
import { startPeers, type Peers } from "../support/peers.js";
import { signInAs, tryAws, type SessionCredentials } from "../support/sessions.js";

const ACCOUNT = "111111111111";
const ROLES = ["reader", "noperms", "bounded", "untrusted"];
const READ_POLICY = { Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Action: "iam:List*", Resource: "*" }] };
const SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration";

let peers: Peers;
let setup: ClassicGuideSetup;
let users: Record<string, number>;
let iam: IAMClient;
const shim = () => peers.shim!;

/** Signs `user` in as `role` through the emulator and the shim. */
const signIn = (user: string, role: string, durationSeconds?: number): Promise<SessionCredentials> =>
  signInAs(peers.authentik, peers.awsEndpoint, { provider: setup.providerPk, user: users[user]!, role, ...(durationSeconds ? { durationSeconds } : {}) });

/** The role's inline policy `name` is `document` while `fn` runs. */
async function withInline<T>(role: string, name: string, document: unknown, fn: () => Promise<T>): Promise<T> {
  await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify(document) }));
  try {
    return await fn();
  } finally {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
  }
}

const DENY_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] };
const deny = (condition: Record<string, unknown>, resource: string = "*") => ({ Version: "2012-10-17", Statement: [{ Sid: "Probe", Effect: "Deny", Action: "*", Resource: resource, Condition: condition }] });

/** AssumeRoleWithSAML with a response the test made (or changed): AWS's answer, or the SDK's exception (InvalidIdentityToken → InvalidIdentityTokenException, as STS's model names it). */
async function assumeWith(samlXml: string, roleArn: string): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  const sts = new STSClient({ region: MOTO_REGION, endpoint: peers.awsEndpoint, maxAttempts: 1 });
  try {
    await sts.send(new AssumeRoleWithSAMLCommand({ RoleArn: roleArn, PrincipalArn: setup.samlProviderArn, SAMLAssertion: Buffer.from(samlXml).toString("base64") }));
    return { ok: true };
  } catch (e) {
    return { ok: false, code: (e as Error).name, message: (e as Error).message };
  }
}

beforeAll(async () => {
  peers = await startPeers(["engineers", "admins", "data-eng"]);
  ({ users } = await seedGuidePopulation(peers));
  iam = new IAMClient(peers.aws(ACCOUNT));
  setup = await buildClassicGuideSetup(peers, {
    accountId: ACCOUNT,
    roles: [
      { name: "reader", inlinePolicy: { name: "read", document: READ_POLICY }, maxSessionDuration: 7200 },
      { name: "noperms" },
      { name: "bounded", inlinePolicy: { name: "read", document: READ_POLICY } },
      { name: "untrusted", inlinePolicy: { name: "read", document: READ_POLICY } },
    ],
    mapping: { style: "list", roles: ROLES },
    bindGroups: ["engineers"],
  });
  // The optional SessionDuration attribute (the tool's classic mode writes one), and two mappings
  // the assertion must leave out: one returning None, one failing.
  const mapping = (name: string, saml_name: string, expression: string) => peers.ak<{ pk: string }>("POST", "/propertymappings/provider/saml/", { name, saml_name, expression });
  const extra = [
    await mapping("AWS SessionDuration", SESSION_DURATION, "return 3600"),
    await mapping("Nothing", "urn:test:nothing", "return None"),
    await mapping("Broken", "urn:test:broken", "raise ValueError('no')"),
  ];
  const provider = await peers.ak<{ property_mappings: string[] }>("GET", `/providers/saml/${setup.providerPk}/`);
  await peers.ak("PATCH", `/providers/saml/${setup.providerPk}/`, { property_mappings: [...provider.property_mappings, ...extra.map((m) => m.pk)] });
  // "untrusted" trusts another IdP; "bounded" is bounded by a policy that allows only STS.
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "untrusted", PolicyDocument: JSON.stringify(guideTrustPolicy(ACCOUNT, "someone-else")) }));
  const boundary = await iam.send(
    new CreatePolicyCommand({ PolicyName: "sts-only", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:*", Resource: "*" }] }) }),
  );
  await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: "bounded", PermissionsBoundary: boundary.Policy!.Arn! }));
}, 180_000);

afterAll(() => peers?.stopAfterChecks());

describe("the authentik emulator's samlResponse: what its SAML provider POSTs to AWS", () => {
  it("carries every SAML mapping evaluated for the user (by saml_name; a list → several values; None and failures left out), NameID, Issuer, Audience, a signature naming the signing certificate", async () => {
    const r = await peers.authentik.control.samlResponse({ provider: setup.providerPk, user: users.bob! });
    expect(Buffer.from(r.samlResponse, "base64").toString("utf8")).toBe(r.xml);
    const pair = (role: string) => `arn:aws:iam::${ACCOUNT}:role/${role},${setup.samlProviderArn}`;
    expect(r.attributes).toEqual([
      { name: "https://aws.amazon.com/SAML/Attributes/Role", values: ROLES.map(pair) },
      { name: "https://aws.amazon.com/SAML/Attributes/RoleSessionName", values: ["bob@example.com"] },
      { name: SESSION_DURATION, values: ["3600"] },
    ]);
    expect(r.acsUrl).toBe("https://signin.aws.amazon.com/saml");
    // The issuer is the metadata's entityID (what IAM holds), the audience AWS's entity id.
    expect(setup.metadata).toContain(`entityID="${r.issuer}"`);
    expect(r.xml).toContain("<saml:Audience>urn:amazon:webservices</saml:Audience>");
    expect(r.xml).toContain(`Recipient="https://signin.aws.amazon.com/saml"`);
    // No name_id_mapping and no default NameID policy: unspecified, the user's uid.
    const bob = await peers.ak<{ uid: string }>("GET", `/core/users/${users.bob}/`);
    expect({ nameId: r.nameId, format: r.nameIdFormat }).toEqual({ nameId: bob.uid, format: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" });
    // sign_assertion and sign_response: two signatures, with the certificate the metadata publishes.
    const certificate = /<ds:X509Certificate>([^<]+)</.exec(setup.metadata)![1]!.replace(/\s+/g, "");
    expect([...r.xml.matchAll(/<ds:X509Certificate>([^<]+)</g)].map((m) => m[1])).toEqual([certificate, certificate]);
  });

  it("takes the NameID from name_id_mapping (authentik's managed email mapping here) and gives a generator's items as several values", async () => {
    const mappings = (await peers.ak<{ results: { pk: string; managed: string | null }[] }>("GET", "/propertymappings/provider/saml/?page_size=100")).results;
    const managed = (name: string) => mappings.find((m) => m.managed === `goauthentik.io/providers/saml/${name}`)!.pk;
    const before = await peers.ak<{ property_mappings: string[] }>("GET", `/providers/saml/${setup.providerPk}/`);
    await peers.ak("PATCH", `/providers/saml/${setup.providerPk}/`, {
      name_id_mapping: managed("email"),
      default_name_id_policy: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
      property_mappings: [...before.property_mappings, managed("groups")],
    });
    try {
      const r = await peers.authentik.control.samlResponse({ provider: setup.providerPk, user: users.bob! });
      expect({ nameId: r.nameId, format: r.nameIdFormat }).toEqual({ nameId: "bob@example.com", format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" });
      // `for group in request.user.all_groups(): yield group.name` — bob is in admins and engineers.
      expect(r.attributes.find((a) => a.name === "http://schemas.xmlsoap.org/claims/Group")?.values).toEqual(["admins", "engineers"]);
    } finally {
      await peers.ak("PATCH", `/providers/saml/${setup.providerPk}/`, {
        name_id_mapping: null,
        default_name_id_policy: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        property_mappings: before.property_mappings,
      });
    }
  });

  it("refuses a person the application's bindings refuse, as authentik shows its access-denied page", async () => {
    await expect(peers.authentik.control.samlResponse({ provider: setup.providerPk, user: users.erin! })).rejects.toThrow(/access denied/);
  });
});

describe("AssumeRoleWithSAML at the shim: checked as AWS documents it, sessions recorded", () => {
  it("signs bob in end to end: the credentials work, GetCallerIdentity names the session, the answer is AWS's", async () => {
    const bob = await signIn("bob", "reader");
    expect(bob.assumedRoleId).toMatch(/^AROA[A-Z0-9]+:bob@example\.com$/);
    expect(bob.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/reader/bob@example.com`);
    expect(await tryAws(bob, peers.awsEndpoint)).toEqual({ ok: true });
    const credentials = { accessKeyId: bob.accessKeyId, secretAccessKey: bob.secretAccessKey, sessionToken: bob.sessionToken };
    const sts = new STSClient({ region: MOTO_REGION, endpoint: peers.awsEndpoint, credentials, maxAttempts: 1 });
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: ACCOUNT, Arn: bob.arn, UserId: bob.assumedRoleId });
    // SessionDuration (3600) shortens nothing here; the default DurationSeconds is 3600.
    const [session] = (await shim().control.sessions()).filter((s) => s.accessKeyId === bob.accessKeyId);
    expect(session!.expiresAt - session!.issuedAt).toBeLessThanOrEqual(3600_000);
    expect(session!.expiresAt - session!.issuedAt).toBeGreaterThan(3599_000);
    expect(session).toMatchObject({ roleArn: `arn:aws:iam::${ACCOUNT}:role/reader`, subject: bob.saml.nameId, issuer: bob.saml.issuer, audience: "https://signin.aws.amazon.com/saml" });
  });

  it("refuses what AWS refuses: a role the response does not offer or whose trust names another IdP, a wrong issuer, a missing RoleSessionName, too long a DurationSeconds", async () => {
    const { saml } = await signIn("alice", "reader");
    const arn = (role: string) => `arn:aws:iam::${ACCOUNT}:role/${role}`;
    expect(await assumeWith(saml.xml, arn("reader"))).toEqual({ ok: true });
    const notAuthorized = { ok: false, code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithSAML" };
    expect(await assumeWith(saml.xml, arn("untrusted"))).toEqual(notAuthorized);
    expect(await assumeWith(saml.xml.replace(/role\/noperms,/, "role/elsewhere,"), arn("noperms"))).toEqual(notAuthorized);
    expect(await assumeWith(saml.xml.replaceAll(`>${saml.issuer}</saml:Issuer>`, ">https://evil.example/</saml:Issuer>"), arn("reader"))).toEqual({
      ok: false,
      code: "InvalidIdentityTokenException",
      message: "Issuer not present in specified provider",
    });
    const withoutName = saml.xml.replace(/<saml:Attribute Name="https:\/\/aws\.amazon\.com\/SAML\/Attributes\/RoleSessionName">.*?<\/saml:Attribute>/, "");
    expect(await assumeWith(withoutName, arn("reader"))).toEqual({ ok: false, code: "InvalidIdentityTokenException", message: "RoleSessionName is required in AuthnResponse" });
    await expect(signIn("alice", "reader", 7201)).rejects.toThrow("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    // The Role attribute is authentik's own: a person signs in only to a role it offers.
    await expect(signIn("alice", "admin")).rejects.toThrow(/does not offer admin/);
  });

  it("refuses a response signed with a certificate the IAM SAML provider does not hold (a renewed keypair), until its metadata is updated", async () => {
    await peers.authentik.control.renewKeypair({ name: "authentik Self-signed Certificate" });
    await expect(signIn("alice", "reader")).rejects.toThrow("Response signature invalid");
    const { metadata } = await peers.ak<{ metadata: string }>("GET", `/providers/saml/${setup.providerPk}/metadata/`);
    await iam.send(new UpdateSAMLProviderCommand({ SAMLProviderArn: setup.samlProviderArn, SAMLMetadataDocument: metadata }));
    expect(await tryAws(await signIn("alice", "reader"), peers.awsEndpoint)).toEqual({ ok: true });
  });

  it("DurationSeconds up to the role's maximum, shortened by the SessionDuration attribute; expired sessions get ExpiredToken, GetCallerIdentity too", async () => {
    const long = await signIn("bob", "reader", 7200);
    const short = await signIn("alice", "reader", 900);
    const sessions = await shim().control.sessions();
    const session = (c: SessionCredentials) => sessions.find((x) => x.accessKeyId === c.accessKeyId)!;
    // Expiration is to the second (as AWS's), so a lifetime is at most a second short.
    const lifetime = (c: SessionCredentials) => Math.ceil((session(c).expiresAt - session(c).issuedAt) / 1000);
    // 7200 asked, the SessionDuration attribute says 3600: 3600 (Configuring SAML assertions, SessionDuration).
    expect([lifetime(long), lifetime(short)]).toEqual([3600, 900]);
    // The answer's Expiration is the session's, on the shim's clock.
    expect(short.expiration.getTime()).toBe(session(short).expiresAt);
    await shim().control.advanceClock(900_000);
    const expired = { ok: false, code: "ExpiredToken", message: "The security token included in the request is expired", status: 403 };
    expect(await tryAws(short, peers.awsEndpoint)).toEqual(expired);
    expect(await tryAws(short, peers.awsEndpoint, "sts:GetCallerIdentity")).toEqual(expired);
    expect(await tryAws(long, peers.awsEndpoint)).toEqual({ ok: true });
  });

  it("refuses a request whose session token is not the one issued with the key", async () => {
    const bob = await signIn("bob", "reader");
    expect(await tryAws({ ...bob, sessionToken: `${bob.sessionToken}x` }, peers.awsEndpoint)).toEqual({
      ok: false,
      code: "InvalidClientTokenId",
      message: "The security token included in the request is invalid.",
      status: 403,
    });
  });
});

describe("what a session may do: the role's policies at the time of each request", () => {
  it("the revocation issue 21 adds: a Deny on aws:userid and aws:TokenIssueTime ends bob's sessions issued before T — not GetCallerIdentity, not alice's, not bob's next one", async () => {
    const bob = await signIn("bob", "reader");
    const alice = await signIn("alice", "reader");
    expect(await tryAws(bob, peers.awsEndpoint)).toEqual({ ok: true });
    // T: just after bob's session was issued, on the shim's clock (the issuer of aws:TokenIssueTime).
    const issued = (await shim().control.sessions()).find((s) => s.accessKeyId === bob.accessKeyId)!.issuedAt;
    const t = new Date(Math.ceil((issued + 1) / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
    const revoke = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { StringEquals: { "aws:userid": [bob.assumedRoleId] }, DateLessThan: { "aws:TokenIssueTime": t } },
        },
      ],
    };
    await withInline("reader", "revoke", revoke, async () => {
      const refused = await tryAws(bob, peers.awsEndpoint);
      expect(refused).toEqual({
        ok: false,
        code: "AccessDenied",
        message: `User: ${bob.arn} is not authorized to perform: iam:ListRoles with an explicit deny in an identity-based policy`,
        status: 403,
      });
      expect(await tryAws(bob, peers.awsEndpoint, "sts:GetCallerIdentity")).toEqual({ ok: true });
      expect(await tryAws(alice, peers.awsEndpoint)).toEqual({ ok: true });
      // Time passes beyond T; bob signs in again: the same role, a new session, not revoked.
      await shim().control.advanceClock(2_000);
      const again = await signIn("bob", "reader");
      expect(again.assumedRoleId).toBe(bob.assumedRoleId);
      expect(await tryAws(again, peers.awsEndpoint)).toEqual({ ok: true });
      expect(await tryAws(bob, peers.awsEndpoint)).toMatchObject({ ok: false, code: "AccessDenied" });
    });
    // The policy gone, the old session works again (IAM evaluates every request anew).
    expect(await tryAws(bob, peers.awsEndpoint)).toEqual({ ok: true });
    const decisions = (await shim().control.sessionDecisions()).filter((d) => d.accessKeyId === bob.accessKeyId);
    expect(decisions.map((d) => `${d.action} ${d.outcome}`)).toEqual([
      "iam:ListRoles allow",
      "iam:ListRoles explicit-deny",
      "sts:GetCallerIdentity allow",
      "iam:ListRoles explicit-deny",
      "iam:ListRoles allow",
    ]);
    expect(decisions[1]!.statement).toBe("revoke statement 0");
  });

  it("implicit deny: a role that allows nothing, a service the policy does not name (JSON protocol), a permissions boundary that does not allow", async () => {
    const none = await signIn("bob", "noperms");
    expect(await tryAws(none, peers.awsEndpoint)).toEqual({
      ok: false,
      code: "AccessDenied",
      message: `User: ${none.arn} is not authorized to perform: iam:ListRoles because no identity-based policy allows the iam:ListRoles action`,
      status: 403,
    });
    expect(await tryAws(none, peers.awsEndpoint, "sts:GetCallerIdentity")).toEqual({ ok: true });
    const reader = await signIn("bob", "reader");
    expect(await tryAws(reader, peers.awsEndpoint, "sso:ListInstances")).toMatchObject({
      ok: false,
      code: "AccessDeniedException",
      message: `User: ${reader.arn} is not authorized to perform: sso:ListInstances because no identity-based policy allows the sso:ListInstances action`,
    });
    const bounded = await signIn("bob", "bounded");
    expect(await tryAws(bounded, peers.awsEndpoint)).toMatchObject({ ok: false, code: "AccessDenied", message: expect.stringContaining("because no permissions boundary allows the iam:ListRoles action") });
  });

  it("conditions: operators, absent keys (false; negated and …IfExists true; Null), several values OR (negated: NOR), several keys AND", async () => {
    const bob = await signIn("bob", "reader");
    const alice = await signIn("alice", "reader");
    const denied = async (condition: Record<string, unknown>, who: SessionCredentials = bob): Promise<boolean> =>
      withInline("reader", "probe", deny(condition), async () => {
        const r = await tryAws(who, peers.awsEndpoint);
        if (!r.ok && r.code !== "AccessDenied") throw new Error(`${JSON.stringify(condition)}: ${r.code} ${r.message}`);
        return !r.ok;
      });
    const cases: Array<[string, Record<string, unknown>, boolean, SessionCredentials?]> = [
      // aws:username is absent for a role session.
      ["absent key", { StringEquals: { "aws:username": "bob" } }, false],
      ["absent key, negated", { StringNotEquals: { "aws:username": "bob" } }, true],
      ["absent key, IfExists", { StringEqualsIfExists: { "aws:username": "bob" } }, true],
      ["present key, IfExists", { StringEqualsIfExists: { "aws:PrincipalType": "User" } }, false],
      ["Null true on an absent key", { Null: { "aws:username": "true" } }, true],
      ["Null true on a present key", { Null: { "aws:TokenIssueTime": "true" } }, false],
      ["Null false on a present key", { Null: { "aws:TokenIssueTime": "false" } }, true],
      ["key names are case-insensitive", { StringEquals: { "AWS:UserId": bob.assumedRoleId } }, true],
      ["StringLike", { StringLike: { "aws:userid": "AROA*:bob@*" } }, true],
      ["StringLike, another person", { StringLike: { "aws:userid": "AROA*:bob@*" } }, false, alice],
      ["StringEquals is case-sensitive", { StringEquals: { "aws:PrincipalType": "assumedrole" } }, false],
      ["StringEqualsIgnoreCase", { StringEqualsIgnoreCase: { "aws:PrincipalType": "assumedrole" } }, true],
      ["StringNotLike", { StringNotLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/reader" } }, false],
      ["several values: OR", { StringEquals: { "aws:PrincipalAccount": ["222222222222", ACCOUNT] } }, true],
      ["several values, negated: NOR", { StringNotEquals: { "aws:PrincipalAccount": ["222222222222", ACCOUNT] } }, false],
      ["several keys: AND", { StringEquals: { "aws:userid": bob.assumedRoleId }, DateLessThan: { "aws:TokenIssueTime": "2000-01-01T00:00:00Z" } }, false],
      ["DateGreaterThan aws:CurrentTime", { DateGreaterThan: { "aws:CurrentTime": "2000-01-01T00:00:00Z" } }, true],
      ["DateLessThanEquals with epoch seconds", { DateLessThanEquals: { "aws:EpochTime": "946684800" } }, false],
      ["DateNotEquals", { DateNotEquals: { "aws:TokenIssueTime": "2000-01-01T00:00:00Z" } }, true],
      ["Bool", { Bool: { "aws:SecureTransport": "false" } }, false],
    ];
    const results: Record<string, boolean> = {};
    for (const [name, condition, , who] of cases) results[name] = await denied(condition, who);
    expect(results).toEqual(Object.fromEntries(cases.map(([name, , want]) => [name, want])));
  });

  it("what the shim does not model is a loud HTTP 500 naming it, never a decision", async () => {
    const bob = await signIn("bob", "reader");
    const loud = (document: unknown) =>
      withInline("reader", "probe", document, async () => {
        const r = await tryAws(bob, peers.awsEndpoint);
        return r.ok ? r : { status: r.status, code: r.code, message: r.message };
      });
    expect(await loud(deny({ "ForAnyValue:StringEquals": { "aws:userid": ["x"] } }))).toMatchObject({ status: 500, code: "ShimNotModelled", message: expect.stringContaining("ForAnyValue:StringEquals") });
    expect(await loud(deny({ NumericLessThan: { "aws:EpochTime": "1" } }))).toMatchObject({ status: 500, message: expect.stringContaining("NumericLessThan") });
    expect(await loud(deny({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }))).toMatchObject({ status: 500, message: expect.stringContaining("IpAddress") });
    expect(await loud(deny({ StringEquals: { "aws:SourceIp": "10.0.0.1" } }))).toMatchObject({ status: 500, message: expect.stringContaining("context key aws:SourceIp is not modelled") });
    expect(await loud(deny({ StringLike: { "aws:userid": "${aws:username}" } }))).toMatchObject({ status: 500, message: expect.stringContaining("policy variables") });
    // A Deny on some resources only: whether it applies depends on the resource, which the shim does not know.
    expect(await loud(deny({ StringLike: { "aws:userid": "*" } }, `arn:aws:iam::${ACCOUNT}:role/*`))).toMatchObject({ status: 500, message: expect.stringContaining('narrower than "*"') });
    // The same Deny whose conditions cannot hold (another person) does not matter.
    expect(await loud(deny({ StringEquals: { "aws:userid": "AROAOTHER:carol@example.com" } }, `arn:aws:iam::${ACCOUNT}:role/*`))).toEqual({ ok: true });
    const decisions = await shim().control.sessionDecisions();
    expect(decisions.filter((d) => d.accessKeyId === bob.accessKeyId && d.outcome === "not-modelled")).toHaveLength(6);
  });

  it("only SAML sessions are evaluated: the tool's own credentials and AssumeRole sessions (cross-account work) pass as before", async () => {
    const before = (await shim().control.sessionDecisions()).length;
    await withInline("reader", "probe", DENY_ALL, async () => {
      expect((await iam.send(new UpdateRoleCommand({ RoleName: "reader", MaxSessionDuration: 7200, Description: "" }))).$metadata.httpStatusCode).toBe(200);
      const sts = new STSClient(awsClientConfig(peers.awsEndpoint));
      const creds = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/reader`, RoleSessionName: "gitops" }))).Credentials!;
      expect(await tryAws({ accessKeyId: creds.AccessKeyId!, secretAccessKey: creds.SecretAccessKey!, sessionToken: creds.SessionToken! }, peers.awsEndpoint)).toEqual({ ok: true });
    });
    expect((await shim().control.sessionDecisions()).length).toBe(before);
  });
});

describe("policy evaluation (aws-policy-eval.ts), without a server", () => {
  const context: RequestContext = {
    present: new Map([
      ["aws:userid", { value: "AROAEXAMPLE:bob@example.com", type: "string" }],
      ["aws:tokenissuetime", { value: "2026-12-06T08:00:00.500Z", type: "date" }],
    ]),
    absent: new Set(["aws:username"]),
  };
  const policy = (...statements: Record<string, unknown>[]) => [{ name: "p", document: { Version: "2012-10-17", Statement: statements } }];
  const applies = (statement: Record<string, unknown>, action = "iam:ListRoles") => {
    const v = evaluatePolicies(policy({ Effect: "Allow", Resource: "*", ...statement }), action, context);
    return v.allow.length === 1;
  };

  it("matches actions case-insensitively with * and ?, and NotAction as everything else", () => {
    expect([applies({ Action: "IAM:list*" }), applies({ Action: "iam:?istRoles" }), applies({ Action: ["sts:*", "*"] }), applies({ Action: "iam:Get*" })]).toEqual([true, true, true, false]);
    expect([applies({ NotAction: "iam:Get*" }), applies({ NotAction: "iam:*" })]).toEqual([true, false]);
  });

  it("counts a statement only for Resource \"*\": a narrower Resource or any NotResource is reported, not evaluated", () => {
    const v = evaluatePolicies(policy({ Effect: "Deny", Action: "*", Resource: "arn:aws:iam::*:role/*" }, { Effect: "Deny", Action: "*", NotResource: "arn:aws:s3:::x" }), "iam:ListRoles", context);
    expect(v).toEqual({ deny: [], allow: [], narrower: [{ policy: "p", index: 0, effect: "Deny" }, { policy: "p", index: 1, effect: "Deny" }] });
    expect(() => evaluatePolicies(policy({ Effect: "Allow", Action: "*" }), "iam:ListRoles", context)).toThrow(PolicyModelError);
  });

  it("compares dates as instants (ISO 8601 or epoch seconds), with the token's milliseconds", () => {
    expect(applies({ Action: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-12-06T08:00:01Z" } } })).toBe(true);
    expect(applies({ Action: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-12-06T08:00:00Z" } } })).toBe(false);
    expect(applies({ Action: "*", Condition: { DateGreaterThan: { "aws:TokenIssueTime": String(Date.parse("2026-12-06T08:00:00Z") / 1000) } } })).toBe(true);
  });

  it("refuses to guess (a String operator on a date key, NullIfExists, an unmodelled key), but never looks into a statement on another action", () => {
    expect(() => applies({ Action: "*", Condition: { StringEquals: { "aws:TokenIssueTime": "x" } } })).toThrow(/whose value is a date, not a string/);
    expect(() => applies({ Action: "*", Condition: { NullIfExists: { "aws:username": "true" } } })).toThrow(/NullIfExists/);
    expect(() => applies({ Action: "*", Condition: { StringEquals: { "aws:UserAgent": "x" } } })).toThrow(/aws:UserAgent is not modelled/);
    // A statement on another action is never looked into.
    expect(applies({ Action: "s3:GetObject", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })).toBe(false);
  });

  it("decides in AWS's order: a Deny anywhere first; then identity-based, boundary, session policy must each allow", () => {
    const allow = evaluatePolicies(policy({ Effect: "Allow", Action: "*", Resource: "*" }), "iam:ListRoles", context);
    const denyAll = evaluatePolicies(policy({ Effect: "Deny", Action: "*", Resource: "*" }), "iam:ListRoles", context);
    const nothing = evaluatePolicies([], "iam:ListRoles", context);
    expect(decide([{ layer: "identity-based policy", verdict: allow }, { layer: "permissions boundary", verdict: denyAll }], "iam:ListRoles")).toMatchObject({ decision: "explicit-deny", layer: "permissions boundary" });
    const implicit = decide([{ layer: "identity-based policy", verdict: allow }, { layer: "permissions boundary", verdict: allow }, { layer: "session policy", verdict: nothing }], "iam:ListRoles");
    expect(implicit).toEqual({ decision: "implicit-deny", layer: "session policy" });
    expect(accessDeniedMessage("arn:aws:sts::1:assumed-role/r/s", "iam:ListRoles", implicit as Exclude<typeof implicit, { decision: "allow" }>)).toBe(
      "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: iam:ListRoles because no session policy allows the iam:ListRoles action",
    );
    expect(decide([{ layer: "identity-based policy", verdict: allow }], "iam:ListRoles")).toEqual({ decision: "allow" });
  });
});
