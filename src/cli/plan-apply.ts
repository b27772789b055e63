import { constants } from "node:fs";
import { access, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { ProgressEvent } from "../apply/executor.js";
import { loadConfigFile } from "../config/load-config.js";
import type { PlanSession } from "../engine.js";
import { expiredAccessLines, notExpiredRemovals, notOnlyExpiredMessage } from "../plan/expired-only.js";
import { openSession } from "../session.js";
import { EXIT, UserError, fileProblem } from "../errors.js";
import { planDrift, reviewedChanges } from "../plan/plan-drift.js";
import type { Plan } from "../domain/plan-types.js";
import { parsePlanJson, renderPlanJson } from "../render/json.js";
import { renderPlanMarkdown } from "../render/markdown.js";
import { renderPlanText } from "../render/text.js";
import { escapeUnsafe, escapeUnsafeJson } from "../util/safe-text.js";
import { cliAuthentikAuth } from "./authentik-auth.js";
import type { Output } from "./io.js";
import { brokenSignInsLine, renderVerifyText } from "../render/verify-text.js";
import { afterApplyTarget, verifyAfterApply } from "../verify/after-apply.js";
import { verifyExitCode } from "../verify/core.js";
import { printDiagnostics } from "./report.js";

export interface PlanFlags {
  config: string;
  format?: "text" | "markdown" | "json";
  out?: string;
  detailedExitcode?: boolean;
  prune?: boolean;
  allowDeleteAll?: boolean;
  rotateScimToken?: boolean;
}

export interface ApplyFlags {
  config: string;
  plan?: string;
  scimWait?: number;
  rotateScimToken?: boolean;
  autoApprove?: boolean;
  prune?: boolean;
  allowDeleteAll?: boolean;
  /** Apply only when every change removes access whose mappings[].expires has passed (as the Action's mode: expire). */
  onlyExpired?: boolean;
  /** After a successful apply, verify the sign-ins of the people the plan affected (issue 21): on unless --no-verify (false). */
  verify?: boolean;
}

async function session(
  o: Output,
  file: string,
  flags: { prune?: boolean; allowDeleteAll?: boolean; scimWait?: number; rotateScimToken?: boolean },
): Promise<PlanSession> {
  const { config, warnings } = await loadConfigFile(file);
  printDiagnostics(o, warnings);
  return openSession(config, o.io.env, {
    ...(flags.scimWait !== undefined ? { scimWaitSeconds: flags.scimWait } : {}),
    ...(flags.rotateScimToken ? { rotateScimToken: true } : {}),
    ...(flags.prune !== undefined ? { prune: flags.prune } : {}),
    ...(flags.allowDeleteAll ? { allowDeleteAll: true } : {}),
    // Whatever variable the config names for the SCIM token, its value is never printed.
    mask: (secret) => o.io.addSecret?.(secret),
    authentikAuth: cliAuthentikAuth(o, config),
  });
}

/**
 * Refuses a --out path the plan could not be saved to, before any live state
 * is read: finding out after a long plan was printed would waste the run.
 */
export async function checkPlanOut(out: string): Promise<void> {
  const refuse = (why: string) => new UserError(`cannot save the plan to ${out}: ${why}`);
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw refuse("it is a folder");
  const folder = path.dirname(path.resolve(out));
  const parent = await stat(folder).catch(() => undefined);
  if (!parent) throw refuse(`the folder ${path.dirname(out)} does not exist`);
  if (!parent.isDirectory()) throw refuse(`${path.dirname(out)} is not a folder`);
  await access(existing ? out : folder, constants.W_OK).catch(() => {
    throw refuse(existing ? "the file is not writable" : `no permission to write in the folder ${path.dirname(out)}`);
  });
}

/** Writes the plan JSON; a failure (the folder removed meanwhile, a full disk) is the user's to fix. */
export async function savePlanFile(out: string, text: string): Promise<void> {
  await writeFile(out, text).catch((error: unknown) => {
    throw new UserError(`cannot save the plan to ${out}: ${fileProblem(error)}`);
  });
}

/**
 * The JSON plan as printed: the same JSON, with the characters JSON leaves raw
 * inside strings (C1 controls such as U+009B, which some terminals read as an
 * escape sequence; bidirectional controls; U+2028) written as \uXXXX escapes,
 * which JSON reads back as the same characters.
 */
export function printablePlanJson(plan: Plan): string {
  return escapeUnsafeJson(renderPlanJson(plan));
}

export async function runPlan(o: Output, flags: PlanFlags): Promise<number> {
  const file = flags.config;
  if (flags.out) await checkPlanOut(flags.out);
  const s = await session(o, file, flags);
  const plan = s.plan;
  // Saved before it is printed: if saving fails, nothing suggests there is a plan to apply.
  if (flags.out) await savePlanFile(flags.out, renderPlanJson(plan));
  const format = flags.format ?? "text";
  o.io.stdout.write(
    format === "json" ? printablePlanJson(plan) : format === "markdown" ? `${renderPlanMarkdown(plan)}\n` : `${renderPlanText(plan, o.out)}\n`,
  );
  if (flags.out) {
    o.error(escapeUnsafe(`Saved the plan to ${flags.out}; apply exactly it with: authentik-aws-gitops apply -c ${file} --plan ${flags.out}`));
  }
  const hasChanges = plan.changes.length > 0;
  return flags.detailedExitcode && hasChanges ? EXIT.changes : EXIT.ok;
}

async function confirm(o: Output, question: string): Promise<boolean> {
  const rl = createInterface({ input: o.io.stdin, output: o.io.stdout as NodeJS.WritableStream, terminal: false });
  try {
    o.io.stdout.write(question);
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

function progressPrinter(o: Output): (event: ProgressEvent) => void {
  const verb = { adopt: "adopting", create: "creating", update: "updating", delete: "deleting", replace: "replacing" } as const;
  const done = { adopt: "adopted", create: "created", update: "updated", delete: "deleted", replace: "replaced" } as const;
  // Addresses hold names from the configuration, messages text from authentik and AWS.
  const t = escapeUnsafe;
  return (e) => {
    if (e.kind === "start") o.print(`  ${verb[e.change.action]} ${t(e.change.address)} …`);
    else if (e.kind === "done") o.print(`  ${o.out.green("✓")} ${done[e.change.action]} ${t(e.change.address)} ${o.out.dim(`(${(e.ms / 1000).toFixed(1)}s)`)}`);
    else if (e.kind === "failed") o.error(`  ${o.err.red("✗")} ${t(e.change.address)}: ${t(e.error.message)}`);
    else if (e.kind === "skipped") o.error(`  ${o.err.yellow("·")} not attempted: ${t(e.change.address)} (${t(e.because)})`);
    else o.print(`  ${t(e.message)}`);
  };
}

async function readSavedPlan(file: string): Promise<Plan> {
  const text = await readFile(file, "utf8").catch((error: unknown) => {
    throw new UserError(`cannot read the saved plan ${file}: ${fileProblem(error)}`);
  });
  try {
    return parsePlanJson(text);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`the saved plan ${file} is not usable: ${error.message}`);
    throw error;
  }
}

/**
 * When apply asks before changing anything: on a terminal, unless
 * --auto-approve. A saved plan (--plan FILE) is applied without asking, as
 * terraform applies a plan file: it was the review, and it is applied only if
 * the live state still yields exactly it. Without a terminal there is nobody to
 * ask, so that is refused before anything is read.
 */
export async function runApply(o: Output, flags: ApplyFlags): Promise<number> {
  const file = flags.config;
  const ask = !flags.autoApprove && !flags.plan;
  if (ask && !o.io.stdin.isTTY) {
    throw new UserError(
      "apply asks for confirmation, but standard input is not a terminal: pass --auto-approve to apply without asking (as in CI), run it in a terminal, or apply a reviewed plan with --plan FILE",
    );
  }
  const reviewed = flags.plan ? await readSavedPlan(flags.plan) : undefined;
  const s = await session(o, file, flags);
  const plan = s.plan;

  if (reviewed && reviewed.hash !== plan.hash) {
    o.error(`${o.err.red("error:")} ${escapeUnsafe(`the saved plan ${flags.plan} (hash ${reviewed.hash.slice(0, 12)}) no longer matches what the live state and configuration yield now (hash ${plan.hash.slice(0, 12)}); refusing to apply.`)}`);
    for (const line of planDrift(reviewedChanges(reviewed), plan)) o.error(`  ${escapeUnsafe(line)}`);
    o.error("Make a new plan, review it, and apply that.");
    return EXIT.error;
  }

  o.print(renderPlanText(plan, o.out));
  if (plan.changes.length === 0) return EXIT.ok;

  if (flags.onlyExpired) {
    const other = notExpiredRemovals(plan);
    if (other.length > 0) {
      o.error(`${o.err.red("error:")} ${escapeUnsafe(`--only-expired: ${notOnlyExpiredMessage(plan, other)}`)}`);
      return EXIT.error;
    }
    for (const line of expiredAccessLines(plan)) o.print(`  expired: ${escapeUnsafe(line)}`);
  }

  if (ask) {
    const ok = await confirm(o, `\nApply these ${plan.changes.length} change(s) to authentik and AWS? Only 'yes' will be accepted: `);
    if (!ok) {
      o.error("Apply cancelled; nothing was changed.");
      return EXIT.error;
    }
  }

  o.print("");
  o.print(o.out.bold(`Applying ${plan.changes.length} change(s)…`));
  const result = await s.apply({ onProgress: progressPrinter(o) });
  const counts = { adopt: 0, create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of result.applied) counts[c.action]++;
  o.print(
    o.out.green(
      `Apply complete: ${counts.adopt ? `${counts.adopt} adopted, ` : ""}${counts.create} created, ${counts.update} updated, ${counts.delete} deleted${counts.replace ? `, ${counts.replace} replaced` : ""}.`,
    ),
  );
  return flags.verify === false ? EXIT.ok : printVerifyAfterApply(o, s, plan);
}

/**
 * After every apply that changed something (unless --no-verify): the sign-ins of the people
 * the plan affected (everyone when it changed a link all of them share), followed as `verify`
 * does; exit 1 when one does not work. What was applied stays applied. A verify that cannot
 * run is a warning, and the apply's exit code stands.
 */
async function printVerifyAfterApply(o: Output, s: PlanSession, plan: Plan): Promise<number> {
  const target = afterApplyTarget(plan);
  if (target.kind === "nobody") {
    o.print("verify: the plan affected nobody's access; nothing to verify.");
    return EXIT.ok;
  }
  o.print("");
  o.print(o.out.bold(`Verifying the sign-ins of ${target.kind === "people" ? `the ${target.people.length} ${target.people.length === 1 ? "person" : "people"} the plan affected` : "everyone with access"}…`));
  const outcome = await verifyAfterApply(s.config, plan, target, { env: o.io.env, authentikAuth: cliAuthentikAuth(o, s.config) });
  if (outcome.kind === "not-run") {
    o.error(`${o.err.yellow("warning:")} ${escapeUnsafe(`the apply is complete, but verify could not run: ${outcome.reason}`)}`);
    return EXIT.ok;
  }
  if (outcome.kind !== "checked") return EXIT.ok;
  const { report, people } = outcome;
  // review.people count or off: the people are counted, not named, as in the plan.
  o.print(renderVerifyText(report, o.out, people).trimEnd());
  if (verifyExitCode(report) === EXIT.ok) {
    const warnings = report.findings.length;
    o.print(o.out.green(`verify passed: every sign-in of the people checked works as configured${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"} above)` : ""}.`));
    return EXIT.ok;
  }
  o.error(`${o.err.red("error:")} ${escapeUnsafe(`apply complete; ${brokenSignInsLine(report, 5, people)}`)}`);
  o.error("The apply itself is complete and stays applied; the reasons above say what breaks each sign-in. (apply --no-verify skips this check.)");
  return EXIT.error;
}
