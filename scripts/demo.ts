/**
 * `npm run demo`: the whole cycle against the bundled local sandbox — moto_server
 * standing in for two AWS accounts and the authentik API emulator — using the
 * real CLI exactly as a user would, pointed at them through the environment.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { startAuthentikEmulator } from "../test/peers/authentik/server.js";
import { startMoto } from "../test/peers/moto.js";

const root = path.join(import.meta.dirname, "..");
const cli = path.join(root, "bin", "authentik-aws-gitops.js");
const TOKEN = "demo-token-not-a-secret";

function banner(text: string) {
  console.log(`\n\u001b[1m━━ ${text} ${"━".repeat(Math.max(0, 70 - text.length))}\u001b[22m\n`);
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  console.log(`$ authentik-aws-gitops ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

const example = process.argv[2] ?? "examples/classic-iam.yaml";
banner("starting the sandbox: moto_server (AWS) and the authentik API emulator");
const [moto, authentik] = await Promise.all([startMoto(), startAuthentikEmulator({ token: TOKEN })]);
try {
  for (const name of ["aws-admins", "engineers", "data-eng"]) {
    await fetch(`${authentik.url}/api/v3/core/groups/`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
  }
  console.log(`AWS (moto_server):  ${moto.endpoint}   accounts 111111111111 (prod), 222222222222 (dev)`);
  console.log(`authentik emulator: ${authentik.url}   groups aws-admins, engineers, data-eng`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "demo",
    AWS_SECRET_ACCESS_KEY: "demo-secret",
    AWS_REGION: "us-east-1",
    AUTHENTIK_URL: authentik.url,
    AUTHENTIK_TOKEN: TOKEN,
  };
  delete env.AWS_PROFILE;

  const steps: [string, string[], number[]][] = [
    ["1. validate the configuration", ["validate", "-c", example], [0]],
    ["2. the plan, as the pull-request comment shows it (markdown)", ["plan", "-c", example, "--format", "markdown"], [0]],
    ["3. apply it", ["apply", "-c", example, "--auto-approve"], [0]],
    ["4. plan again: nothing left to do (exit 0 with --detailed-exitcode)", ["plan", "-c", example, "--detailed-exitcode"], [0]],
  ];
  for (const [title, args, ok] of steps) {
    banner(title);
    const code = await run(args, env);
    if (!ok.includes(code)) {
      console.error(`\ndemo step failed with exit code ${code}`);
      process.exitCode = 1;
      break;
    }
  }
} finally {
  await Promise.all([moto.stop(), authentik.stop()]);
}
