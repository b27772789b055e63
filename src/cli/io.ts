import { stripUrlCredentials } from "../util/redact-url.js";
import { colorEnabled, styler, type Styler } from "../render/terminal-style.js";

/** Where the CLI writes; injectable so tests can capture output without a subprocess. */
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Adds a value that must never be printed (e.g. the SCIM token a config names). */
  addSecret?: (value: string) => void;
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

/** Environment variables whose values are secrets, by name. */
const SECRET_ENV = /(?:^AUTHENTIK_TOKEN$|^AUTHENTIK_JWT$|^AWS_SECRET_ACCESS_KEY$|^AWS_SESSION_TOKEN$|TOKEN$|SECRET$|PASSWORD$)/;

/**
 * Wraps the output streams so that no secret from the environment, and no
 * password in a URL (`https://user:pass@host`), can reach them, whatever code
 * path produced the text: the last line of defence behind never putting
 * secrets into messages in the first place.
 */
export function scrubbingIO(io: CliIO): CliIO {
  const secrets = Object.entries(io.env)
    .filter(([name, value]) => SECRET_ENV.test(name) && typeof value === "string" && value.length >= 8)
    .map(([, value]) => value as string);
  // In a GitHub Actions step the runner reads `::command::` at a line's start and `##[command]`
  // anywhere as workflow commands; the CLI never means to write one, so a name cannot either.
  const inActions = io.env.GITHUB_ACTIONS === "true";
  // The runner trims any white space (.NET's, which \s and NEL cover) before looking for `::`.
  const unCommand = (s: string) => (inActions ? s.replace(/(^|[\n\r])((?:[^\S\n\r]|\u0085)*):(?=:)/g, "$1$2\\u003a").replace(/##\[/g, "##\\u005b") : s);
  const scrub = (s: string) =>
    unCommand([...secrets].sort((a, b) => b.length - a.length).reduce((text, secret) => text.split(secret).join("***"), stripUrlCredentials(s)));
  return {
    ...io,
    stdout: { write: (s: string) => io.stdout.write(scrub(s)), isTTY: io.stdout.isTTY },
    stderr: { write: (s: string) => io.stderr.write(scrub(s)), isTTY: io.stderr.isTTY },
    addSecret: (value) => {
      if (value.length >= 4 && !secrets.includes(value)) secrets.push(value);
    },
  };
}
