/**
 * The package as npm ships it: `npm pack` of this repository (the lib/ that
 * `npm test` has just built), installed into a new project the way a user would,
 * then `import "authentik-aws-gitops"`, its types, and its bin.
 *
 * The tarball is made with --ignore-scripts: its `prepare` would rebuild lib/ under
 * the feet of the other tests that run the CLI from it. Dependencies are installed
 * --prefer-offline: from the npm cache `npm ci` filled, the registry for the rest.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const run = promisify(execFile);

/** The environment without what `npm test` sets for its own script (its package, its folder). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|command$|config_local_prefix$)/i.test(key) || key === "INIT_CWD") delete env[key];
  }
  // The bin's `#!/usr/bin/env node` finds the node running these tests.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ""}`;
  return env;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(file: string, args: string[], cwd: string): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 150_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== "number") throw error;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

let dir = "";
let project = "";
let packed: { filename: string; files: { path: string }[] };

describe("the packed package", () => {
  beforeAll(async () => {
    if (!existsSync(path.join(root, "lib", "src", "index.js"))) {
      throw new Error("lib/src/index.js is missing: run `npm run build` first (`npm test` does)");
    }
    dir = mkdtempSync(path.join(tmpdir(), "aag-packed-"));
    const pack = await sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], root);
    expect(pack.code, pack.stderr).toBe(0);
    packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0]!;

    project = path.join(dir, "project");
    mkdirSync(project);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "uses-authentik-aws-gitops", version: "1.0.0", private: true, type: "module" }, null, 2));
    const install = await sh("npm", ["install", path.join(dir, packed.filename), "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
    expect(install.code, install.stderr).toBe(0);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds the bin, the compiled entry with its types, and the schema, and no sources or tests", () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(["bin/authentik-aws-gitops.js", "lib/src/index.js", "lib/src/index.d.ts", "lib/src/cli/main.js", "lib/package.json", "schema/config.schema.json", "package.json", "README.md"]),
    );
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/") || f.startsWith("lib/test/") || f.startsWith("node_modules/"))).toEqual([]);
  });

  it("imports as an ES module, with the documented exports", async () => {
    const script = `
      import * as m from "authentik-aws-gitops";
      const kinds = {};
      for (const name of ["createPlan", "loadConfigFile", "validateConfigFile", "validateConfigText", "renderPlanText",
        "renderPlanMarkdown", "renderPlanJson", "parsePlanJson", "styler", "formatDiagnostic",
        "ConfigError", "PlanError", "NotConvergedError", "ApplyError", "UserError", "VERSION"]) kinds[name] = typeof m[name];
      const result = m.validateConfigText("inline.yaml", "version: 1\\nmode: nonsense\\n");
      console.log(JSON.stringify({ kinds, version: m.VERSION, errors: result.diagnostics.filter((d) => d.severity === "error").length,
        userError: new m.NotConvergedError(["x"]) instanceof m.UserError }));`;
    const result = await sh(process.execPath, ["--input-type=module", "-e", script], project);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { kinds: Record<string, string>; version: string; errors: number; userError: boolean };
    expect(out.kinds.createPlan).toBe("function");
    expect(Object.entries(out.kinds).filter(([name, kind]) => kind !== (name === "VERSION" ? "string" : "function"))).toEqual([]);
    expect(out.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(out.errors).toBeGreaterThan(0);
    expect(out.userError).toBe(true);
  });

  it("does not expose its internals (only the entry is exported)", async () => {
    const result = await sh(process.execPath, ["--input-type=module", "-e", 'import "authentik-aws-gitops/lib/src/engine.js";'], project);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("has types a TypeScript project resolves", async () => {
    writeFileSync(
      path.join(project, "check.ts"),
      [
        'import { createPlan, loadConfigFile, renderPlanText, styler, VERSION, type Plan, type EngineOptions, type Diagnostic } from "authentik-aws-gitops";',
        "export async function planText(file: string, options: EngineOptions = {}): Promise<string> {",
        "  const { config, warnings } = await loadConfigFile(file);",
        "  const plan: Plan = (await createPlan(config, options)).plan;",
        "  const first: Diagnostic | undefined = warnings[0];",
        "  return `${VERSION} ${first?.message ?? ''}\\n${renderPlanText(plan, styler(false))}`;",
        "}",
      ].join("\n"),
    );
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    const args = ["--noEmit", "--strict", "--skipLibCheck", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022"];
    args.push("--typeRoots", path.join(root, "node_modules", "@types"), "--types", "node", "check.ts");
    const result = await sh(process.execPath, [tsc, ...args], project);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it("runs its bin: --version, and validate of an example and of a broken file", async () => {
    const bin = path.join(project, "node_modules", ".bin", "authentik-aws-gitops");
    const version = await sh(bin, ["--version"], project);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);

    copyFileSync(path.join(root, "examples", "classic-iam.yaml"), path.join(project, "aws-access.yaml"));
    const valid = await sh(bin, ["validate", "-c", "aws-access.yaml"], project);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toContain("aws-access.yaml is valid");

    writeFileSync(path.join(project, "broken.yaml"), "version: 1\nmode: classic-iam\nunknownKey: true\n");
    const broken = await sh(bin, ["validate", "-c", "broken.yaml"], project);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^broken\.yaml:\d+:\d+: error: /m);
  });
}, 240_000);
