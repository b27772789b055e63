// Runs expression_runner.py with python3: authentik compiles property-mapping
// expressions on save and evaluates them in the test endpoint, and the only
// faithful way to reproduce Python's syntax rules and semantics is Python.
// Data goes over stdin as JSON (never into argv or source code).
//
// Compiling uses one long-lived worker per emulator (compile() never executes
// the expression; interpreter start costs ~0.3 s on a small machine).
// Evaluating always uses a fresh process, so an expression can neither poison
// later evaluations nor take the emulator down (os._exit, infinite loops).
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const RUNNER = fileURLToPath(new URL("./expression_runner.py", import.meta.url));
const TIMEOUT_MS = 15_000;

export const PYTHON = process.env.AUTHENTIK_EMULATOR_PYTHON ?? "python3";

function spawnRunner(args: string[]): ChildProcessWithoutNullStreams {
  // -I: isolated mode, ignores PYTHON* variables and the user site directory.
  return spawn(PYTHON, ["-I", RUNNER, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
}

function runOnce<T>(input: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnRunner([]);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PYTHON}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString("utf8");
      try {
        if (code !== 0) throw new Error();
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new ExpressionProcessDied(`expression process ended (code ${code}, signal ${signal}): ${Buffer.concat(stderr).toString("utf8").slice(0, 2000)}`));
      }
    });
    child.stdin.end(JSON.stringify(input), "utf8");
  });
}

/** The evaluation process died without an answer (timeout, os._exit, crash). */
export class ExpressionProcessDied extends Error {}

export interface EvaluationInput {
  expression: string;
  filename: string;
  format_result: boolean;
  user: Record<string, unknown> | null;
  group: Record<string, unknown> | null;
  provider: Record<string, unknown> | null;
  context: Record<string, unknown>;
  applications: Record<string, Record<string, unknown>>;
  /** app pbm_uuid → the user's entitlements for it */
  entitlements: Record<string, Record<string, unknown>[]>;
  /** also report what the SAML assertion makes of the value (`values`, `text`) */
  assertion?: boolean;
}

export interface PolicyEvaluationInput {
  expression: string;
  /** the policy's name (the evaluator's filename) */
  filename: string;
  /** request.user: a user's data as for mappings, or the anonymous user's */
  user: Record<string, unknown>;
  /** request.obj: the pbm_uuid of an application in `applications`, if the target is one */
  obj: string | null;
  /** request.context (JSON); keys in set_keys are Python sets there (oauth_scopes) */
  context: Record<string, unknown>;
  set_keys: string[];
  http_request: { method: string; path: string; client_ip: string; user_agent: string };
  applications: Record<string, Record<string, unknown>>;
  entitlements: Record<string, Record<string, unknown>[]>;
}

/** `exception` set: the expression raised (PolicyException); else its PolicyResult. */
export interface PolicyEvaluationResult {
  passing?: boolean;
  messages: string[];
  raw?: string;
  exception?: string;
  logs: Array<Record<string, string>>;
}

export interface EvaluationResult {
  successful: boolean;
  result: string;
  logs: Array<Record<string, string>>;
  /**
   * With `assertion`: the AttributeValues the SAML assertion would carry (null: the attribute
   * is left out) and str(value) for a NameID (null for None).
   */
  values?: string[] | null;
  text?: string | null;
}

interface Pending {
  resolve(v: { ok: boolean; error?: string }): void;
  reject(e: Error): void;
}

export class ExpressionEngine {
  private worker?: ChildProcessWithoutNullStreams;
  private buffer = "";
  private readonly pending: Pending[] = [];
  private closed = false;

  private ensureWorker(): ChildProcessWithoutNullStreams {
    if (this.worker) return this.worker;
    const worker = spawnRunner(["--serve"]);
    worker.stdout.setEncoding("utf8");
    worker.stdout.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.pending.shift()?.resolve(JSON.parse(line) as { ok: boolean; error?: string });
      }
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      this.buffer = "";
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    worker.on("error", (err) => fail(new Error(`cannot run ${PYTHON}: ${err.message}`)));
    worker.on("exit", (code) => fail(new Error(`python compile worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  /**
   * authentik's PropertyMappingSerializer.validate_expression: compile the wrapped
   * expression; on error the 400 message is "Expression Syntax Error: <SyntaxError>".
   * `filename` is the mapping's current name (str(None) = "None" on create), which
   * shows up in the message the way authentik shows it.
   */
  compile(expression: string, filename: string, contextKeys: string[] = ["request"]): Promise<string | undefined> {
    if (this.closed) return Promise.reject(new Error("expression engine closed"));
    const worker = this.ensureWorker();
    return new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      worker.stdin.write(`${JSON.stringify({ mode: "compile", expression, filename, context_keys: contextKeys })}\n`);
    }).then((out) => (out.ok ? undefined : out.error));
  }

  evaluate(input: EvaluationInput): Promise<EvaluationResult> {
    return runOnce<EvaluationResult>({ mode: "evaluate", ...input });
  }

  /** An expression policy, as PolicyEvaluator runs it (expression_runner.py do_policy), in a fresh process. */
  evaluatePolicy(input: PolicyEvaluationInput): Promise<PolicyEvaluationResult> {
    return runOnce<PolicyEvaluationResult>({ mode: "policy", ...input });
  }

  close(): void {
    this.closed = true;
    this.worker?.stdin.end();
    this.worker?.kill();
    this.worker = undefined;
  }
}
