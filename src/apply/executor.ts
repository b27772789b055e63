import { UserError } from "../errors.js";
import type { Change } from "../domain/plan-types.js";

export type ProgressEvent =
  | { kind: "start"; change: Change }
  | { kind: "done"; change: Change; ms: number }
  | { kind: "failed"; change: Change; error: Error }
  | { kind: "skipped"; change: Change; because: string }
  | { kind: "info"; message: string };

export interface ExecuteOptions {
  /** At most this many changes in flight at once. */
  concurrency?: number;
  /** Narrower bounds for kinds of changes (e.g. AWS allows 10 assignment creations in flight). */
  lanes?: (change: Change) => { key: string; limit: number };
  onProgress?: (event: ProgressEvent) => void;
}

export interface ApplyResult {
  applied: Change[];
  failed: { change: Change; error: Error }[];
  skipped: Change[];
}

/** How many of the changes already written an error lists by name (the rest are counted). */
const WRITTEN_SHOWN = 20;

/** "already written: …" — what a failed apply did write, so that nobody has to guess. */
export function writtenLines(applied: readonly Change[]): string {
  if (applied.length === 0) return "Nothing was written.";
  const shown = applied.slice(0, WRITTEN_SHOWN).map((c) => `  ${c.action} ${c.address}`);
  const more = applied.length > WRITTEN_SHOWN ? [`  … and ${applied.length - WRITTEN_SHOWN} more`] : [];
  return `already written:\n${[...shown, ...more].join("\n")}`;
}

export class ApplyError extends UserError {
  override readonly name = "ApplyError";
  constructor(readonly result: ApplyResult) {
    const failures = result.failed.map((f) => `  ${f.change.address}: ${f.error.message}`).join("\n");
    super(
      `apply failed: ${result.failed.length} change(s) failed, ${result.applied.length} applied, ${result.skipped.length} not attempted\n${failures}\n${writtenLines(result.applied)}\n` +
        "Nothing is lost: run plan again to see what is left, and apply to converge (every step is idempotent).",
    );
  }
}

/**
 * Runs changes in dependency order (a change starts once every change it
 * depends on has finished), independent ones concurrently within a bound. After
 * a failure nothing new starts; in-flight changes finish. Dependencies that have
 * no change in this plan are already satisfied.
 */
export async function executeChanges(
  changes: readonly Change[],
  run: (change: Change) => Promise<void>,
  options: ExecuteOptions = {},
): Promise<ApplyResult> {
  const limit = Math.max(1, options.concurrency ?? 4);
  const emit = options.onProgress ?? (() => {});
  const result: ApplyResult = { applied: [], failed: [], skipped: [] };
  let stopped = false;

  // Indexed once: what each change still waits for, who waits for it, and a queue of
  // ready changes per lane — so each start and each completion costs O(its edges),
  // not a scan of the whole plan (10,000 assignments stay linear).
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const waitingOn = new Map<Change, number>();
  const dependents = new Map<string, Change[]>();
  for (const c of changes) {
    const deps = new Set(c.dependsOn.filter((d) => d !== c.address && byAddress.has(d)));
    waitingOn.set(c, deps.size);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(c);
      else dependents.set(d, [c]);
    }
  }
  const laneOf = (c: Change) => options.lanes?.(c) ?? { key: "", limit: Number.POSITIVE_INFINITY };
  const ready = new Map<string, { limit: number; queue: Change[]; head: number; used: number }>();
  const pending = new Set(changes);
  const makeReady = (c: Change) => {
    const lane = laneOf(c);
    let entry = ready.get(lane.key);
    if (!entry) ready.set(lane.key, (entry = { limit: lane.limit, queue: [], head: 0, used: 0 }));
    entry.queue.push(c);
  };
  for (const c of changes) if (waitingOn.get(c) === 0) makeReady(c);

  const running = new Set<Promise<void>>();
  const start = (c: Change, lane: { used: number }) => {
    pending.delete(c);
    lane.used += 1;
    const started = Date.now();
    emit({ kind: "start", change: c });
    // Taking over an object that already matches writes nothing: its marker comes with
    // another change (the application's Publisher, the permission set's tags).
    const p: Promise<void> = (c.action === "adopt" && c.fields.length === 0 ? Promise.resolve() : run(c))
      .then(() => {
        result.applied.push(c);
        emit({ kind: "done", change: c, ms: Date.now() - started });
        for (const d of dependents.get(c.address) ?? []) {
          const left = waitingOn.get(d)! - 1;
          waitingOn.set(d, left);
          if (left === 0) makeReady(d);
        }
      })
      .catch((error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        result.failed.push({ change: c, error: e });
        stopped = true;
        emit({ kind: "failed", change: c, error: e });
      })
      .finally(() => {
        running.delete(p);
        lane.used -= 1;
      });
    running.add(p);
  };

  for (;;) {
    if (!stopped) {
      for (const lane of ready.values()) {
        while (running.size < limit && lane.used < lane.limit && lane.head < lane.queue.length) start(lane.queue[lane.head++]!, lane);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  // Left over without a failure means a dependency cycle: a planner bug, so say so.
  if (!stopped && pending.size > 0) {
    throw new Error(`internal: dependency cycle among ${[...pending].map((c) => c.address).join(", ")}`);
  }
  for (const c of pending) {
    result.skipped.push(c);
    emit({ kind: "skipped", change: c, because: "an earlier change failed" });
  }
  if (result.failed.length > 0) throw new ApplyError(result);
  return result;
}
