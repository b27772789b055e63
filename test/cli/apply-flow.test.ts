/**
 * The CLI's side of plan and apply with the engine replaced by a fake: when it
 * asks for confirmation, when it refuses, and how it prints what the engine
 * reports. (The engine against real peers is tested under test/integration.)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import type { Change, Plan } from "../../src/plan/types.js";

const engine = vi.hoisted(() => ({ createPlan: vi.fn(), apply: vi.fn() }));

vi.mock("../../src/engine.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/engine.js")>()),
  createPlan: engine.createPlan,
}));

const { main } = await import("../../src/cli/main.js");
const { PlanError } = await import("../../src/engine.js");

const root = path.join(import.meta.dirname, "..", "..");
const config = path.join(root, "examples", "classic-iam.yaml");

const change: Change = {
  address: "aws.iam.role[prod:/authentik/admin]",
  type: "aws.iam.role",
  system: "aws",
  account: "prod",
  title: "IAM role /authentik/admin in prod (111111111111)",
  action: "create",
  reason: "does not exist in account prod",
  before: null,
  after: { name: "admin" },
  fields: [],
  dependsOn: [],
};

const plan: Plan = {
  version: 1,
  tool: { name: "authentik-aws-gitops", version: "0.1.0" },
  mode: "classic-iam",
  config,
  hash: "b".repeat(64),
  summary: { create: 1, update: 0, delete: 0, replace: 0 },
  access: [],
  changes: [change],
  notPruned: [],
  warnings: [],
  manualSteps: [],
};

async function run(argv: string[], options: { tty?: boolean; answer?: string } = {}) {
  let stdout = "";
  let stderr = "";
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  if (options.answer !== undefined) stdin.end(`${options.answer}\n`);
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin,
    env: {},
    cwd: root,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function savedPlan(p: Plan = plan): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "aag-flow-")), "plan.json");
  writeFileSync(file, JSON.stringify(p));
  return file;
}

beforeEach(() => {
  engine.createPlan.mockReset();
  engine.apply.mockReset();
  engine.createPlan.mockImplementation(async () => ({
    plan,
    apply: engine.apply.mockResolvedValue({ applied: [change], failed: [], skipped: [] }),
    requestCounts: () => ({ authentik: 0, aws: 0 }),
  }));
});

describe("apply: confirmation", () => {
  it("without a terminal and without --auto-approve refuses before reading any live state", async () => {
    const r = await run(["apply", "-c", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: apply asks for confirmation, but standard input is not a terminal: pass --auto-approve to apply without asking (as in CI), run it in a terminal, or apply a reviewed plan with --plan FILE\n",
    );
    expect(r.stdout).toBe("");
    expect(engine.createPlan).not.toHaveBeenCalled();
  });

  it("applies with --auto-approve without a terminal", async () => {
    const r = await run(["apply", "-c", config, "--auto-approve"]);
    expect(r.code).toBe(0);
    expect(engine.apply).toHaveBeenCalledOnce();
    expect(r.stdout).toContain("Apply complete: 1 created");
  });

  it("asks on a terminal and applies only on 'yes'", async () => {
    const no = await run(["apply", "-c", config], { tty: true, answer: "y" });
    expect(no.code).toBe(1);
    expect(no.stdout).toContain("Only 'yes' will be accepted");
    expect(no.stderr).toContain("Apply cancelled; nothing was changed.");
    expect(engine.apply).not.toHaveBeenCalled();
    const yes = await run(["apply", "-c", config], { tty: true, answer: "yes" });
    expect(yes.code).toBe(0);
    expect(engine.apply).toHaveBeenCalledOnce();
  });

  it("applies a saved plan without asking, as terraform applies a plan file: the plan was the review", async () => {
    const file = savedPlan();
    for (const tty of [false, true]) {
      engine.apply.mockClear();
      const r = await run(["apply", "-c", config, "--plan", file], { tty });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain("Only 'yes' will be accepted");
      expect(engine.apply).toHaveBeenCalledOnce();
    }
  });

  it("refuses a saved plan that no longer matches, whatever the flags", async () => {
    const file = savedPlan({ ...plan, hash: "c".repeat(64) });
    const r = await run(["apply", "-c", config, "--plan", file, "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no longer matches");
    expect(engine.apply).not.toHaveBeenCalled();
  });
});
