/**
 * Errors a user can act on (bad input, a missing environment variable, a peer
 * that refused). The CLI prints their message without a stack trace.
 */
export class UserError extends Error {
  override readonly name: string = "UserError";
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
