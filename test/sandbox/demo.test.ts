import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { planHash } from "../../src/plan/compute-plan.js";
import { renderPlanJson } from "../../src/render/json.js";
import { runShown, writeComment } from "../../scripts/demo.js";

/**
 * What `npm run demo` shows of a plan, without its sandbox (the whole demo takes most of a
 * minute; test/sandbox/sandbox.test.ts runs the same cycle through the CLI): the plan as the
 * terminal prints it, and the pull-request comment written to a file named once. The
 * comment's HTML (folded people, code, anchors) is for GitHub and must never reach the
 * terminal. Runs the shipped CLI (lib/, built by `npm run build`).
 */
const tmp = mkdtempSync(path.join(tmpdir(), "aag-demo-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const engineers = Array.from({ length: 40 }, (_, i) => `eng${String(i + 1).padStart(2, "0")}`);
const changes: Plan["changes"] = [
  {
    address: "aws.iam.role[prod:/authentik/readonly]",
    type: "aws.iam.role",
    system: "aws",
    account: "prod",
    title: "IAM role readonly in prod",
    action: "create",
    reason: "does not exist in account prod",
    before: null,
    after: { name: "readonly", path: "/authentik/", max_session_duration: 3600 },
    fields: [],
    dependsOn: [],
  },
];
const plan: Plan = {
  version: 2,
  tool: { name: "authentik-aws-gitops", version: "0.1.0" },
  mode: "classic-iam",
  config: "aws-access.yaml",
  hash: planHash(changes),
  summary: { adopt: 0, create: 1, update: 0, delete: 0, replace: 0 },
  access: [
    { group: "engineers", grant: "readonly", account: "prod", accountId: "111111111111", change: "gained", people: { count: 40, names: engineers } },
    { group: "aws-admins", grant: "admin", account: "prod", accountId: "111111111111", change: "gained", people: { count: 2, names: ["alice", "bob"] } },
  ],
  permissions: [],
  risks: [],
  expiring: [],
  changes,
  notPruned: [],
  warnings: [],
  manualSteps: [],
};

/** A line of HTML as the comment carries it: an element GitHub renders, or a comment. */
const RAW_HTML = /<\/?(details|summary|code|a|br|sub|sup)\b|<!--/;

describe("npm run demo: what it shows of a plan", () => {
  it("the terminal rendering on the terminal; the pull-request comment in a file, its path printed once", async () => {
    const saved = path.join(tmp, "classic-iam.yaml.plan.json");
    writeFileSync(saved, renderPlanJson(plan));
    const comment = path.join(tmp, "comments", "classic-iam.plan.md");
    const shown: string[] = [];
    const print = (text: string) => shown.push(...text.split("\n"));
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };

    // Step 2 of the demo, with the saved plan shown as `plan --out` prints it.
    expect(await runShown(["show", saved], env, { print, color: false })).toBe(0);
    expect(await writeComment(saved, comment, env, print)).toBe(true);

    // The comment is what GitHub renders, HTML included (this is what the terminal is spared).
    const markdown = readFileSync(comment, "utf8");
    expect(markdown).toMatch(RAW_HTML);
    expect(markdown).toContain("<details><summary>40 people</summary>");

    expect(shown.filter((line) => RAW_HTML.test(line))).toEqual([]);
    expect(shown).toContain("Plan: 1 to create, 0 to update, 0 to delete.");
    expect(shown.filter((line) => line.includes("eng01"))).not.toEqual([]);
    expect(shown.filter((line) => line.includes(comment))).toEqual([`the pull-request comment (markdown, as \`plan --format markdown\` writes it): ${comment}`]);
    // Nothing of the comment itself: no markdown headings, tables or emphasis.
    expect(shown.filter((line) => /^(#{1,6} |\| |\*\*)/.test(line))).toEqual([]);
  });
});
