/**
 * How many writes run at once, per mode: what each kind's lane and the mode's overall
 * bound allow (src/resources/registry.ts laneOf, the ApplyContext of each mode), and the
 * Identity Center limiter's pace.
 */
import { describe, expect, it } from "vitest";
import { executeChanges } from "../../src/apply/executor.js";
import type { Change, ResourceType } from "../../src/domain/plan-types.js";
import { createRateLimiter } from "../../src/providers/aws/sso-clients.js";
import type { ApplyContext } from "../../src/resources/kind.js";
import { laneOf } from "../../src/resources/registry.js";

function change(type: ResourceType, i: number, action: Change["action"] = "create"): Change {
  return { address: `${type}[${i}]`, type, system: type.startsWith("aws.") ? "aws" : "authentik", title: "", action, reason: "", before: null, after: {}, fields: [], dependsOn: [] };
}

/** The most changes in flight at once (overall and per lane key) when each takes a little while. */
async function peak(changes: Change[], ctx: ApplyContext): Promise<{ all: number; byLane: Record<string, number> }> {
  let now = 0;
  let all = 0;
  const lanes: Record<string, number> = {};
  const byLane: Record<string, number> = {};
  await executeChanges(
    changes,
    async (c) => {
      const key = laneOf(c, ctx).key;
      now++;
      lanes[key] = (lanes[key] ?? 0) + 1;
      all = Math.max(all, now);
      byLane[key] = Math.max(byLane[key] ?? 0, lanes[key]!);
      await new Promise((r) => setTimeout(r, 5));
      now--;
      lanes[key]!--;
    },
    { concurrency: ctx.inFlight, lanes: (c) => laneOf(c, ctx) },
  );
  return { all, byLane };
}

describe("writes in flight", () => {
  it("classic-iam: at most `concurrency` in all, authentik and IAM together (IAM's write rate is tight)", async () => {
    const changes = [...Array.from({ length: 8 }, (_, i) => change("authentik.entitlement", i)), ...Array.from({ length: 8 }, (_, i) => change("aws.iam.role", i))];
    expect((await peak(changes, { concurrency: 4, inFlight: 4 })).all).toBe(4);
  });

  it("identity-center: 10 assignments in flight, one re-provisioning at a time, each system at `concurrency`", async () => {
    const changes = [
      ...Array.from({ length: 20 }, (_, i) => change("aws.sso.account_assignment", i)),
      ...Array.from({ length: 4 }, (_, i) => change("aws.sso.permission_set", i, "update")),
      ...Array.from({ length: 8 }, (_, i) => change("authentik.policy_binding", i)),
    ];
    const { byLane } = await peak(changes, { concurrency: 4, inFlight: 10 });
    expect(byLane.assignments).toBe(10);
    expect(byLane.provisioning).toBe(1);
    expect(byLane.authentik).toBeLessThanOrEqual(4);
  });
});

describe("the Identity Center limiter", () => {
  it("never lets more than the burst through in any window of burst/rate seconds (no double burst at a window's border)", async () => {
    const limiter = createRateLimiter(50, 5); // 5 per 100 ms
    const times: number[] = [];
    await limiter.take();
    times.push(performance.now());
    await new Promise((r) => setTimeout(r, 90)); // the rest late in the first one's window, and on into the next
    await Promise.all(Array.from({ length: 20 }, async () => {
      await limiter.take();
      times.push(performance.now());
    }));
    times.sort((a, b) => a - b);
    // A double burst lets a sixth turn through within a few ms of the first. The times are
    // taken when each waiter resumes, which a loaded machine delays (an earlier turn seen
    // late shortens the gap measured to a later one): half a window is the margin.
    for (let i = 0; i + 5 < times.length; i++) expect(times[i + 5]! - times[i]!).toBeGreaterThanOrEqual(50);
  });
});
