import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { validateConfigFile, type ValidationResult } from "../../src/config/load-config.js";
import { unsafeCharacters } from "../../src/util/safe-text.js";
import { hostileCases, type HostileCase } from "../fixtures/hostile/generate.js";
import { CLI_BIN, runCli, type CliRun } from "../support/run-cli.js";

/**
 * The bad-input corpus (test/fixtures/hostile): YAML bombs, deep nesting, huge
 * files, binary files, invalid UTF-8, BOMs, control characters, hostile names,
 * paths, and every schema field with a wrong type. Each case must give a clear
 * error (FILE:LINE:COL: error: …, exit 1) or validate; none may crash, hang or
 * reach the network — `plan` runs on a sample through the shipped CLI with
 * authentik and AWS pointing at a closed port, and an invalid config must fail
 * on its validation error.
 */
const root = path.join(import.meta.dirname, "..", "..");
const cases = hostileCases();
/** CPU time one case may take; a hang (a FIFO opened for reading) is cut off after WAIT_MS. */
const PER_CASE_MS = 8000;
const WAIT_MS = 30_000;

const sandbox = mkdtempSync(path.join(tmpdir(), "aag-hostile-"));
const repo = path.join(sandbox, "repo");
const dir = path.join(repo, "config");

/** Where each case's configuration is, and what validating it gave. */
const files = new Map<HostileCase, string>();
const results = new Map<HostileCase, ValidationResult>();
const resultOf = async (c: HostileCase) => results.get(c) ?? (await validateConfigFile(files.get(c)!));


beforeAll(() => {
  mkdirSync(path.join(repo, ".git"), { recursive: true });
  writeFileSync(path.join(repo, ".git", "config"), "[core]\n\trepositoryformatversion = 0\n");
  mkdirSync(dir, { recursive: true });
  const xml = path.join(root, "examples", "identity-center-sp-metadata.xml");
  copyFileSync(xml, path.join(dir, "identity-center-sp-metadata.xml"));
  copyFileSync(xml, path.join(sandbox, "outside-sp.xml"));
  symlinkSync(path.join(sandbox, "outside-sp.xml"), path.join(dir, "link-out.xml"));
  symlinkSync("/dev/zero", path.join(dir, "link-dev-zero.xml"));
  execFileSync("mkfifo", [path.join(dir, "fifo.xml")]);
  symlinkSync(path.join(dir, "fifo.xml"), path.join(dir, "link-fifo.xml"));
  writeFileSync(path.join(dir, "big.xml"), `<x>${"a".repeat(2 * 1024 * 1024)}</x>`);
  writeFileSync(path.join(dir, "not-xml.xml"), "root:x:0:0:root:/root:/bin/bash\n");
  const identityCenter = readFileSync(path.join(root, "examples", "identity-center.yaml"), "utf8");
  for (const [i, c] of cases.entries()) {
    const file = path.join(dir, `case-${String(i).padStart(3, "0")}.yaml`);
    files.set(c, file);
    switch (c.kind ?? "file") {
      case "fifo":
        execFileSync("mkfifo", [file]);
        break;
      case "directory":
        mkdirSync(file);
        break;
      case "dev-urandom":
        files.set(c, "/dev/urandom");
        break;
      case "dev-zero":
        files.set(c, "/dev/zero");
        break;
      case "symlink-to-dev-zero":
        symlinkSync("/dev/zero", file);
        break;
      case "huge":
        writeFileSync(file, c.build!());
        break;
      default:
        writeFileSync(file, c.spMetadata !== undefined ? identityCenter.replace("spMetadata: identity-center-sp-metadata.xml", `spMetadata: ${JSON.stringify(c.spMetadata)}`) : c.content!);
    }
  }
});

function withTimeout<T>(promise: Promise<T>, what: string, ms = PER_CASE_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms))),
  ]);
}

/**
 * The shipped CLI as its own process, killed when it outlives `ms`: a hang in
 * synchronous code (a parser looping) cannot be caught inside this process.
 */
function shippedCli(argv: string[], env: NodeJS.ProcessEnv, ms: number): Promise<CliRun & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...argv], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, ms);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout, stderr, killed });
    });
  });
}

const get = (data: unknown, at: (string | number)[]) => at.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], data);

function checkClear(c: HostileCase, result: ValidationResult, file: string): void {
  const text = typeof c.content === "string" ? c.content : undefined;
  const lines = text === undefined ? Infinity : text.split(/\r\n|\r|\n/).length + 1;
  for (const d of result.diagnostics) {
    expect(d.file).toBe(file);
    expect(d.line, d.message).toBeGreaterThanOrEqual(1);
    expect(d.column, d.message).toBeGreaterThanOrEqual(1);
    expect(d.line, d.message).toBeLessThanOrEqual(lines);
    expect(d.message.length).toBeGreaterThan(0);
    // A message describes; it never repeats a huge or hostile value.
    expect(d.message.length, d.message.slice(0, 200)).toBeLessThan(1500);
    expect(d.message).not.toMatch(/internal|TypeError|RangeError|ReferenceError|\n\s+at /);
    expect(unsafeCharacters(d.message), d.message).toEqual([]);
  }
}

describe("the bad-input corpus", () => {
  it("has at least 150 cases, most of them generated", () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", { timeout: 2 * WAIT_MS + 5000 }, async (_name, c) => {
    const file = files.get(c)!;
    const cpu = process.cpuUsage();
    const result = await withTimeout(validateConfigFile(file), "validation", WAIT_MS);
    // Synchronous work cannot be interrupted by the timeout above; its CPU time is
    // measured instead (CPU, not wall-clock time: the machine may be busy with others).
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000, "validation took too long").toBeLessThan(PER_CASE_MS);
    results.set(c, result);
    checkClear(c, result, file);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (c.outcome === "error") expect(errors.length, "an error is expected").toBeGreaterThan(0);
    if (c.outcome === "valid") expect(errors.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([]);
    if (errors.length === 0) expect(result.config).toBeDefined();
    if (c.errorPath) {
      expect(errors.map((d) => d.path.join(".")), "an error about the field itself").toContain(c.errorPath.join("."));
    }
    if (c.roundTrip && errors.length === 0) {
      // What validates is what the file says: nothing trimmed, folded or normalized on the way.
      expect(get(result.source.toJS(), c.roundTrip.path)).toBe(c.roundTrip.value);
      expect(get(parse(c.content as string), c.roundTrip.path)).toBe(c.roundTrip.value);
    }
    // validate: exit 0 when valid, 1 with FILE:LINE:COL: lines otherwise, never an internal error.
    // (The multi-megabyte cases, slow to validate twice, go through the shipped CLI below.)
    if (c.kind === "huge" || c.name.startsWith("keys: 50,000")) return;
    const r = await withTimeout(runCli(["validate", "-c", file], {}, root), "validate", WAIT_MS);
    expect(r.code).toBe(result.config ? 0 : 1);
    expect(r.stderr).not.toMatch(/internal error|this is a bug/);
    for (const line of r.stderr.split("\n").filter(Boolean)) {
      if (line.startsWith(`✗ ${file}: `)) continue;
      expect(line.startsWith(`${file}:`) && /:\d+:\d+: (error|warning): \S/.test(line), line.slice(0, 200)).toBe(true);
    }
  });

  it("the shipped CLI validates the whole corpus in one process without hanging or crashing", { timeout: 150_000 }, async () => {
    // Special files (a FIFO, /dev/urandom) included: the run must get past them.
    const all = cases.map((c) => files.get(c)!);
    const r = await shippedCli(["validate", "-c", ...all], {}, 140_000);
    expect(r.killed, `still running after 140 s; last output: ${(r.stdout + r.stderr).slice(-300)}`).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
    const problems: string[] = [];
    for (const c of cases) {
      const file = files.get(c)!;
      const valid = (await resultOf(c)).config !== undefined;
      const said = r.stdout.includes(`✓ ${file} is valid`) ? "valid" : r.stderr.includes(`✗ ${file}: `) ? "invalid" : "nothing";
      if (said !== (valid ? "valid" : "invalid")) problems.push(`${c.name}: the CLI said ${said}`);
    }
    expect(problems).toEqual([]);
  });

  it("plan through the shipped CLI (its own process) fails on the validation error before any network call", { timeout: 120_000 }, async () => {
    const env = {
      AUTHENTIK_URL: "http://127.0.0.1:9",
      AUTHENTIK_TOKEN: "test-token",
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_SCIM_TOKEN: "scim-token",
    };
    // Every file that is no regular file, and a spread of the rest: bombs, bytes, paths, names, types.
    const picked = [
      /^file: |^huge: (3 MiB|a 2\.5 MiB)/,
      /^spMetadata: (\/etc\/shadow|\/proc|\/dev\/zero|a FIFO|a 2 MiB file|the right file$)/,
      /^bomb: (billion|5,000)|^nesting: 10,000/,
      /^bytes: 4 KiB|^encoding: UTF-16 LE|^control character: raw ESC/,
      /^hostile application name: (RTL override|ESC)$/,
      /^wrong type 1: version /,
      /^hand-written: 14-/,
    ];
    const sample = cases.filter((c) => picked.some((p) => p.test(c.name)));
    expect(sample.length).toBeGreaterThanOrEqual(20);
    const problems: string[] = [];
    const run = async (c: HostileCase) => {
      const file = files.get(c)!;
      const result = await resultOf(c);
      // A valid config gets as far as the closed port, where the client's retries take a few seconds.
      const r = await shippedCli(["plan", "-c", file], env, result.config ? 40_000 : WAIT_MS);
      if (r.killed) problems.push(`${c.name}: plan did not finish`);
      if (r.code !== 1) problems.push(`${c.name}: exit ${r.code}`);
      if (/internal error|this is a bug|\n\s+at /.test(r.stderr)) problems.push(`${c.name}: ${r.stderr.slice(0, 300)}`);
      if (r.stdout !== "") problems.push(`${c.name}: printed a plan`);
      if (result.config === undefined) {
        // Only diagnostics of the file (errors and warnings), with at least one error.
        const lines = r.stderr.split("\n").filter(Boolean);
        const located = (l: string) => l.startsWith(`${file}:`) && /:\d+:\d+: (error|warning): /.test(l);
        if (!lines.every(located) || !lines.some((l) => l.includes(": error: "))) problems.push(`${c.name}: not just the validation errors: ${r.stderr.slice(0, 300)}`);
        if (/cannot reach|ECONNREFUSED/.test(r.stderr)) problems.push(`${c.name}: reached for the network`);
      } else if (!/cannot reach authentik at http:\/\/127\.0\.0\.1:9/.test(r.stderr)) {
        problems.push(`${c.name}: a valid config should fail only at the closed port: ${r.stderr.slice(0, 300)}`);
      }
    };
    // Two at a time: the machine is shared.
    for (let i = 0; i < sample.length; i += 2) await Promise.all(sample.slice(i, i + 2).map(run));
    expect(problems).toEqual([]);
  });
});
