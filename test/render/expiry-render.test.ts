import { describe, expect, it } from "vitest";
import { styler } from "../../src/render/terminal-style.js";
import { parsePlanJson, renderPlanJson } from "../../src/render/json.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";
import type { Expiry, Plan } from "../../src/domain/plan-types.js";

const past: Expiry = { value: "2026-11-30", endsAt: "2026-12-01T00:00:00.000Z", field: "mappings[2].expires", location: "aws-access.yaml:41:14" };
const ahead: Expiry = { value: "2027-03-31T18:00:00Z", endsAt: "2027-03-31T18:00:00.000Z", field: "mappings[0].expires", location: "aws-access.yaml:33:14" };

const plan: Plan = {
  version: 2,
  tool: { name: "authentik-aws-gitops", version: "0.1.0" },
  mode: "classic-iam",
  config: "aws-access.yaml",
  hash: "a".repeat(64),
  summary: { adopt: 0, create: 1, update: 0, delete: 1, replace: 0 },
  access: [
    { group: "data-eng", grant: "data-engineer", account: "dev", accountId: "222222222222", change: "lost", reason: "expired", expires: past },
    { group: "contractors", grant: "readonly", account: "prod", accountId: "111111111111", change: "gained", expires: ahead },
  ],
  permissions: [],
  risks: [],
  expiring: [{ group: "contractors", grant: "readonly", account: "prod", accountId: "111111111111", expires: ahead, daysLeft: 120 }],
  changes: [
    {
      address: "authentik.policy_binding[aws/data-engineer@dev→group:data-eng]",
      type: "authentik.policy_binding",
      system: "authentik",
      title: 'group "data-eng" → entitlement "data-engineer@dev"',
      action: "delete",
      reason: "expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)",
      before: { order: 0 },
      after: null,
      fields: [],
      dependsOn: [],
      liveId: "b1",
      expired: past,
    },
  ],
  notPruned: [],
  warnings: [],
  manualSteps: [],
};

describe("expiry in the rendered plan", () => {
  it("text: the loss says it expired and where, a new grant says when it ends, and expiring access is listed", () => {
    const text = renderPlanText(plan, styler(false));
    expect(text).toContain("  - group \"data-eng\" loses role \"data-engineer\" in dev (222222222222) — expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)");
    expect(text).toContain("  + group \"contractors\" gains role \"readonly\" in prod (111111111111) — expires at 2027-03-31T18:00:00Z (mappings[0].expires, aws-access.yaml:33:14)");
    expect(text).toContain("Access that expires:");
    expect(text).toContain('  · group "contractors": role "readonly" in prod (111111111111) expires at 2027-03-31T18:00:00Z (in 120 days; mappings[0].expires, aws-access.yaml:33:14)');
    expect(text).toContain("expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)");
  });

  it("markdown: the access table and the deletion warning say it expired; expiring access gets a table", () => {
    const md = renderPlanMarkdown(plan);
    expect(md).toContain("| **−** loses<br>expired on 2026-11-30 (`mappings[2].expires`) | `data-eng` | `data-engineer` | dev (`222222222222`) |");
    expect(md).toContain("| **+** gains<br>expires at 2027-03-31T18:00:00Z (`mappings[0].expires`) | `contractors` |");
    expect(md).toContain("_(expired on 2026-11-30)_");
    expect(md).toContain("#### Access that expires");
    expect(md).toContain("| `contractors` | `readonly` | prod (`111111111111`) | `2027-03-31T18:00:00Z` | in 120 days | `mappings[0].expires` aws-access.yaml:33:14 |");
    // …also when nothing changes.
    const quiet = renderPlanMarkdown({ ...plan, changes: [], access: [], summary: { adopt: 0, create: 0, update: 0, delete: 0, replace: 0 } });
    expect(quiet).toContain("**No changes.**");
    expect(quiet).toContain("#### Access that expires");
  });

  it("JSON: round-trips, and a plan saved before expiries existed still reads", () => {
    expect(parsePlanJson(renderPlanJson(plan))).toEqual(plan);
    const { expiring: _e, ...older } = plan;
    expect(parsePlanJson(JSON.stringify(older))).toEqual(older);
    expect(() => parsePlanJson(JSON.stringify({ ...plan, expiring: [{ group: "x" }] }))).toThrow(/expiring\[0\]\.grant must be a string/);
    expect(renderPlanText(older as Plan, styler(false))).not.toContain("Access that expires");
  });
});
