/**
 * A person signing in to AWS through authentik, and what their session may still do — for
 * end-to-end tests of access removal and session revocation (issue 21). Both ends are the
 * test peers: the authentik emulator builds the SAML response its SAML provider would POST
 * (controls.ts samlResponse), the AWS shim takes it at STS AssumeRoleWithSAML and afterwards
 * evaluates every request signed with the session's key against the role's policies as they
 * are then (test/peers/aws-sessions.ts).
 *
 *   const bob = await signInAs(peers.authentik, peers.awsEndpoint, { provider: providerPk, user: bobPk, role: "readonly" });
 *   expect(await tryAws(bob, peers.awsEndpoint)).toEqual({ ok: true });
 *   … the tool removes bob's access with options.revokeSessions …
 *   expect(await tryAws(bob, peers.awsEndpoint)).toMatchObject({ ok: false, code: "AccessDenied" });
 */
import { IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { ListInstancesCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { AssumeRoleWithSAMLCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AuthentikControls } from "../peers/authentik/controls.js";
import type { SamlResponse } from "../peers/authentik/saml-response.js";
import { MOTO_REGION } from "../peers/moto.js";
import type { Remote } from "../peers/peer-process.js";

export const ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role";

/** The temporary credentials of a role session, and who AWS says it is. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  /** `<RoleId>:<RoleSessionName>` (the request context's aws:userid) */
  assumedRoleId: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session name>` */
  arn: string;
  /** the "role ARN,SAML provider ARN" pair signed in with */
  roleArn: string;
  principalArn: string;
  /** the SAML response the sign-in used */
  saml: SamlResponse;
}

/** The authentik emulator: a peer process (its controls over IPC), or anything with the samlResponse control. */
export type SamlSource = { control: Pick<Remote<AuthentikControls>, "samlResponse"> };
/** Where AWS calls go: an endpoint URL, a peer process ({url}) or an in-process shim ({endpoint}). */
export type AwsEndpoint = string | { url: string } | { endpoint: string };

const endpointOf = (e: AwsEndpoint): string => (typeof e === "string" ? e : "url" in e ? e.url : e.endpoint);

/** "role,provider" or "provider,role" (AWS takes either order) → the two ARNs. */
function pairOf(value: string): { roleArn: string; principalArn: string } | undefined {
  const parts = value.split(",").map((p) => p.trim());
  const roleArn = parts.find((p) => /^arn:aws[\w-]*:iam::\d{12}:role\//.test(p));
  const principalArn = parts.find((p) => /^arn:aws[\w-]*:iam::\d{12}:saml-provider\//.test(p));
  return parts.length === 2 && roleArn && principalArn ? { roleArn, principalArn } : undefined;
}

/**
 * `user` (pk) signs in through authentik's SAML provider `provider` (pk) and picks `role` — a
 * role ARN or name; needed when the Role attribute offers several, as AWS's sign-in page asks
 * the person to choose — then calls STS AssumeRoleWithSAML at `aws` with that pair, as the
 * console and the CLI tools that exchange a SAML response for credentials do. Rejects when
 * authentik refuses the person (e.g. the application's bindings), when the Role attribute does
 * not offer the role, or with AWS's error (the SDK's exception: AccessDenied,
 * InvalidIdentityToken, …).
 */
export async function signInAs(authentik: SamlSource, aws: AwsEndpoint, options: { provider: number; user: number; role?: string; durationSeconds?: number }): Promise<SessionCredentials> {
  const saml = await authentik.control.samlResponse({ provider: options.provider, user: options.user });
  const offered = (saml.attributes.find((a) => a.name === ROLE_ATTRIBUTE)?.values ?? []).map((v) => ({ value: v, pair: pairOf(v) }));
  const usable = offered.filter((o) => o.pair !== undefined).map((o) => o.pair!);
  const wanted = options.role;
  // A name picks the role only when one account offers it; otherwise give its ARN.
  const matches = wanted === undefined ? usable : usable.filter((p) => p.roleArn === wanted || p.roleArn.slice(p.roleArn.lastIndexOf("/") + 1) === wanted);
  const list = offered.map((o) => o.value).join(" | ") || "(no Role attribute)";
  if (matches.length !== 1) {
    throw new Error(
      matches.length > 1
        ? `signInAs: pick one role (by ARN) — ${wanted === undefined ? "the Role attribute offers" : `${wanted} matches`} ${matches.map((p) => p.roleArn).join(" | ")}`
        : `signInAs: the Role attribute does not offer ${wanted ?? "any role"}; it offers ${list}`,
    );
  }
  const chosen = matches[0]!;
  const sts = new STSClient({ region: MOTO_REGION, endpoint: endpointOf(aws), maxAttempts: 1 });
  const out = await sts.send(
    new AssumeRoleWithSAMLCommand({
      RoleArn: chosen.roleArn,
      PrincipalArn: chosen.principalArn,
      SAMLAssertion: saml.samlResponse,
      ...(options.durationSeconds !== undefined ? { DurationSeconds: options.durationSeconds } : {}),
    }),
  );
  const c = out.Credentials!;
  return {
    accessKeyId: c.AccessKeyId!,
    secretAccessKey: c.SecretAccessKey!,
    sessionToken: c.SessionToken!,
    expiration: c.Expiration!,
    assumedRoleId: out.AssumedRoleUser!.AssumedRoleId!,
    arn: out.AssumedRoleUser!.Arn!,
    roleArn: chosen.roleArn,
    principalArn: chosen.principalArn,
    saml,
  };
}

/** What tryAws calls: read-only calls of the services the tool configures. */
export type TryCall = "iam:ListRoles" | "sts:GetCallerIdentity" | "sso:ListInstances";

export type TryResult = { ok: true } | { ok: false; code: string; message: string; status?: number };

/**
 * One AWS call signed with a session's credentials (default IAM ListRoles) at `aws`: did AWS
 * let it through? `{ok: false}` carries AWS's error code (AccessDenied, ExpiredToken, …) and
 * message. No retries, so a refusal is seen once.
 */
export async function tryAws(credentials: Pick<SessionCredentials, "accessKeyId" | "secretAccessKey" | "sessionToken">, aws: AwsEndpoint, call: TryCall = "iam:ListRoles"): Promise<TryResult> {
  const config = {
    region: MOTO_REGION,
    endpoint: endpointOf(aws),
    maxAttempts: 1,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
  };
  try {
    if (call === "iam:ListRoles") await new IAMClient(config).send(new ListRolesCommand({}));
    else if (call === "sts:GetCallerIdentity") await new STSClient(config).send(new GetCallerIdentityCommand({}));
    else await new SSOAdminClient(config).send(new ListInstancesCommand({}));
    return { ok: true };
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { ok: false, code: err.name, message: err.message, ...(err.$metadata?.httpStatusCode !== undefined ? { status: err.$metadata.httpStatusCode } : {}) };
  }
}
