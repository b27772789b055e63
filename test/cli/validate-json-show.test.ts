import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { styler } from "../../src/render/terminal-style.js";
import { validateConfigFile } from "../../src/config/load-config.js";
import { planHash } from "../../src/plan/compute-plan.js";
import type { Expiry, Plan } from "../../src/domain/plan-types.js";
import { renderPlanJson } from "../../src/render/json.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";
import { runCli, runCliProcess } from "../support/run-cli.js";

const root = path.join(import.meta.dirname, "..", "..");
const fixture = (name: string) => path.join(root, "test", "fixtures", "invalid", name);
const example = (name: string) => path.join(root, "examples", name);
const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runCli(argv, env, root);
const tmp = mkdtempSync(path.join(tmpdir(), "aag-show-"));

describe("validate --format json", () => {
  it("a valid file: a version-1 document on stdout, nothing on stderr, exit 0", async () => {
    const file = example("classic-iam.yaml");
    const r = await run(["validate", "-c", file, "--format", "json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ version: 1, files: [{ file, valid: true, diagnostics: [] }] });
  });

  it("several files: each with its diagnostics as validate finds them, exit 1 when one is invalid", async () => {
    const good = example("identity-center.yaml");
    const bad = fixture("06-typo-undefined-role-bad-account.yaml");
    const r = await run(["validate", "--format", "json", "-c", good, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout) as { version: number; files: { file: string; valid: boolean; diagnostics: Record<string, unknown>[] }[] };
    expect(doc.version).toBe(1);
    expect(doc.files.map((f) => [f.file, f.valid])).toEqual([
      [good, true],
      [bad, false],
    ]);
    const expected = (await validateConfigFile(bad)).diagnostics;
    expect(doc.files[1]!.diagnostics).toEqual(expected.map((d) => ({ ...d, path: [...d.path] })));
    for (const d of doc.files[1]!.diagnostics) expect(Object.keys(d)).toEqual(["severity", "message", "file", "line", "column", "path"]);
    expect(doc.files[1]!.diagnostics).toContainEqual({
      severity: "error",
      message: "mapping for group 'admins' names role 'admn', which is not defined in 'roles' — did you mean 'admin'?",
      file: bad,
      line: 14,
      column: 13,
      path: ["mappings", 0, "roles", 0],
    });
    // The text form of the same run says the same.
    const text = await run(["validate", "-c", good, bad]);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(`${bad}:14:13: error: mapping for group 'admins' names role 'admn'`);
  });

  it("a file that cannot be read is an invalid file in the document", async () => {
    const missing = path.join(tmp, "nope.yaml");
    const r = await run(["validate", "-c", missing, "--format", "json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).files).toEqual([
      { file: missing, valid: false, diagnostics: [{ severity: "error", message: "cannot read the configuration: no such file", file: missing, line: 1, column: 1, path: [] }] },
    ]);
  });

  it("control characters from the file are JSON escapes, and read back as they were", async () => {
    const file = fixture("65-name-with-ansi-escape.yaml");
    const r = await run(["validate", "-c", file, "--format", "json"]);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    const expected = (await validateConfigFile(file)).diagnostics.map((d) => d.message);
    expect(JSON.parse(r.stdout).files[0].diagnostics.map((d: { message: string }) => d.message)).toEqual(expected);
  });

  it("refuses another format, and says so in --help", async () => {
    const r = await run(["validate", "--format", "yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Allowed choices are text, json");
    expect((await run(["validate", "--help"])).stdout).toMatch(/--format <format>\s+output format: text .* or json/s);
  });
});

const past: Expiry = { value: "2026-11-30", endsAt: "2026-12-01T00:00:00.000Z", field: "mappings[2].expires", location: "aws-access.yaml:41:14" };
const changes: Plan["changes"] = [
  {
    address: "authentik.policy_binding[aws/data-engineer@dev→group:data-eng]",
    type: "authentik.policy_binding",
    system: "authentik",
    title: 'group "data-eng" → entitlement "data-engineer@dev"',
    action: "delete",
    reason: "expired on 2026-11-30 (mappings[2].expires, aws-access.yaml:41:14)",
    before: { order: 0 },
    after: null,
    fields: [],
    dependsOn: [],
    liveId: "b1",
    expired: past,
  },
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
  summary: { adopt: 0, create: 1, update: 0, delete: 1, replace: 0 },
  access: [
    { group: "data-eng", grant: "data-engineer", account: "dev", accountId: "222222222222", change: "lost", reason: "expired", expires: past },
    { group: "readers", grant: "readonly", account: "prod", accountId: "111111111111", change: "gained" },
  ],
  permissions: [],
  risks: [],
  expiring: [],
  changes,
  notPruned: [],
  warnings: ["a warning from the plan"],
  manualSteps: [],
};
const saved = path.join(tmp, "plan.json");
writeFileSync(saved, renderPlanJson(plan));

describe("show PLANFILE", () => {
  it("renders the saved plan as plan prints it, in each format, from the file alone", async () => {
    // No AUTHENTIK_URL, no AWS credentials, no configuration: nothing to read but the file.
    const text = await run(["show", saved]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("");
    expect(text.stdout).toBe(`${renderPlanText(plan, styler(false))}\n`);
    expect(text.stdout).toContain("a warning from the plan");
    const md = await run(["show", saved, "--format", "markdown"]);
    expect(md.code).toBe(0);
    expect(md.stdout).toBe(`${renderPlanMarkdown(plan)}\n`);
    const json = await run(["show", "--format", "json", saved]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(plan);
  });

  it("a file that is not a saved plan is a clear error, exit 1, and nothing on stdout", async () => {
    const cases: [string, string | undefined, string][] = [
      ["missing.json", undefined, "cannot read the saved plan FILE: no such file"],
      ["config.yaml", "version: 1\nmode: classic-iam\n", "the saved plan FILE is not usable: not a plan: the file is not valid JSON"],
      ["truncated.json", renderPlanJson(plan).slice(0, 200), "the saved plan FILE is not usable: not a plan: the file is not valid JSON"],
      ["v1.json", JSON.stringify({ ...plan, version: 1 }), "the saved plan FILE is not usable: unsupported plan version 1"],
      ["no-changes.json", JSON.stringify({ ...plan, changes: "none" }), "the saved plan FILE is not usable: not a valid plan of version 2:\n  - changes must be an array (got \"none\")"],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(tmp, name);
      if (content !== undefined) writeFileSync(file, content);
      const r = await run(["show", file]);
      expect(r.code, name).toBe(1);
      expect(r.stdout, name).toBe("");
      expect(r.stderr, name).toContain(`error: ${message.replace("FILE", file)}`);
      expect(r.stderr, name).not.toMatch(/\n\s+at /);
    }
    const folder = path.join(tmp, "a-folder");
    mkdirSync(folder);
    const r = await run(["show", folder]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot read the saved plan ${folder}: it is not a regular file (it is a folder)`);
  });

  it("warns when the changes in the file are not the ones its hash names", async () => {
    const edited = path.join(tmp, "edited.json");
    writeFileSync(edited, renderPlanJson({ ...plan, changes: plan.changes.slice(1) }));
    const r = await run(["show", edited]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: the saved plan ${edited} does not match its own hash (${plan.hash.slice(0, 12)}): its changes were edited after it was saved`);
  });

  it("needs the file, and says so in --help", async () => {
    const r = await run(["show"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("missing required argument 'planfile'");
    const help = await run(["show", "--help"]);
    expect(help.stdout).toContain("Usage: authentik-aws-gitops show [options] <planfile>");
    expect(help.stdout).toMatch(/choices: "text", "markdown", "json"/);
    expect((await run(["plan", "--help"])).stdout).toMatch(/--out <file>\s+also save the plan as JSON, for `apply --plan` and `show`/);
  });
});

describe("the installed bin", () => {
  it("validate --format json and show, each in its own process", async () => {
    const valid = await runCliProcess(["validate", "--format", "json", "-c", "examples/identity-center.yaml", fixture("11-mode-typo.yaml")], {}, root);
    expect(valid.code).toBe(1);
    expect(valid.stderr).toBe("");
    const doc = JSON.parse(valid.stdout) as { files: { valid: boolean; diagnostics: { message: string }[] }[] };
    expect(doc.files.map((f) => f.valid)).toEqual([true, false]);
    expect(doc.files[1]!.diagnostics.map((d) => d.message).join("\n")).toContain("did you mean 'classic-iam'?");
    const shown = await runCliProcess(["show", saved], {}, root);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(`${renderPlanText(plan, styler(false))}\n`);
    const broken = await runCliProcess(["show", path.join(tmp, "config.yaml")], {}, root);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("is not usable: not a plan");
  });
});
