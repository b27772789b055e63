import { describe, expect, it } from "vitest";
import { styler } from "../../src/render/terminal-style.js";
import type { Change, Plan } from "../../src/domain/plan-types.js";
import { parsePlanJson, renderPlanJson } from "../../src/render/json.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";

const del: Change = {
  address: "aws.iam.role[prod:/authentik/legacy]",
  type: "aws.iam.role",
  system: "aws",
  account: "prod",
  title: "IAM role legacy in prod",
  action: "delete",
  reason: "no longer declared",
  before: { name: "legacy" },
  after: null,
  fields: [],
  dependsOn: [],
};
const many = Array.from({ length: 12 }, (_, i) => `user${String(i).padStart(2, "0")}`);

function plan(): Plan {
  return {
    version: 2,
    tool: { name: "authentik-aws-gitops", version: "0.1.0" },
    mode: "classic-iam",
    config: "aws-access.yaml",
    hash: "c".repeat(64),
    summary: { adopt: 0, create: 0, update: 0, delete: 1, replace: 0 },
    access: [{ group: "engineers", grant: "admin", account: "prod", accountId: "111111111111", change: "gained", people: { count: 12, names: many } }],
    permissions: [
      {
        grant: "data-engineer",
        account: "dev",
        accountId: "222222222222",
        change: "widened",
        address: "aws.iam.role[dev:/authentik/data-engineer]",
        added: [{ effect: "Allow", action: "s3:PutObject", resource: "arn:aws:s3:::data/*" }],
        removed: [{ effect: "Deny", action: "s3:*", resource: "*", notAction: true }],
        managedPoliciesAdded: ["AdministratorAccess"],
        managedPoliciesRemoved: [],
        customerManagedPoliciesAdded: [],
        customerManagedPoliciesRemoved: [],
        people: { count: 2, names: ["ann", "bob"] },
      },
    ],
    risks: [{ rule: "production", severity: "high", message: "group engineers (12 people) gains admin in production account prod", addresses: ["authentik.policy_binding[x]"] }],
    changes: [del],
    notPruned: [],
    warnings: [],
    manualSteps: [],
  };
}

const order = (text: string, marks: string[]) => marks.map((m) => text.indexOf(m));

describe("the review at the top of the rendered plan", () => {
  it("markdown: counts, deletion warning, risks, access with people, permission changes, then the changes", () => {
    const md = renderPlanMarkdown(plan());
    const at = order(md, ["1 to delete", "[!WARNING]", "Risks (1)", "Access changes", "Permission changes", "Changes (1)"]);
    expect(at.every((n) => n >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(md).toContain("**high**");
    // 12 names: folded.
    expect(md).toContain("<details><summary>12 people</summary><code>user00</code>");
    expect(md).toContain("held by 2 people: <code>ann</code>, <code>bob</code>");
    expect(md).toContain("**+** Allow `s3:PutObject` on `arn:aws:s3:::data/*`");
    expect(md).toContain("**−** Deny `every action except s3:*` on `*`");
    expect(md).toContain("**+** managed policy `AdministratorAccess`");
  });

  it("text: the same order; long name lists are cut with a count", () => {
    const text = renderPlanText(plan(), styler(false));
    const at = order(text, ["Plan: 0 to create, 0 to update, 1 to delete.", "deletes or replaces 1 object", "Risks (1):", "Access changes:", "Permission changes:", "Changes:"]);
    expect(at.every((n) => n >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain("[high] production: group engineers (12 people) gains admin in production account prod");
    expect(text).toContain("12 people: user00, user01, user02, user03, user04, user05, user06, user07, user08, user09, … and 2 more");
    expect(text).toContain("+ Allow s3:PutObject on arn:aws:s3:::data/*");
  });

  it("JSON version 2 round-trips with people, permissions and risks", () => {
    expect(parsePlanJson(renderPlanJson(plan()))).toEqual(plan());
    const broken = JSON.parse(renderPlanJson(plan()));
    broken.risks[0].severity = "critical";
    expect(() => parsePlanJson(JSON.stringify(broken))).toThrow(/risks\[0\]\.severity must be one of high, medium, low/);
  });
});
