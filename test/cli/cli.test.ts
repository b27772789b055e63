import { execFile } from "node:child_process";
import path from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";

const root = path.join(import.meta.dirname, "..", "..");
const fixture = (name: string) => path.join(root, "test", "fixtures", "invalid", name);

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runCli(argv, env, root);

describe("validate", () => {
  it("exits 0 on a valid example", async () => {
    const r = await run(["validate", "-c", path.join(root, "examples", "classic-iam.yaml")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("is valid: mode classic-iam, 2 account(s), 3 role(s), 3 mapping(s)");
    expect(r.stderr).toBe("");
  });

  it("reports a typo, an undefined role and a bad account id together, each at its own place, and exits 1", async () => {
    const file = fixture("06-typo-undefined-role-bad-account.yaml");
    const r = await run(["validate", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toContain(`${file}:9:16: error: 'aws.accounts.dev.id' must be a 12-digit AWS account id in quotes, e.g. "123412341234"`);
    expect(lines).toContain(`${file}:14:13: error: mapping for group 'admins' names role 'admn', which is not defined in 'roles' — did you mean 'admin'?`);
    expect(lines).toContain(`${file}:15:5: error: unknown property 'acounts' in 'mappings[0]' — did you mean 'accounts'?`);
    expect(lines.at(-1)).toBe(`✗ ${file}: 3 error(s), 1 warning(s)`);
  });

  it("validates several files and fails if any fails", async () => {
    const r = await run(["validate", "-c", path.join(root, "examples", "classic-iam.yaml"), fixture("12-version-2.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("classic-iam.yaml is valid");
    expect(r.stderr).toContain("12-version-2.yaml:1:10: error:");
  });

  it("checks the SP metadata file an identity-center config names, at the line naming it", async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(path.join(tmpdir(), "aag-cli-"));
    const file = path.join(dir, "ic.yaml");
    writeFileSync(file, readFileSync(path.join(root, "examples", "identity-center.yaml"), "utf8"));
    const missing = await run(["validate", "-c", file]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${file}:30:17: error: the SP metadata file ${path.join(dir, "identity-center-sp-metadata.xml")} does not exist`);
    writeFileSync(path.join(dir, "identity-center-sp-metadata.xml"), "<EntityDescriptor entityID='x'><IDPSSODescriptor/></EntityDescriptor>");
    const wrong = await run(["validate", "-c", file]);
    expect(wrong.stderr).toContain("is not usable IAM Identity Center SAML metadata: no SPSSODescriptor element");
  });

  it("says clearly when the file does not exist", async () => {
    const r = await run(["validate", "-c", "/nonexistent/aws-access.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent/aws-access.yaml:1:1: error: cannot read the configuration: no such file");
  });

  it("colours only when allowed: FORCE_COLOR colours, NO_COLOR and --no-color win", async () => {
    const file = fixture("12-version-2.yaml");
    expect((await run(["validate", "-c", file], { FORCE_COLOR: "1" })).stderr).toContain("\u001b[31merror:");
    expect((await run(["validate", "-c", file], { FORCE_COLOR: "1", NO_COLOR: "1" })).stderr).not.toContain("\u001b[");
    expect((await run(["--no-color", "validate", "-c", file], { FORCE_COLOR: "1" })).stderr).not.toContain("\u001b[");
  });
});

describe("command line", () => {
  it("prints the version and help", async () => {
    const version = await run(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const command of ["validate", "plan", "apply"]) {
      const help = await run([command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: authentik-aws-gitops ${command}`);
    }
    const plan = await run(["plan", "--help"]);
    for (const flag of ["--format", "--out", "--detailed-exitcode", "--prune"]) expect(plan.stdout).toContain(flag);
    const apply = await run(["apply", "--help"]);
    for (const flag of ["--plan", "--auto-approve"]) expect(apply.stdout).toContain(flag);
  });

  it("rejects unknown commands and options with exit 1 and no stack trace", async () => {
    const r = await run(["frobnicate"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const bad = await run(["plan", "--format", "yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Allowed choices are text, markdown, json");
  });

  it("runs as the installed bin (built lib/), the way npx runs it", async () => {
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, [path.join(root, "bin", "authentik-aws-gitops.js"), "validate", "-c", "examples/identity-center.yaml"], { cwd: root });
    expect(ok.stdout).toContain("examples/identity-center.yaml is valid");
    const failed = await exec(process.execPath, [path.join(root, "bin", "authentik-aws-gitops.js"), "validate", "-c", fixture("11-mode-typo.yaml")], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain("did you mean 'classic-iam'?");
  });
});

describe("output scrubbing", () => {
  it("never lets a secret from the environment or one named later reach the streams", async () => {
    const { scrubbingIO } = await import("../../src/cli/io.js");
    let out = "";
    const io = scrubbingIO({
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (out += s) },
      stdin: new PassThrough(),
      env: { AUTHENTIK_TOKEN: "authentik-secret-123", SCIM_BEARER: "scim-secret-456", PATH: "/usr/bin" },
      cwd: root,
    });
    io.stdout.write("token authentik-secret-123 and scim-secret-456 in /usr/bin\n");
    io.addSecret!("scim-secret-456"); // the config named SCIM_BEARER as scim.tokenEnv
    io.stderr.write("again: scim-secret-456\n");
    expect(out).toBe("token *** and scim-secret-456 in /usr/bin\nagain: ***\n");
  });
});

/** An HTTP server that records every request (as authentik and AWS both would), answering 500. */
async function recorder(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const { createServer } = await import("node:http");
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(500, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The environment of a run whose authentik and AWS are both `url`. */
function peerEnv(url: string): NodeJS.ProcessEnv {
  return {
    AUTHENTIK_URL: url,
    AUTHENTIK_TOKEN: "test-token",
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
  };
}

function expectUserError(r: { code: number; stderr: string }): void {
  expect(r.code).toBe(1);
  expect(r.stderr).not.toContain("internal error");
  expect(r.stderr).not.toContain("this is a bug");
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

async function tempDir(): Promise<string> {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  return mkdtempSync(path.join(tmpdir(), "aag-cli-"));
}

describe("user mistakes are user errors, not internal errors", () => {
  const config = path.join(root, "examples", "classic-iam.yaml");

  it.each([
    ["not JSON", "version: 1\nmode: classic-iam\n", "not a plan: the file is not valid JSON"],
    ["a JSON array", "[]", "not a plan: expected a JSON object"],
    ["JSON without a version", "{}", 'not a plan: it has no "version"'],
    ["a plan of another version", '{"version": 1}', "unsupported plan version 1"],
    ["JSON of the wrong shape", '{"version": 2, "changes": 3}', "not a valid plan of version 2:\n  - tool must be an object (got nothing)"],
  ])("apply --plan with %s names the file and says what is wrong, before touching authentik or AWS", async (_what, content, message) => {
    const { writeFileSync } = await import("node:fs");
    const file = path.join(await tempDir(), "plan.json");
    writeFileSync(file, content);
    const peer = await recorder();
    try {
      const r = await run(["apply", "-c", config, "--plan", file, "--auto-approve"], peerEnv(peer.url));
      expectUserError(r);
      expect(r.stderr).toContain(`error: the saved plan ${file} is not usable: ${message}`);
      expect(peer.requests).toEqual([]);
    } finally {
      await peer.close();
    }
  });

  it("apply --plan with a missing file says so", async () => {
    const r = await run(["apply", "-c", config, "--plan", "/nonexistent/plan.json", "--auto-approve"]);
    expectUserError(r);
    expect(r.stderr).toContain("error: cannot read the saved plan /nonexistent/plan.json: no such file");
  });

  it("plan --out into a folder that does not exist refuses before reading any live state", async () => {
    const out = path.join(await tempDir(), "missing", "plan.json");
    const peer = await recorder();
    try {
      const r = await run(["plan", "-c", config, "--out", out], peerEnv(peer.url));
      expectUserError(r);
      expect(r.stderr).toContain(`error: cannot save the plan to ${out}: the folder ${path.dirname(out)} does not exist`);
      expect(r.stdout).toBe("");
      expect(peer.requests).toEqual([]);
    } finally {
      await peer.close();
    }
  });

  it("plan --out onto a folder refuses before reading any live state", async () => {
    const out = await tempDir();
    const peer = await recorder();
    try {
      const r = await run(["plan", "-c", config, "--out", out], peerEnv(peer.url));
      expectUserError(r);
      expect(r.stderr).toContain(`error: cannot save the plan to ${out}: it is a folder`);
      expect(peer.requests).toEqual([]);
    } finally {
      await peer.close();
    }
  });

  it("a plan that cannot be written after all is a user error too", async () => {
    const { writeFileSync } = await import("node:fs");
    const { savePlanFile } = await import("../../src/cli/plan-apply.js");
    const dir = await tempDir();
    writeFileSync(path.join(dir, "file"), "");
    // The folder was there when checked, and is a file by the time the plan is written.
    const out = path.join(dir, "file", "plan.json");
    const { UserError } = await import("../../src/errors.js");
    const failure = await savePlanFile(out, "{}").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UserError);
    expect((failure as Error).message).toMatch(new RegExp(`^cannot save the plan to ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
  });

  it.each([
    ["an alias bomb", "48-yaml-alias-bomb.yaml", /:\d+:\d+: error: YAML: the aliases expand too much/],
    ["an undefined alias", "49-yaml-undefined-alias.yaml", /:\d+:\d+: error: YAML: an alias refers to an anchor that is not defined before it/],
    ["a recursive alias", "50-yaml-recursive-alias.yaml", /:\d+:\d+: error: YAML: an alias refers to the node that contains it/],
  ])("validate and plan report %s at its line and column", async (_what, name, message) => {
    const file = fixture(name);
    for (const command of ["validate", "plan"]) {
      const r = await run([command, "-c", file], peerEnv("http://127.0.0.1:9"));
      expectUserError(r);
      expect(r.stderr.split("\n")[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${message.source}`));
    }
  });
});

describe("-c: validate takes several files, plan and apply exactly one", () => {
  const config = path.join(root, "examples", "classic-iam.yaml");

  it("says so in --help", async () => {
    expect((await run(["validate", "--help"])).stdout).toMatch(/-c, --config <file\.\.\.>\s+configuration files to check/);
    for (const command of ["plan", "apply"]) {
      const help = (await run([command, "--help"])).stdout;
      expect(help).toMatch(/-c, --config <file>\s+the configuration file \(default: aws-access\.yaml\)/);
      expect(help).not.toContain("<file...>");
    }
  });

  it.each(["plan", "apply"])("%s refuses a second file, however it is given", async (command) => {
    const extra = await run([command, "-c", config, config]);
    expectUserError(extra);
    expect(extra.stderr).toContain(`error: too many arguments for '${command}'`);
    const twice = await run([command, "-c", config, "-c", config]);
    expectUserError(twice);
    expect(twice.stderr).toContain(`error: option '-c, --config <file>' argument '${config}' is invalid. ${command} takes one configuration file; to check several, use validate -c FILE...`);
  });
});
