/**
 * schedule: plan, and fail when the live state drifted from what the default branch declares;
 * and verify everyone's sign-ins (issue 21), failing the same way when one does not work —
 * what verify finds is mostly invisible to the plan (a member SCIM dropped, a hand-made
 * entitlement, a certificate renewed in authentik), so a run without drift is not clean by itself.
 */
import type { VerifyOutcome } from "../../domain/verify.js";
import { brokenSignIns } from "../../render/apply-markdown.js";
import { code } from "../../render/markdown.js";
import { brokenSignInsLine, brokenSignInsWords } from "../../render/verify-text.js";
import { type ActionRun, forEachConfig, runUrl } from "../action-run.js";

/** The status line's words for what verify found (its table follows in the summary). */
function signInsStatus(signIns: VerifyOutcome): string {
  if (signIns.kind === "not-run") return "⚠️ **Sign-ins not verified**: verify could not run (below).";
  if (signIns.kind !== "checked") return "";
  const broken = brokenSignIns({ signIns });
  if (broken > 0) return `❌ **${brokenSignInsWords(broken)}** (verify, below).`;
  const warnings = signIns.report.findings.length;
  return warnings > 0 ? `⚠️ Every sign-in works, with ${warnings} warning${warnings === 1 ? "" : "s"} (verify, below).` : "✅ Every sign-in works (verify).";
}

export async function drift(r: ActionRun): Promise<void> {
  await forEachConfig(r, async (config) => {
    const plan = await r.loadPlan(config);
    const planFile = await r.savePlan(config, plan);
    const signIns = await r.verify(config);
    const drifted = plan.changes.length > 0;
    const broken = brokenSignIns({ signIns });
    const failed = [
      drifted ? `drift: ${plan.changes.length} change(s) between the configuration and the live state` : "",
      broken > 0 && signIns.kind === "checked" ? brokenSignInsLine(signIns.report, 5, signIns.people) : "",
    ]
      .filter(Boolean)
      .join("; ");
    r.outcomes.push({ config, plan, planFile, ...(failed ? { failed } : {}) });
    const status = `${drifted ? `⚠️ **Drift**: the live state differs from ${code(config)} (${runUrl(r.ctx)}).` : "✅ No drift."} ${signInsStatus(signIns)}`.trimEnd();
    r.addSummary(config, plan, status, { drift: true, signIns });
  });
}
