// mappings[].expires end to end, classic-iam: the shipped CLI (bin/, a child process)
// against moto_server and the authentik emulator in processes of their own. A grant
// with an expiry ahead is applied and shown with its date; once the date is past, plan
// shows its loss with reason expired even with pruning off, apply removes it (and a
// copy of it, and the group's application binding), and the next plan is clean.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { example, startPeers, type Peers } from "../support/peers.js";

let peers: Peers;
let config: string;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The classic example, pruning off, with data-eng's mapping ending at `expires`. */
function configText(expires: string): string {
  const text = example("classic-iam.yaml")
    .replace("    accounts: [dev]\n\noptions:\n  prune: true", `    accounts: [dev]\n    expires: ${expires}\n\noptions:\n  prune: false`);
  expect(text).toContain(`expires: ${expires}`);
  return text;
}
const expiresLine = () => configText("X").split("\n").findIndex((l) => l.startsWith("    expires: ")) + 1;

const planJson = (extra: string[] = []): Promise<Plan> => peers.planJson(config, { args: extra });
const groupsBoundTo = (target: string) => peers.groupsBoundTo(target);
const entitlement = (name: string) => peers.entitlement(name);

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  config = peers.writeConfig("aws-access.yaml", configText(day(3)));
});

afterAll(() => peers.stopAfterChecks());

describe("classic-iam: access that expires", () => {
  it("plans and applies a grant with an expiry ahead, showing the date and warning within the window", async () => {
    const first = await planJson();
    expect(first.access.filter((a) => a.group === "data-eng" && a.kind === undefined).map((a) => [a.grant, a.change, a.expires?.value])).toEqual([
      ["data-engineer", "gained", day(3)],
      ["readonly", "gained", day(3)],
    ]);
    const r = await peers.cli(["apply", "-c", config, "--auto-approve"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);

    const text = await peers.cli(["plan", "-c", config, "--detailed-exitcode"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("No changes.");
    expect(text.stdout).toContain("Access that expires:");
    expect(text.stdout).toContain(`group "data-eng": role "data-engineer" in dev (222222222222) expires on ${day(3)} (in 3 days; mappings[2].expires, ${config}:${expiresLine()}:14)`);
    expect(text.stdout).toContain(`access ends in 3 days: group 'data-eng' loses role 'data-engineer' in dev (222222222222) — expires on ${day(3)} (mappings[2].expires, ${config}:${expiresLine()}:14)`);
    const plan = await planJson();
    expect(plan.expiring!.map((e) => `${e.group} ${e.grant}@${e.account} ${e.daysLeft}`)).toEqual(["data-eng data-engineer@dev 3", "data-eng readonly@dev 3"]);
  });

  it("once the date is past: validate warns at FILE:LINE:COL, plan shows the loss with reason expired even with --no-prune", async () => {
    // A copy of the binding made by hand in authentik goes with it.
    const dataEng = (await peers.ak("GET", "/core/groups/?name=data-eng")).results[0];
    await peers.ak("POST", "/policies/bindings/", { target: (await entitlement("data-engineer@dev")).pbm_uuid, group: dataEng.pk, order: 0 });
    peers.writeConfig("aws-access.yaml", configText(day(-1)));

    const v = await peers.cli(["validate", "-c", config]);
    expect(v.code).toBe(0);
    expect(v.stderr + v.stdout).toContain(`${config}:${expiresLine()}:14: warning: the mapping for group 'data-eng' expired on ${day(-1)}`);

    const plan = await planJson(["--no-prune"]);
    const reason = `expired on ${day(-1)} (mappings[2].expires, ${path.basename(config)}:${expiresLine()}:14)`;
    expect(plan.changes.map((c) => [c.action, c.address, c.reason])).toEqual([
      // The end recorded next to each expired grant goes with it (issue 20: lifetimes are part of the plan).
      ["update", "authentik.entitlement[aws/data-engineer@dev]", `${reason}: the recorded end goes with the grant`],
      ["update", "authentik.entitlement[aws/readonly@dev]", `${reason}: the recorded end goes with the grant`],
      ["delete", "authentik.policy_binding[aws/data-engineer@dev→group:data-eng]", reason],
      ["delete", "authentik.policy_binding[aws/data-engineer@dev→group:data-eng]#2", reason],
      ["delete", "authentik.policy_binding[aws/readonly@dev→group:data-eng]", reason],
      ["delete", "authentik.policy_binding[aws→group:data-eng]", reason],
    ]);
    expect(plan.changes.every((c) => c.expired?.value === day(-1))).toBe(true);
    expect(plan.access.map((a) => [a.group, a.kind ?? a.grant, a.change, a.reason])).toEqual([
      ["data-eng", "data-engineer", "lost", "expired"],
      ["data-eng", "readonly", "lost", "expired"],
      ["data-eng", "application", "lost", "expired"],
    ]);
    expect(plan.notPruned).toEqual([]);
    const text = await peers.cli(["plan", "-c", config, "--no-prune", "--detailed-exitcode"]);
    expect(text.code).toBe(2);
    // What is printed names the file as errors do (as given); the plan's JSON keeps its base name (the hash must not depend on -c).
    expect(text.stdout).toContain(`- group "data-eng" loses role "data-engineer" in dev (222222222222) — ${reason.replace(path.basename(config), config)}`);
    expect(text.stdout).not.toContain(`(mappings[2].expires, ${path.basename(config)}:`);
  });

  it("apply --only-expired refuses a plan that holds more than expired removals, and applies nothing", async () => {
    // Also a role's description edited: not a removal of expired access.
    peers.writeConfig("aws-access.yaml", configText(day(-1)).replace("description: Read the data lake buckets", "description: Read the data lake"));
    let refused;
    try {
      refused = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-prune", "--only-expired"]);
    } finally {
      peers.writeConfig("aws-access.yaml", configText(day(-1)));
    }
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error: --only-expired: 1 change(s) between the configuration and the live state that are not removals of expired access (update aws.iam.role[dev:/authentik/data-engineer]); nothing was applied, not even the 6 expired removal(s)");
    expect(refused.stdout).not.toContain("Applying");
    // The grant and its copy (made by hand in the test before) are both still there.
    expect(await groupsBoundTo((await entitlement("data-engineer@dev")).pbm_uuid)).toEqual(["data-eng", "data-eng"]);
  });

  it("apply (--only-expired, as the Action's mode: expire) removes the expired grants (pruning off), and the next plan is clean", async () => {
    const r = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-prune", "--only-expired"]);
    expect(r.stdout).toContain(`expired: group 'data-eng': role 'data-engineer' in dev (222222222222), expired`);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Apply complete: 0 created, 2 updated, 4 deleted.");
    expect(await groupsBoundTo((await entitlement("data-engineer@dev")).pbm_uuid)).toEqual([]);
    expect(await groupsBoundTo((await entitlement("readonly@dev")).pbm_uuid)).toEqual(["engineers"]);
    const app = await peers.ak("GET", "/core/applications/aws/");
    expect(await groupsBoundTo(app.pk)).toEqual(["aws-admins", "engineers"]);

    const again = await peers.cli(["plan", "-c", config, "--no-prune", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes.");
    // Setting a later date grants it again.
    peers.writeConfig("aws-access.yaml", configText(day(30)));
    const back = await planJson();
    expect(back.access.filter((a) => a.kind === undefined).map((a) => [a.group, a.grant, a.change, a.expires?.value])).toEqual([
      ["data-eng", "data-engineer", "gained", day(30)],
      ["data-eng", "readonly", "gained", day(30)],
    ]);
  });
});
