/** IAM names and documents of the classic-iam federation: ARNs, partitions, the sign-in endpoints and the trust policy. Pure. */
import { deepEqual } from "./canonical.js";
import { normalizePolicy } from "./policy-normalize.js";

/** The SAML sign-in endpoint of us-east-1, which AWS also calls the non-regional one. */
export const AWS_SIGNIN_SAML = "https://signin.aws.amazon.com/saml";
export const AWS_AUDIENCE = "urn:amazon:webservices";

/** The one partition the tool writes for (see PARTITIONS). */
export const SUPPORTED_PARTITION = "aws";

/**
 * AWS's partitions, with how their region codes look (botocore's endpoints.json,
 * regionRegex). Only `aws` is supported: the trust policies, SAML provider ARNs, SAML
 * audience and sign-in URLs the tool writes, and the endpoints it calls, are those of
 * the commercial partition.
 */
export const PARTITIONS: readonly { id: string; name: string; regions: RegExp }[] = [
  { id: "aws-us-gov", name: "AWS GovCloud (US)", regions: /^us-gov-\w+-\d+$/ },
  { id: "aws-cn", name: "AWS China", regions: /^cn-\w+-\d+$/ },
  { id: "aws-iso", name: "AWS ISO (US)", regions: /^us-iso-\w+-\d+$/ },
  { id: "aws-iso-b", name: "AWS ISOB (US)", regions: /^us-isob-\w+-\d+$/ },
  { id: "aws-iso-e", name: "AWS ISOE (Europe)", regions: /^eu-isoe-\w+-\d+$/ },
  { id: "aws-iso-f", name: "AWS ISOF", regions: /^us-isof-\w+-\d+$/ },
  { id: "aws-eusc", name: "AWS European Sovereign Cloud", regions: /^eusc-de-\w+-\d+$/ },
  { id: "aws", name: "AWS commercial", regions: /^(?:us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/ },
];

/** The partition a region code belongs to, if it has the form of one. */
export function partitionOfRegion(region: string): { id: string; name: string } | undefined {
  const p = PARTITIONS.find((x) => x.regions.test(region));
  return p && { id: p.id, name: p.name };
}

/** The partition an ARN names (`arn:PARTITION:…`), when it is one of PARTITIONS (anything else is not repeated). */
export function partitionOfArn(arn: string): { id: string; name: string } | undefined {
  const id = /^arn:([^:]*):/.exec(arn)?.[1];
  const p = PARTITIONS.find((x) => x.id === id);
  return p && { id: p.id, name: p.name };
}

/** Where AWS Organizations answers in each partition (botocore's endpoints.json: its global endpoint's region). */
const ORGANIZATIONS_REGION: Record<string, string> = {
  aws: "us-east-1",
  "aws-cn": "cn-northwest-1",
  "aws-us-gov": "us-gov-west-1",
  "aws-iso": "us-iso-east-1",
  "aws-iso-b": "us-isob-east-1",
  "aws-iso-e": "eu-isoe-west-1",
  "aws-iso-f": "us-isof-south-1",
};

/** The region to call AWS Organizations in, for an IAM Identity Center instance in `region`. */
export function organizationsRegion(region: string): string {
  return ORGANIZATIONS_REGION[partitionOfRegion(region)?.id ?? SUPPORTED_PARTITION] ?? "us-east-1";
}

/** The partition id of a region (`aws` for one of no known form). */
export function partitionIdOfRegion(region: string): string {
  return partitionOfRegion(region)?.id ?? SUPPORTED_PARTITION;
}

/**
 * The commercial partition's regions (botocore 1.43's endpoints.json): each has a SAML
 * sign-in endpoint. A region AWS opens later is warned about, not refused.
 */
export const COMMERCIAL_REGIONS: readonly string[] = [
  "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
  "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
  "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
];

/**
 * The SAML sign-in endpoint of a region: `https://<region>.signin.aws.amazon.com/saml`,
 * except us-east-1's, which is `https://signin.aws.amazon.com/saml` (AWS Sign-In endpoints).
 */
export function signInEndpoint(region: string): string {
  return region === "us-east-1" ? AWS_SIGNIN_SAML : `https://${region}.signin.aws.amazon.com/saml`;
}

/** The region of a SAML sign-in endpoint URL (the inverse of signInEndpoint), or undefined for any other URL. */
export function signInRegionOf(url: string): string | undefined {
  if (url === AWS_SIGNIN_SAML) return "us-east-1";
  const region = /^https:\/\/([a-z]{2}(?:-[a-z]+)+-\d+)\.signin\.aws\.amazon\.com\/saml$/.exec(url)?.[1];
  return region !== undefined && region !== "us-east-1" ? region : undefined;
}

/** The endpoints of the configured sign-in regions, in order; without any, us-east-1's (the first is where authentik posts). */
export function signInEndpoints(regions: readonly string[] | undefined): string[] {
  return regions && regions.length > 0 ? regions.map(signInEndpoint) : [AWS_SIGNIN_SAML];
}

export function samlProviderArn(accountId: string, name: string): string {
  return `arn:aws:iam::${accountId}:saml-provider/${name}`;
}

export function roleArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

/**
 * A role's trust policy: `sts:AssumeRoleWithSAML` from the account's SAML provider, for
 * assertions posted to one of `audiences` (SAML:aud is the endpoint the assertion was
 * posted to). One endpoint is written as a string, several as a list.
 */
export function trustPolicy(accountId: string, samlProvider: string, audiences: readonly string[] = [AWS_SIGNIN_SAML]): Record<string, unknown> {
  const aud = [...new Set(audiences)];
  return normalizePolicy({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: samlProviderArn(accountId, samlProvider) },
        Action: "sts:AssumeRoleWithSAML",
        Condition: { StringEquals: { "SAML:aud": aud.length === 1 ? aud[0]! : aud } },
      },
    ],
  });
}

/**
 * The sign-in endpoints a trust policy of the tool's shape allows (SAML:aud), as the
 * policy lists them; undefined when the policy is not of that shape
 * (another statement, principal, action or condition, or an audience that is not a
 * sign-in endpoint of the commercial partition).
 */
export function trustPolicyAudiences(trust: Record<string, unknown> | null, accountId: string, samlProvider: string): string[] | undefined {
  if (!trust) return undefined;
  const statements = Array.isArray(trust.Statement) ? trust.Statement : [trust.Statement];
  const condition = (statements[0] as { Condition?: { StringEquals?: Record<string, unknown> } } | undefined)?.Condition?.StringEquals?.["SAML:aud"];
  const audiences = [condition].flat().filter((a): a is string => typeof a === "string");
  if (statements.length !== 1 || audiences.length === 0 || audiences.some((a) => signInRegionOf(a) === undefined)) return undefined;
  const expected = trustPolicy(accountId, samlProvider, audiences);
  return deepEqual(normalizePolicy(trust), expected) ? audiences : undefined;
}

/** Whether a managed policy was found where a plan needs it (the plan's preflight), or why nobody could look. */
export type PolicyLookupResult = { found: true } | { found: false } | { unknown: string };

/** A managed policy's default version as IAM returned it (URL-encoded JSON), or why it could not be read. */
export type ManagedPolicyDocument = { document: unknown } | { unread: string };
