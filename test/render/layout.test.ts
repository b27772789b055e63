// The plan comment's layout and words (issue 20, items 4–6), asserted on the markdown itself:
// a grouped access summary first, one risk row per rule and grant, each fact once, defaults
// hidden, one policy diff per role, neutral gains and losses, the words of the mode, and a
// comment cut at GitHub's limit that says so at the top and cuts between groups.
import { describe, expect, it } from "vitest";
import { GITHUB_COMMENT_LIMIT } from "../../src/action/comment.js";
import type { AccessRow, Change, PermissionRow, Plan, Risk } from "../../src/domain/plan-types.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";
import { styler } from "../../src/render/terminal-style.js";

const ACCOUNTS = [
  { account: "prod", accountId: "111111111111" },
  { account: "dev", accountId: "222222222222" },
];
const team = (i: number) => `team-${String(i).padStart(2, "0")}`;
const people = (g: string) => ({ count: 2, names: [`${g}-p1`, `${g}-p2`] });

function binding(target: string, group: string): Change {
  return {
    address: target.startsWith("authentik.application") ? `authentik.policy_binding[aws→group:${group}]` : `authentik.policy_binding[aws/${/\[aws\/(.*)\]/.exec(target)![1]}→group:${group}]`,
    type: "authentik.policy_binding",
    system: "authentik",
    title: `group "${group}" → ${target.startsWith("authentik.application") ? 'application "aws"' : `entitlement "${/\[aws\/(.*)\]/.exec(target)![1]}"`}`,
    action: "create",
    reason: "does not exist in authentik",
    before: null,
    after: { target: { $ref: target }, group: { $lookup: "group", key: group }, order: 0, enabled: true, negate: false, timeout: 30, failure_result: false },
    fields: [],
    dependsOn: [target],
  };
}

function plan(over: Partial<Plan> = {}): Plan {
  const changes = over.changes ?? [];
  const summary = { adopt: 0, create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of changes) summary[c.action]++;
  return {
    version: 2,
    tool: { name: "authentik-aws-gitops", version: "0.1.0" },
    mode: "classic-iam",
    config: "aws-access.yaml",
    hash: "d".repeat(64),
    summary,
    access: [],
    permissions: [],
    risks: [],
    changes,
    notPruned: [],
    warnings: [],
    manualSteps: [],
    ...over,
  };
}

/** Thirty groups gaining readonly in prod and dev (and sign-in to the application), as the engine plans it. */
function thirtyGroups(n = 30): Plan {
  const groups = Array.from({ length: n }, (_, i) => team(i + 1));
  const access: AccessRow[] = [
    ...groups.flatMap((g) => ACCOUNTS.map((a) => ({ group: g, grant: "readonly", ...a, change: "gained" as const, people: people(g) }))),
    ...groups.map((g) => ({ group: g, grant: "aws", account: "authentik", accountId: "", change: "gained" as const, kind: "application" as const, people: people(g) })),
  ];
  const changes = [
    ...ACCOUNTS.flatMap((a) => groups.map((g) => binding(`authentik.entitlement[aws/readonly@${a.account}]`, g))),
    ...groups.map((g) => binding("authentik.application[aws]", g)),
  ];
  const risks: Risk[] = groups.map((g) => ({
    rule: "every-account",
    severity: "medium",
    message: `group ${g} (2 people) gains readonly in every account: prod, dev`,
    addresses: ACCOUNTS.map((a) => `authentik.policy_binding[aws/readonly@${a.account}→group:${g}]`),
  }));
  return plan({ access, changes, risks });
}

/** The rows of the first table after `heading`. */
function tableAfter(md: string, heading: string): string[] {
  const lines = md.slice(md.indexOf(heading)).split("\n");
  const start = lines.findIndex((l) => l.startsWith("| "));
  const rows: string[] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith("| "); i++) rows.push(lines[i]!);
  return rows;
}

describe("a grouped summary first: thirty groups × one role × two accounts", () => {
  const md = renderPlanMarkdown(thirtyGroups());

  it("reads as one access row for the role and one for the application, with the groups and people counted", () => {
    const rows = tableAfter(md, "#### Access changes");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\| \*\*\+\*\* gains \| <details><summary>30 groups<\/summary><code>team-01<\/code>, .*<code>team-30<\/code><\/details> \| `readonly` \| prod \(`111111111111`\), dev \(`222222222222`\) \| <details><summary>60 people<\/summary>/);
    expect(rows[1]).toContain("sign-in to application `aws`");
    // Each group named once in the access summary, not once per account.
    const section = md.slice(md.indexOf("#### Access changes"), md.indexOf("#### Changes"));
    expect(section.split("<code>team-07</code>").length - 1).toBe(2); // the role row and the application row
    expect(md).toContain("**90 to create, 0 to update, 0 to delete** · mode `classic-iam` · **60 people** affected");
  });

  it("gives one risk row per rule and grant, with its count", () => {
    const rows = tableAfter(md, "Risks");
    expect(md).toContain("#### ⚠️ Risks (1)");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain("30 groups \\(60 people\\) gain readonly in every account: prod, dev");
    expect(rows[0]).toContain("| 30 |");
    expect(rows[0]).toContain("and 56 more");
  });

  it("merges findings that differ only in the account, and in both group and account", () => {
    const p = thirtyGroups(3);
    const admin = (a: string) => ({ rule: "admin-equivalent", severity: "high" as const, message: `group team-01 (2 people) gains admin-equivalent admin (AdministratorAccess) in ${a}`, addresses: [`authentik.policy_binding[aws/admin@${a}→group:team-01]`] });
    const role = (a: string) => ({ rule: "admin-equivalent", severity: "high" as const, message: `new admin in ${a} held by 2 people carries AdministratorAccess`, addresses: [`aws.iam.role[${a}:/authentik/admin]`] });
    const large = (g: string, a: string) => ({ rule: "large-group", severity: "medium" as const, message: `group ${g} (2 people) gains readonly in ${a}: more than 1 people`, addresses: [`authentik.policy_binding[aws/readonly@${a}→group:${g}]`] });
    p.risks = [admin("dev"), admin("prod"), role("dev"), role("prod"), ...["team-01", "team-02", "team-03"].flatMap((g) => [large(g, "dev"), large(g, "prod")])];
    const rows = tableAfter(renderPlanMarkdown(p), "Risks");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain("| group team-01 \\(2 people\\) gains admin-equivalent admin \\(AdministratorAccess\\) in dev and prod | 2 |");
    expect(rows[1]).toContain("| new admin in dev and prod held by 2 people carries AdministratorAccess | 2 |");
    expect(rows[2]).toContain("| 3 groups \\(6 people\\) gain readonly in dev and prod: more than 1 people<br>`team-01`, `team-02`, `team-03` | 6 |");
  });

  it("folds the access rows after the first ten", () => {
    // Thirty groups each with a grant of its own: thirty rows, ten shown, twenty folded.
    const p = thirtyGroups();
    p.access = p.access.filter((r) => r.kind !== "application").map((r) => ({ ...r, grant: `role-${r.group}` }));
    const out = renderPlanMarkdown(p);
    const shown = tableAfter(out, "#### Access changes");
    expect(shown).toHaveLength(10);
    expect(out).toContain("<details><summary>20 more access rows</summary>");
    expect(shown[0]).toContain("`team-01` | `role-team-01` | prod (`111111111111`), dev (`222222222222`)");
  });

  it("hides the defaults of a binding and names each object once per summary line", () => {
    const block = md.slice(md.indexOf("<details><summary><a name=\"change-1\">"), md.indexOf("</details>", md.indexOf("<a name=\"change-1\">")));
    expect(block).toContain("| `target` | `→ authentik.entitlement[aws/readonly@prod]` |");
    expect(block).not.toMatch(/`order`|`negate`|`timeout`|`failure_result`|`enabled`/);
    expect(block).toContain("_5 fields at the default (order, enabled, negate, timeout, failure\\_result) not shown._");
    const summary = block.split("\n")[0]!;
    expect(summary).toContain("create group &quot;team-01&quot; → entitlement &quot;readonly@prod&quot;");
    expect(summary).not.toContain("authentik.policy_binding[");
    expect(block).toContain("Address: `authentik.policy_binding[aws/readonly@prod→group:team-01]`");
  });

  it("keeps each group's changes together", () => {
    const order = [...md.matchAll(/<code>\+<\/code> create group &quot;(team-\d+)&quot;/g)].map((m) => m[1]);
    expect(order.slice(0, 6)).toEqual(["team-01", "team-01", "team-01", "team-02", "team-02", "team-02"]);
  });

  it("uses neutral markers for gains and losses: colour only in the risks", () => {
    const p = thirtyGroups(2);
    p.access.push({ group: "ops", grant: "admin", ...ACCOUNTS[0]!, change: "lost" });
    const out = renderPlanMarkdown(p);
    const access = out.slice(out.indexOf("#### Access changes"));
    expect(access).not.toMatch(/🟢|🔴/);
    expect(access).toContain("| **−** loses | `ops` | `admin` | prod (`111111111111`) |");
  });
});

describe("at GitHub's comment limit", () => {
  // Enough groups that the changes cannot all be shown.
  const p = thirtyGroups(400);
  const full = renderPlanMarkdown(p);
  const out = renderPlanMarkdown(p, { maxLength: GITHUB_COMMENT_LIMIT, fullPlanHint: "The full plan is in the job summary and the `plan-markdown` output." });

  it("stays under the limit, says so at the top, and cuts between groups", () => {
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    expect(out.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const notice = out.indexOf("> [!CAUTION]");
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(out.indexOf("#### Access changes"));
    expect(out).toMatch(/This comment does not show the whole plan\*\*: \d+ of 1200 changes shown.*The full plan is in the job summary and the `plan-markdown` output\./);
    // Every group shown has all three of its changes.
    const shownGroups = [...out.matchAll(/<code>\+<\/code> create group &quot;(team-\d+)&quot;/g)].map((m) => m[1]!);
    const perGroup = new Map<string, number>();
    for (const g of shownGroups) perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
    expect(perGroup.size).toBeGreaterThan(10);
    expect([...perGroup.values()].every((n) => n === 3)).toBe(true);
    const shown = Number(/(\d+) of 1200 changes shown/.exec(out)![1]);
    expect(shown).toBe(shownGroups.length);
    expect(out).toContain(`Plan hash \`${"d".repeat(64)}\``);
  });
});

describe("each fact once", () => {
  it("the deletion warning points to its changes instead of repeating them", () => {
    const del: Change = { ...binding("authentik.entitlement[aws/admin@prod]", "ops"), action: "delete", reason: "no longer declared", before: { target: { $ref: "authentik.entitlement[aws/admin@prod]" } }, after: null };
    const out = renderPlanMarkdown(plan({ changes: [binding("authentik.application[aws]", "ops"), del] }));
    expect(out).toContain("> **This plan deletes 1 object** (marked `-` under Changes):\n> - [change 2](#change-2): `authentik.policy_binding[aws/admin@prod→group:ops]`");
    expect(out).toContain('<a name="change-2"></a>2. <code>-</code> delete');
  });

  it("the same warning for thirty objects reads once, with how many", () => {
    const out = renderPlanMarkdown(plan({ changes: [binding("authentik.application[aws]", "ops")], warnings: Array.from({ length: 30 }, () => "role readonly has no session duration") }));
    const warnings = out.slice(out.indexOf("#### Warnings")).split("\n").filter((l) => l.startsWith("- "));
    expect(warnings).toEqual(["- role readonly has no session duration _(×30)_"]);
  });

  it("one policy diff per role, with the accounts it applies to", () => {
    const patch = "--- inline_policies\tlive\n+++ inline_policies\tdesired\n@@ -1 +1 @@\n-\"s3:GetObject\"\n+\"s3:*\"";
    const update = (account: string): Change => ({
      address: `aws.iam.role[${account}:/authentik/data]`,
      type: "aws.iam.role",
      system: "aws",
      account,
      title: `IAM role data in ${account}`,
      action: "update",
      reason: "live inline_policies differ from the configuration",
      before: {},
      after: {},
      fields: [{ field: "inline_policies", before: {}, after: {}, patch }],
      dependsOn: [],
    });
    const perm = (a: (typeof ACCOUNTS)[number]): PermissionRow => ({
      grant: "data",
      ...a,
      change: "widened",
      address: `aws.iam.role[${a.account}:/authentik/data]`,
      added: [{ effect: "Allow", action: "s3:*", resource: "*" }],
      removed: [{ effect: "Allow", action: "s3:GetObject", resource: "*" }],
      managedPoliciesAdded: [],
      managedPoliciesRemoved: [],
      customerManagedPoliciesAdded: [],
      customerManagedPoliciesRemoved: [],
    });
    const out = renderPlanMarkdown(plan({ changes: [update("prod"), update("dev")], permissions: ACCOUNTS.map(perm) }));
    expect(out.split("```diff").length - 1).toBe(1);
    expect(out).toContain("`inline_policies`: the same diff as [change 1](#change-1).");
    const permissions = out.slice(out.indexOf("#### Permission changes"), out.indexOf("#### Changes"));
    expect(permissions.split("s3:\\*").length + permissions.split("`s3:*`").length - 2).toBe(1);
    expect(permissions).toContain("- **~** widened role `data` in prod (`111111111111`), dev (`222222222222`)");
  });
});

describe("words", () => {
  it("a new role is marked +, in the comment and in the terminal", () => {
    const row: PermissionRow = { grant: "readonly", ...ACCOUNTS[0]!, change: "widened", new: true, address: "aws.iam.role[prod:/authentik/readonly]", added: [], removed: [], managedPoliciesAdded: ["ReadOnlyAccess"], managedPoliciesRemoved: [], customerManagedPoliciesAdded: [], customerManagedPoliciesRemoved: [] };
    const p = plan({ permissions: [row], changes: [binding("authentik.application[aws]", "ops")] });
    expect(renderPlanMarkdown(p)).toContain("- **+** new role `readonly` in prod (`111111111111`)");
    expect(renderPlanText(p, styler(false))).toContain("  + new role \"readonly\" in prod (111111111111)");
  });

  it("the application row says what the application does in the mode", () => {
    const row: AccessRow = { group: "ops", grant: "aws", account: "authentik", accountId: "", change: "gained", kind: "application" };
    const classic = renderPlanMarkdown(plan({ access: [row], changes: [binding("authentik.application[aws]", "ops")] }));
    expect(classic).not.toContain("SCIM");
    expect(classic).toContain("authentik: the application's tile \\(which roles it offers comes from the role grants\\)");
    expect(renderPlanText(plan({ access: [row], changes: [binding("authentik.application[aws]", "ops")] }), styler(false))).not.toContain("SCIM");
    const ic = renderPlanMarkdown(plan({ mode: "identity-center", access: [row], changes: [binding("authentik.application[aws]", "ops")] }));
    expect(ic).toContain("sign-in to the AWS access portal");
  });

  it("drift speaks of live access not in the configuration and configuration not yet applied", () => {
    const p = plan({
      access: [
        { group: "ops", grant: "admin", ...ACCOUNTS[0]!, change: "lost" },
        { group: "eng", grant: "readonly", ...ACCOUNTS[1]!, change: "gained" },
      ],
      changes: [binding("authentik.application[aws]", "ops")],
      notPruned: [{ address: "aws.iam.role[prod:/authentik/old]", title: "IAM role old in prod" }],
    });
    const out = renderPlanMarkdown(p, { drift: true });
    const access = out.slice(out.indexOf("#### Access"), out.indexOf("#### Changes"));
    expect(access).toContain("| live, not in the configuration | `ops` | `admin` |");
    expect(access).toContain("| configured, not yet applied | `eng` | `readonly` |");
    expect(access).toContain("Live access not in the configuration, and configuration not yet applied");
    expect(out).not.toMatch(/\bloses\b|\bgains\b|no longer declared/);
  });
});
