import { UserError } from "../../errors.js";
import { redactUrls } from "../../util/redact-url.js";

/**
 * AWS SDK errors (AccessDenied, throttling that outlasted retries, an endpoint
 * that does not answer) are things a user fixes, not bugs: say which call, in
 * which account, failed and why.
 */
export function awsFailure(error: unknown, what: string): Error {
  if (error instanceof UserError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: unknown; $command?: string; cause?: { code?: string } };
  // An SDK message may name the endpoint; a password in AWS_ENDPOINT_URL is never printed.
  if (e && typeof e === "object" && typeof e.message === "string") e.message = redactUrls(e.message);
  const call = e?.$command ? ` (${e.$command})` : "";
  // The retry policy already named the call, the place and how long AWS kept failing it.
  if (typeof e?.message === "string" && e.message.startsWith("AWS kept failing ")) return new UserError(`${e.message}, while ${what}`);
  if (e?.name === "TimeoutError" || (/timed? ?out|socket hang up/i.test(e?.message ?? "") && !("$metadata" in (e ?? {})))) {
    return new UserError(`AWS did not answer in time while ${what}${call}: ${e.message ?? "timeout"}; check AWS_ENDPOINT_URL, the network and the region`);
  }
  if (e && typeof e === "object" && "$metadata" in e) return new UserError(`AWS refused ${what}${call}: ${e.name ?? "Error"}: ${e.message ?? ""}`.trim());
  const code = e?.code ?? e?.cause?.code;
  if (code && /^E[A-Z]+$/.test(code)) return new UserError(`cannot reach AWS while ${what}${call} (${code}); check AWS_ENDPOINT_URL, the network and the region`);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Whether a failed AWS write may still have been done (the answer was lost): a 5xx,
 * a timeout or a broken connection. A throttled or refused call was not.
 */
export function awsMayHaveCommitted(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  if (!e || typeof e !== "object") return false;
  if (e.name === "TimeoutError" || e.code === "ECONNRESET" || e.code === "EPIPE" || e.code === "ETIMEDOUT") return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  return e.$fault === "server" || !("$metadata" in e);
}

/** Error codes by which AWS services say "slow down" (IAM's is Throttling, sso-admin's ThrottlingException). */
const THROTTLING_CODES = new Set(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "ThrottledException", "SlowDown"]);

export function awsThrottled(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLING_CODES.has(e?.name ?? "") || e?.$metadata?.httpStatusCode === 429;
}
