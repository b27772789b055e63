/**
 * One problem as every output prints it: `FILE:LINE:COL: error: SUBJECT: MESSAGE` when it
 * has a place in a file (editors and GitHub annotations understand the form), else
 * `error: SUBJECT: MESSAGE`.
 */
export interface Problem {
  severity: "error" | "warning";
  /** FILE:LINE:COL, when the problem has a place in a file. */
  location?: string;
  /** What it is about, when that is an object rather than a place (a plan address). */
  subject?: string;
  message: string;
}

/** A message that starts with its place in the configuration (`FILE:LINE:COL: …`) as a problem with that location. */
export function locatedProblem(message: string, subject?: string): Problem {
  const located = /^([^\s'"][^'"\n]*?:\d+:\d+): (.*)$/s.exec(message);
  return { severity: "error", ...(located ? { location: located[1]!, message: located[2]! } : { message }), ...(subject ? { subject } : {}) };
}

/**
 * Errors a user can act on (bad input, a missing environment variable, a peer that
 * refused, a plan that cannot be made). Every user-facing error extends it and says
 * what it stands for as problems (one formatter prints them for the CLI and the
 * Action); the CLI prints them without a stack trace.
 */
export class UserError extends Error {
  override readonly name: string = "UserError";

  /** The problems this error stands for (by default its message, located when it starts with FILE:LINE:COL). */
  problems(): Problem[] {
    return [locatedProblem(this.message)];
  }
}

/**
 * A problem as one line of text (a message may still hold line breaks of its own).
 * `label` colours the severity in a terminal; escaping for where the text lands is the
 * caller's (escapeUnsafe for a terminal, the log escaping of the Action).
 */
export function formatProblem(p: Problem, label: (severity: Problem["severity"]) => string = (s) => `${s}:`): string {
  return `${p.location ? `${p.location}: ` : ""}${label(p.severity)} ${p.subject ? `${p.subject}: ` : ""}${p.message}`;
}

/** Exit codes, as terraform uses them with --detailed-exitcode. */
export const EXIT = {
  ok: 0,
  error: 1,
  /** plan --detailed-exitcode: the plan has changes. */
  changes: 2,
} as const;

/** Why a file could not be read or written, in words (for the common causes) rather than an errno. */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "it is a folder";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return (error as Error | undefined)?.message ?? String(error);
  }
}
