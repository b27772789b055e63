/**
 * classic-iam's verify checks (issue 21): for each person, the Role values authentik
 * will send them, and for each one the links of the sign-in chain AWS walks — the role
 * exists; its trust policy allows sts:AssumeRoleWithSAML from the SAML provider the
 * value names, for an assertion posted to the authentik provider's ACS URL; that IAM
 * SAML provider holds the certificate authentik signs with now; the SessionDuration
 * authentik sends is within the role's maximum. Pure: live facts in, findings out
 * (the reader is read-classic-iam.ts). Everything is compared with what is live, not
 * with what the tool would write.
 */
import { byCodePoint } from "../domain/canonical.js";
import type { VerifyFinding } from "../domain/verify.js";
import { accountWords } from "./core.js";
import { evaluateTrust } from "./trust.js";

/** One Role value authentik sends a person: a role ARN and the SAML provider ARN beside it. */
export interface SentRole {
  roleArn: string;
  samlProviderArn: string;
  accountId: string;
  /** The role's name (the last part of its ARN). */
  roleName: string;
  /** The groups (or "(user binding)", "(everyone)") it comes through. */
  via: string[];
}

export interface LiveRole {
  arn: string;
  name: string;
  path: string;
  /** Decoded trust policy, null when IAM returned none. */
  trust: Record<string, unknown> | null;
  maxSessionDuration: number;
}

export interface CertificateFacts {
  /** SHA-256 of the DER, lower-case hex without separators. */
  fingerprintSha256: string;
  /** ISO 8601, when known. */
  notAfter?: string;
}

/** An IAM SAML provider: its signing certificates, or why its metadata could not be read. */
export type LiveSamlProvider = { certificates: CertificateFacts[] } | { unreadable: string };

export interface IamAccountView {
  roles: LiveRole[];
  /** By ARN; null: IAM has no such provider. Only the providers the Role values name are read. */
  samlProviders: Map<string, LiveSamlProvider | null>;
}

export interface ClassicVerifyInput {
  /** The configuration's accounts: only these are read (the tool has no credentials for others). */
  accounts: readonly { alias: string; id: string }[];
  authentik: {
    /** The application's SAML provider; absent when it has none (nobody is sent any role). */
    provider?: {
      name: string;
      acsUrl: string;
      /** The keypair it signs with and its certificate; a string: why there is none. */
      signing: { keypair: string; certificate: CertificateFacts } | string;
      /** What the SessionDuration mapping on it sends; absent when it has none (AWS then gives one hour). */
      sessionDuration?: { mapping: string; seconds: number } | { mapping: string; unreadable: string };
    };
  };
  /** Per person checked: the Role values authentik sends them. */
  people: readonly { username: string; roles: readonly SentRole[] }[];
  /** By account id: what IAM holds, or why it could not be read. */
  iam: ReadonlyMap<string, IamAccountView | { unread: string }>;
  now: Date;
  /** Warn this many days before authentik's signing certificate expires. */
  certificateWarningDays: number;
}

export interface ClassicVerifyResult {
  findings: VerifyFinding[];
  grantsChecked: number;
  notes: string[];
}

/** A certificate's fingerprint as authentik (aa:bb:…) or as anyone else writes it, compared the same. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-f]/gi, "").toLowerCase();
}

const short = (fp: string) => `SHA-256 ${normalizeFingerprint(fp).slice(0, 16)}…`;
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : "an unknown date");

/** The shortest way to say a duration in seconds: 4h, 90m, 3600s. */
function durationWords(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h (${seconds} s)`;
  if (seconds % 60 === 0) return `${seconds / 60}m (${seconds} s)`;
  return `${seconds} s`;
}

export function verifyClassicIam(input: ClassicVerifyInput): ClassicVerifyResult {
  const findings: VerifyFinding[] = [];
  const notes = new Set<string>();
  let grantsChecked = 0;
  const aliasOf = new Map(input.accounts.map((a) => [a.id, a.alias]));
  const account = (id: string) => ({ ...(aliasOf.has(id) ? { alias: aliasOf.get(id)! } : {}), id });
  const provider = input.authentik.provider;
  const signing = provider?.signing;
  const cert = typeof signing === "object" ? signing.certificate : undefined;

  for (const person of input.people) {
    const subject = { kind: "person" as const, name: person.username };
    const roles = [...person.roles].sort((a, b) => byCodePoint(a.accountId, b.accountId) || byCodePoint(a.roleArn, b.roleArn));
    if (roles.length === 0) continue;
    if (!provider) {
      notes.add("the application has no SAML provider: authentik sends AWS no roles at all");
      continue;
    }

    // Once per person: the certificate authentik signs every assertion with.
    if (typeof signing === "object" && cert?.notAfter) {
      const msLeft = Date.parse(cert.notAfter) - input.now.getTime();
      const days = Math.floor(msLeft / 86_400_000);
      if (msLeft <= 0) {
        findings.push({
          severity: "warning",
          check: "certificate-expiry",
          subject,
          reason: `authentik's signing certificate (keypair '${signing.keypair}', ${short(cert.fingerprintSha256)}) expired on ${day(cert.notAfter)}: renew the keypair in authentik, then run apply so every account's IAM SAML provider holds the new certificate`,
        });
      } else if (days < input.certificateWarningDays) {
        findings.push({
          severity: "warning",
          check: "certificate-expiry",
          subject,
          reason: `authentik's signing certificate (keypair '${signing.keypair}', ${short(cert.fingerprintSha256)}) expires on ${day(cert.notAfter)}, in ${days} day${days === 1 ? "" : "s"} (warned ${input.certificateWarningDays} days ahead): renew the keypair in authentik, then run apply so every account's IAM SAML provider holds the new certificate`,
        });
      }
    }

    for (const role of roles) {
      const where = account(role.accountId);
      const base = { subject, grant: role.roleName, account: where };
      const view = input.iam.get(role.accountId);
      if (!view) {
        notes.add(`role ${role.roleArn} was not checked: account ${role.accountId} is not in the configuration, so verify has no credentials for it`);
        continue;
      }
      if ("unread" in view) {
        notes.add(`the roles in account ${accountWords(where)} were not checked: ${view.unread}`);
        continue;
      }
      grantsChecked++;
      const via = role.via.length > 0 ? ` (through ${role.via.map((g) => (g.startsWith("(") ? g : `group '${g}'`)).join(", ")})` : "";

      // The role exists, at the path the ARN names.
      const live = view.roles.find((r) => r.arn === role.roleArn);
      if (!live) {
        const namesake = view.roles.find((r) => r.name.toLowerCase() === role.roleName.toLowerCase());
        findings.push({
          ...base,
          severity: "error",
          check: "role-exists",
          reason:
            `authentik sends the Role value ${role.roleArn}${via}, but account ${accountWords(where)} has no such role` +
            (namesake ? ` (it has ${namesake.arn}: the path or the name's case differs)` : "") +
            `: AWS refuses this sign-in`,
        });
      } else {
        // Its trust policy lets the SAML provider's sign-ins in, for the endpoint authentik posts to.
        const verdict = evaluateTrust(live.trust, { samlProviderArn: role.samlProviderArn, audience: provider.acsUrl });
        if ("unknown" in verdict) {
          findings.push({ ...base, severity: "warning", check: "trust-policy", reason: `whether role ${live.arn} trusts ${role.samlProviderArn} cannot be told: ${verdict.unknown}` });
        } else if (!verdict.allowed) {
          findings.push({ ...base, severity: "error", check: "trust-policy", reason: `role ${live.arn}${via} cannot be assumed through SAML: ${verdict.reason}; AWS refuses this sign-in` });
        }
        // The SessionDuration sent fits the role.
        const sd = provider.sessionDuration;
        if (sd && "seconds" in sd && sd.seconds > live.maxSessionDuration) {
          findings.push({
            ...base,
            severity: "error",
            check: "session-duration",
            reason: `authentik sends SessionDuration ${durationWords(sd.seconds)} (property mapping '${sd.mapping}'), longer than role ${live.arn}'s maximum session duration ${durationWords(live.maxSessionDuration)}: AWS refuses this sign-in`,
          });
        } else if (sd && "unreadable" in sd) {
          findings.push({
            ...base,
            severity: "warning",
            check: "session-duration",
            reason: `the SessionDuration authentik sends cannot be told (property mapping '${sd.mapping}': ${sd.unreadable}); role ${live.arn} allows at most ${durationWords(live.maxSessionDuration)}`,
          });
        }
      }

      // The IAM SAML provider the value names holds the certificate authentik signs with now.
      const saml = view.samlProviders.get(role.samlProviderArn);
      if (saml === undefined) {
        notes.add(`the IAM SAML provider ${role.samlProviderArn} was not read`);
      } else if (saml === null) {
        findings.push({
          ...base,
          severity: "error",
          check: "saml-provider-certificate",
          reason: `authentik names the IAM SAML provider ${role.samlProviderArn} in the Role value, and account ${accountWords(where)} has no such provider: AWS refuses this sign-in`,
        });
      } else if ("unreadable" in saml) {
        findings.push({ ...base, severity: "error", check: "saml-provider-certificate", reason: `the metadata of IAM SAML provider ${role.samlProviderArn} cannot be read (${saml.unreadable}): AWS cannot check authentik's signature` });
      } else if (typeof signing === "string") {
        findings.push({ ...base, severity: "error", check: "saml-provider-certificate", reason: `${signing}: AWS refuses unsigned assertions` });
      } else if (signing && !saml.certificates.some((c) => normalizeFingerprint(c.fingerprintSha256) === normalizeFingerprint(signing.certificate.fingerprintSha256))) {
        const held = saml.certificates.length === 0 ? "no signing certificate" : saml.certificates.map((c) => `${short(c.fingerprintSha256)} (valid until ${day(c.notAfter)})`).join(", ");
        findings.push({
          ...base,
          severity: "error",
          check: "saml-provider-certificate",
          reason: `IAM SAML provider ${role.samlProviderArn} holds ${held}, not the certificate authentik signs with now (keypair '${signing.keypair}', ${short(signing.certificate.fingerprintSha256)}, valid until ${day(signing.certificate.notAfter)}): AWS refuses authentik's assertions; run apply to update the provider's metadata`,
        });
      }
    }
  }
  return { findings, grantsChecked, notes: [...notes] };
}

/** A role the configuration grants a person: through which mapped group. */
export interface DeclaredRole {
  username: string;
  group: string;
  roleArn: string;
  roleName: string;
  accountId: string;
}

/**
 * The roles the configuration grants each person (a member of a mapped group, or of one
 * of its descendant groups) that authentik does not send them: `role-values` errors,
 * one per person, role and account. Why is said as far as the live facts tell: the
 * person may not sign in to the application, or no entitlement carrying the role is
 * bound to a group of theirs.
 */
export function unsentDeclaredRoles(
  declared: readonly DeclaredRole[],
  sent: ReadonlyMap<string, readonly SentRole[]>,
  context: { accounts: readonly { alias: string; id: string }[]; application: string; maySignIn: (username: string) => boolean },
): VerifyFinding[] {
  const aliasOf = new Map(context.accounts.map((a) => [a.id, a.alias]));
  const byKey = new Map<string, DeclaredRole[]>();
  for (const d of declared) {
    if ((sent.get(d.username) ?? []).some((r) => r.roleArn === d.roleArn)) continue;
    const key = `${d.username}\u0000${d.roleArn}`;
    byKey.set(key, [...(byKey.get(key) ?? []), d]);
  }
  return [...byKey.values()].map((ds) => {
    const d = ds[0]!;
    const groups = [...new Set(ds.map((x) => `'${x.group}'`))].sort(byCodePoint).join(", ");
    const why = context.maySignIn(d.username)
      ? `no entitlement of application '${context.application}' carrying ${d.roleArn} is bound to a group of theirs`
      : `they may not sign in to application '${context.application}' (none of its bindings lets them in)`;
    return {
      severity: "error" as const,
      check: "role-values" as const,
      subject: { kind: "person" as const, name: d.username },
      grant: d.roleName,
      account: { ...(aliasOf.has(d.accountId) ? { alias: aliasOf.get(d.accountId)! } : {}), id: d.accountId },
      reason: `the configuration grants ${d.username} role ${d.roleName} here through group ${groups}, and authentik does not send it: ${why}; run plan to see what is missing, and apply`,
    };
  });
}

/**
 * The seconds a SessionDuration property mapping sends, read from its expression: the
 * tool's (`return "3600"`) and what people write by hand (`return 3600`, a comment
 * above). Anything else is "cannot tell".
 */
export function sessionSecondsOfExpression(expression: string): { seconds: number } | { unreadable: string } {
  const lines = expression
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const m = lines.length === 1 ? /^return\s+(?:"(\d+)"|'(\d+)'|(\d+))\s*$/.exec(lines[0]!) : null;
  if (!m) return { unreadable: "its expression is not a single `return <seconds>`" };
  return { seconds: Number(m[1] ?? m[2] ?? m[3]) };
}
