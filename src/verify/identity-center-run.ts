/**
 * verify, identity-center, read and checked in one call: what the `verify` command (and the
 * check after an apply, and the Action's drift mode) calls. Reads authentik's people and the
 * SAML provider's NameID (readVerifyPeople) and IAM Identity Center (readIdentityCenterVerify)
 * at the same time, then runs the pure checks (identityCenterVerification).
 */
import type { ResolvedConfig } from "../config/model.js";
import type { AuthentikClient } from "../providers/authentik/client.js";
import { readVerifyPeople } from "../providers/authentik/read-people.js";
import { awsFailure } from "../providers/aws/errors.js";
import type { AwsRetryPolicy } from "../providers/aws/retry-policy.js";
import { identityCenterClients } from "../providers/aws/sso-clients.js";
import { readIdentityCenterVerify } from "../providers/aws/sso-verify-read.js";
import { identityCenterVerification, type IdentityCenterVerification } from "./identity-center.js";

export interface IdentityCenterVerifyRun {
  config: ResolvedConfig;
  authentik: AuthentikClient;
  /** The environment the AWS SDK's settings come from (timeouts, retries); credentials and endpoint as the SDK finds them. */
  env?: NodeJS.ProcessEnv;
  awsRetry?: AwsRetryPolicy;
  now?: Date;
  /** Only these people (authentik usernames): --person, or the people an apply affected. */
  people?: readonly string[];
  concurrency?: number;
  /** An apply just started authentik's SCIM sync (see IdentityCenterVerifyInput.scimSyncPending). */
  scimSyncPending?: boolean;
}

export async function runIdentityCenterVerify(run: IdentityCenterVerifyRun): Promise<IdentityCenterVerification> {
  const { config } = run;
  const now = run.now ?? new Date();
  const region = config.aws.identityCenter!.region;
  const clients = identityCenterClients(region, { ...(run.env ? { env: run.env } : {}), ...(run.awsRetry ? { policy: run.awsRetry } : {}) });
  const [aws, authentik] = await Promise.all([
    readIdentityCenterVerify(clients, config, { now, ...(run.concurrency ? { concurrency: run.concurrency } : {}) }).catch((error: unknown) => {
      throw awsFailure(error, `reading IAM Identity Center in ${region} for verify`);
    }),
    readVerifyPeople(run.authentik, { samlProvider: config.authentik.provider.name }),
  ]);
  return identityCenterVerification({ config, now, authentik, aws, ...(run.people ? { people: run.people } : {}), ...(run.scimSyncPending ? { scimSyncPending: true } : {}) });
}
