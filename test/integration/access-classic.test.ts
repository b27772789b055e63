// The access report (`access`) for classic-iam, end to end: the shipped CLI in a child
// process against moto_server and the authentik emulator, after an apply, with access
// added by hand (an entitlement and its binding, and Role mappings on the provider in
// the guide's style and in one the reader cannot follow).
import { readFileSync } from "node:fs";
import { IAMClient, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessReport } from "../../src/report/types.js";
import { example, startPeers, type Peers } from "../support/peers.js";

const PROD = "111111111111";
const DEV = "222222222222";
const ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role";

let peers: Peers;
let config: string;
const base = example("classic-iam.yaml");
const users: Record<string, number> = {};

async function access(file: string, format: "json" | "csv" | "markdown", extra: string[] = []) {
  const r = await peers.cli(["access", "-c", file, "--format", format, ...extra]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}
const report = async (file = config) => JSON.parse(await access(file, "json")) as AccessReport;
const line = (r: AccessReport["rows"][number]) => `${r.person} ${r.grant}@${r.account} via ${r.via} ${r.managed ? "managed" : "by hand"} (${r.source})`;

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng", "outsiders"]);
  const groups = await peers.groupPks();
  const pk = (name: string) => groups[name]!;
  const interns = await peers.ak("POST", "/core/groups/", { name: "data-eng-interns", parents: [pk("data-eng")] });
  const user = async (username: string, group: string, email?: string) => {
    users[username] = (await peers.ak("POST", "/core/users/", { username, name: username, groups: [group], ...(email ? { email } : {}) })).pk;
  };
  await user("vera.admin", pk("aws-admins"), "vera@example.com");
  await user("zoe.dataeng", pk("data-eng"));
  await user("xia.intern", interns.pk);
  await user("walt.engineer", pk("engineers"));
  // In no group the application lets in: holds nothing, whatever a Role mapping says.
  await user("olga.outsider", pk("outsiders"));
  config = peers.writeConfig("aws-access.yaml", base);
  const r = await peers.cli(["apply", "-c", config, "--auto-approve"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
});

afterAll(() => peers.stopAfterChecks());

describe("access report, classic-iam", () => {
  it("after an apply: every person × role × account, people of child groups included, all managed", async () => {
    const r = await report();
    expect(r).toMatchObject({ version: 1, kind: "access-report", mode: "classic-iam", application: "aws", people: "names", unlisted: [] });
    expect(r.rows.map(line)).toEqual([
      `vera.admin admin@dev via aws-admins managed (entitlement "admin@dev")`,
      `vera.admin admin@prod via aws-admins managed (entitlement "admin@prod")`,
      `walt.engineer readonly@dev via engineers managed (entitlement "readonly@dev")`,
      `walt.engineer readonly@prod via engineers managed (entitlement "readonly@prod")`,
      `xia.intern data-engineer@dev via data-eng managed (entitlement "data-engineer@dev")`,
      `xia.intern readonly@dev via data-eng managed (entitlement "readonly@dev")`,
      `zoe.dataeng data-engineer@dev via data-eng managed (entitlement "data-engineer@dev")`,
      `zoe.dataeng readonly@dev via data-eng managed (entitlement "readonly@dev")`,
    ]);
    expect(r.rows[0]).toMatchObject({ email: "vera@example.com", accountId: DEV, grantKind: "role", reason: null });
    expect(r.summary).toMatchObject({ people: 4, rows: 8, grants: 6, managedGrants: 6, unmanagedGrants: 0, unlisted: 0 });
  });

  it("lists access granted by hand — an entitlement and its binding, Role mappings on the provider — marked, and says what it cannot list", async () => {
    const groups = await peers.groupPks();
    const pk = (name: string) => groups[name]!;
    const app = await peers.ak("GET", "/core/applications/aws/");
    // An entitlement made by hand (no managed_by), bound to engineers.
    const breakGlass = await peers.ak("POST", "/core/application_entitlements/", {
      name: "break-glass",
      app: app.pk,
      attributes: { aws_role_arn: `arn:aws:iam::${PROD}:role/break-glass`, aws_saml_provider_arn: `arn:aws:iam::${PROD}:saml-provider/authentik` },
    });
    await peers.ak("POST", "/policies/bindings/", { target: breakGlass.pbm_uuid, group: pk("engineers"), order: 0 });
    // A group binding on the tool's entitlement the configuration does not declare.
    const entitlements = (await peers.ak("GET", `/core/application_entitlements/?app=${app.pk}&page_size=100`)).results as { pbm_uuid: string; name: string }[];
    await peers.ak("POST", "/policies/bindings/", { target: entitlements.find((e) => e.name === "admin@prod")!.pbm_uuid, group: pk("engineers"), order: 1 });

    // The guide's group-attribute style: data-eng (and so its child group) carries aws_role.
    await peers.ak("PATCH", `/core/groups/${pk("data-eng")}/`, { attributes: { aws_role: "legacy-dev" } });
    await peers.ak("PATCH", `/core/groups/${pk("outsiders")}/`, { attributes: { aws_role: "outsider" } });
    const guide = await peers.ak("POST", "/propertymappings/provider/saml/", {
      name: "AWS Role (by hand)",
      saml_name: ROLE_ATTRIBUTE,
      expression: `role_name = user.group_attributes().get("aws_role", "")\nreturn f"arn:aws:iam::${DEV}:role/{role_name},arn:aws:iam::${DEV}:saml-provider/authentik"\n`,
    });
    const odd = await peers.ak("POST", "/propertymappings/provider/saml/", {
      name: "AWS Role (clever)",
      saml_name: ROLE_ATTRIBUTE,
      expression: `return [g.attributes.get("arn") for g in request.user.all_groups()]\n`,
    });
    const provider = ((await peers.ak("GET", "/providers/saml/?page_size=100")).results as { pk: number; name: string; property_mappings: string[] }[]).find((p) => p.name === "aws")!;
    await peers.ak("PATCH", `/providers/saml/${provider.pk}/`, { property_mappings: [...provider.property_mappings, guide.pk, odd.pk] });

    // A role whose trust someone narrowed by hand to another identity provider: the grant gives nothing in AWS.
    await new IAMClient(peers.aws(PROD)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::${PROD}:saml-provider/other` }, Action: "sts:AssumeRoleWithSAML" }],
        }),
      }),
    );

    const r = await report();
    // What IAM says of each role: the tool's exist and trust authentik; the hand-made ones name no role.
    const role = (person: string, grant: string, account: string) => r.rows.find((x) => x.person === person && x.grant === grant && x.account === account)!.awsRole;
    expect(role("vera.admin", "admin", "prod")).toBe("trusted");
    expect(role("walt.engineer", "readonly", "prod")).toBe("not-trusted");
    expect(role("walt.engineer", "break-glass", "prod")).toBe("missing");
    expect(role("zoe.dataeng", "legacy-dev", "dev")).toBe("missing");
    expect(r.summary.rolesNotUsable).toBe(4); // break-glass, readonly@prod, legacy-dev, outsider
    const byHand = r.rows.filter((x) => !x.managed).map(line);
    expect(byHand).toEqual([
      `walt.engineer admin@prod via engineers by hand (entitlement "admin@prod")`,
      `walt.engineer break-glass@prod via engineers by hand (entitlement "break-glass")`,
      `xia.intern legacy-dev@dev via data-eng by hand (Role mapping 'AWS Role (by hand)')`,
      `zoe.dataeng legacy-dev@dev via data-eng by hand (Role mapping 'AWS Role (by hand)')`,
    ]);
    const reasons = Object.fromEntries(r.rows.filter((x) => !x.managed).map((x) => [`${x.grant}`, x.reason]));
    expect(reasons["break-glass"]).toContain("made by hand");
    expect(reasons["admin"]).toContain("does not map group 'engineers'");
    expect(reasons["legacy-dev"]).toContain("Role property mapping made by hand");
    // Nobody outside the application's groups appears, whatever their group attributes say.
    expect(r.rows.map((x) => x.person)).not.toContain("olga.outsider");
    expect(r.unlisted).toEqual([{ source: "Role mapping 'AWS Role (clever)'", reason: expect.stringContaining("cannot be listed"), line: 1 }]);

    // What the report says the guide's mapping sends is what authentik's evaluation of it sends.
    for (const [username, expected] of [
      ["zoe.dataeng", `arn:aws:iam::${DEV}:role/legacy-dev`],
      ["olga.outsider", `arn:aws:iam::${DEV}:role/outsider`],
    ] as const) {
      const t = await peers.ak("POST", `/propertymappings/all/${guide.pk}/test/`, { user: users[username] });
      expect(t.successful).toBe(true);
      expect(String(t.result)).toContain(expected);
    }

    const md = await access(config, "markdown");
    expect(md).toContain(`### authentik-aws-gitops access report: \`${config}\``);
    expect(md).toContain("Access that cannot be listed (1)");
    expect(md).toContain("Role mapping 'AWS Role \\(clever\\)'");
    expect(md).toContain("| walt.engineer | break-glass | prod (`111111111111`) | engineers | ⚠️ no —");
    expect(md).toContain("> [!WARNING]");

    const out = path.join(peers.dir, "access.csv");
    const csv = await access(config, "csv", ["--out", out]);
    expect(readFileSync(out, "utf8")).toBe(csv);
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe("person,email,grant,grant_kind,account,account_id,via_group,managed,not_managed_because,source,aws_role");
    expect(lines).toContain(`vera.admin,vera@example.com,admin,role,prod,${PROD},aws-admins,yes,,"entitlement ""admin@prod""",trusted`);
    expect(lines.some((l) => l.startsWith("(not listed),") && l.includes("AWS Role (clever)"))).toBe(true);
  });

  it("review.people: count shows no user name, only how many hold each grant", async () => {
    const file = peers.writeConfig("count.yaml", `${base}\nreview:\n  people: count\n`);
    for (const format of ["json", "csv", "markdown"] as const) {
      const text = await access(file, format);
      for (const name of ["vera.admin", "zoe.dataeng", "xia.intern", "walt.engineer", "vera@example.com"]) expect(text).not.toContain(name);
    }
    const r = await report(file);
    expect(r.rows).toEqual([]);
    expect(r.grants.find((g) => g.grant === "readonly" && g.account === "dev" && g.via === "data-eng")).toMatchObject({ people: 2, managed: true });
  });

  it("fails with exit 1 and the project's error format, printing no secret", async () => {
    const r = await peers.cli(["access", "-c", config], { AUTHENTIK_TOKEN: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: AUTHENTIK_TOKEN is not set/);
    const bad = await peers.cli(["access", "-c", config, "--format", "xml"]);
    expect(bad.code).toBe(1);
  });
});
