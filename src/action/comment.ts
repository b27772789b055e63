/**
 * The plan comment's format. One comment per config per pull request, found
 * again by a hidden marker (naming the config) *and* the author's login, so a
 * comment someone else wrote with the same marker is never touched. It carries
 * its status between markers, so apply can rewrite just that line, and the
 * reviewed plan's hash and change list as hidden data, so apply can prove it
 * applies what was reviewed — and say what differs when it does not.
 */
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
  /** [action, address] of every change, when it fits. */
  changes?: [string, string][];
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
  const full: ReviewedData = { hash: plan.hash, commit, changes: plan.changes.map((c) => [c.action, c.address]) };
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

/** What differs between the reviewed change list and today's plan, for the plan-changed report. */
export function reviewedDiff(reviewed: ReviewedData, now: Plan): string[] {
  if (!reviewed.changes) return ["(the reviewed plan was too large to keep its change list; compare the hashes)"];
  const key = (action: string, address: string) => `${action} ${address}`;
  const before = new Set(reviewed.changes.map(([a, addr]) => key(a, addr)));
  const after = new Set(now.changes.map((c) => key(c.action, c.address)));
  const lines: string[] = [];
  for (const k of before) if (!after.has(k)) lines.push(`- reviewed, no longer planned: ${k}`);
  for (const k of after) if (!before.has(k)) lines.push(`+ planned now, never reviewed: ${k}`);
  if (lines.length === 0) lines.push("~ the same objects change, but what changes in them differs (e.g. a policy or a value was edited outside the pull request)");
  return lines;
}
