/**
 * What classic-iam's verify reads, all of it live and nothing written: from authentik
 * the access report's reader (the application, its entitlements and their bindings, the
 * Role mappings, groups and users — who is sent which Role value) plus the provider's
 * ACS URL, signing keypair and SessionDuration mapping; from IAM, per configured account
 * a grant names, every role (ListRoles, paged: existence, trust policy, maximum session)
 * and the SAML providers the Role values name (GetSAMLProvider). The same permissions as
 * plan: no read of its own.
 */
import { createHash, X509Certificate } from "node:crypto";
import { GetSAMLProviderCommand, ListRolesCommand, NoSuchEntityException, type Role } from "@aws-sdk/client-iam";
import type { CertificateKeyPair } from "@goauthentik/api";
import pLimit from "p-limit";
import type { ResolvedConfig } from "../config/model.js";
import { byCodePoint } from "../domain/canonical.js";
import { decodePolicyDocument } from "../domain/policy-normalize.js";
import { readRoleExpression } from "../domain/role-expression.js";
import { summarizeIdpMetadata } from "../domain/saml-metadata.js";
import type { VerifyFinding } from "../domain/verify.js";
import { authentikClient } from "../modes/shared.js";
import type { AuthentikAuth } from "../providers/authentik/auth.js";
import { readAuthentikRelease } from "../providers/authentik/read-state.js";
import { accountClients } from "../providers/aws/clients.js";
import { awsFailure } from "../providers/aws/errors.js";
import { AwsRetryPolicy } from "../providers/aws/retry-policy.js";
import { classicAccess } from "../report/classic.js";
import { readClassicAccess } from "../report/read-authentik-access.js";
import { collectPages } from "../util/paging.js";
import type { CertificateFacts, ClassicVerifyInput, DeclaredRole, IamAccountView, LiveSamlProvider, SentRole } from "./classic-iam.js";
import { sessionSecondsOfExpression, unsentDeclaredRoles } from "./classic-iam.js";
import { roleArn } from "../domain/aws-iam.js";
import { groupMembers } from "../domain/people.js";

export interface ClassicVerifyLive {
  input: Omit<ClassicVerifyInput, "now" | "certificateWarningDays" | "people" | "iam">;
  /** Every active user authentik knows, by username. */
  users: Set<string>;
  /** username → the Role values authentik sends them (only people with at least one). */
  sent: Map<string, SentRole[]>;
  /** Findings made while reading (the Role values themselves). */
  findings: VerifyFinding[];
  notes: string[];
}

/** A certificate from metadata (base64 DER): its SHA-256 fingerprint and end of validity. */
export function certificateFacts(base64: string): CertificateFacts {
  const der = Buffer.from(base64.replace(/\s+/g, ""), "base64");
  const fingerprintSha256 = createHash("sha256").update(der).digest("hex");
  try {
    return { fingerprintSha256, notAfter: new Date(Date.parse(new X509Certificate(der).validTo)).toISOString() };
  } catch {
    return { fingerprintSha256 };
  }
}

/** authentik's side: who is sent which Role value, and the provider's facts. */
export async function readClassicVerifyAuthentik(config: ResolvedConfig, env: NodeJS.ProcessEnv, now: Date = new Date(), auth?: AuthentikAuth): Promise<ClassicVerifyLive> {
  const { client } = authentikClient(config, env, auth);
  await readAuthentikRelease(client); // an authentik too old for the tool stops here, as for plan
  const live = await readClassicAccess(client, config);
  const access = classicAccess(live, config);
  const notes = [...access.notes, ...access.unlisted.map((u) => `${u.source}: ${u.reason}`)];
  const findings: VerifyFinding[] = [];

  let provider: ClassicVerifyInput["authentik"]["provider"];
  const p = live.samlProvider;
  if (p) {
    let signing: NonNullable<typeof provider>["signing"];
    if (!p.signingKp) signing = `authentik's SAML provider '${p.name}' signs with no keypair`;
    else {
      const kp = await client.find<CertificateKeyPair>(`/crypto/certificatekeypairs/${encodeURIComponent(p.signingKp)}/`);
      signing = !kp
        ? `authentik's SAML provider '${p.name}' signs with keypair ${p.signingKp}, which authentik no longer has`
        : !kp.fingerprintSha256
          ? `authentik gives no fingerprint for keypair '${kp.name}' (it holds no certificate)`
          : { keypair: kp.name, certificate: { fingerprintSha256: kp.fingerprintSha256, ...(kp.certExpiry ? { notAfter: new Date(kp.certExpiry).toISOString() } : {}) } };
    }
    const durations = [...p.sessionDurationMappings].sort((a, b) => byCodePoint(a.name, b.name));
    const last = durations.at(-1);
    provider = {
      name: p.name,
      acsUrl: p.acsUrl,
      signing,
      ...(last
        ? {
            sessionDuration:
              durations.length > 1
                ? { mapping: durations.map((d) => d.name).join("', '"), unreadable: "the provider has several SessionDuration mappings" }
                : { mapping: last.name, ...sessionSecondsOfExpression(last.expression) },
          }
        : {}),
    };
  }

  // The Role values each person is sent: the grants whose people they are. Entitlements reach
  // AWS only through a Role mapping that reads them (the tool's).
  const entitlementsSent = live.roleMappings.some((m) => readRoleExpression(m.expression).style === "entitlements");
  const sent = new Map<string, Map<string, SentRole>>();
  const unsent = new Map<string, Set<string>>();
  for (const g of access.grants) {
    if (!g.roleArn || !g.samlProviderArn) continue;
    const fromEntitlement = g.source.startsWith("entitlement ");
    for (const person of g.people) {
      if (fromEntitlement && !entitlementsSent) {
        const set = unsent.get(person.username) ?? new Set<string>();
        set.add(`${g.grant} in ${g.accountId} (${g.source}${g.viaKind === "group" ? ` through group '${g.via}'` : ""})`);
        unsent.set(person.username, set);
        continue;
      }
      const roles = sent.get(person.username) ?? new Map<string, SentRole>();
      const key = `${g.roleArn},${g.samlProviderArn}`;
      const existing = roles.get(key);
      if (existing) {
        if (!existing.via.includes(g.via)) existing.via.push(g.via);
      } else roles.set(key, { roleArn: g.roleArn, samlProviderArn: g.samlProviderArn, accountId: g.accountId, roleName: g.grant, via: [g.via] });
      sent.set(person.username, roles);
    }
  }
  for (const [username, list] of unsent) {
    findings.push({
      severity: "error",
      check: "role-values",
      subject: { kind: "person", name: username },
      reason: `authentik sends no role for ${[...list].sort(byCodePoint).join(", ")}: ${p ? `SAML provider '${p.name}'` : "the application"} has no Role property mapping that reads entitlements (the tool's); run apply`,
    });
  }
  // What the configuration grants each member of a mapped group (mappings whose expires
  // has not passed), against what authentik sends them.
  const members = groupMembers(live.groups, live.users);
  const ids = new Map(config.aws.accounts.map((a) => [a.alias, a.id]));
  const declared: DeclaredRole[] = [];
  for (const m of config.mappings) {
    if (m.expires && Date.parse(m.expires.endsAt) <= now.getTime()) continue;
    for (const roleName of m.grants) {
      const role = config.roles.find((r) => r.name === roleName);
      if (!role) continue;
      const aliases = m.accounts === "role-default" ? role.accounts : m.accounts.filter((a) => role.accounts.includes(a));
      for (const alias of aliases) {
        const accountId = ids.get(alias)!;
        for (const username of members[m.group] ?? []) {
          declared.push({ username, group: m.group, roleName, accountId, roleArn: roleArn(accountId, config.aws.rolePath, roleName) });
        }
      }
    }
  }
  const signIn = live.applicationBindings.filter((b) => b.enabled);
  const userPk = new Map(live.users.map((u) => [u.username, u.pk]));
  const maySignIn = (username: string) =>
    signIn.length === 0 ||
    signIn.some(
      (b) =>
        !b.negate &&
        ((b.user !== undefined && b.user === userPk.get(username)) || (b.group !== undefined && (members[live.groups.find((g) => g.pk === b.group)?.name ?? ""] ?? []).includes(username))),
    );
  const sentRoles = new Map([...sent].map(([u, m]) => [u, [...m.values()]]));
  findings.push(
    ...unsentDeclaredRoles(declared, sentRoles, { accounts: config.aws.accounts, application: config.authentik.application.slug, maySignIn }).filter(
      // Said once already when no Role mapping reads entitlements.
      (f) => !unsent.has(f.subject.name),
    ),
  );
  return {
    input: { accounts: config.aws.accounts.map((a) => ({ alias: a.alias, id: a.id })), authentik: provider ? { provider } : {} },
    users: new Set(live.users.map((u) => u.username)),
    sent: sentRoles,
    findings,
    notes,
  };
}

/** IAM's side, for the accounts and SAML providers the Role values name. */
export async function readClassicVerifyIam(
  config: ResolvedConfig,
  roles: readonly SentRole[],
  env: NodeJS.ProcessEnv,
  concurrency = 4,
): Promise<Map<string, IamAccountView | { unread: string }>> {
  const wanted = new Set(roles.map((r) => r.accountId));
  const accounts = config.aws.accounts.filter((a) => wanted.has(a.id));
  const policy = AwsRetryPolicy.fromEnv(env);
  const out = new Map<string, IamAccountView | { unread: string }>();
  await pLimit(Math.max(1, concurrency)).map(accounts, async (account) => {
    try {
      const { iam } = await accountClients(account, env, policy);
      const listed: Role[] = await collectPages<Role, string>("AWS ListRoles", async (Marker) => {
        const page = await iam.send(new ListRolesCommand({ ...(Marker ? { Marker } : {}), MaxItems: 1000 }));
        return { items: page.Roles, next: page.IsTruncated ? page.Marker : undefined };
      });
      const samlProviders = new Map<string, LiveSamlProvider | null>();
      for (const arn of new Set(roles.filter((r) => r.accountId === account.id).map((r) => r.samlProviderArn))) {
        try {
          const answer = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }));
          try {
            samlProviders.set(arn, { certificates: summarizeIdpMetadata(answer.SAMLMetadataDocument ?? "").signingCertificates.map(certificateFacts) });
          } catch (error) {
            samlProviders.set(arn, { unreadable: (error as Error).message });
          }
        } catch (error) {
          if (error instanceof NoSuchEntityException || (error as { name?: string }).name === "NoSuchEntity") samlProviders.set(arn, null);
          else if ((error as { name?: string }).name === "ValidationError" || (error as { name?: string }).name === "InvalidInput") samlProviders.set(arn, null);
          else throw error;
        }
      }
      out.set(account.id, {
        roles: listed.map((r) => ({
          arn: r.Arn ?? "",
          name: r.RoleName ?? "",
          path: r.Path ?? "/",
          trust: r.AssumeRolePolicyDocument ? decodePolicyDocument(r.AssumeRolePolicyDocument) : null,
          maxSessionDuration: r.MaxSessionDuration ?? 3600,
        })),
        samlProviders,
      });
    } catch (error) {
      // A sign-in chain verify cannot follow is not one that works: the run fails and says why.
      throw awsFailure(error, `reading IAM in account ${account.alias} (${account.id}) for verify`);
    }
  });
  return out;
}
