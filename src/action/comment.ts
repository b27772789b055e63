/**
 * The plan comment's format. One comment per config per pull request, found
 * again by a hidden marker on its first line (naming the config) *and* the
 * author's login, so a comment someone else wrote with the same marker is never
 * touched. The second line says how the plan ended (planned or failed), the
 * status sits between markers so apply can rewrite just that, and a comment of
 * a successful plan ends with one hidden data line: the reviewed plan's hash and
 * change list, so apply can prove it applies what was reviewed — and say what
 * differs when it does not.
 *
 * The hidden lines are the only place `<!--` appears in anything the Action
 * writes: every name from a configuration or from live state is escaped where it
 * is rendered (see render/markdown.ts), so no name can spell a marker. And the
 * reader trusts nothing but those exact lines in those exact places.
 */
import { reviewedChanges, type ReviewedChange } from "../plan/plan-drift.js";
import type { Plan } from "../domain/plan-types.js";

export const GITHUB_COMMENT_LIMIT = 65_536;

export function markerFor(configPath: string): string {
  return `<!-- authentik-aws-gitops:plan config=${encodeURIComponent(configPath)} -->`;
}

/**
 * The first line of the comment apply posts on the merged pull request: one per config
 * and commit, so a re-run of the same apply job finds it and updates it instead of
 * posting another. It vouches for nothing (readData reads only plan comments).
 */
export function applyMarkerFor(configPath: string, commit: string): string {
  return `<!-- authentik-aws-gitops:apply config=${encodeURIComponent(configPath)} commit=${encodeURIComponent(commit)} -->`;
}

/** The comment's second line: how the plan it shows ended. Apply never changes it. */
export const RESULT_PLANNED = "<!-- authentik-aws-gitops:result planned -->";
export const RESULT_FAILED = "<!-- authentik-aws-gitops:result failed -->";

const STATUS_OPEN = "<!-- authentik-aws-gitops:status -->";
const STATUS_CLOSE = "<!-- /authentik-aws-gitops:status -->";
const DATA_LINE = /^<!-- authentik-aws-gitops:data ([A-Za-z0-9_-]+) -->$/;
const HASH = /^[0-9a-f]{64}$/;

export interface ReviewedData {
  hash: string;
  commit: string;
  /** Every change as reviewed, when the list fits in the comment. */
  changes?: ReviewedChange[];
}

export function statusBlock(status: string): string {
  return `${STATUS_OPEN}\n${status}\n${STATUS_CLOSE}`;
}

/** The comment with a new status; everything else (the result line, the plan, the data line) as it was. */
export function replaceStatus(body: string, status: string): string {
  const start = body.indexOf(STATUS_OPEN);
  const end = body.indexOf(STATUS_CLOSE, start);
  if (start < 0 || end < start) return body;
  return `${body.slice(0, start)}${statusBlock(status)}${body.slice(end + STATUS_CLOSE.length)}`;
}

/** The hidden data line, base64url so no content can close the HTML comment early. */
export function dataBlock(plan: Plan, commit: string, room: number): string {
  const full: ReviewedData = { hash: plan.hash, commit, changes: reviewedChanges(plan) };
  const encode = (d: ReviewedData) => `<!-- authentik-aws-gitops:data ${Buffer.from(JSON.stringify(d)).toString("base64url")} -->`;
  const withChanges = encode(full);
  return withChanges.length <= room ? withChanges : encode({ hash: plan.hash, commit });
}

/**
 * The reviewed plan a comment vouches for, or undefined. Only a comment whose
 * second line says the plan succeeded, and only from the one data line the
 * Action appended last: a comment that mentions the data marker anywhere else,
 * or twice, vouches for nothing.
 */
export function readData(body: string): ReviewedData | undefined {
  let end = body.length;
  while (end > 0 && body[end - 1] === "\n") end--; // (a /\n+$/ would be quadratic on a run of blank lines)
  const lines = body.slice(0, end).split("\n");
  if (lines[1] !== RESULT_PLANNED) return undefined;
  if (body.split("authentik-aws-gitops:data").length !== 2) return undefined;
  const match = DATA_LINE.exec(lines[lines.length - 1]!);
  if (!match) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(match[1]!, "base64url").toString("utf8")) as ReviewedData;
    if (typeof parsed !== "object" || parsed === null || typeof parsed.hash !== "string" || !HASH.test(parsed.hash)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}
