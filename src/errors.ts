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
