/** IAM names and documents of the classic-iam federation: ARNs, the sign-in endpoint and the trust policy. Pure. */
import { normalizePolicy } from "./policy-normalize.js";

export const AWS_SIGNIN_SAML = "https://signin.aws.amazon.com/saml";
export const AWS_AUDIENCE = "urn:amazon:webservices";

export function samlProviderArn(accountId: string, name: string): string {
  return `arn:aws:iam::${accountId}:saml-provider/${name}`;
}

export function roleArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

export function trustPolicy(accountId: string, samlProvider: string): Record<string, unknown> {
  return normalizePolicy({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: samlProviderArn(accountId, samlProvider) },
        Action: "sts:AssumeRoleWithSAML",
        Condition: { StringEquals: { "SAML:aud": AWS_SIGNIN_SAML } },
      },
    ],
  });
}

/** Whether a managed policy was found where a plan needs it (the plan's preflight), or why nobody could look. */
export type PolicyLookupResult = { found: true } | { found: false } | { unknown: string };
