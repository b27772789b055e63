import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load-config.js";
import type { ResolvedConfig } from "../../src/config/model.js";
import { ROLE_EXPRESSION } from "../../src/domain/expressions.js";
import { buildAccessReport } from "../../src/report/build.js";
import { classicAccess, trustsSamlProvider, type ClassicAccessLive } from "../../src/report/classic.js";
import { identityCenterAccess, type IdentityCenterAccessLive } from "../../src/report/identity-center.js";
import { fitBytes, JOB_SUMMARY_LIMIT_BYTES } from "../../src/action/summary.js";
import { csvField, renderAccessCsv, renderAccessJson, renderAccessMarkdown } from "../../src/report/render.js";
import type { AccessSnapshot, GroupGrant } from "../../src/report/types.js";

const EXAMPLES = path.join(import.meta.dirname, "..", "..", "examples");
const PROD = "111111111111";
const DEV = "222222222222";
const TOOL = { name: "authentik-aws-gitops", version: "0.0.0-test" };
const AT = "2026-01-01T00:00:00.000Z";

let classic: ResolvedConfig;
let ic: ResolvedConfig;
beforeAll(async () => {
  classic = (await loadConfigFile(path.join(EXAMPLES, "classic-iam.yaml"))).config;
  ic = (await loadConfigFile(path.join(EXAMPLES, "identity-center.yaml"))).config;
});

const ent = (name: string, role: string, account: string, managed = true) => ({
  name,
  pbmUuid: `pbm-${name}`,
  attributes: {
    aws_role_arn: `arn:aws:iam::${account}:role/authentik/${role}`,
    aws_saml_provider_arn: `arn:aws:iam::${account}:saml-provider/authentik`,
    ...(managed ? { managed_by: "authentik-aws-gitops" } : {}),
  },
});
const bind = (target: string, who: { group?: string; user?: number; policy?: string }, extra: { negate?: boolean; enabled?: boolean } = {}) => ({
  target: `pbm-${target}`,
  ...who,
  enabled: extra.enabled ?? true,
  negate: extra.negate ?? false,
});

function live(over: Partial<ClassicAccessLive> = {}): ClassicAccessLive {
  return {
    application: { slug: "aws", pk: "app", policyEngineMode: "any", providerName: "aws", providerIsSaml: true },
    applicationBindings: ["g-admins", "g-eng", "g-data"].map((group) => ({ target: "app", group, enabled: true, negate: false })),
    entitlements: [ent("admin@prod", "admin", PROD), ent("readonly@dev", "readonly", DEV), ent("break-glass", "break-glass", PROD, false)],
    entitlementBindings: [bind("admin@prod", { group: "g-admins" }), bind("readonly@dev", { group: "g-data" }), bind("break-glass", { group: "g-eng" })],
    roleMappings: [{ name: "authentik-aws-gitops: Role", expression: ROLE_EXPRESSION }],
    groups: [
      { pk: "g-admins", name: "aws-admins", parents: [], attributes: {} },
      { pk: "g-eng", name: "engineers", parents: [], attributes: {} },
      { pk: "g-data", name: "data-eng", parents: [], attributes: {} },
      { pk: "g-intern", name: "data-eng-interns", parents: ["g-data"], attributes: {} },
      { pk: "g-out", name: "outsiders", parents: [], attributes: {} },
    ],
    users: [
      { pk: 1, username: "vera", email: "vera@example.com", groups: ["g-admins"], attributes: {} },
      { pk: 2, username: "walt", groups: ["g-eng"], attributes: {} },
      { pk: 3, username: "xia", groups: ["g-intern"], attributes: {} },
      { pk: 4, username: "olga", groups: ["g-out"], attributes: {} },
    ],
    ...over,
  };
}

function snapshot(grants: GroupGrant[], extra: Partial<AccessSnapshot> = {}): AccessSnapshot {
  return { mode: "classic-iam", configFile: "aws-access.yaml", application: "aws", accountAliases: { [PROD]: "prod", [DEV]: "dev" }, grants, unlisted: [], notes: [], peopleSource: "test", ...extra };
}
const rowsOf = (l: ClassicAccessLive, config = classic) => {
  const a = classicAccess(l, config);
  return { ...a, report: buildAccessReport(snapshot(a.grants, { unlisted: a.unlisted, notes: a.notes }), { people: "names", tool: TOOL, generatedAt: AT }) };
};
const lines = (r: ReturnType<typeof rowsOf>["report"]) => r.rows.map((x) => `${x.person} ${x.grant}@${x.account} via ${x.via} ${x.managed ? "managed" : "by hand"}`);

describe("classic-iam grants from live authentik", () => {
  it("entitlement bindings: people of child groups, only people who may sign in, hand-made entitlements marked", () => {
    const { report } = rowsOf(live());
    expect(lines(report)).toEqual(["vera admin@prod via aws-admins managed", "walt break-glass@prod via engineers by hand", "xia readonly@dev via data-eng managed"]);
    expect(report.rows.find((r) => r.grant === "break-glass")!.reason).toContain("made by hand");
    expect(report.rows[0]).toMatchObject({ email: "vera@example.com", source: 'entitlement "admin@prod"', grantKind: "role" });
  });

  it("a binding of the tool's entitlement the configuration does not declare is by hand; a user binding too; a policy binding is said, not listed", () => {
    const l = live();
    l.entitlementBindings.push(bind("admin@prod", { group: "g-eng" }), bind("admin@prod", { user: 3 }), bind("readonly@dev", { policy: "pol-1" }), bind("readonly@dev", { group: "g-out" }, { enabled: false }));
    const { report, unlisted } = rowsOf(l);
    expect(lines(report)).toContain("walt admin@prod via engineers by hand");
    expect(lines(report)).toContain("xia admin@prod via (user binding) by hand");
    expect(report.rows.find((r) => r.person === "walt" && r.grant === "admin")!.reason).toContain("does not map group 'engineers'");
    expect(unlisted).toEqual([expect.objectContaining({ source: 'entitlement "readonly@dev"', reason: expect.stringContaining("policy pol-1") })]);
    expect(report.rows.some((r) => r.person === "olga")).toBe(false); // the disabled binding grants nothing
  });

  it("an application without bindings lets everyone sign in", () => {
    const l = live({ applicationBindings: [] });
    l.entitlementBindings.push(bind("readonly@dev", { group: "g-out" }));
    const { report, notes } = rowsOf(l);
    expect(lines(report)).toContain("olga readonly@dev via outsiders by hand");
    expect(notes.join("\n")).toContain("every authentik user may sign in");
  });

  it("the guide's group-attribute mapping: later group names win, then the user's own attribute; only people who may sign in", () => {
    const l = live();
    l.groups.find((g) => g.name === "data-eng")!.attributes = { aws_role: "data" };
    l.groups.find((g) => g.name === "data-eng-interns")!.attributes = { aws_role: "intern" }; // sorts after data-eng: wins
    l.groups.find((g) => g.name === "outsiders")!.attributes = { aws_role: "outsider" };
    l.users.find((u) => u.username === "walt")!.attributes = { aws_role: "walt-own" };
    l.roleMappings.push({
      name: "guide",
      expression: `role_name = user.group_attributes().get("aws_role", "")\nreturn f"arn:aws:iam::${DEV}:role/{role_name},arn:aws:iam::${DEV}:saml-provider/authentik"`,
    });
    const { report } = rowsOf(l);
    const viaGuide = report.rows.filter((r) => r.source === "Role mapping 'guide'").map((r) => `${r.person} ${r.grant} via ${r.via}`);
    expect(viaGuide).toEqual(["walt walt-own via (user attribute)", "xia intern via data-eng-interns"]);
    expect(report.rows.filter((r) => r.source === "Role mapping 'guide'").every((r) => !r.managed && r.account === "dev")).toBe(true);
    // The grants table still shows every group that carries the attribute, with the people it reaches.
    expect(report.grants.filter((g) => g.source === "Role mapping 'guide'").map((g) => `${g.via}:${g.grant}:${g.people}`)).toEqual([
      "data-eng:data:0",
      "data-eng-interns:intern:1",
      "outsiders:outsider:0",
      "(user attribute):walt-own:1",
    ]);
  });

  it("group-attribute: where the database's collation decides which group wins, the linguistic order is listed and the row and a note say so", () => {
    const l = live();
    l.groups.push({ pk: "g-a", name: "admins", parents: [], attributes: { aws_role: "a-role" } }, { pk: "g-D", name: "Data", parents: [], attributes: { aws_role: "d-role" } });
    l.applicationBindings.push({ target: "app", group: "g-a", enabled: true, negate: false });
    l.users.push({ pk: 9, username: "both", groups: ["g-a", "g-D"], attributes: {} }, { pk: 10, username: "only-admins", groups: ["g-a"], attributes: {} });
    l.roleMappings.push({
      name: "guide",
      expression: `role_name = user.group_attributes().get("aws_role", "")\nreturn f"arn:aws:iam::${DEV}:role/{role_name},arn:aws:iam::${DEV}:saml-provider/authentik"`,
    });
    const { report } = rowsOf(l);
    const viaGuide = report.rows.filter((r) => r.source === "Role mapping 'guide'");
    // en-US: "admins" < "Data", so Data (later) wins; in byte order "Data" < "admins".
    expect(viaGuide.map((r) => `${r.person} ${r.grant} via ${r.via}`)).toEqual(["both d-role via Data", "only-admins a-role via admins"]);
    expect(viaGuide[0]!.reason).toContain("depends on the database's collation (with byte order, group 'admins'");
    expect(viaGuide[1]!.reason).not.toContain("collation");
    expect(report.notes.find((n) => n.includes("collation"))).toContain("1 person is in both group 'Data' and group 'admins'");
  });

  it("a static mapping goes to every group that may sign in; an unreadable one is reported with its reason and line", () => {
    const l = live();
    l.roleMappings.push({ name: "static", expression: `return "arn:aws:iam::${PROD}:role/ops,arn:aws:iam::${PROD}:saml-provider/authentik"` });
    l.roleMappings.push({ name: "clever", expression: `roles = []\nfor g in user.all_groups():\n    roles.append(g.name)\nreturn roles` });
    const { report } = rowsOf(l);
    expect(report.rows.filter((r) => r.grant === "ops").map((r) => `${r.person} via ${r.via}`)).toEqual(["vera via aws-admins", "walt via engineers", "xia via data-eng"]);
    expect(report.unlisted).toEqual([{ source: "Role mapping 'clever'", reason: expect.stringContaining("cannot be listed"), line: expect.any(Number) }]);
    expect(report.summary.unlisted).toBe(1);
  });

  it("a trust policy trusts a SAML provider only with an Allow of sts:AssumeRoleWithSAML for it", () => {
    const provider = `arn:aws:iam::${PROD}:saml-provider/authentik`;
    const st = (s: Record<string, unknown>) => ({ Version: "2012-10-17", Statement: [s] });
    expect(trustsSamlProvider(st({ Effect: "Allow", Principal: { Federated: provider }, Action: "sts:AssumeRoleWithSAML" }), provider)).toBe(true);
    expect(trustsSamlProvider(st({ Effect: "Allow", Principal: { Federated: [provider, "x"] }, Action: ["sts:AssumeRoleWithSAML", "sts:TagSession"] }), provider)).toBe(true);
    expect(trustsSamlProvider(st({ Effect: "Deny", Principal: { Federated: provider }, Action: "sts:AssumeRoleWithSAML" }), provider)).toBe(false);
    expect(trustsSamlProvider(st({ Effect: "Allow", Principal: { Federated: `${provider}2` }, Action: "sts:AssumeRoleWithSAML" }), provider)).toBe(false);
    expect(trustsSamlProvider(st({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "sts:AssumeRole" }), provider)).toBe(false);
    expect(trustsSamlProvider(null, provider)).toBe(false);
  });

  it("no application: no grants, and a note", () => {
    const { report } = rowsOf(live({ application: undefined }));
    expect(report.rows).toEqual([]);
    expect(report.notes[0]).toContain("no application 'aws'");
  });
});

describe("identity-center grants from live IAM Identity Center", () => {
  const own = { "managed-by": "authentik-aws-gitops", "managed-by-config": "aws-identity-center" };
  const icLive = (): IdentityCenterAccessLive => ({
    permissionSets: [
      { arn: "arn:ps/admin", name: "AdministratorAccess", tags: own },
      { arn: "arn:ps/other", name: "Other", tags: { ...own, "managed-by-config": "another-app" } },
    ],
    groups: [
      { id: "g1", name: "aws-admins" },
      { id: "g2", name: "ops" },
    ],
    users: [
      { id: "u1", username: "ann", email: "ann@example.com" },
      { id: "u2", username: "bob" },
    ],
    memberships: { g1: ["u1"], g2: ["u1", "u2"] },
    assignments: [
      { principalType: "GROUP", principalId: "g1", permissionSetArn: "arn:ps/admin", accountId: PROD },
      { principalType: "GROUP", principalId: "g1", permissionSetArn: "arn:ps/admin", accountId: PROD }, // a copy
      { principalType: "GROUP", principalId: "g2", permissionSetArn: "arn:ps/admin", accountId: PROD },
      { principalType: "GROUP", principalId: "g2", permissionSetArn: "arn:ps/other", accountId: DEV },
      { principalType: "USER", principalId: "u2", permissionSetArn: "arn:ps/admin", accountId: DEV },
    ],
    ouAccounts: new Map(),
  });

  it("managed only when the permission set is this configuration's and the assignment declared", () => {
    const a = identityCenterAccess(icLive(), ic);
    const report = buildAccessReport(snapshot(a.grants, { mode: "identity-center" }), { people: "names", tool: TOOL, generatedAt: AT });
    expect(report.rows.map((r) => `${r.person} ${r.grant}@${r.account} via ${r.via} ${r.managed ? "managed" : r.reason}`)).toEqual([
      "ann AdministratorAccess@prod via aws-admins managed",
      "ann AdministratorAccess@prod via ops the configuration does not assign AdministratorAccess to group 'ops' in this account: the assignment was made by hand",
      "ann Other@dev via ops the permission set is not this configuration's: it belongs to another configuration: authentik application 'another-app' (tag managed-by-config=another-app)",
      "bob AdministratorAccess@dev via (direct assignment) assigned directly to a user (the tool only assigns groups)",
      "bob AdministratorAccess@prod via ops the configuration does not assign AdministratorAccess to group 'ops' in this account: the assignment was made by hand",
      "bob Other@dev via ops the permission set is not this configuration's: it belongs to another configuration: authentik application 'another-app' (tag managed-by-config=another-app)",
    ]);
    expect(report.summary).toMatchObject({ people: 2, grants: 4, managedGrants: 1, unmanagedGrants: 3 });
  });
});

describe("the report and its formats", () => {
  const hostile: GroupGrant = {
    via: "<img src=x onerror=alert(1)> | @org/team",
    viaKind: "group",
    grant: "=HYPERLINK(\"http://evil\")",
    grantKind: "role",
    accountId: PROD,
    managed: false,
    reason: "made, by hand\nsecond line",
    source: 'entitlement "x"',
    people: [{ username: "-cmd", email: "+1@example.com" }, { username: "@sum" }],
  };

  it("JSON: a versioned shape, sorted rows, and people only as review.people allows", () => {
    const names = buildAccessReport(snapshot([hostile]), { people: "names", tool: TOOL, generatedAt: AT });
    const json = JSON.parse(renderAccessJson(names));
    expect(Object.keys(json)).toEqual(["version", "kind", "tool", "generatedAt", "mode", "config", "application", "people", "peopleSource", "summary", "rows", "grants", "unlisted", "notes"]);
    expect(json).toMatchObject({ version: 1, kind: "access-report", generatedAt: AT, summary: { people: 2, rows: 2, grants: 1, managedGrants: 0, unmanagedGrants: 1, unlisted: 0, rolesNotUsable: 0 } });
    expect(json.rows.map((r: { person: string }) => r.person)).toEqual(["-cmd", "@sum"]);
    expect(json.rows[0]).toEqual({
      person: "-cmd",
      email: "+1@example.com",
      grant: hostile.grant,
      grantKind: "role",
      account: "prod",
      accountId: PROD,
      via: hostile.via,
      managed: false,
      reason: hostile.reason,
      source: hostile.source,
      awsRole: "not-checked",
    });
    const count = buildAccessReport(snapshot([hostile]), { people: "count", tool: TOOL, generatedAt: AT });
    expect(count.rows).toEqual([]);
    expect(count.grants[0]!.people).toBe(2);
    expect(renderAccessJson(count)).not.toContain("-cmd");
    const off = buildAccessReport(snapshot([hostile]), { people: "off", tool: TOOL, generatedAt: AT });
    expect(off.grants[0]!.people).toBeNull();
    expect(off.summary.people).toBeNull();
  });

  it("merges the same grant made twice into one, people once", () => {
    const r = buildAccessReport(snapshot([hostile, { ...hostile, people: [{ username: "@sum" }, { username: "zed" }] }]), { people: "names", tool: TOOL, generatedAt: AT });
    expect(r.grants).toHaveLength(1);
    expect(r.rows.map((x) => x.person)).toEqual(["-cmd", "@sum", "zed"]);
  });

  it("CSV: RFC 4180 quoting, CRLF, and no cell a spreadsheet would run as a formula", () => {
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField("=1+2")).toBe("'=1+2");
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("-1")).toBe("'-1");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\t=1")).toBe("'\t=1");
    expect(csvField("admin@prod")).toBe("admin@prod");
    expect(csvField(null)).toBe("");
    expect(csvField("\u001b[31mred")).toBe("\\u001b[31mred");
    const csv = renderAccessCsv(buildAccessReport(snapshot([hostile], { unlisted: [{ source: "Role mapping 'm'", reason: "=cannot", line: 2 }] }), { people: "names", tool: TOOL, generatedAt: AT }));
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe("person,email,grant,grant_kind,account,account_id,via_group,managed,not_managed_because,source,aws_role");
    expect(lines[1]).toBe(`'-cmd,'+1@example.com,"'=HYPERLINK(""http://evil"")",role,prod,${PROD},<img src=x onerror=alert(1)> | @org/team,no,"made, by hand\nsecond line","entitlement ""x""",not-checked`);
    expect(csv).toContain(`(not listed),,,,,,,unknown,'=cannot (line 2),Role mapping 'm',\r\n`);
    const counted = renderAccessCsv(buildAccessReport(snapshot([hostile]), { people: "count", tool: TOOL, generatedAt: AT }));
    expect(counted.split("\r\n")[0]).toBe("grant,grant_kind,account,account_id,via_group,people,managed,not_managed_because,source,aws_role");
    expect(counted).not.toContain("-cmd");
  });

  it("markdown: names escaped (no HTML, no mentions, no table breaks), counts, and cut to a size limit saying so", () => {
    const r = buildAccessReport(snapshot([hostile]), { people: "names", tool: TOOL, generatedAt: AT });
    const md = renderAccessMarkdown(r);
    expect(md).toContain("### authentik-aws-gitops access report: `aws-access.yaml`");
    expect(md).toContain("**2** people, **1** grant (0 managed, 1 not managed by this configuration)");
    expect(md).not.toContain("<img");
    // "|" escaped for the text and again for the table cell, as in the plan comment (GFM unescapes the cell first).
    expect(md).toContain("&lt;img src=x onerror=alert\\(1\\)&gt; \\\\| <code>@org/team</code>");
    expect(md).toContain("| <code>@sum</code> |");
    expect(md).toContain("made, by hand<br>second line");
    expect(md).toContain("\\-cmd");
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...hostile, via: `group-${String(i).padStart(4, "0")}`, people: [{ username: `user-${i}` }] }));
    const big = buildAccessReport(snapshot(many), { people: "names", tool: TOOL, generatedAt: AT });
    const cut = renderAccessMarkdown(big, { maxLength: 50_000, fullReportHint: "the full report is in the report-file output" });
    expect(cut.length).toBeLessThanOrEqual(50_000);
    expect(cut).toMatch(/… \d+ more lines cut to fit the size limit; the full report is in the report-file output\./);
  });

  it("markdown fitted to GitHub's 1 MiB job summary in bytes, names of three bytes a character", () => {
    const many = Array.from({ length: 20_000 }, (_, i) => ({ ...hostile, via: `グループ-${i}`, people: [{ username: `利用者-${i}-${"名".repeat(20)}` }] }));
    const big = buildAccessReport(snapshot(many), { people: "names", tool: TOOL, generatedAt: AT });
    const md = fitBytes(JOB_SUMMARY_LIMIT_BYTES, (maxLength) => renderAccessMarkdown(big, { maxLength, fullReportHint: "see report-file" }));
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(JOB_SUMMARY_LIMIT_BYTES);
    expect(Buffer.byteLength(md)).toBeGreaterThan(JOB_SUMMARY_LIMIT_BYTES * 0.8);
    expect(md).toContain("more lines cut to fit the size limit; see report-file.");
  });
});
