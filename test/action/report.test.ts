// mode: report — the bundled Action (dist/index.js on Node 24, as the runner runs it)
// writes each configuration's access report to the job summary and to the file in its
// report-file output, and writes nothing to GitHub and nothing to authentik or AWS.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessReport } from "../../src/report/types.js";
import { actionBench, writes } from "../support/action.js";
import { example, TOKEN, type Peers } from "../support/peers.js";

const PROD = "111111111111";
const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], inputs: { mode: "report" } });
let peers: Peers;

async function report(extra: Record<string, string> = {}) {
  const { result: r, github, authentik } = await bench.during(async () => bench.act(await bench.schedule("23 7 * * 1"), extra));
  return { r, github, authentikWrites: writes(authentik) };
}

beforeAll(async () => {
  ({ peers } = await bench.start());
  const pk = await peers.groupPks();
  await peers.ak("POST", "/core/users/", { username: "vera.admin", name: "Vera", email: "vera@example.com", groups: [pk["aws-admins"]] });
  await peers.ak("POST", "/core/users/", { username: "walt.engineer", name: "Walt", groups: [pk["engineers"]] });
  const config = peers.writeConfig("aws-access.yaml", example("classic-iam.yaml"));
  const applied = await peers.cli(["apply", "-c", config, "--auto-approve"]);
  expect(applied.code).toBe(0);
  // Access granted by hand: an entitlement the tool did not make, bound to engineers.
  const app = await peers.ak("GET", "/core/applications/aws/");
  const e = await peers.ak("POST", "/core/application_entitlements/", {
    name: "break-glass",
    app: app.pk,
    attributes: { aws_role_arn: `arn:aws:iam::${PROD}:role/break-glass`, aws_saml_provider_arn: `arn:aws:iam::${PROD}:saml-provider/authentik` },
  });
  await peers.ak("POST", "/policies/bindings/", { target: e.pbm_uuid, group: pk["engineers"], order: 0 });
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("mode: report", () => {
  it("writes the report to the job summary and a file (markdown by default), and nothing anywhere else", async () => {
    const { r, github, authentikWrites } = await report();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.summary).toContain("### authentik-aws-gitops access report: `aws-access.yaml`");
    expect(r.summary).toContain("| walt.engineer | break-glass | prod (`111111111111`) | engineers | ⚠️ no —");
    expect(r.summary).toContain("| vera.admin<br>vera<span>@</span>example.com | admin | prod (`111111111111`) | aws-admins | ✅ yes |");
    const file = r.outputs["report-file"]!;
    expect(file).toMatch(/aws-access\.yaml\.access\.md$/);
    expect(readFileSync(file, "utf8")).toContain("break-glass");
    expect(r.outputs.summary).toBe("aws-access.yaml: 2 people, 7 grants (1 not managed), 0 that cannot be listed");
    expect(github).toEqual([]); // no comment, no API call at all
    expect(authentikWrites).toEqual([]);
    // The token only in the runner's mask command, never in what it prints.
    expect(r.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::")).join("\n")).not.toContain(TOKEN);
  });

  it("report-format: json and csv write that format to the file; the summary stays markdown", async () => {
    const json = await report({ "report-format": "json" });
    expect(json.r.code).toBe(0);
    const parsed = JSON.parse(readFileSync(json.r.outputs["report-file"]!, "utf8")) as AccessReport;
    expect(parsed).toMatchObject({ version: 1, kind: "access-report", summary: { people: 2, unmanagedGrants: 1 } });
    expect(json.r.summary).toContain("#### Access by person");
    const csv = await report({ "report-format": "csv" });
    expect(readFileSync(csv.r.outputs["report-file"]!, "utf8").split("\r\n")[0]).toBe(
      "person,email,grant,grant_kind,account,account_id,via_group,managed,not_managed_because,source,aws_role",
    );
    const bad = await report({ "report-format": "xlsx" });
    expect(bad.r.code).not.toBe(0);
    expect(bad.r.stdout).toContain("report-format must be markdown, csv or json");
  });

  it("a configuration that cannot be reported fails the step, says why in the summary, and the others are still reported", async () => {
    const { r, github } = await report({ config: "aws-access.yaml\nmissing.yaml" });
    expect(r.code).not.toBe(0);
    expect(r.summary).toContain("### authentik-aws-gitops access report: `aws-access.yaml`");
    expect(r.summary).toContain("### authentik-aws-gitops access report: `missing.yaml`\n\n❌ Report failed.");
    expect(r.outputs["report-file"]!.split("\n")).toHaveLength(1);
    expect(r.outputs.summary).toContain("missing.yaml: failed");
    expect(r.stdout).toContain("::error::missing.yaml:");
    expect(github).toEqual([]);
  });
});
