import { describe, expect, it } from "vitest";
import { styler } from "../../src/render/terminal-style.js";
import { parsePlanJson, renderPlanJson } from "../../src/render/json.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";
import { formatValue } from "../../src/render/values.js";
import type { Change, Plan } from "../../src/domain/plan-types.js";

const ANSI = /\u001b\[/;
const HASH = "a".repeat(64);

const create: Change = {
  address: "authentik.application[aws]",
  type: "authentik.application",
  system: "authentik",
  title: "Application aws",
  action: "create",
  reason: "does not exist in authentik",
  before: null,
  after: {
    name: "AWS",
    slug: "aws",
    provider: { $ref: "authentik.saml_provider[aws]" },
    authorization_flow: { $lookup: "flow", key: "default-provider-authorization-implicit-consent" },
    meta_launch_url: { $deferred: "the provider's launch URL" },
    expression: "return [\n  'a',\n  'b',\n]\n",
  },
  fields: [],
  dependsOn: ["authentik.saml_provider[aws]"],
};

const update: Change = {
  address: "aws.iam.role[prod:/authentik/admin]",
  type: "aws.iam.role",
  system: "aws",
  account: "prod",
  title: "IAM role admin in prod (111111111111)",
  action: "update",
  reason: "live assume_role_policy, max_session_duration differ from the configuration",
  before: { max_session_duration: 3600 },
  after: { max_session_duration: 14400 },
  fields: [
    {
      field: "assume_role_policy",
      before: {},
      after: {},
      patch: [
        "--- assume_role_policy\tlive",
        "+++ assume_role_policy\tdesired",
        "@@ -3,5 +3,5 @@",
        "   \"Statement\": [",
        "     {",
        '-      "Effect": "Deny"',
        '+      "Effect": "Allow"',
        "     }",
      ].join("\n"),
    },
    { field: "max_session_duration", before: 3600, after: 14400 },
  ],
  dependsOn: [],
  liveId: "admin",
};

const del: Change = {
  address: "aws.iam.role[dev:/authentik/old]",
  type: "aws.iam.role",
  system: "aws",
  account: "dev",
  title: "IAM role old in dev (222222222222)",
  action: "delete",
  reason: "managed by authentik-aws-gitops and no longer declared (pruning is on)",
  before: { name: "old", path: "/authentik/" },
  after: null,
  fields: [],
  dependsOn: [],
  liveId: "old",
};

function basePlan(changes: Change[] = [create, update, del]): Plan {
  const summary = { adopt: 0, create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of changes) summary[c.action]++;
  return {
    version: 2,
    tool: { name: "authentik-aws-gitops", version: "0.1.0" },
    mode: "classic-iam",
    config: "examples/classic-iam.yaml",
    hash: HASH,
    summary,
    access: [
      { group: "ops", grant: "old", account: "dev", accountId: "222222222222", change: "lost" },
      { group: "data-eng", grant: "readonly", account: "dev", accountId: "222222222222", change: "gained" },
    ],
    permissions: [],
    risks: [],
    changes,
    notPruned: [{ address: "aws.iam.role[prod:/authentik/legacy]", title: "IAM role legacy in prod (111111111111)" }],
    warnings: ["role readonly is mapped to no group"],
    manualSteps: ["In the IAM Identity Center console, choose Settings → Identity source → External identity provider.", "Generate a SCIM token."],
  };
}

const HOSTILE = "evil`|</details><img src=x onerror=alert(1)>\n# heading @octocat ```\u001b[31m\u202e";

function hostilePlan(): Plan {
  const plan = basePlan();
  plan.config = "examples/`x`|.yaml";
  plan.access = [{ group: HOSTILE, grant: "r|o`le", account: "dev\n|x", accountId: "222222222222", change: "gained" }];
  plan.changes = [
    {
      ...create,
      address: `authentik.entitlement[aws/${HOSTILE}]`,
      title: `Entitlement ${HOSTILE}`,
      reason: "<script>alert(1)</script> & more",
      after: { name: HOSTILE, expression: "x = '```'\n````\n</details>\n" },
    },
    {
      ...update,
      fields: [
        { field: "name", before: "a|b", after: HOSTILE },
        { field: "expression", before: "", after: "", patch: "--- expression\tlive\n+++ expression\tdesired\n@@ -1 +1 @@\n-```\n+`````` </details>" },
      ],
    },
    { ...del, title: HOSTILE },
  ];
  plan.summary = { adopt: 0, create: 1, update: 1, delete: 1, replace: 0 };
  plan.warnings = [HOSTILE];
  plan.manualSteps = [HOSTILE];
  plan.notPruned = [{ address: "x", title: HOSTILE }];
  return plan;
}

/** Counts of <details> openings and closings outside fenced code blocks, as GitHub would see them. */
function detailsBalance(md: string): { open: number; close: number; fenceOpen: boolean } {
  let fence: string | undefined;
  let open = 0;
  let close = 0;
  for (const line of md.split("\n")) {
    if (fence) {
      if (/^`+\s*$/.test(line) && line.trim().length >= fence.length) fence = undefined;
      continue;
    }
    const m = /^(`{3,})/.exec(line);
    if (m) fence = m[1];
    else if (line.startsWith("<details")) open++;
    else if (line.startsWith("</details>")) close++;
  }
  return { open, close, fenceOpen: fence !== undefined };
}

/**
 * The markdown with fenced blocks and code spans removed: what GitHub would
 * treat as markdown and HTML. <summary> lines are raw HTML, where backticks are
 * plain characters, so they are kept whole; <code> elements are removed everywhere.
 */
function outsideCode(md: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of md.split("\n")) {
    if (fence) {
      if (/^`+\s*$/.test(line) && line.trim().length >= fence.length) fence = undefined;
      continue;
    }
    const m = /^(`{3,})/.exec(line);
    if (m) fence = m[1];
    else if (line.startsWith("<details")) out.push(line.replace(/<code>[\s\S]*?<\/code>/g, "<code/>"));
    else out.push(line.replace(/(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, "<code/>").replace(/<code>[\s\S]*?<\/code>/g, "<code/>"));
  }
  return out.join("\n");
}

describe("formatValue", () => {
  it("shows symbolic values the way a person reads them", () => {
    expect(formatValue({ $ref: "authentik.application[aws]" })).toBe("→ authentik.application[aws]");
    expect(formatValue({ $lookup: "flow", key: "x" })).toBe('flow "x"');
    expect(formatValue({ $deferred: "metadata" })).toBe("(known after apply)");
    expect(formatValue(null)).toBe("null");
    expect(formatValue(undefined)).toBe("(unset)");
    expect(formatValue('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(formatValue(["a", 1, true])).toBe('["a", 1, true]');
    expect(formatValue({ a: 1, "b-c": { $ref: "x" } })).toBe('{ a: 1, "b-c": → x }');
    expect(formatValue({})).toBe("{}");
  });

  it("never lets control or bidi characters through", () => {
    const out = formatValue("a\u001b[31mb\u202ec\u0085");
    expect(out).toBe('"a\\u001b[31mb\\u202ec\\u0085"');
  });
});

describe("renderPlanText", () => {
  const text = renderPlanText(basePlan(), styler(false));

  it("puts the access diff first, losses before gains", () => {
    const access = text.indexOf("Access changes:");
    const changes = text.indexOf("Changes:", access + 10);
    expect(access).toBeGreaterThan(0);
    expect(access).toBeLessThan(changes);
    expect(text).toContain('  - group "ops" loses role "old" in dev (222222222222)');
    expect(text).toContain('  + group "data-eng" gains role "readonly" in dev (222222222222)');
    expect(text.indexOf("loses")).toBeLessThan(text.indexOf("gains"));
  });

  it("shows each change with its symbol, title, reason and fields", () => {
    expect(text).toContain("  + authentik.application[aws]\n      Application aws — does not exist in authentik");
    expect(text).toContain('      name: "AWS"');
    expect(text).toContain("      provider: → authentik.saml_provider[aws]");
    expect(text).toContain('      authorization_flow: flow "default-provider-authorization-implicit-consent"');
    expect(text).toContain("      meta_launch_url: (known after apply)");
    expect(text).toContain("      expression:\n        return [\n          'a',");
    expect(text).toContain("  ~ aws.iam.role[prod:/authentik/admin]");
    expect(text).toContain("      max_session_duration: 3600 → 14400");
    expect(text).toContain('      assume_role_policy:\n        --- assume_role_policy\tlive');
    expect(text).toContain('        -      "Effect": "Deny"\n        +      "Effect": "Allow"');
    expect(text).toContain("  - aws.iam.role[dev:/authentik/old]");
  });

  it("lists what was not pruned, warnings and numbered manual steps, then the summary and hash", () => {
    expect(text).toContain("Not pruned:");
    expect(text).toContain("aws.iam.role[prod:/authentik/legacy] — IAM role legacy in prod (111111111111)");
    expect(text).toContain("  ! role readonly is mapped to no group");
    expect(text).toContain("  1. [ ] In the IAM Identity Center console");
    expect(text).toContain("  2. [ ] Generate a SCIM token.");
    expect(text).toContain("Plan: 1 to create, 1 to update, 1 to delete.");
    expect(text.endsWith(`Plan hash: ${HASH}`)).toBe(true);
  });

  it("writes no ANSI codes without colour, and colours symbols and diff lines with it", () => {
    expect(text).not.toMatch(ANSI);
    const coloured = renderPlanText(basePlan(), styler(true));
    expect(coloured).toContain("\u001b[32m  +\u001b[39m \u001b[1mauthentik.application[aws]\u001b[22m");
    expect(coloured).toContain("\u001b[33m  ~\u001b[39m");
    expect(coloured).toContain("\u001b[31m  -\u001b[39m");
    expect(coloured).toContain('\u001b[31m        -      "Effect": "Deny"\u001b[39m');
  });

  it("says so when nothing changes", () => {
    const plan = { ...basePlan([]), notPruned: [], warnings: [], manualSteps: [], access: [] };
    const out = renderPlanText(plan, styler(false));
    expect(out).toContain("No changes. authentik and AWS match the configuration.");
    expect(out).not.toContain("Access changes:");
    expect(out).not.toContain("Plan:");
  });

  it("mentions replacements and colours -/+", () => {
    const plan = basePlan([{ ...update, action: "replace", reason: "path changed" }]);
    const out = renderPlanText(plan, styler(false));
    expect(out).toContain("-/+ aws.iam.role[prod:/authentik/admin]");
    expect(out).toContain("Plan: 0 to create, 0 to update, 0 to delete, 1 to replace.");
  });

  it("shows hostile names without letting them drive the terminal", () => {
    const out = renderPlanText(hostilePlan(), styler(false));
    expect(out).not.toMatch(ANSI);
    expect(out).not.toContain("\u202e");
    expect(out).toContain("\\u001b[31m");
    // A newline in a name cannot start a line of its own (which could fake a change).
    expect(out).not.toMatch(/^# heading/m);
    expect(out).toContain('group "evil`|</details><img src=x onerror=alert(1)>\\n# heading');
  });
});

describe("renderPlanMarkdown", () => {
  const md = renderPlanMarkdown(basePlan(), {
    marker: "<!-- authentik-aws-gitops plan: examples/classic-iam.yaml -->",
    commit: "0123456789abcdef",
    statusLine: "Planned for #12",
  });

  it("starts with the marker, title, status and counts, then the deletion warning", () => {
    const lines = md.split("\n");
    expect(lines[0]).toBe("<!-- authentik-aws-gitops plan: examples/classic-iam.yaml -->");
    expect(lines[1]).toBe("### authentik-aws-gitops plan for `examples/classic-iam.yaml`");
    expect(md).toContain("\nPlanned for #12\n");
    expect(md).toContain("**1 to create, 1 to update, 1 to delete**");
    // The warning points to the change (numbered, linked) rather than repeating its title.
    expect(md).toContain("> [!WARNING]\n> **This plan deletes 1 object** (marked `-` under Changes):\n> - [change 3](#change-3): `aws.iam.role[dev:/authentik/old]`");
  });

  it("shows the access diff as a table, losses first, before the changes", () => {
    expect(md).toContain("| Change | Groups | Role | Where |\n| --- | --- | --- | --- |");
    // Neutral markers: colour comes only from the risks.
    expect(md).toContain("| **−** loses | `ops` | `old` | dev (`222222222222`) |\n| **+** gains | `data-eng` | `readonly` | dev (`222222222222`) |");
    expect(md.indexOf("#### Access changes")).toBeLessThan(md.indexOf("#### Changes"));
  });

  it("folds each change in <details> with a field table or a diff block", () => {
    // The summary names the object once (its title); the address opens the body.
    expect(md).toContain('<details><summary><a name="change-1"></a>1. <code>+</code> create Application aws — does not exist in authentik</summary>\n\nAddress: `authentik.application[aws]`');
    expect(md).toContain("| `provider` | `→ authentik.saml_provider[aws]` |");
    expect(md).toContain("| `max_session_duration` | `3600` | `14400` |");
    expect(md).toContain('```diff\n--- assume_role_policy\tlive\n+++ assume_role_policy\tdesired\n@@ -3,5 +3,5 @@');
    expect(md).toContain('<details><summary><a name="change-3"></a>3. <code>-</code> delete IAM role old in dev (222222222222)');
    const b = detailsBalance(md);
    expect(b.open).toBe(3);
    expect(b.close).toBe(3);
    expect(b.fenceOpen).toBe(false);
  });

  it("shows a diffed field as its diff alone, not as a row whose Before column says 'diff below'", () => {
    expect(md).not.toContain("diff below");
    expect(md).not.toMatch(/^\| `assume_role_policy` \|/m);
    // The table holds only fields with a before and an after value; the diff follows it, labelled by field.
    expect(md).toContain("| Field | Before | After |\n| --- | --- | --- |\n| `max_session_duration` | `3600` | `14400` |\n\n`assume_role_policy` (diff, live → configured):\n\n```diff\n");
    const onlyDiff = renderPlanMarkdown(basePlan([{ ...update, fields: [update.fields[0]!] }]));
    expect(onlyDiff).not.toContain("| Field | Before | After |");
    expect(onlyDiff).toContain("`assume_role_policy` (diff, live → configured):\n\n```diff\n");
  });

  it("says what a change waits for as 'Runs after:', naming only changes in the same plan", () => {
    const provider: Change = { ...create, address: "authentik.saml_provider[aws]", title: "SAML provider aws", after: { name: "aws" }, dependsOn: [] };
    const withDep = renderPlanMarkdown(basePlan([provider, create]));
    expect(withDep).toContain("\nRuns after: `authentik.saml_provider[aws]`\n");
    expect(withDep).not.toMatch(/^After:/m);
    // Not in the plan: nothing to wait for, and "Runs after" would be misleading.
    expect(md).not.toContain("Runs after:");
    expect(md).not.toMatch(/^After:/m);
  });

  it("keeps addresses with @ copyable: code spans, no invisible characters", () => {
    const entitlement: Change = { ...create, address: "authentik.entitlement[aws/admin@prod]", title: 'entitlement "admin@prod" of application aws', dependsOn: [] };
    const binding: Change = { ...create, address: "authentik.policy_binding[aws/admin@prod→group:aws-admins]", title: 'group "aws-admins" → entitlement "admin@prod"', dependsOn: ["authentik.entitlement[aws/admin@prod]"] };
    const out = renderPlanMarkdown(basePlan([entitlement, binding, { ...del, address: "authentik.entitlement[aws/old@dev]" }]));
    expect(out).not.toContain("\u2060");
    expect(out).toContain("create entitlement &quot;admin@prod&quot; of application aws — does not exist in authentik</summary>\n\nAddress: `authentik.entitlement[aws/admin@prod]`");
    expect(out).toContain("Runs after: `authentik.entitlement[aws/admin@prod]`");
    expect(out).toContain("> - [change 3](#change-3): `authentik.entitlement[aws/old@dev]`");
  });

  it("ends with not-pruned objects, warnings, a manual-step checklist and the hash and commit", () => {
    expect(md).toContain("#### Not pruned");
    expect(md).toContain("- `aws.iam.role[prod:/authentik/legacy]` — IAM role legacy in prod \\(111111111111\\)");
    expect(md).toContain("#### Warnings\n\n- role readonly is mapped to no group");
    expect(md).toContain("- [ ] In the IAM Identity Center console, choose Settings → Identity source → External identity provider.");
    expect(md).toContain("- [ ] Generate a SCIM token.");
    expect(md).toContain(`Plan hash \`${HASH}\` · for commit \`0123456789abcdef\``);
  });

  it("says so when there are no changes or no access changes", () => {
    const empty = renderPlanMarkdown({ ...basePlan([]), access: [] });
    expect(empty).toContain("**No changes.** authentik and AWS match the configuration.");
    expect(empty).not.toContain("[!WARNING]");
    const noAccess = renderPlanMarkdown({ ...basePlan([update]), access: [] });
    expect(noAccess).toContain("No access changes.");
    expect(noAccess).not.toContain("[!WARNING]");
  });

  it("calls permission sets by their name in identity-center mode", () => {
    const out = renderPlanMarkdown({ ...basePlan(), mode: "identity-center" });
    expect(out).toContain("| Change | Groups | Permission set | Where |");
  });

  describe("with hostile names", () => {
    const out = renderPlanMarkdown(hostilePlan());

    it("keeps every table row on one line with the right number of cells", () => {
      // Cells split the way cmark-gfm splits them: on a pipe not preceded by a backslash.
      const cells = (row: string) => row.slice(1, -1).split(/(?<!\\)\|/).length;
      const lines = out.split("\n");
      let tables = 0;
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]!.startsWith("|") || lines[i - 1]?.startsWith("|")) continue;
        tables++;
        const width = cells(lines[i]!);
        for (let j = i; j < lines.length && lines[j]!.startsWith("|"); j++) expect(cells(lines[j]!), lines[j]).toBe(width);
        expect(lines[i + 1]).toMatch(/^\| --- (\| --- )*\|$/);
      }
      expect(tables).toBe(4);
    });

    it("escapes HTML outside code and keeps <details> balanced", () => {
      const prose = outsideCode(out);
      expect(prose).not.toContain("<img");
      expect(prose).not.toContain("<script>");
      expect(prose).toContain("&lt;img src=x");
      expect(out).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
      const b = detailsBalance(out);
      expect(b.open).toBe(3);
      expect(b.close).toBe(3);
      expect(b.fenceOpen).toBe(false);
    });

    it("uses fences longer than any backtick run in the content", () => {
      expect(out).toContain("``````` diff".replace(" ", ""));
      expect(out).toContain("`````\nx = '```'\n````\n</details>\n`````");
    });

    it("neither mentions users nor starts headings, and drops control characters", () => {
      // A would-be mention is put in <code> (GitHub does not link mentions in code), so it copies as written.
      expect(outsideCode(out)).not.toMatch(/@octocat/);
      expect(out).not.toContain("\u2060");
      expect(out).toContain("\\# heading <code>@octocat</code> \\`\\`\\`");
      expect(out).toContain("# heading <code>@octocat</code> ```");
      expect(outsideCode(out)).not.toMatch(/^#+ heading/m);
      expect(out).not.toMatch(ANSI);
      expect(out).not.toContain("\u202e");
    });

    it("escapes the group name inside code spans so backticks cannot close them", () => {
      expect(out).toContain("| **+** gains | ````evil`\\|</details><img src=x onerror=alert(1)>\\n# heading @octocat ```\\u001b[31m\\u202e```` | ``r\\|o`le`` |");
    });
  });

  describe("truncation", () => {
    function bigPlan(n: number): Plan {
      const changes: Change[] = [];
      for (let i = 0; i < n; i++) {
        const kind = i % 3;
        if (kind === 0) changes.push({ ...create, address: `authentik.application[app-${i}]` });
        else if (kind === 1) changes.push({ ...update, address: `aws.iam.role[prod:/authentik/r${i}]` });
        else changes.push({ ...del, address: `aws.iam.role[dev:/authentik/d${i}]` });
      }
      return basePlan(changes);
    }

    it("stays within maxLength, keeps the head and the hash, closes what it opened and says what was cut", () => {
      const plan = bigPlan(3000);
      const full = renderPlanMarkdown(plan);
      expect(full.length).toBeGreaterThan(65_536);
      const out = renderPlanMarkdown(plan, { maxLength: 65_536, commit: "abc" });
      expect(out.length).toBeLessThanOrEqual(65_536);
      expect(out).toContain("**1000 to create, 1000 to update, 1000 to delete**");
      expect(out).toContain("> [!WARNING]\n> **This plan deletes 1000 objects** (marked `-` under Changes):");
      expect(out).toContain("> - … and 950 more (all listed under Changes)");
      expect(out).toContain("| **−** loses | `ops` | `old` |");
      // Said at the top, before the access summary.
      expect(out).toMatch(/⚠️ \*\*This comment does not show the whole plan\*\*: \d+ of 3000 changes shown.*The full plan is in the job summary and the plan JSON\./);
      expect(out.indexOf("[!CAUTION]")).toBeLessThan(out.indexOf("#### Access changes"));
      expect(out).toContain(`Plan hash \`${HASH}\` · for commit \`abc\``);
      expect(out).toContain("- [ ] Generate a SCIM token.");
      const b = detailsBalance(out);
      expect(b.open).toBe(b.close);
      expect(b.fenceOpen).toBe(false);
      const shown = Number(/: (\d+) of 3000/.exec(out)![1]);
      expect(shown).toBeGreaterThan(50);
      // Whole changes only: a torn one would read worse than one left out.
      expect(b.open).toBe(shown);
    });

    it("honours small limits and a caller's hint", () => {
      const plan = bigPlan(300);
      for (const max of [3000, 5000, 10_000, 20_000]) {
        const out = renderPlanMarkdown(plan, { maxLength: max, fullPlanHint: "See the run." });
        expect(out.length, String(max)).toBeLessThanOrEqual(max);
        expect(out).toContain("See the run.");
        const b = detailsBalance(out);
        expect(b.open, String(max)).toBe(b.close);
        expect(b.fenceOpen, String(max)).toBe(false);
      }
    });

    it("cuts inside one huge change without leaving a fence or <details> open", () => {
      const huge = { ...update, fields: [{ field: "policy", patch: Array.from({ length: 5000 }, (_, i) => `+line ${i}`).join("\n") }] };
      const out = renderPlanMarkdown(basePlan([huge]), { maxLength: 10_000 });
      expect(out.length).toBeLessThanOrEqual(10_000);
      expect(out).toContain("0 of 1 changes shown, each object's and each group's changes whole (the change shown is cut short)");
      const b = detailsBalance(out);
      expect(b.open).toBe(1);
      expect(b.close).toBe(1);
      expect(b.fenceOpen).toBe(false);
    });

    it("keeps the counts and deletion warning even when the access table alone is too long", () => {
      const plan = bigPlan(30);
      plan.access = Array.from({ length: 5000 }, (_, i) => ({ group: `group-${i}`, grant: "readonly", account: "dev", accountId: "222222222222", change: "gained" as const }));
      const out = renderPlanMarkdown(plan, { maxLength: 65_536 });
      expect(out.length).toBeLessThanOrEqual(65_536);
      expect(out).toContain("**10 to create, 10 to update, 10 to delete**");
      expect(out).toContain("> **This plan deletes 10 objects** (marked `-` under Changes):");
      // Five thousand groups gaining the same role: one row, the names folded (the first hundred).
      expect(out).toContain("| **+** gains | <details><summary>5000 groups</summary><code>group-0</code>");
      expect(out).toContain("and 4900 more</details>");
      // Five thousand different grants cannot be merged: the head does not fit, so its tables
      // show their first rows and count the rest (in the full plan); the changes then fit.
      plan.access = plan.access.map((r, i) => ({ ...r, grant: `role-${i}` }));
      const cut = renderPlanMarkdown(plan, { maxLength: 65_536 });
      expect(cut.length).toBeLessThanOrEqual(65_536);
      expect(cut).toContain("> **This plan deletes 10 objects** (marked `-` under Changes):");
      expect(cut).toContain("| **+** gains | `group-0` | `role-0` |");
      expect(cut).toContain("| **+** gains | `group-9` | `role-9` |");
      expect(cut).not.toContain("`role-10`");
      expect(cut).toContain("_… and 4990 more access rows, in the full plan._");
      expect(cut).toContain("30 of 30 changes shown, each object's and each group's changes whole (the risks, access and permission tables show their first rows)");
      expect(cut.indexOf("[!CAUTION]")).toBeLessThan(cut.indexOf("#### Access changes"));
      expect(cut).toContain(`Plan hash \`${HASH}\``);
      expect(out).toContain(`Plan hash \`${HASH}\``);
    });

    it("leaves a plan that fits untouched", () => {
      const plan = basePlan();
      expect(renderPlanMarkdown(plan, { maxLength: 65_536 })).toBe(renderPlanMarkdown(plan));
    });
  });
});

describe("plan JSON", () => {
  it("round-trips with two-space indentation and a trailing newline", () => {
    const plan = basePlan();
    const json = renderPlanJson(plan);
    expect(json.endsWith("}\n")).toBe(true);
    expect(json).toContain('\n  "version": 2,');
    expect(parsePlanJson(json)).toEqual(plan);
  });

  it("says what is wrong with a file that is not a plan of version 1", () => {
    expect(() => parsePlanJson("version: 1\nmode: classic-iam")).toThrow(/not a plan: the file is not valid JSON/);
    // JSON.parse quotes the file's start; a wrong file given as the plan may hold secrets.
    expect(() => parsePlanJson("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI")).toThrow(/^not a plan: the file is not valid JSON$/);
    expect(() => parsePlanJson('{\n  "version": 1,\n  "hash" "wJalrXUtnFEMI"\n}')).toThrow(/^not a plan: the file is not valid JSON \(at line 3, column 10\)$/);
    expect(() => parsePlanJson("")).toThrow(/^not a plan: the file is not valid JSON \(it ends too early\)$/);
    expect(() => parsePlanJson("[]")).toThrow(/not a plan: expected a JSON object/);
    expect(() => parsePlanJson("{}")).toThrow(/has no "version"/);
    expect(() => parsePlanJson(JSON.stringify({ ...basePlan(), version: 1 }))).toThrow(/unsupported plan version 1/);
    const broken = JSON.parse(renderPlanJson(basePlan()));
    broken.changes[1].action = "destroy";
    delete broken.hash;
    broken.access[0].group = 7;
    expect(() => parsePlanJson(JSON.stringify(broken))).toThrow(
      /not a valid plan of version 2:[\s\S]*hash must be a string \(got nothing\)[\s\S]*access\[0\]\.group must be a string \(got 7\)[\s\S]*changes\[1\]\.action must be one of adopt, create, update, delete, replace \(got "destroy"\)/,
    );
  });
});
