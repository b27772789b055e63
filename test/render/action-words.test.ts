import { describe, expect, it } from "vitest";
import type { Change, Plan } from "../../src/domain/plan-types.js";
import { expandPermissionChanges } from "../../src/plan/action-expansion.js";
import { permissionRow } from "../../src/plan/permissions.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";
import { styler } from "../../src/render/terminal-style.js";

const statement = (Statement: object[]) => ({ Version: "2012-10-17", Statement });
const change: Change = {
  address: "aws.iam.role[dev:/authentik/data]",
  type: "aws.iam.role",
  system: "aws",
  account: "dev",
  title: "IAM role /authentik/data in dev",
  action: "update",
  reason: "live inline_policies differs from the configuration",
  before: { name: "data", managed_policies: [], inline_policies: { old: statement([{ Effect: "Allow", Action: "ec2:Describe*", Resource: "*" }]) } },
  after: { name: "data", managed_policies: [], inline_policies: { buckets: statement([{ Effect: "Allow", Action: "s3:*", Resource: "*" }]) } },
  fields: [],
  dependsOn: [],
};

function plan(): Plan {
  const p = {
    version: 2,
    tool: { name: "authentik-aws-gitops", version: "0.1.0" },
    mode: "classic-iam",
    config: "aws-access.yaml",
    hash: "c".repeat(64),
    summary: { adopt: 0, create: 0, update: 1, delete: 0, replace: 0 },
    access: [],
    permissions: [permissionRow(change, "222222222222", "dev")!],
    risks: [],
    changes: [change],
    notPruned: [],
    warnings: [],
    manualSteps: [],
  } as Plan;
  expandPermissionChanges(p, new Map());
  return p;
}

describe("a permission change in actions, as text and markdown say it", () => {
  it("text: newly allows / no longer allows, per service and level, with examples and the statement", () => {
    const text = renderPlanText(plan(), styler(false));
    expect(text).toMatch(/newly allows \d+ s3 actions — \d+ Write, \d+ Permissions management, \d+ Tagging, \d+ Read, \d+ List \(s3:PutBucketAcl, s3:PutObjectAcl, s3:PutBucketPolicy, …\)\n\s+by inline policy buckets: \{"Effect":"Allow","Action":"s3:\*","Resource":"\*"\}/);
    expect(text).toMatch(/no longer allows \d+ ec2 actions — \d+ (Read|List)[^\n]*\(ec2:Describe\w+, [^\n]*\)\n\s+by inline policy old: \{"Effect":"Allow","Action":"ec2:Describe\*","Resource":"\*"\}/);
  });

  it("markdown: the same words under the permission row, the statement in code", () => {
    const md = renderPlanMarkdown(plan());
    expect(md).toMatch(/\n  - newly allows \d+ s3 actions — \d+ Write, \d+ Permissions management, [^\n]*\(`s3:PutBucketAcl`, `s3:PutObjectAcl`, `s3:PutBucketPolicy`, …\) — inline policy buckets: `\{"Effect":"Allow","Action":"s3:\*","Resource":"\*"\}`/);
    expect(md).toContain("no longer allows");
  });
});
