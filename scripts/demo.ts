/**
 * `npm run demo`: the whole cycle against the bundled local sandbox (scripts/sandbox.ts:
 * moto_server behind the Identity Center shim, and the authentik API emulator, each a
 * process of its own), using the real CLI exactly as a user would, pointed at them
 * through the environment.
 *
 *   tsx scripts/demo.ts                              both bundled examples
 *   tsx scripts/demo.ts examples/classic-iam.yaml    one of them
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { provisionGroup } from "../test/integration/identity-center-setup.js";
import { ROOT, SANDBOX_GROUPS, startSandbox } from "./sandbox.js";

const cli = path.join(ROOT, "bin", "authentik-aws-gitops.js");

function banner(text: string) {
  console.log(`\n\u001b[1m━━ ${text} ${"━".repeat(Math.max(0, 72 - text.length))}\u001b[22m\n`);
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  console.log(`$ authentik-aws-gitops ${args.map((a) => path.relative(ROOT, a).startsWith("..") ? path.basename(a) : a).join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

async function demo(example: string): Promise<boolean> {
  const name = path.basename(example);
  const identityCenter = name.startsWith("identity-center");
  banner(`${example}: starting the sandbox`);
  // SCIM has provisioned one group so far; the rest arrive when authentik's sync runs.
  const sandbox = await startSandbox({ dir: mkdtempSync(path.join(tmpdir(), "aag-demo-")), provisioned: identityCenter ? ["aws-admins"] : [] });
  let scim: NodeJS.Timeout | undefined;
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

    const steps: [string, string[]][] = [
      ["1. validate the configuration", ["validate", "-c", file]],
      ["2. the plan, as the pull-request comment shows it (markdown)", ["plan", "-c", file, "--format", "markdown"]],
      ["3. apply it", ["apply", "-c", file, "--auto-approve"]],
      ["4. plan again: nothing left to do (exit 0 with --detailed-exitcode)", ["plan", "-c", file, "--detailed-exitcode"]],
    ];
    for (const [title, args] of steps) {
      banner(`${example}: ${title}`);
      const code = await run(args, env);
      if (code !== 0) {
        console.error(`\ndemo step failed with exit code ${code}`);
        return false;
      }
    }
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
      banner(`${example}: 5. a risky change, as the pull-request comment shows it (risks, people, permissions first)`);
      const code = await run(["plan", "-c", risky, "--format", "markdown"], env);
      if (code !== 0) return false;
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
