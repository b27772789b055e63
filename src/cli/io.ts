import { colorEnabled, styler, type Styler } from "./terminal.js";

/** Where the CLI writes; injectable so tests can capture output without a subprocess. */
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

export interface Output {
  io: CliIO;
  out: Styler;
  err: Styler;
  print(line?: string): void;
  error(line: string): void;
}

export function output(io: CliIO, colorFlag: boolean | undefined): Output {
  return {
    io,
    out: styler(colorEnabled(io.stdout, io.env, colorFlag)),
    err: styler(colorEnabled(io.stderr, io.env, colorFlag)),
    print: (line = "") => void io.stdout.write(`${line}\n`),
    error: (line) => void io.stderr.write(`${line}\n`),
  };
}
