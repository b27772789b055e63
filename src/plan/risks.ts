import type { ResolvedReview } from "../config/model.js";
import { byCodePoint } from "../domain/canonical.js";
import type { Risk, Severity } from "../domain/plan-types.js";
import { adminEquivalent } from "./risks/admin-equivalent.js";
import { createRiskContext, type RiskInput, type RiskRule } from "./risks/context.js";
import { customRules } from "./risks/custom.js";
import { everyAccount } from "./risks/every-account.js";
import { grantInUseRemoved } from "./risks/grant-in-use-removed.js";
import { identityProviderRemoved } from "./risks/identity-provider-removed.js";
import { largeGroup } from "./risks/large-group.js";
import { longSession } from "./risks/long-session.js";
import { privilegeEscalation, writeOnEveryResource } from "./risks/newly-allowed-actions.js";
import { production } from "./risks/production.js";
import { sessionTagsChanged } from "./risks/session-tags-changed.js";

export { adminEquivalentRow } from "./risks/admin-equivalent.js";
export type { RiskInput } from "./risks/context.js";

export const SEVERITY_ORDER: Severity[] = ["high", "medium", "low"];
export const severityRank = (s: Severity | "none"): number => (s === "none" ? 3 : SEVERITY_ORDER.indexOf(s));

/** The highest severity among the findings, or "none". */
export function highestRisk(risks: readonly Risk[] | undefined): Severity | "none" {
  let best: Severity | "none" = "none";
  for (const r of risks ?? []) if (severityRank(r.severity) < severityRank(best)) best = r.severity;
  return best;
}

export const DEFAULT_REVIEW: ResolvedReview = {
  people: "names",
  expiryWarningDays: 14,
  certificateWarningDays: 30,
  productionAccounts: [],
  risks: {
    adminEquivalent: { enabled: true },
    production: { enabled: true },
    everyAccount: { enabled: true },
    largeGroup: { enabled: true, threshold: 25 },
    longSession: { enabled: true, thresholdSeconds: 8 * 3600 },
    identityProviderRemoved: { enabled: true },
    sessionTagsChanged: { enabled: true },
    grantInUseRemoved: { enabled: true },
    custom: [],
  },
};

/**
 * The built-in review rules, one file (or family) each under risks/, then the
 * configuration's own. The findings are sorted at the end; the order matters only where
 * two report the same rule and message (the first one's severity stays).
 */
const RULES: readonly RiskRule[] = [
  adminEquivalent,
  production,
  largeGroup,
  privilegeEscalation,
  writeOnEveryResource,
  everyAccount,
  longSession,
  sessionTagsChanged,
  identityProviderRemoved,
  grantInUseRemoved,
  customRules,
];

/**
 * The review rules over one plan, each naming the changes that trigger it. Pure: the
 * plan, the desired state and the config in, findings out, most severe first. Messages
 * carry counts of people, never names.
 */
export function assessRisks(input: RiskInput): Risk[] {
  const { ctx, findings } = createRiskContext(input, input.config.review ?? DEFAULT_REVIEW);
  for (const rule of RULES) rule(ctx);
  return findings().sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || byCodePoint(a.rule, b.rule) || byCodePoint(a.message, b.message));
}
