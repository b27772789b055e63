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
import type { Change, Plan } from "../../src/domain/plan-types.js";
import type { VerifyFinding, VerifyReport } from "../../src/domain/verify.js";

const engine = vi.hoisted(() => ({ createPlan: vi.fn(), apply: vi.fn(), verify: vi.fn() }));

vi.mock("../../src/engine.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/engine.js")>()),
  createPlan: engine.createPlan,
}));
// The verify after apply, faked too: what the CLI makes of its outcome.
vi.mock("../../src/verify/after-apply.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/verify/after-apply.js")>()),
  verifyAfterApply: engine.verify,
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
  version: 2,
  tool: { name: "authentik-aws-gitops", version: "0.1.0" },
  mode: "classic-iam",
  config,
  hash: "b".repeat(64),
  summary: { adopt: 0, create: 1, update: 0, delete: 0, replace: 0 },
  access: [],
  permissions: [],
  risks: [],
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

const report = (findings: VerifyFinding[]): VerifyReport => ({
  version: 1,
  config,
  mode: "classic-iam",
  checkedAt: "2026-12-06T06:50:00.000Z",
  people: ["walt.engineer"],
  grantsChecked: 2,
  findings,
  notes: [],
  summary: { errors: findings.filter((f) => f.severity === "error").length, warnings: findings.filter((f) => f.severity === "warning").length },
});
const trustPolicy: VerifyFinding = {
  severity: "error",
  check: "trust-policy",
  subject: { kind: "person", name: "walt.engineer" },
  grant: "readonly",
  account: { alias: "prod", id: "111111111111" },
  reason: "its trust policy allows SAML:aud https://eu-central-1.signin.aws.amazon.com/saml only",
};

beforeEach(() => {
  engine.createPlan.mockReset();
  engine.apply.mockReset();
  engine.verify.mockReset();
  engine.verify.mockResolvedValue({ kind: "checked", scope: "shared-link", report: report([]) });
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

describe("apply: the verify after it (issue 21)", () => {
  it("runs after every apply that changed something, for everyone when the plan changed a shared link, and says it passed", async () => {
    const r = await run(["apply", "-c", config, "--auto-approve"]);
    expect(r.code).toBe(0);
    expect(engine.verify).toHaveBeenCalledOnce();
    expect(engine.verify.mock.calls[0]![2]).toEqual({ kind: "everyone", scope: "shared-link" });
    expect(r.stdout).toContain("Verifying the sign-ins of everyone with access…");
    expect(r.stdout).toContain("1 person checked, 2 sign-ins followed: every sign-in works as configured.");
    expect(r.stdout).toContain("verify passed: every sign-in of the people checked works as configured.");
    expect(r.stderr).toBe("");
  });

  it("a sign-in that does not work: exit 1 with one clear line naming the person, the grant and the link; the apply is not undone", async () => {
    engine.verify.mockResolvedValue({ kind: "checked", scope: "shared-link", report: report([trustPolicy]) });
    const r = await run(["apply", "-c", config, "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Apply complete: 1 created");
    expect(r.stdout).toContain("error trust-policy — readonly in prod (111111111111)");
    expect(r.stderr.split("\n")).toEqual([
      "error: apply complete; verify found 1 sign-in that does not work: walt.engineer — readonly in prod (111111111111): trust-policy",
      "The apply itself is complete and stays applied; the reasons above say what breaks each sign-in. (apply --no-verify skips this check.)",
      "",
    ]);
  });

  it("warnings alone pass, and say so", async () => {
    engine.verify.mockResolvedValue({ kind: "checked", scope: "shared-link", report: report([{ ...trustPolicy, severity: "warning", check: "certificate-expiry", reason: "expires soon" }]) });
    const r = await run(["apply", "-c", config, "--auto-approve"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("verify passed: every sign-in of the people checked works as configured (1 warning above).");
  });

  it("a verify that cannot run is a warning: the apply's exit code stands", async () => {
    engine.verify.mockResolvedValue({ kind: "not-run", reason: "authentik answered 503" });
    const r = await run(["apply", "-c", config, "--auto-approve"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("warning: the apply is complete, but verify could not run: authentik answered 503\n");
  });

  it("--no-verify skips it; --verify is accepted (it is the default); a plan without changes verifies nothing", async () => {
    const skipped = await run(["apply", "-c", config, "--auto-approve", "--no-verify"]);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).not.toContain("Verifying");
    expect(engine.verify).not.toHaveBeenCalled();
    expect((await run(["apply", "-c", config, "--auto-approve", "--verify"])).code).toBe(0);
    expect(engine.verify).toHaveBeenCalledOnce();
    engine.verify.mockClear();
    engine.createPlan.mockImplementation(async () => ({ plan: { ...plan, changes: [], summary: { ...plan.summary, create: 0 } }, apply: engine.apply, requestCounts: () => ({ authentik: 0, aws: 0 }) }));
    expect((await run(["apply", "-c", config, "--auto-approve"])).code).toBe(0);
    expect(engine.verify).not.toHaveBeenCalled();
  });

  it("the help says verify is the default and --no-verify skips it", async () => {
    const help = (await run(["apply", "--help"])).stdout;
    expect(help.replace(/\s+/g, " ")).toContain("--verify after applying, verify the sign-ins of the people the plan affected (as `verify` does) and exit 1 if one does not work — the default");
    expect(help).toMatch(/--no-verify\s+do not verify the sign-ins after applying/);
  });
});

describe("problems the engine reports", () => {
  it.each(["plan", "apply"])("%s prints them as FILE:LINE:COL: error: MESSAGE when they have a position, else error: MESSAGE", async (command) => {
    engine.createPlan.mockRejectedValue(
      new PlanError([
        { message: `${config}:27:5: authentik has no group named 'data-engineers'; groups are never created by this tool — create it in authentik or fix the name` },
        { address: "aws.iam.role[prod:/authentik/auditor]", message: "IAM role /Auditor in prod (111111111111) already exists and is not managed by authentik-aws-gitops" },
        { message: "authentik has no flow with slug 'x' (authentik.provider.authorizationFlow)" },
      ]),
    );
    const r = await run([command, "-c", config, "--auto-approve"].slice(0, command === "plan" ? 3 : 4));
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      `${config}:27:5: error: authentik has no group named 'data-engineers'; groups are never created by this tool — create it in authentik or fix the name`,
      "error: aws.iam.role[prod:/authentik/auditor]: IAM role /Auditor in prod (111111111111) already exists and is not managed by authentik-aws-gitops",
      "error: authentik has no flow with slug 'x' (authentik.provider.authorizationFlow)",
      "No changes were made.",
      "",
    ]);
  });

  it("prints user errors that name a place in the config the same way", async () => {
    const { UserError } = await import("../../src/errors.js");
    engine.createPlan.mockRejectedValue(new UserError(`${config}:30:17: the environment variable AWS_SCIM_TOKEN (scim.tokenEnv) is not set`));
    const r = await run(["plan", "-c", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${config}:30:17: error: the environment variable AWS_SCIM_TOKEN (scim.tokenEnv) is not set\n`);
    engine.createPlan.mockRejectedValue(new UserError("AUTHENTIK_TOKEN is not set: the authentik API token is read only from this environment variable"));
    expect((await run(["plan", "-c", config])).stderr).toBe("error: AUTHENTIK_TOKEN is not set: the authentik API token is read only from this environment variable\n");
  });

  it("prints configuration warnings in the same form", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aag-flow-"));
    const file = path.join(dir, "warn.yaml");
    const { readFileSync } = await import("node:fs");
    // A role no mapping grants is a warning, not an error.
    writeFileSync(file, readFileSync(config, "utf8").replace(/^roles:\n/m, "roles:\n  unused: { accounts: \"*\", managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n"));
    const r = await run(["plan", "-c", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: warning: role 'unused' is not granted to any group`));
  });
});
