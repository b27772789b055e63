/**
 * `npm run demo`: the whole cycle against the bundled local sandbox (scripts/sandbox.ts:
 * moto_server behind the Identity Center shim, and the authentik API emulator, each a
 * process of its own), using the real CLI exactly as a user would, pointed at them
 * through the environment: validate, the plan as the reviewer sees it, apply that
 * reviewed plan, (classic-iam) a risky change as the reviewer sees it, plan again (clean).
 *
 * The terminal shows only what the CLI prints on a terminal, each plan once. The pull
 * request's comment (markdown, with its folded HTML sections) is rendered from the same
 * saved plan by `show --format markdown` into a file whose path is printed once: raw
 * HTML on a terminal reads as noise, and a reader who wants the comment opens the file.
 *
 *   tsx scripts/demo.ts                              both bundled examples
 *   tsx scripts/demo.ts examples/classic-iam.yaml    one of them
 *   tsx scripts/demo.ts --out DIR …                  the comments into DIR (default: .demo/)
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { provisionGroup } from "../test/support/identity-center.js";
import { ROOT, SANDBOX_GROUPS, startSandbox } from "./sandbox.js";

const CLI_BIN = path.join(ROOT, "bin", "authentik-aws-gitops.js");

/** Where the demo writes what it shows: one line at a time (console.log, or a test's collector). */
export type Print = (line: string) => void;

export interface DemoOptions {
  /** the folder the pull-request comments are written to */
  out: string;
  print?: Print;
  /** bold banners and the CLI's colours (default: on a terminal, unless NO_COLOR) */
  color?: boolean;
}

const terminalColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

/** A path as the user would type it from here: relative when under the current folder. */
const shownPath = (file: string) => {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
};

/** An argument of a command line as printed: the sandbox's temporary files by their name alone. */
const shownArg = (a: string) => (path.isAbsolute(a) && path.relative(ROOT, a).startsWith("..") ? path.basename(a) : a);

function banner(print: Print, color: boolean, text: string) {
  const line = `━━ ${text} ${"━".repeat(Math.max(0, 72 - text.length))}`;
  print(color ? `\n\u001b[1m${line}\u001b[22m\n` : `\n${line}\n`);
}

/**
 * Runs the CLI with its standard output shown through `print` (its standard error goes to
 * this process's). With `from`, the lines before the first one that matches are left out
 * (all of it is shown if none does).
 */
export function runShown(args: string[], env: NodeJS.ProcessEnv, options: { print?: Print; color?: boolean; from?: RegExp; omitted?: string } = {}): Promise<number> {
  const print = options.print ?? console.log;
  print(`$ authentik-aws-gitops ${args.map(shownArg).join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: ROOT, env: options.color ? { ...env, FORCE_COLOR: "1" } : env, stdio: ["ignore", "pipe", "inherit"] });
    child.on("error", reject);
    const held: string[] = [];
    let printing = !options.from;
    createInterface({ input: child.stdout! })
      .on("line", (line) => {
        if (!printing && options.from!.test(line.replace(/\u001b\[[0-9;]*m/g, ""))) {
          printing = true;
          held.length = 0;
          if (options.omitted) print(options.omitted);
        }
        if (printing) print(line);
        else held.push(line);
      })
      .on("close", () => {
        for (const line of held) print(line);
        child.on("exit", (code) => resolve(code ?? 1));
        if (child.exitCode !== null) resolve(child.exitCode);
      });
  });
}

/** Runs the CLI and returns what it printed, shown nowhere. */
function capture(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * The pull request's comment for the plan saved in `saved` (what `plan --format markdown`
 * and the Action write), rendered by `show` from that very file into `file`; only its
 * path is shown.
 */
export async function writeComment(saved: string, file: string, env: NodeJS.ProcessEnv, print: Print = console.log): Promise<boolean> {
  const args = ["show", saved, "--format", "markdown"];
  const r = await capture(args, env);
  if (r.code !== 0) {
    console.error(`$ authentik-aws-gitops ${args.map(shownArg).join(" ")}\n${r.stderr}`);
    return false;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, r.stdout);
  print(`\nthe pull-request comment (markdown, as \`plan --format markdown\` writes it): ${shownPath(file)}`);
  return true;
}

/** One example's cycle on a sandbox of its own; false (and the step said on stderr) when a step fails. */
export async function demo(example: string, options: DemoOptions): Promise<boolean> {
  const print = options.print ?? console.log;
  const color = options.color ?? terminalColor();
  const name = path.basename(example);
  const stem = name.replace(/\.yaml$/, "");
  const identityCenter = name.startsWith("identity-center");
  const cli = (args: string[], env: NodeJS.ProcessEnv, more: { from?: RegExp; omitted?: string } = {}) => runShown(args, env, { print, color, ...more });
  let step = 0;
  const heading = (text: string) => banner(print, color, `${example}: ${++step}. ${text}`);
  banner(print, color, `${example}: starting the sandbox`);
  // SCIM has provisioned one group so far; the rest arrive when authentik's sync runs.
  const sandbox = await startSandbox({ dir: mkdtempSync(path.join(tmpdir(), "aag-demo-")), provisioned: identityCenter ? ["aws-admins"] : [] });
  let scim: NodeJS.Timeout | undefined;
  const failed = (what: string) => {
    console.error(`\ndemo step failed: ${what}`);
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
      print(`organization: OU "sandboxes" ${sandbox.org.sandboxesOu} with accounts ${sandbox.org.sandboxAccount} and (nested) ${sandbox.org.teamAccount}`);
    }
    print(`AWS (moto_server via shim): ${sandbox.shim.url}`);
    print(`authentik emulator:         ${sandbox.authentik.url}   groups ${SANDBOX_GROUPS.join(", ")}`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...sandbox.env, AUTHENTIK_AWS_GITOPS_POLL_MS: "100" };
    delete env.AWS_PROFILE;
    delete env.AWS_SESSION_TOKEN;

    const saved = path.join(sandbox.dir, `${name}.plan.json`);

    heading("validate the configuration");
    if ((await cli(["validate", "-c", file], env)) !== 0) return failed("validate");

    heading("the plan, as the reviewer sees it (saved, to apply exactly it)");
    if ((await cli(["plan", "-c", file, "--out", saved], env)) !== 0) return failed("plan");
    if (!(await writeComment(saved, path.join(options.out, `${stem}.plan.md`), env, print))) return failed("show --format markdown");

    heading("apply the reviewed plan (only if the live state still yields it)");
    const applied = await cli(["apply", "-c", file, "--plan", saved], env, {
      from: /^Applying \d+ change/,
      omitted: "(the plan it applies is the one of step 2, so it is not shown again)\n",
    });
    if (applied !== 0) return failed("apply");

    if (!identityCenter) {
      // What a reviewer should look at twice: prod marked production, s3:PutObject for
      // data engineers, AdministratorAccess on readonly, admin for data-eng (and its interns).
      const risky = path.join(path.dirname(file), "classic-iam-risky.yaml");
      const riskySaved = path.join(sandbox.dir, "classic-iam-risky.yaml.plan.json");
      writeFileSync(
        risky,
        readFileSync(file, "utf8")
          .replace(/(\n    prod:\n)/, "$1      production: true\n")
          .replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject, s3:ListBucket, s3:PutObject]")
          .replace("    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n  data-engineer:", "    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/AdministratorAccess]\n  data-engineer:")
          .replace("  - group: data-eng\n    roles: [readonly, data-engineer]\n", "  - group: data-eng\n    roles: [readonly, data-engineer, admin]\n"),
      );
      heading("a risky change, as the reviewer sees it (risks, people, permissions first; not applied)");
      if ((await cli(["plan", "-c", risky, "--out", riskySaved], env)) !== 0) return failed("plan of the risky change");
      if (!(await writeComment(riskySaved, path.join(options.out, `${stem}-risky.plan.md`), env, print))) return failed("show --format markdown of the risky change");
    }

    // Last, so that every example ends on it: the applied configuration, planned again.
    heading("plan again: nothing left to do (exit 0 with --detailed-exitcode)");
    if ((await cli(["plan", "-c", file, "--detailed-exitcode"], env)) !== 0) return failed("plan again");
    return true;
  } finally {
    if (scim) clearInterval(scim);
    await sandbox.stop();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: "string", default: path.join(ROOT, ".demo") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm run demo [-- [--out DIR] [EXAMPLE.yaml …]]");
    return;
  }
  for (const example of positionals.length ? positionals : ["examples/classic-iam.yaml", "examples/identity-center.yaml"]) {
    if (!(await demo(example, { out: path.resolve(values.out) }))) {
      process.exitCode = 1;
      break;
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) await main();
