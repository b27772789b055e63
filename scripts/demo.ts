/**
 * `npm run demo`: the whole cycle against the bundled local sandbox — moto_server
 * standing in for AWS (behind the thin shim that supplies what moto lacks for
 * IAM Identity Center) and the authentik API emulator — using the real CLI
 * exactly as a user would, pointed at them through the environment.
 *
 *   tsx scripts/demo.ts                              both bundled examples
 *   tsx scripts/demo.ts examples/classic-iam.yaml    one of them
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createOrganization, provisionGroup } from "../test/integration/identity-center-setup.js";
import { startAuthentikEmulator } from "../test/peers/authentik/server.js";
import { startAwsShim } from "../test/peers/aws-shim.js";
import { startMoto } from "../test/peers/moto.js";

// Same filter as bin/: the AWS SDK's notice about future Node versions is not about this run.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning instanceof Error ? warning.message : warning).startsWith("NodeVersionSupportWarning")) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const root = path.join(import.meta.dirname, "..");
const cli = path.join(root, "bin", "authentik-aws-gitops.js");
const TOKEN = "demo-token-not-a-secret";
const GROUPS = ["aws-admins", "engineers", "data-eng"];

function banner(text: string) {
  console.log(`\n\u001b[1m━━ ${text} ${"━".repeat(Math.max(0, 72 - text.length))}\u001b[22m\n`);
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  console.log(`$ authentik-aws-gitops ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

async function demo(example: string): Promise<boolean> {
  const identityCenter = /mode:\s*identity-center/.test(readFileSync(path.join(root, example), "utf8"));
  banner(`${example}: starting the sandbox`);
  const moto = await startMoto();
  const shim = await startAwsShim({ motoEndpoint: moto.endpoint });
  const authentik = await startAuthentikEmulator({ token: TOKEN });
  try {
    for (const name of GROUPS) {
      await fetch(`${authentik.url}/api/v3/core/groups/`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name }),
      });
    }
    let file = example;
    if (identityCenter) {
      // The example names an OU id; moto makes its own, so run a copy that names moto's.
      const org = await createOrganization(shim.endpoint);
      const dir = mkdtempSync(path.join(tmpdir(), "aag-demo-"));
      copyFileSync(path.join(root, "examples", "identity-center-sp-metadata.xml"), path.join(dir, "identity-center-sp-metadata.xml"));
      file = path.join(dir, path.basename(example));
      writeFileSync(file, readFileSync(path.join(root, example), "utf8").replace(/ou-[0-9a-z]+-[0-9a-z]+/, org.sandboxesOu));
      // SCIM has provisioned some groups already; the rest arrive when authentik's sync runs.
      await provisionGroup(shim.endpoint, org.identityStoreId, "aws-admins");
      const scim = setInterval(() => {
        if (!authentik.requests.some((r) => r.method === "POST" && r.path.endsWith("/send/"))) return;
        clearInterval(scim);
        void (async () => {
          for (const g of ["engineers", "data-eng"]) await provisionGroup(shim.endpoint, org.identityStoreId, g);
        })();
      }, 200);
      scim.unref();
      console.log(`organization: OU "sandboxes" ${org.sandboxesOu} with accounts ${org.sandboxAccount} and (nested) ${org.teamAccount}`);
    }
    console.log(`AWS (moto_server via shim): ${shim.endpoint}`);
    console.log(`authentik emulator:         ${authentik.url}   groups ${GROUPS.join(", ")}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ENDPOINT_URL: shim.endpoint,
      AWS_ACCESS_KEY_ID: "demo",
      AWS_SECRET_ACCESS_KEY: "demo-secret",
      AWS_REGION: "us-east-1",
      AUTHENTIK_URL: authentik.url,
      AUTHENTIK_TOKEN: TOKEN,
      AWS_SCIM_TOKEN: "demo-scim-token",
      AUTHENTIK_AWS_GITOPS_POLL_MS: "100",
    };
    delete env.AWS_PROFILE;

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
    return true;
  } finally {
    await Promise.all([authentik.stop(), shim.stop()]);
    await moto.stop();
  }
}

const examples = process.argv.slice(2);
for (const example of examples.length ? examples : ["examples/classic-iam.yaml", "examples/identity-center.yaml"]) {
  if (!(await demo(example))) {
    process.exitCode = 1;
    break;
  }
}
