import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main.js";
import type { CliIO } from "../../src/cli/io.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, as a non-terminal, capturing what it prints. */
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
