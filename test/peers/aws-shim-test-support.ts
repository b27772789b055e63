/**
 * Helpers of the tests that send requests with the AWS SDK straight to the AWS shim
 * (aws-shim-models.test.ts, aws-rules-bypass.test.ts): no tests here.
 */
import { createHash } from "node:crypto";

export const ACCOUNT = "111111111111";

export type AwsError = Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; Code?: string };

/** The error `p` rejects with; fails when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<AwsError> {
  try {
    await p;
  } catch (e) {
    return e as AwsError;
  }
  throw new Error("expected a rejection");
}

/** Counted as AWS counts policy sizes: without white space. */
export const nonWhitespace = (s: string): number => s.replace(/[ \t\n\r]/g, "").length;

/** An identity policy of exactly `size` non-white-space characters, pretty-printed (white space that must not count). */
export function identityPolicy(size: number): string {
  const make = (pad: string) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::bucket/${pad}` }] }, null, 4);
  const base = nonWhitespace(make(""));
  if (size < base) throw new Error(`a policy has at least ${base} characters`);
  return make("a".repeat(size - base));
}

/** A SAML trust policy of exactly `size` non-white-space characters, pretty-printed. */
export function trustPolicy(size: number, account = ACCOUNT): string {
  const make = (pad: string) =>
    JSON.stringify(
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${account}:saml-provider/p${pad}` },
            Action: "sts:AssumeRoleWithSAML",
            Condition: { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } },
          },
        ],
      },
      null,
      4,
    );
  return make("a".repeat(size - nonWhitespace(make(""))));
}

/** A UUID made from a label (principal ids are UUIDs). */
export const uuidOf = (label: string): string => {
  const h = createHash("sha1").update(label).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
