/**
 * The plan comment's format. One comment per config per pull request, found
 * again by a hidden marker on its first line (naming the config) *and* the
 * author's login, so a comment someone else wrote with the same marker is never
 * touched. The second line says how the plan ended (planned or failed), the
 * status sits between markers so apply can rewrite just that, and a comment of
 * a successful plan ends with one hidden data line: the reviewed plan's hash and
 * short digests of its changes, so apply can prove it applies what was reviewed —
 * and say what differs when it does not. (The digests, 8 bytes a change, keep the
 * line a small part of the comment; the comment itself names the changes.)
 *
 * The hidden lines are the only place `<!--` appears in anything the Action
 * writes: every name from a configuration or from live state is escaped where it
 * is rendered (see render/markdown.ts), so no name can spell a marker. And the
 * reader trusts nothing but those exact lines in those exact places.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../domain/canonical.js";
import type { Change, Plan } from "../domain/plan-types.js";
import type { ReviewedChange } from "../plan/plan-drift.js";

export const GITHUB_COMMENT_LIMIT = 65_536;
/**
 * Room the plan comment keeps for its status line to grow on apply ("Applied … — apply
 * results", "Plan changed" with what changed, "Apply failed"): replaceStatus must never
 * push an edited comment over GitHub's limit, which GitHub answers with 422 after an
 * apply that did happen.
 */
export const STATUS_ROOM = 4_000;
/** At most this many lines of "what changed since the review" in a status. */
export const STATUS_DRIFT_LINES = 15;

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
  /** Every change as reviewed (comments of earlier versions of the Action). */
  changes?: ReviewedChange[];
  /** Every change as reviewed, as short digests (see changeDigests), when they fit in the comment. */
  digests?: string;
}

const KEY_BYTES = 4;
const CONTENT_BYTES = 4;

function digestOf(text: string, bytes: number): Buffer {
  return createHash("sha256").update(text).digest().subarray(0, bytes);
}

/** Which change (its action and address) and exactly how (its canonical JSON): 4 + 4 bytes of sha256 each. */
function changeDigest(c: Change): Buffer {
  return Buffer.concat([digestOf(`${c.action} ${c.address}`, KEY_BYTES), digestOf(canonicalJson(c), CONTENT_BYTES)]);
}

/** The plan's changes as short digests, base64url: what the data line keeps instead of the change list. */
export function changeDigests(plan: Plan): string {
  return Buffer.concat(plan.changes.map(changeDigest)).toString("base64url");
}

/**
 * What differs between the changes reviewed (as digests) and the plan made now, for
 * refusing to apply with a reason: the changes planned now are named; the reviewed ones no
 * longer planned can only be counted (the comment above the data line names them).
 */
export function digestDrift(digests: string, now: Plan): string[] {
  const bytes = Buffer.from(digests, "base64url");
  const size = KEY_BYTES + CONTENT_BYTES;
  const reviewed = new Map<string, string>();
  for (let i = 0; i + size <= bytes.length; i += size) reviewed.set(bytes.subarray(i, i + KEY_BYTES).toString("hex"), bytes.subarray(i + KEY_BYTES, i + size).toString("hex"));
  const lines: string[] = [];
  const matched = new Set<string>();
  for (const c of now.changes) {
    const d = changeDigest(c);
    const key = d.subarray(0, KEY_BYTES).toString("hex");
    const content = reviewed.get(key);
    if (content === undefined) lines.push(`+ planned now, never reviewed: ${c.action} ${c.address}`);
    else {
      matched.add(key);
      if (content !== d.subarray(KEY_BYTES).toString("hex")) lines.push(`~ planned differently: ${c.action} ${c.address}`);
    }
  }
  const gone = [...reviewed.keys()].filter((k) => !matched.has(k)).length;
  if (gone > 0) lines.unshift(`- reviewed, no longer planned: ${gone} change${gone === 1 ? "" : "s"} (see the plan comment)`);
  if (lines.length === 0) lines.push("~ the same changes, made differently (e.g. a value edited outside the review)");
  return lines;
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
  const full: ReviewedData = { hash: plan.hash, commit, digests: changeDigests(plan) };
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
    // Digests that are not base64url explain nothing: the hash alone still decides.
    if (parsed.digests !== undefined && (typeof parsed.digests !== "string" || !/^[A-Za-z0-9_-]*$/.test(parsed.digests))) delete parsed.digests;
    return parsed;
  } catch {
    return undefined;
  }
}
