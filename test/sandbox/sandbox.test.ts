import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliProcess } from "../support/run-cli.js";

/**
 * `npm run sandbox` as a new user meets it: started in one terminal, the commands it
 * prints run in another (the real CLI, its own process), and Ctrl-C stops everything.
 */
const root = path.join(import.meta.dirname, "..", "..");
let sandbox: ChildProcess;
let printed = "";
let env: NodeJS.ProcessEnv = {};
let commands: string[][] = [];
const dir = mkdtempSync(path.join(tmpdir(), "aag-sandbox-"));

beforeAll(async () => {
  sandbox = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "sandbox.ts"), "--dir", dir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  sandbox.stderr!.on("data", (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    sandbox.stdout!.on("data", (d) => {
      printed += d;
      if (printed.includes("Ctrl-C stops the sandbox")) resolve();
    });
    sandbox.once("exit", (code) => reject(new Error(`sandbox exited (${code}) before it was ready:\n${printed}\n${stderr}`)));
  });
  // What the user copies: the export lines and the commands.
  for (const m of printed.matchAll(/^ {2}export (\w+)=(\S+)$/gm)) env[m[1]!] = m[2]!;
  commands = [...printed.matchAll(/^ {2}npx authentik-aws-gitops (.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
}, 120_000);

afterAll(() => {
  if (sandbox.exitCode === null) sandbox.kill("SIGKILL");
});

describe("npm run sandbox", () => {
  it("prints the environment and the commands, which take both examples to a clean re-plan", async () => {
    expect(Object.keys(env).sort()).toEqual(["AUTHENTIK_TOKEN", "AUTHENTIK_URL", "AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_SCIM_TOKEN", "AWS_SECRET_ACCESS_KEY"]);
    expect(commands).toHaveLength(6);
    const codes: number[] = [];
    for (const argv of commands) {
      // `apply` asks on a terminal; the test has none, so it answers as --auto-approve would.
      const args = argv[0] === "apply" ? [...argv, "--auto-approve"] : argv;
      const r = await runCliProcess(args, env, root);
      if (r.code !== 0 && !(argv[0] === "plan" && r.code === 2)) throw new Error(`${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      codes.push(r.code);
    }
    // plan (changes, exit 0 without --detailed-exitcode), apply, plan --detailed-exitcode: clean.
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("stops everything it started on Ctrl-C", async () => {
    const exited = new Promise<number | null>((resolve) => sandbox.once("exit", (code) => resolve(code)));
    sandbox.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const url of [env.AWS_ENDPOINT_URL!, env.AUTHENTIK_URL!]) {
      await expect(fetch(url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    }
  });
});
