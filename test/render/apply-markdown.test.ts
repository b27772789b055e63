import { describe, expect, it } from "vitest";
import { applyMarkerFor, GITHUB_COMMENT_LIMIT } from "../../src/action/comment.js";
import { applyOutcome, renderApplyMarkdown, type ApplyReport, type ApplyResultRow } from "../../src/render/apply-markdown.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const RUN = { url: "https://github.com/acme/aws-access/actions/runs/42", label: "run 42" };
const PLAN = { url: "https://github.com/acme/aws-access/pull/7#issuecomment-1" };

const report = (rows: ApplyResultRow[], extra: Partial<ApplyReport> = {}): ApplyReport => ({
  config: "aws-access.yaml",
  commit: COMMIT,
  run: RUN,
  planComment: PLAN,
  rows,
  verification: { kind: "verified" },
  ...extra,
});
const done = (address: string, action: ApplyResultRow["action"] = "create"): ApplyResultRow => ({ address, action, result: "done" });

describe("renderApplyMarkdown", () => {
  it("an apply that worked: title, commit and run, counts by action, the verification, one row per change", () => {
    const text = renderApplyMarkdown(
      report([done("aws.iam.role[prod:/authentik/admin]"), done("authentik.entitlement[aws/admin@prod]"), done("aws.iam.role[dev:/authentik/readonly]", "update"), done("authentik.policy_binding[x]", "delete")]),
      { marker: applyMarkerFor("aws-access.yaml", COMMIT) },
    );
    expect(text.split("\n").slice(0, 9)).toEqual([
      `<!-- authentik-aws-gitops:apply config=aws-access.yaml commit=${COMMIT} -->`,
      "### ✅ authentik-aws-gitops applied `aws-access.yaml`",
      "",
      `Commit \`0123456\` · [run 42](${RUN.url}) · the reviewed plan: [plan comment](${PLAN.url})`,
      "",
      "**4 of 4 changes applied**: 2 created, 1 updated, 1 deleted.",
      "",
      "**Verified**: authentik and AWS were read again after the apply and match the configuration.",
      "",
    ]);
    expect(text).toContain("| Change | Action | Result |\n| --- | --- | --- |\n| `aws.iam.role[prod:/authentik/admin]` | create | ✅ done |");
    expect(text).toContain("| `authentik.policy_binding[x]` | delete | ✅ done |");
  });

  it("a failure part-way: failures first with their error, then what was not attempted, then what was done; not verified", () => {
    const r = report(
      [
        done("a[1]"),
        { address: "b[2]", action: "create", result: "failed", error: "NoSuchEntity: the policy does not exist" },
        { address: "c[3]", action: "update", result: "not attempted" },
      ],
      { verification: { kind: "not-run", reason: "the apply stopped at a failure, so nothing was read again." } },
    );
    expect(applyOutcome(r)).toBe("failed-part-way");
    const text = renderApplyMarkdown(r);
    expect(text).toContain("### ❌ authentik-aws-gitops apply of `aws-access.yaml` failed part-way");
    expect(text).toContain("**1 of 3 changes applied**: 1 created; 1 failed, 1 not attempted.");
    expect(text).toContain("**Not verified**: the apply stopped at a failure, so nothing was read again.");
    const rows = text.split("\n").filter((l) => /^\| `/.test(l));
    expect(rows).toEqual(["| `b[2]` | create | ❌ failed: NoSuchEntity: the policy does not exist |", "| `c[3]` | update | ⏸️ not attempted |", "| `a[1]` | create | ✅ done |"]);
  });

  it("nothing written: 'failed', and the error of a step outside the changes in a block", () => {
    const r = report([{ address: "a[1]", action: "create", result: "not attempted" }], {
      verification: { kind: "not-run", reason: "the apply did not finish." },
      errorLines: ["error: Identity Center refused", "second line"],
    });
    expect(applyOutcome(r)).toBe("failed");
    const text = renderApplyMarkdown(r);
    expect(text).toContain("### ❌ authentik-aws-gitops apply of `aws-access.yaml` failed\n");
    expect(text).toContain("**0 of 1 change applied**; 1 not attempted.");
    expect(text).toContain("**What failed:**\n\n```text\nerror: Identity Center refused\nsecond line\n```");
  });

  it("applied but a fresh read still differs: not verified, with what is left", () => {
    const r = report([done("a[1]")], { verification: { kind: "not-converged", remaining: ["create authentik.policy_binding[aws→group:x]"] } });
    expect(applyOutcome(r)).toBe("not-verified");
    const text = renderApplyMarkdown(r);
    expect(text).toContain("### ⚠️ authentik-aws-gitops applied `aws-access.yaml`, but the check after it still shows changes");
    expect(text).toContain("**Not verified**: reading authentik and AWS again after the apply still shows 1 change");
    expect(text).toContain("```text\ncreate authentik.policy_binding[aws→group:x]\n```");
  });

  it("escapes names and errors: no table break, no markup, no marker, no mention, no link", () => {
    const hostile = "x|</details><!-- authentik-aws-gitops:data AAAA --> @acme/admins https://evil.example\n- item";
    const text = renderApplyMarkdown(
      report([{ address: `authentik.group[${hostile}]`, action: "create", result: "failed", error: hostile }], { config: "a|b`.yaml", verification: { kind: "not-run", reason: "stopped" } }),
      { marker: applyMarkerFor("aws-access.yaml", COMMIT) },
    );
    // The marker line is the only HTML comment; nothing spells the Action's words.
    expect(text.match(/<!--/g)).toHaveLength(1);
    expect(text.split("\n").slice(1).join("\n")).not.toMatch(/authentik-aws-gitops:data/);
    expect(text).not.toContain("</details>");
    expect(text).not.toContain("@acme/admins https");
    expect(text).not.toContain("https://evil.example");
    expect(text).toContain("<code>@acme/admins</code>");
    const row = text.split("\n").find((l) => l.includes("❌ failed"))!;
    // Three cells: every | inside is escaped.
    expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(5);
    expect(row).not.toContain("\n");
  });

  it("cuts rows to stay within GitHub's limit, failures kept, with a notice at the top", () => {
    const rows: ApplyResultRow[] = Array.from({ length: 3000 }, (_, i) => done(`authentik.policy_binding[aws/role-${String(i).padStart(4, "0")}@prod→group:${"g".repeat(40)}]`));
    rows.splice(2500, 0, { address: "aws.iam.role[prod:/authentik/late]", action: "create", result: "failed", error: "AccessDenied: no" });
    const full = renderApplyMarkdown(report(rows, { verification: { kind: "not-run", reason: "stopped" } }));
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const text = renderApplyMarkdown(report(rows, { verification: { kind: "not-run", reason: "stopped" } }), { maxLength: GITHUB_COMMENT_LIMIT, marker: applyMarkerFor("aws-access.yaml", COMMIT) });
    expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(text.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 400);
    const shown = text.split("\n").filter((l) => /^\| `/.test(l)).length;
    expect(shown).toBeLessThan(3001);
    expect(text).toContain(`> Too long for one comment: ${shown} of 3001 changes shown, failures first. Every result is in the [run log](${RUN.url}).`);
    // The notice comes before the table; the failure is its first row.
    expect(text.indexOf("Too long for one comment")).toBeLessThan(text.indexOf("| Change |"));
    expect(text.split("\n").find((l) => /^\| `/.test(l))).toContain("aws.iam.role[prod:/authentik/late]");
    // The last row is whole.
    expect(text.trimEnd().split("\n").at(-1)).toMatch(/^\| `.*` \| create \| ✅ done \|$/);
  });

  it("at exactly the limit it is not cut; one character over, it is", () => {
    const rows = Array.from({ length: 800 }, (_, i) => done(`authentik.policy_binding[${i}]`));
    const full = renderApplyMarkdown(report(rows));
    expect(renderApplyMarkdown(report(rows), { maxLength: full.length })).toBe(full);
    const cut = renderApplyMarkdown(report(rows), { maxLength: full.length - 1 });
    expect(cut.length).toBeLessThanOrEqual(full.length - 1);
    expect(cut).toContain("Too long for one comment");
  });

  it("a very long error is shortened in its row (the run log has it whole)", () => {
    const text = renderApplyMarkdown(report([{ address: "a[1]", action: "create", result: "failed", error: "e".repeat(5000) }]));
    expect(text).toContain(`❌ failed: ${"e".repeat(1000)}…`);
    expect(text).not.toContain("e".repeat(1001));
  });

  it("the sign-ins verify followed after the apply: under the verification; a sign-in that does not work is in the title", () => {
    const finding = { severity: "error" as const, check: "role-exists" as const, subject: { kind: "person" as const, name: "walt_<b>" }, grant: "break-glass", account: { alias: "prod", id: "111111111111" }, reason: "account prod has no such role" };
    const verify = { version: 1 as const, config: "aws-access.yaml", mode: "classic-iam" as const, checkedAt: "2026-12-06T06:50:00.000Z", people: ["walt_<b>"], grantsChecked: 2, findings: [finding], notes: [] };
    const broken = report([done("a[1]")], { signIns: { kind: "checked", report: verify, scope: "affected", people: "names" } });
    expect(applyOutcome(broken)).toBe("sign-ins-broken");
    const text = renderApplyMarkdown(broken);
    expect(text.split("\n")[0]).toBe("### ❌ authentik-aws-gitops applied `aws-access.yaml`, but verify found 1 sign-in that does not work");
    expect(text).toContain("**Verified**: authentik and AWS were read again after the apply and match the configuration.\n\n**Sign-ins that do not work** (the 1 person the plan affected): 1 person checked, 2 sign-ins followed: 1 error.");
    expect(text).toContain("| ❌ error | person walt\\_&lt;b&gt; | break-glass in prod \\(111111111111\\) | `role-exists` | account prod has no such role |");
    expect(text).not.toContain("<b>");
    expect(text.indexOf("Sign-ins")).toBeLessThan(text.indexOf("#### Changes"));

    const passed = report([done("a[1]")], { signIns: { kind: "checked", report: { ...verify, findings: [] }, scope: "shared-link", people: "names" } });
    expect(applyOutcome(passed)).toBe("applied");
    expect(renderApplyMarkdown(passed)).toContain("**Sign-ins verified** (everyone with access: the plan changed a link every sign-in goes through)");
    const notRun = report([done("a[1]")], { signIns: { kind: "not-run", reason: "IAM said AccessDenied" } });
    expect(applyOutcome(notRun)).toBe("applied");
    expect(renderApplyMarkdown(notRun)).toContain("**Sign-ins not verified**: verify could not run: IAM said AccessDenied");

    // Thousands of findings leave room for the changes, within GitHub's limit.
    const many = { ...verify, findings: Array.from({ length: 3_000 }, (_, i) => ({ ...finding, subject: { kind: "person" as const, name: `p${i}` } })) };
    const big = renderApplyMarkdown(report([done("a[1]")], { signIns: { kind: "checked", report: many, scope: "everyone", people: "names" } }), { maxLength: GITHUB_COMMENT_LIMIT });
    expect(big.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(big).toContain("| `a[1]` | create | ✅ done |");
    expect(big).toMatch(/Too long to show here: \d+ of 3000 findings; every one is in the `verify-json` output of the \[run\]/);
  });
});
