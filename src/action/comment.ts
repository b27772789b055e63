/**
 * The plan comment's format. One comment per config per pull request, found
 * again by a hidden marker (naming the config) *and* the author's login, so a
 * comment someone else wrote with the same marker is never touched. It carries
 * its status between markers, so apply can rewrite just that line, and the
 * reviewed plan's hash and change list as hidden data, so apply can prove it
 * applies what was reviewed — and say what differs when it does not.
 */
import { reviewedChanges, type ReviewedChange } from "../plan/plan-drift.js";
import type { Plan } from "../plan/types.js";

export const GITHUB_COMMENT_LIMIT = 65_536;

export function markerFor(configPath: string): string {
  return `<!-- authentik-aws-gitops:plan config=${encodeURIComponent(configPath)} -->`;
}

const STATUS_OPEN = "<!-- authentik-aws-gitops:status -->";
const STATUS_CLOSE = "<!-- /authentik-aws-gitops:status -->";
const DATA_PREFIX = "<!-- authentik-aws-gitops:data ";

export interface ReviewedData {
  hash: string;
  commit: string;
  /** Every change as reviewed, when the list fits in the comment. */
  changes?: ReviewedChange[];
}

export function statusBlock(status: string): string {
  return `${STATUS_OPEN}\n${status}\n${STATUS_CLOSE}`;
}

export function replaceStatus(body: string, status: string): string {
  const start = body.indexOf(STATUS_OPEN);
  const end = body.indexOf(STATUS_CLOSE);
  if (start < 0 || end < start) return body;
  return `${body.slice(0, start)}${statusBlock(status)}${body.slice(end + STATUS_CLOSE.length)}`;
}

/** Hidden data, base64url so no content can close the HTML comment early. */
export function dataBlock(plan: Plan, commit: string, room: number): string {
  const full: ReviewedData = { hash: plan.hash, commit, changes: reviewedChanges(plan) };
  const encode = (d: ReviewedData) => `${DATA_PREFIX}${Buffer.from(JSON.stringify(d)).toString("base64url")} -->`;
  const withChanges = encode(full);
  return withChanges.length <= room ? withChanges : encode({ hash: plan.hash, commit });
}

export function readData(body: string): ReviewedData | undefined {
  const start = body.lastIndexOf(DATA_PREFIX);
  if (start < 0) return undefined;
  const end = body.indexOf(" -->", start);
  try {
    const parsed = JSON.parse(Buffer.from(body.slice(start + DATA_PREFIX.length, end), "base64url").toString("utf8")) as ReviewedData;
    return typeof parsed.hash === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}
