import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { output, scrubbingIO, type CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { formatProblem, printDiagnostics, printProblems } from "../../src/cli/report.js";
import { styler } from "../../src/render/terminal-style.js";
import { parsePlanJson } from "../../src/render/json.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";
import { unsafeCharacters } from "../../src/util/safe-text.js";
import { hostilePlan } from "./hostile-plan.js";

/**
 * No text from a configuration or from authentik and AWS (a group name, an
 * authentik error body, a role description) can move the cursor, recolour the
 * terminal, clear the screen or reorder what is shown: every output escapes
 * control characters, bidirectional controls and lone surrogates as \uXXXX.
 */
const NASTY = "x\u0000\u0007\u0008\u001b[2J\u001b]0;owned\u0007\u009b31m\u0085\u061c\u200f\u202e\u2066\u2028\ufeff\udfff\ud800y";
const nastyPlan = () => hostilePlan(NASTY);
const unsafe = (s: string) => unsafeCharacters(s).map((ch) => `U+${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`);

function capture(env: NodeJS.ProcessEnv = {}): { io: CliIO; text: () => string } {
  let text = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (text += s), isTTY: false },
    stderr: { write: (s: string) => (text += s), isTTY: false },
    stdin: new PassThrough(),
    env,
    cwd: process.cwd(),
  };
  return { io, text: () => text };
}

describe("plans escape control characters from live and configured values", () => {
  it("in the text plan", () => {
    const out = renderPlanText(nastyPlan(), styler(false));
    expect(unsafe(out)).toEqual([]);
    expect(out).toContain("\\u001b[2J");
    expect(out).toContain("\\ud800");
  });

  it("in the text plan with colours: only the tool's own colour codes reach the terminal", () => {
    const out = renderPlanText(nastyPlan(), styler(true));
    const escapes = [...out.matchAll(/\u001b(\[[0-9;]*m)?/g)].map((m) => m[0]);
    expect(escapes.every((e) => /^\u001b\[[0-9;]*m$/.test(e))).toBe(true);
    expect(unsafe(out.replace(/\u001b\[[0-9;]*m/g, ""))).toEqual([]);
  });

  it("in the markdown plan", () => {
    const out = renderPlanMarkdown(nastyPlan());
    expect(unsafe(out)).toEqual([]);
  });

  it("in the JSON plan printed by plan --format json, which still parses to the same plan", async () => {
    const { printablePlanJson } = await import("../../src/cli/plan-apply.js");
    const plan = nastyPlan();
    const out = printablePlanJson(plan);
    expect(unsafe(out)).toEqual([]);
    expect(parsePlanJson(out)).toEqual(parsePlanJson(JSON.stringify(plan)));
  });
});

describe("errors and warnings escape control characters", () => {
  it("in diagnostics (file names and messages)", () => {
    const { io, text } = capture();
    printDiagnostics(output(io, false), [{ severity: "warning", message: `m${NASTY}\nsecond line`, file: `f${NASTY}.yaml`, line: 1, column: 2, path: [] }]);
    expect(unsafe(text())).toEqual([]);
    expect(text()).toContain("\nsecond line");
  });

  it("in plan problems and user errors, with a live value from authentik", () => {
    const { io, text } = capture();
    const o = output(io, false);
    printProblems(o, [{ message: `group ${NASTY} does not exist in authentik`, address: `authentik.group[${NASTY}]` }]);
    o.error(formatProblem(o, { message: `f.yaml:3:4: authentik answered ${NASTY}` }));
    expect(unsafe(text())).toEqual([]);
    expect(text()).toContain("f.yaml:3:4: error: authentik answered x\\u0000");
  });

  it("in what the CLI prints for a command-line mistake and for a missing file", async () => {
    const { io, text } = capture();
    await main([`--frob${NASTY}`], scrubbingIO(io));
    await main(["validate", "-c", `/nonexistent/${NASTY}.yaml`], scrubbingIO(io));
    expect(text()).toContain("/nonexistent/x\\u0000");
    expect(unsafe(text())).toEqual([]);
  });
});

describe("the CLI in a GitHub Actions step writes no workflow command", () => {
  it("a name holding ##[error] or ::error:: at a line's start is written with an escape", async () => {
    const { io, text } = capture({ GITHUB_ACTIONS: "true" });
    await main([`--frob##[error]forged`], scrubbingIO(io));
    await main(["validate", "-c", `/nonexistent/##[warning]x.yaml`], scrubbingIO(io));
    scrubbingIO(io).stderr.write("::error title=X::forged\n  ::add-mask::y\n");
    expect(text()).not.toContain("##[");
    expect(text().split("\n").filter((l) => /^\s*::/.test(l))).toEqual([]);
    expect(text()).toContain("##\\u005berror]forged");
    expect(text()).toContain("\\u003a:error title=X::forged");
  });

  it("outside GitHub Actions the text is left as it is", () => {
    const { io, text } = capture({});
    scrubbingIO(io).stdout.write("##[x] ::y\n");
    expect(text()).toBe("##[x] ::y\n");
  });
});

describe("the CLI in a GitHub Actions step: white space the runner trims", () => {
  it.each(["\u3000", "\u00a0", "\u2003", "\u202f", "\u205f", "\u0085", "\t \u3000"])("%j before :: does not make a command", (space) => {
    const { io, text } = capture({ GITHUB_ACTIONS: "true" });
    scrubbingIO(io).stdout.write(`ok\n${space}::error::forged\n`);
    expect(text()).toBe(`ok\n${space}\\u003a:error::forged\n`);
  });
});
