// mode: expire of the bundled Action (dist/index.js under Node 24, the way the runner
// runs it) on a schedule, against moto_server, the authentik emulator and the GitHub
// emulator, each in a process of its own: nothing to do → success; only expired grants
// to remove → applied without a reviewed plan; anything else in the plan → fails like
// drift and applies nothing, not even the expired removals.
import { GetRoleCommand, IAMClient, UpdateRoleCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import type { GitHubPeer } from "../peers/github/peer.js";
import { actionBench, REPO, writes, type ActionResult } from "../support/action.js";
import { example, type Peers } from "../support/peers.js";

const PROD = "111111111111";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], inputs: { mode: "expire" } });
let peers: Peers;
let gh: GitHubPeer;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The classic example, pruning off, data-eng's mapping ending at `dataEng`. */
function configText(dataEng: string): string {
  const text = example("classic-iam.yaml").replace("    accounts: [dev]\n\noptions:\n  prune: true", `    accounts: [dev]\n    expires: ${dataEng}\n\noptions:\n  prune: false`);
  expect(text).toContain(`expires: ${dataEng}`);
  return text;
}

/** The hourly scheduled run of the example workflow's expire job. */
async function expireRun(): Promise<ActionResult> {
  return bench.act(await bench.schedule("23 * * * *"));
}

/** Writes sent to authentik and GitHub while `run` ran. */
async function writesDuring<T>(run: () => Promise<T>): Promise<{ result: T; authentik: string[]; github: string[] }> {
  const { result, authentik, github } = await bench.during(run);
  const w = (rs: { method: string; path: string }[]) => writes(rs).filter((r) => r.path !== "/graphql").map((r) => `${r.method} ${r.path}`);
  return { result, authentik: w(authentik), github: w(github) };
}

const groupsBoundTo = (target: string) => peers.groupsBoundTo(target);
const entitlementTarget = async (name: string) => (await peers.entitlement(name)).pbm_uuid;

beforeAll(async () => {
  ({ peers, gh } = await bench.start());
  peers.writeConfig("aws-access.yaml", configText(day(2)));
  // What main's merge applied earlier.
  const r = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"]);
  expect(r.code).toBe(0);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("the Action's mode: expire", () => {
  it("succeeds doing nothing while nothing has expired", async () => {
    const { result: r, authentik, github } = await writesDuring(expireRun);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.outputs["has-changes"]).toBe("false");
    expect(r.summary).toContain("Nothing has expired");
    // …and the summary shows what will expire, and when.
    expect(r.summary).toContain("Access that expires");
    expect(authentik).toEqual([]);
    expect(github).toEqual([]);
  });

  it("fails like drift and applies nothing when the plan holds more than expired removals", async () => {
    peers.writeConfig("aws-access.yaml", configText(day(-1)));
    // Drift in AWS besides: someone changed a role by hand.
    await new IAMClient(peers.aws(PROD)).send(new UpdateRoleCommand({ RoleName: "readonly", Description: "changed by hand", MaxSessionDuration: 3600 }));
    const { result: r, authentik } = await writesDuring(expireRun);
    expect(r.code).not.toBe(0);
    expect(r.outputs["has-changes"]).toBe("true");
    expect(r.stdout).toContain("::error::aws-access.yaml: drift: 1 change(s) between the configuration and the live state that are not removals of expired access (update aws.iam.role[prod:/authentik/readonly]); nothing was applied, not even the 5 expired removal(s)");
    expect(r.summary).toContain("Drift");
    expect(r.summary).toContain("nothing was applied");
    expect(authentik).toEqual([]);
    expect(await groupsBoundTo(await entitlementTarget("data-engineer@dev"))).toEqual(["data-eng"]);
    const role = await new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "readonly" }));
    expect(role.Role?.Description).toBe("changed by hand");
  });

  it("applies a plan whose every change removes an expired grant, without a reviewed plan, and says what expired", async () => {
    // The drift is put right by hand; what is left has only expired.
    await new IAMClient(peers.aws(PROD)).send(new UpdateRoleCommand({ RoleName: "readonly", Description: "Read-only access to every account", MaxSessionDuration: 3600 }));
    const { result: r, authentik } = await writesDuring(expireRun);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.outputs["has-changes"]).toBe("true");
    expect(authentik.filter((w) => w.startsWith("DELETE /api/v3/policies/bindings/"))).toHaveLength(3);
    // Besides: the end recorded next to each expired grant goes with it (two entitlements).
    expect(authentik.filter((w) => !w.startsWith("DELETE ")).map((w) => w.replace(/[^/]+\/$/, "…/"))).toEqual(["PATCH /api/v3/core/application_entitlements/…/", "PATCH /api/v3/core/application_entitlements/…/"]);
    expect(r.summary).toContain("Expired access removed");
    // Escaped as markdown text (names come from the configuration).
    expect(r.summary).toContain(`group 'data-eng': role 'data-engineer' in dev \\(222222222222\\), expired on ${day(-1)} \\(mappings\\[2\\].expires, aws-access.yaml:`);
    expect(r.summary).toContain("group 'data-eng': sign-in to application 'aws'");
    expect(r.stdout).toContain("✓ delete authentik.policy_binding[aws/data-engineer@dev→group:data-eng]");
    expect(await groupsBoundTo(await entitlementTarget("data-engineer@dev"))).toEqual([]);
    expect(await groupsBoundTo(await entitlementTarget("readonly@dev"))).toEqual(["engineers"]);

    // Clean afterwards: the next hourly run does nothing.
    const next = await expireRun();
    expect(next.code).toBe(0);
    expect(next.outputs["has-changes"]).toBe("false");
  });

  it("refuses to run from any branch but the default one (it applies without a reviewed plan): nothing applied", async () => {
    peers.writeConfig("aws-access.yaml", configText(day(-1)));
    const event = await gh.control.pushEvent({ repo: REPO, before: syntheticSha("b0"), after: syntheticSha("feature"), ref: "refs/heads/feature" });
    const { result: r, authentik } = await writesDuring(() => bench.act(event));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("mode expire applies only from the default branch (main)");
    expect(authentik).toEqual([]);
  });
});
