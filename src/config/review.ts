import type { AuthentikAwsGitopsConfig } from "./config.generated.js";
import { parseDuration } from "./durations.js";
import type { ResolvedReview, ResolvedRiskRule } from "./model.js";

const rule = (r: { enabled?: boolean; severity?: ResolvedRiskRule["severity"] } | undefined): ResolvedRiskRule => ({
  enabled: r?.enabled ?? true,
  ...(r?.severity ? { severity: r.severity } : {}),
});

export const DEFAULT_EXPIRY_WARNING_DAYS = 14;
/** verify warns this many days before authentik's signing certificate expires (review.certificateWarningDays). */
export const DEFAULT_CERTIFICATE_WARNING_DAYS = 30;

/** review: and aws.accounts.<alias>.production, with defaults (a config without them gets every rule on, names shown). */
export function resolveReview(raw: Pick<AuthentikAwsGitopsConfig, "review" | "aws">): ResolvedReview {
  const risks = raw.review?.risks;
  return {
    people: raw.review?.people ?? "names",
    expiryWarningDays: raw.review?.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
    certificateWarningDays: raw.review?.certificateWarningDays ?? DEFAULT_CERTIFICATE_WARNING_DAYS,
    productionAccounts: Object.entries(raw.aws.accounts)
      .filter(([, a]) => a?.production === true)
      .map(([alias]) => alias),
    risks: {
      adminEquivalent: rule(risks?.adminEquivalent),
      production: rule(risks?.production),
      everyAccount: rule(risks?.everyAccount),
      largeGroup: { ...rule(risks?.largeGroup), threshold: risks?.largeGroup?.threshold ?? 25 },
      longSession: { ...rule(risks?.longSession), thresholdSeconds: (risks?.longSession?.threshold !== undefined ? parseDuration(risks.longSession.threshold) : undefined) ?? 8 * 3600 },
      identityProviderRemoved: rule(risks?.identityProviderRemoved),
      sessionTagsChanged: rule(risks?.sessionTagsChanged),
      grantInUseRemoved: rule(risks?.grantInUseRemoved),
      custom: (risks?.custom ?? []).map((c) => ({
        name: c.name,
        severity: c.severity,
        message: c.message,
        accounts: [...(c.accounts ?? [])],
        policies: [...(c.policies ?? [])],
        actions: [...(c.actions ?? [])],
      })),
    },
  };
}
