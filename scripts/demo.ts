/**
 * `npm run demo`: the whole cycle against the bundled local sandbox (scripts/sandbox.ts:
 * moto_server behind the Identity Center shim, and the authentik API emulator, each a
 * process of its own), using the real CLI exactly as a user would, pointed at them
 * through the environment: validate, the plan as the reviewer sees it, apply that
 * reviewed plan, plan again (clean).
 *
 * Each plan is shown once, as the terminal shows it; the pull-request comment (markdown)
 * is written to a file next to the example's copy, and only its first lines are printed.
 *
 *   tsx scripts/demo.ts                              both bundled examples
 *   tsx scripts/demo.ts examples/classic-iam.yaml    one of them
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { provisionGroup } from "../test/support/identity-center.js";
import { ROOT, SANDBOX_GROUPS, startSandbox } from "./sandbox.js";

const cli = path.join(ROOT, "bin", "authentik-aws-gitops.js");
/** How many lines of each pull-request comment the demo prints (the summary, risks and access changes come first). */
const COMMENT_LINES = 24;
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;

function banner(text: string) {
  console.log(color ? `\n\u001b[1m━━ ${text} ${"━".repeat(Math.max(0, 72 - text.length))}\u001b[22m\n` : `\n━━ ${text} ${"━".repeat(Math.max(0, 72 - text.length))}\n`);
}

const shown = (a: string) => (path.isAbsolute(a) && path.relative(ROOT, a).startsWith("..") ? path.basename(a) : a);

/**
 * Runs the CLI with its output on this terminal. With `from`, the lines of its standard
 * output before the first one that matches are left out (all of it is printed if none does).
 */
function run(args: string[], env: NodeJS.ProcessEnv, options: { from?: RegExp; omitted?: string } = {}): Promise<number> {
  console.log(`$ authentik-aws-gitops ${args.map(shown).join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env: color ? { ...env, FORCE_COLOR: "1" } : env, stdio: ["ignore", "pipe", "inherit"] });
    child.on("error", reject);
    const held: string[] = [];
    let printing = !options.from;
    createInterface({ input: child.stdout! })
      .on("line", (line) => {
        if (!printing && options.from!.test(line.replace(/\u001b\[[0-9;]*m/g, ""))) {
          printing = true;
          held.length = 0;
          if (options.omitted) console.log(options.omitted);
        }
        if (printing) console.log(line);
        else held.push(line);
      })
      .on("close", () => {
        for (const line of held) console.log(line);
        child.on("exit", (code) => resolve(code ?? 1));
        if (child.exitCode !== null) resolve(child.exitCode);
      });
  });
}

/** Runs the CLI and returns what it printed, to show part of it. */
function capture(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The plan as the pull request's comment shows it: written to `file`; its first lines printed. */
async function showComment(config: string, file: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const r = await capture(["plan", "-c", config, "--format", "markdown"], env);
  if (r.code !== 0) {
    console.error(`$ authentik-aws-gitops plan -c ${shown(config)} --format markdown\n${r.stdout}${r.stderr}`);
    return false;
  }
  writeFileSync(file, r.stdout);
  const lines = r.stdout.replace(/\n+$/, "").split("\n");
  console.log(`\nThe pull request's comment (markdown, as \`plan --format markdown\` and the Action write it): the first ${Math.min(COMMENT_LINES, lines.length)} of ${lines.length} lines; all of it in ${file}\n`);
  for (const line of lines.slice(0, COMMENT_LINES)) console.log(`  │ ${line}`);
  if (lines.length > COMMENT_LINES) console.log(`  │ … ${lines.length - COMMENT_LINES} more lines in ${file}`);
  return true;
}

async function demo(example: string): Promise<boolean> {
  const name = path.basename(example);
  const identityCenter = name.startsWith("identity-center");
  banner(`${example}: starting the sandbox`);
  // SCIM has provisioned one group so far; the rest arrive when authentik's sync runs.
  const sandbox = await startSandbox({ dir: mkdtempSync(path.join(tmpdir(), "aag-demo-")), provisioned: identityCenter ? ["aws-admins"] : [] });
  let scim: NodeJS.Timeout | undefined;
  const failed = (step: string) => {
    console.error(`\ndemo step failed: ${step}`);
    return false;
  };
  try {
    const file = sandbox.configs[name];
    if (!file) throw new Error(`the sandbox has no copy of ${example}; it serves ${Object.keys(sandbox.configs).join(", ")}`);
    if (identityCenter) {
      scim = setInterval(() => {
        void sandbox.authentik.control.requests().then(async (requests) => {
          if (!scim || !requests.some((r) => r.method === "POST" && r.path.endsWith("/send/"))) return;
          clearInterval(scim);
          scim = undefined;
          for (const g of SANDBOX_GROUPS.slice(1)) await provisionGroup(sandbox.shim.url, sandbox.org.identityStoreId, g);
        });
      }, 200);
      console.log(`organization: OU "sandboxes" ${sandbox.org.sandboxesOu} with accounts ${sandbox.org.sandboxAccount} and (nested) ${sandbox.org.teamAccount}`);
    }
    console.log(`AWS (moto_server via shim): ${sandbox.shim.url}`);
    console.log(`authentik emulator:         ${sandbox.authentik.url}   groups ${SANDBOX_GROUPS.join(", ")}`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...sandbox.env, AUTHENTIK_AWS_GITOPS_POLL_MS: "100" };
    delete env.AWS_PROFILE;
    delete env.AWS_SESSION_TOKEN;

    const saved = path.join(sandbox.dir, `${name}.plan.json`);
    const comment = (suffix: string) => path.join(sandbox.dir, `${name.replace(/\.yaml$/, "")}${suffix}.comment.md`);

    banner(`${example}: 1. validate the configuration`);
    if ((await run(["validate", "-c", file], env)) !== 0) return failed("validate");

    banner(`${example}: 2. the plan, as the reviewer sees it (saved, to apply exactly it)`);
    if ((await run(["plan", "-c", file, "--out", saved], env)) !== 0) return failed("plan");
    if (!(await showComment(file, comment(""), env))) return failed("plan --format markdown");

    banner(`${example}: 3. apply the reviewed plan (only if the live state still yields it)`);
    const applied = await run(["apply", "-c", file, "--plan", saved], env, {
      from: /^Applying \d+ change/,
      omitted: "(the plan it applies is the one of step 2, so it is not shown again)\n",
    });
    if (applied !== 0) return failed("apply");

    banner(`${example}: 4. plan again: nothing left to do (exit 0 with --detailed-exitcode)`);
    if ((await run(["plan", "-c", file, "--detailed-exitcode"], env)) !== 0) return failed("plan again");

    if (!identityCenter) {
      // What a reviewer should look at twice: prod marked production, s3:PutObject for
      // data engineers, AdministratorAccess on readonly, admin for data-eng (and its interns).
      const risky = path.join(path.dirname(file), "classic-iam-risky.yaml");
      writeFileSync(
        risky,
        readFileSync(file, "utf8")
          .replace(/(\n    prod:\n)/, "$1      production: true\n")
          .replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject, s3:ListBucket, s3:PutObject]")
          .replace("    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n  data-engineer:", "    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/AdministratorAccess]\n  data-engineer:")
          .replace("  - group: data-eng\n    roles: [readonly, data-engineer]\n", "  - group: data-eng\n    roles: [readonly, data-engineer, admin]\n"),
      );
      banner(`${example}: 5. a risky change, as the reviewer sees it (risks, people, permissions first)`);
      if ((await run(["plan", "-c", risky], env)) !== 0) return failed("plan of the risky change");
      if (!(await showComment(risky, comment("-risky"), env))) return failed("plan --format markdown of the risky change");
    }
    return true;
  } finally {
    if (scim) clearInterval(scim);
    await sandbox.stop();
  }
}

const examples = process.argv.slice(2);
for (const example of examples.length ? examples : ["examples/classic-iam.yaml", "examples/identity-center.yaml"]) {
  if (!(await demo(example))) {
    process.exitCode = 1;
    break;
  }
}
