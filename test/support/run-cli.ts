import { spawn } from "node:child_process";
import path from "node:path";
import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main.js";
import type { CliIO } from "../../src/cli/io.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The shipped entry point, as `npx authentik-aws-gitops` runs it (compiled to lib/ by `npm run build`). */
export const CLI_BIN = path.join(import.meta.dirname, "..", "..", "bin", "authentik-aws-gitops.js");

/**
 * Runs the shipped CLI as its own process, the way users run it: `node bin/authentik-aws-gitops.js`,
 * no terminal, only the environment given (plus PATH and HOME). Answered asynchronously, so
 * that peers in this process (there should be none in end-to-end tests) could still answer.
 */
export function runCliProcess(argv: string[], env: NodeJS.ProcessEnv, cwd: string, options: { stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...argv], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.stdin.end(options.stdin ?? "");
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Runs the CLI in-process, as a non-terminal, capturing what it prints (unit tests of the CLI only). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin: new PassThrough(),
    env,
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
