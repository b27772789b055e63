// mode: report — the bundled Action (dist/index.js on Node 24, as the runner runs it)
// writes each configuration's access report to the job summary and to the file in its
// report-file output, and writes nothing to GitHub and nothing to authentik or AWS.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessReport } from "../../src/report/types.js";
import { example, startPeers, TOKEN, type Peers } from "../integration/harness.js";
import { syntheticSha } from "../peers/github/events.js";
import { type GitHubPeer, startGitHubPeer } from "../peers/github/peer.js";
import { node24Binary, runAction } from "./runner.js";

const REPO = "acme/aws-access";
const PROD = "111111111111";
let peers: Peers;
let gh: GitHubPeer;

function awsEnv(): NodeJS.ProcessEnv {
  const { AUTHENTIK_TOKEN: _t, AUTHENTIK_URL: _u, ...aws } = peers.env;
  return aws;
}

async function report(extra: Record<string, string> = {}) {
  const ghBefore = (await gh.control.requests()).length;
  const akBefore = (await peers.authentik.control.requests()).length;
  const r = await runAction({
    workspace: peers.dir,
    event: await gh.control.scheduleEvent({ repo: REPO, cron: "23 7 * * 1", sha: syntheticSha("main") }),
    inputs: { config: "aws-access.yaml", mode: "report", "github-token": "ghs_default", "authentik-url": peers.authentik.url, "authentik-token": TOKEN, ...extra },
    env: awsEnv(),
    apiUrl: gh.url,
  });
  const github = (await gh.control.requests()).slice(ghBefore);
  const authentik = (await peers.authentik.control.requests()).slice(akBefore);
  return { r, github, authentikWrites: authentik.filter((q) => !["GET", "HEAD"].includes(q.method)) };
}

beforeAll(async () => {
  node24Binary();
  [peers, gh] = await Promise.all([startPeers(["aws-admins", "engineers", "data-eng"]), startGitHubPeer({ ghs_default: { login: "github-actions[bot]", type: "Bot" } })]);
  await gh.control.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
  const groups = (await peers.ak("GET", "/core/groups/?page_size=100")).results as { pk: string; name: string }[];
  const pk = (name: string) => groups.find((g) => g.name === name)!.pk;
  await peers.ak("POST", "/core/users/", { username: "vera.admin", name: "Vera", email: "vera@example.com", groups: [pk("aws-admins")] });
  await peers.ak("POST", "/core/users/", { username: "walt.engineer", name: "Walt", groups: [pk("engineers")] });
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
  await peers.ak("POST", "/policies/bindings/", { target: e.pbm_uuid, group: pk("engineers"), order: 0 });
}, 600_000);

afterAll(async () => {
  try {
    if (gh) expect(await gh.control.invalidRequests()).toEqual([]);
    if (peers) expect(await peers.authentik.control.invalidRequests()).toEqual([]);
  } finally {
    await Promise.all([gh?.stop(), peers?.stop()]);
  }
});

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
