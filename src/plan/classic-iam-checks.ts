/**
 * What classic-iam mode knows that the generic planner does not. Pure: the mode
 * (src/modes/classic-iam.ts) only wires it in.
 */
import { deepEqual } from "../domain/canonical.js";
import type { DesiredResource, LiveResource } from "../domain/plan-types.js";
import { trustRelevant, type IdpMetadataSummary } from "../domain/saml-metadata.js";

/**
 * The metadata each account's IAM SAML provider should hold is what authentik will
 * serve *after* this apply: known now only if the provider exists, is linked, and keeps
 * its signing keypair and issuer (the metadata's entityID: pinning it — a provider made
 * by hand, or one upgraded to 2026.5 with issuer_override "authentik" — changes what
 * AWS must hold). Then the desired IAM SAML providers hold it; otherwise it stays
 * "known after apply" and apply reads it from authentik.
 */
export function fillIdpMetadata(
  desired: readonly DesiredResource[],
  live: readonly LiveResource[],
  providerAddress: string,
  idpMetadata: IdpMetadataSummary | undefined,
  issuerField: string,
): void {
  const liveProvider = live.find((r) => r.address === providerAddress);
  const desiredProvider = desired.find((r) => r.address === providerAddress);
  if (!idpMetadata || !liveProvider || !desiredProvider) return;
  const stable = deepEqual(liveProvider.props.signing_kp, desiredProvider.props.signing_kp) && deepEqual(liveProvider.props[issuerField], desiredProvider.props[issuerField]);
  if (!stable) return;
  for (const d of desired) if (d.type === "aws.iam.saml_provider") d.props.metadata = trustRelevant(idpMetadata);
}
