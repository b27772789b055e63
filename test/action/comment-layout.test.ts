// The plan comment a reviewer reads, as the shipped Action posts it (dist/index.js under
// Node 24, against the peers): thirty groups gaining one role in two accounts read as one
// grouped row, one risk row per rule and grant, a short hidden data line — and apply
// still proves it applies what was reviewed.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import { actionBench } from "../support/action.js";
import { example, type Peers } from "../support/peers.js";

const TEAMS = Array.from({ length: 30 }, (_, i) => `team-${String(i + 1).padStart(2, "0")}`);
const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng", ...TEAMS], inputs: { "require-reviewed-plan": "true" } });
let peers: Peers;
const baseConfig = example("classic-iam.yaml");
const withTeams = baseConfig.replace("\noptions:", `\n${TEAMS.map((t) => `  - { group: ${t}, roles: [readonly] }`).join("\n")}\n\noptions:`);

beforeAll(async () => {
  ({ peers } = await bench.start());
  const pks = await peers.groupPks();
  // Two people in each team: sixty in all.
  for (const [i, team] of TEAMS.entries()) {
    for (const n of [1, 2]) {
      const username = `${team}-p${n}`;
      await peers.ak("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: [pks[team]], type: "internal" });
    }
    void i;
  }
  peers.writeConfig("aws-access.yaml", baseConfig);
  const applied = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"]);
  expect(applied.code, applied.stderr).toBe(0);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

/** The access table's rows (between the "Access changes" heading and the next heading). */
function accessRows(body: string): string[] {
  const start = body.indexOf("#### Access changes");
  const end = body.indexOf("\n####", start + 1);
  return body.slice(start, end).split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---") && !/^\| (Change|Who) /.test(l));
}

describe("thirty groups gaining one role in two accounts, through the shipped Action", () => {
  it("posts one grouped access row, one risk row per rule and grant, a short data line, and apply still checks the hash", async () => {
    peers.writeConfig("aws-access.yaml", withTeams);
    const r = await bench.act(await bench.openPull(20));
    expect(r.code, r.stdout).toBe(0);
    const [comment] = await bench.comments(20);
    const body = comment!.body;
    // The whole plan as a file output, which a cut comment points to.
    expect(readFileSync(r.outputs["plan-markdown"]!, "utf8")).toContain("#### Access changes");
    expect([...body].length).toBeLessThanOrEqual(65_536);

    // One row for the thirty groups, naming the role and both accounts, with the people counted once.
    const rows = accessRows(body);
    expect(rows.length).toBeLessThanOrEqual(10);
    const grouped = rows.find((l) => l.includes("30 groups"));
    expect(grouped, rows.join("\n")).toBeDefined();
    expect(grouped).toContain("`readonly`");
    expect(grouped).toMatch(/prod \(`111111111111`\)/);
    expect(grouped).toMatch(/dev \(`222222222222`\)/);
    expect(grouped).toContain("60 people");
    expect(body).toMatch(/\*\*60 people\*\* affected/);
    // Neutral markers: no colour on gains.
    expect(body).not.toContain("🟢");
    // Each team named once per grant in the access summary (the role's row and the application's), not once per account.
    const table = body.slice(body.indexOf("#### Access changes"), body.indexOf("#### Changes"));
    expect(table.match(/team-07(?!-)/g)).toHaveLength(2);
    // In classic-iam the application row does not speak of SCIM.
    expect(table).not.toContain("SCIM");

    // Risks: one row per rule and grant, with a count — not thirty identical rows.
    const riskRows = body.slice(body.indexOf("Risks"), body.indexOf("#### Access changes")).split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---") && !l.startsWith("| Severity"));
    const keys = riskRows.map((l) => l.split(" | ").slice(0, 2).join(" | "));
    expect(new Set(keys).size).toBe(keys.length);
    expect(riskRows.length).toBeLessThanOrEqual(6);

    // The hidden data line: the hash and short digests, a small part of the comment.
    const data = body.trimEnd().split("\n").at(-1)!;
    expect(data).toMatch(/^<!-- authentik-aws-gitops:data [A-Za-z0-9_-]+ -->$/);
    expect(data.length).toBeLessThan(body.length * 0.05);

    // Merged: apply proves it applies what was reviewed.
    const applied = await bench.act(await bench.merge(20, syntheticSha("merge-20"), syntheticSha("before-20")));
    expect(applied.code, applied.stdout).toBe(0);
    expect((await bench.comments(20))[0]!.body).toContain("✅ **Applied**");
  });

  it("a plan that changed after review is refused, and the short digests still say what changed", async () => {
    // Reviewed: team-30 stops having readonly (its three bindings deleted).
    const without = (teams: string[]) => teams.reduce((text, t) => text.replace(`  - { group: ${t}, roles: [readonly] }\n`, ""), withTeams);
    peers.writeConfig("aws-access.yaml", without(["team-30"]));
    const planned = await bench.act(await bench.openPull(21));
    expect(planned.code, planned.stdout).toBe(0);
    const [comment] = await bench.comments(21);
    expect(comment!.body).toContain("> **This plan deletes 3 objects** (marked `-` under Changes):");
    // Merged with team-29 dropped too: three deletions never reviewed.
    peers.writeConfig("aws-access.yaml", without(["team-30", "team-29"]));
    const merged = await bench.act(await bench.merge(21, syntheticSha("merge-21"), syntheticSha("before-21")));
    expect(merged.code).not.toBe(0);
    expect(merged.stdout).toContain("plan-changed");
    expect(merged.stdout).toContain("+ planned now, never reviewed: delete authentik.policy_binding[aws→group:team-29]");
    const status = (await bench.comments(21))[0]!.body;
    expect(status).toContain("**Plan changed** — not applied");
    expect(status).toContain("+ planned now, never reviewed: delete authentik.policy_binding[aws/readonly@prod→group:team-29]");
  });
});
