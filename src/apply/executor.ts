import { UserError } from "../errors.js";
import type { Change } from "../plan/types.js";

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

export class ApplyError extends UserError {
  override readonly name = "ApplyError";
  constructor(readonly result: ApplyResult) {
    const failures = result.failed.map((f) => `  ${f.change.address}: ${f.error.message}`).join("\n");
    super(
      `apply failed: ${result.failed.length} change(s) failed, ${result.applied.length} applied, ${result.skipped.length} not attempted\n${failures}\n` +
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
  const inPlan = new Set(changes.map((c) => c.address));
  const pending = new Map(changes.map((c) => [c.address, c]));
  const finished = new Set<string>();
  const result: ApplyResult = { applied: [], failed: [], skipped: [] };
  const running = new Map<string, Promise<void>>();
  const laneUse = new Map<string, number>();
  let stopped = false;
  const laneOf = (c: Change) => options.lanes?.(c);
  const laneFree = (c: Change) => {
    const lane = laneOf(c);
    return !lane || (laneUse.get(lane.key) ?? 0) < lane.limit;
  };

  const ready = (c: Change) => c.dependsOn.every((d) => !inPlan.has(d) || d === c.address || finished.has(d));

  for (;;) {
    if (!stopped) {
      for (const c of [...pending.values()]) {
        if (running.size >= limit) break;
        if (!ready(c) || !laneFree(c)) continue;
        pending.delete(c.address);
        const lane = laneOf(c);
        if (lane) laneUse.set(lane.key, (laneUse.get(lane.key) ?? 0) + 1);
        const started = Date.now();
        emit({ kind: "start", change: c });
        const p = run(c)
          .then(() => {
            finished.add(c.address);
            result.applied.push(c);
            emit({ kind: "done", change: c, ms: Date.now() - started });
          })
          .catch((error: unknown) => {
            const e = error instanceof Error ? error : new Error(String(error));
            result.failed.push({ change: c, error: e });
            stopped = true;
            emit({ kind: "failed", change: c, error: e });
          })
          .finally(() => {
            running.delete(c.address);
            if (lane) laneUse.set(lane.key, (laneUse.get(lane.key) ?? 1) - 1);
          });
        running.set(c.address, p);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  // Left over without a failure means a dependency cycle: a planner bug, so say so.
  if (!stopped && pending.size > 0) {
    throw new Error(`internal: dependency cycle among ${[...pending.keys()].join(", ")}`);
  }
  for (const c of pending.values()) {
    result.skipped.push(c);
    emit({ kind: "skipped", change: c, because: "an earlier change failed" });
  }
  if (result.failed.length > 0) throw new ApplyError(result);
  return result;
}
