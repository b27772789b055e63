import { existsSync, readFileSync } from "node:fs";
import { GetRoleCommand, IAMClient, NoSuchEntityException, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/types.js";
import { example, startPeers, TOKEN, type Peers } from "../integration/harness.js";
import { pullRequestEvent, pushEvent, scheduleEvent, syntheticSha } from "../peers/github/events.js";
import { startGitHubEmulator, type GitHubEmulator } from "../peers/github/server.js";
import { node24Binary, runAction, type ActionResult } from "./runner.js";

const REPO = "acme/aws-access";
const MARKER = "<!-- authentik-aws-gitops:plan config=aws-access.yaml -->";
const BOT = "github-actions[bot]";
const PROD = "111111111111";

let peers: Peers;
let gh: GitHubEmulator;
const baseConfig = example("classic-iam.yaml");

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    config: "aws-access.yaml",
    mode: "auto",
    "github-token": "ghs_default",
    "authentik-url": peers.authentik.url,
    "authentik-token": TOKEN,
    "require-reviewed-plan": "true",
    ...extra,
  };
}

function awsEnv(): NodeJS.ProcessEnv {
  const { AUTHENTIK_TOKEN: _t, AUTHENTIK_URL: _u, ...aws } = peers.env;
  return aws;
}

async function act(event: ReturnType<typeof pullRequestEvent>, extraInputs: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Promise<ActionResult> {
  return runAction({ workspace: peers.dir, event, inputs: inputs(extraInputs), env: { ...awsEnv(), ...env }, apiUrl: gh.url });
}

function openPull(number: number, head = syntheticSha(`head-${number}`), opts: { fork?: boolean } = {}) {
  gh.store.addPullRequest({ repo: REPO, number, user: "alice", head: { ref: `change-${number}`, sha: head, ...(opts.fork ? { repo: "mallory/aws-access" } : {}) } });
  return pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number, action: "opened" });
}

function commentBodies(number: number): { login: string; body: string; id: number }[] {
  return gh.store.commentsOn(REPO, number).map((c) => ({ id: c.id, body: c.body, login: c.user }));
}

function merge(number: number) {
  const sha = syntheticSha(`merge-${number}`);
  gh.store.mergePullRequest(REPO, number, { mergeCommitSha: sha, mergedBy: "alice" });
  return pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha(`before-${number}`), mergedPull: number });
}

beforeAll(async () => {
  node24Binary(); // fetch Node 24 once, before the clock of the first test starts
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  gh = await startGitHubEmulator({
    tokens: {
      ghs_default: { login: BOT, type: "Bot" },
      ghs_fork: { login: BOT, type: "Bot", readOnly: true },
    },
  });
  gh.store.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
  peers.writeConfig("aws-access.yaml", baseConfig);
}, 600_000);

afterAll(async () => {
  expect(gh.invalidRequests()).toEqual([]);
  expect(gh.emulatorErrors).toEqual([]);
  expect(peers.authentik.invalidRequests()).toEqual([]);
  await gh.stop();
  await peers.stop();
});

describe("the bundled Action, run by Node 24 the way the runner runs it", () => {
  it("posts one plan comment on a new pull request, with outputs and the job summary", async () => {
    const r = await act(openPull(7));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const comments = commentBodies(7);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(comments[0]!.login).toBe(BOT);
    expect(body.startsWith(MARKER)).toBe(true);
    // Summary and access first, details later, then hash and commit.
    expect(body.indexOf("23 to create")).toBeLessThan(body.indexOf("Access changes"));
    expect(body.indexOf("Access changes")).toBeLessThan(body.indexOf("<details>"));
    expect(r.outputs["has-changes"]).toBe("true");
    expect(r.outputs["plan-hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(body).toContain(r.outputs["plan-hash"]!);
    const plan = JSON.parse(readFileSync(r.outputs["plan-json"]!, "utf8")) as Plan;
    expect(plan.hash).toBe(r.outputs["plan-hash"]);
    expect(r.outputs.summary).toBe("aws-access.yaml: 23 to create, 0 to update, 0 to delete");
    expect(r.summary).toContain("Access changes");
    // The runner consumes ::add-mask:: lines and masks the value everywhere else.
    const visible = r.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::")).join("\n");
    expect(visible + r.summary + body).not.toContain(TOKEN);
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`);
  });

  it("updates the same comment on a new push instead of adding one", async () => {
    const before = commentBodies(7)[0]!;
    peers.writeConfig("aws-access.yaml", baseConfig.replace("sessionDuration: 1h", "sessionDuration: 30m"));
    const head = syntheticSha("head-7b");
    gh.store.pull(REPO, 7)!.head.sha = head;
    const r = await act(pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "synchronize" }));
    expect(r.code).toBe(0);
    const after = commentBodies(7);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before.id);
    expect(after[0]!.body).not.toBe(before.body);
    expect(after[0]!.body).toContain(r.outputs["plan-hash"]!);
    // The author reverts the change in a third push: still one comment, now showing that plan.
    peers.writeConfig("aws-access.yaml", baseConfig);
    gh.store.pull(REPO, 7)!.head.sha = syntheticSha("head-7c");
    const third = await act(pullRequestEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, number: 7, action: "synchronize" }));
    expect(third.code).toBe(0);
    expect(commentBodies(7)).toHaveLength(1);
    expect(commentBodies(7)[0]!.body).toContain(third.outputs["plan-hash"]!);
  });

  it("leaves alone a comment by someone else that carries the same marker", async () => {
    const event = openPull(8);
    gh.store.addComment({ repo: REPO, issueNumber: 8, user: "bob", body: `${MARKER}\nI pasted the marker to confuse the bot` });
    const r = await act(event);
    expect(r.code).toBe(0);
    const comments = commentBodies(8);
    expect(comments).toHaveLength(2);
    expect(comments[0]!.login).toBe("bob");
    expect(comments[0]!.body).toBe(`${MARKER}\nI pasted the marker to confuse the bot`);
    expect(comments[1]!.login).toBe(BOT);
  });

  it("keeps a plan too large for one comment under 65,536 characters, with the full plan in the summary and JSON", async () => {
    const roles = Array.from({ length: 150 }, (_, i) => `  role-${String(i).padStart(3, "0")}:\n    description: ${"a long description ".repeat(10)}\n    accounts: "*"\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n`).join("");
    const maps = Array.from({ length: 150 }, (_, i) => `  - { group: engineers, roles: [role-${String(i).padStart(3, "0")}] }\n`).join("");
    peers.writeConfig("big.yaml", baseConfig.replace("roles:\n", `roles:\n${roles}`).replace("mappings:\n", `mappings:\n${maps}`));
    const r = await act(openPull(9), { config: "big.yaml" });
    expect(r.code).toBe(0);
    const body = commentBodies(9)[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toMatch(/too long for one comment/);
    expect(body).toContain("job summary");
    const plan = JSON.parse(readFileSync(r.outputs["plan-json"]!, "utf8")) as Plan;
    expect(plan.changes.length).toBeGreaterThan(900);
    expect(r.summary.length).toBeGreaterThan(body.length);
  });

  it("applies on merge when the plan is unchanged, and marks the comment applied", async () => {
    const r = await act(merge(7));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✓ create aws.iam.role[prod:/authentik/admin]");
    const role = await new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "admin" }));
    expect(role.Role?.Path).toBe("/authentik/");
    const body = commentBodies(7)[0]!.body;
    expect(body).toContain("✅ **Applied**");
    expect(body).toContain("/actions/runs/4242");
    expect(r.summary).toContain("Applied");
  });

  it("refuses on merge with plan-changed when the live state moved after review, applying nothing", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig.replace("mappings:\n", "  auditor:\n    accounts: [prod]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\nmappings:\n  - { group: engineers, roles: [auditor] }\n"));
    const planned = await act(openPull(10));
    expect(planned.code).toBe(0);
    expect(commentBodies(10)[0]!.body).toContain("auditor");
    // Someone edits AWS between review and merge.
    await new IAMClient(peers.aws(PROD)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    const r = await act(merge(10));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("plan-changed");
    expect(r.stdout).toContain("planned now, never reviewed: update aws.iam.role[prod:/authentik/readonly]");
    const body = commentBodies(10)[0]!.body;
    expect(body).toContain("**Plan changed**");
    await expect(new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "auditor" }))).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it("posts nothing on a pull request whose plan has no changes, unless asked", async () => {
    // The live state matches aws-access.yaml again only for the roles it declares; plan a config that matches exactly.
    peers.writeConfig("aws-access.yaml", baseConfig);
    const settle = await act(merge(9), { config: "aws-access.yaml", "require-reviewed-plan": "false" });
    expect(settle.code).toBe(0);
    const quiet = await act(openPull(13));
    expect(quiet.code).toBe(0);
    expect(quiet.outputs["has-changes"]).toBe("false");
    expect(commentBodies(13)).toEqual([]);
    const asked = await act(openPull(14), { "comment-on-no-changes": "true" });
    expect(asked.code).toBe(0);
    expect(commentBodies(14)).toHaveLength(1);
    expect(commentBodies(14)[0]!.body).toContain("No changes");
  });

  it("refuses a push to main that no reviewed pull request belongs to (no-reviewed-plan)", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig.replace("sessionDuration: 1h", "sessionDuration: 45m"));
    const direct = pushEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, before: syntheticSha("d0"), after: syntheticSha("direct-push") });
    const r = await act(direct);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("no-reviewed-plan: no merged pull request is associated with");
    peers.writeConfig("aws-access.yaml", baseConfig);
  });

  it("says in one notice that a fork's pull request cannot be planned, without failing obscurely", async () => {
    const event = openPull(11, syntheticSha("fork"), { fork: true });
    const r = await runAction({
      workspace: peers.dir,
      event,
      inputs: { ...inputs({ "github-token": "ghs_fork" }), "authentik-token": "" },
      env: awsEnv(),
      apiUrl: gh.url,
    });
    expect(r.code).toBe(0);
    const notices = r.stdout.split("\n").filter((l) => l.startsWith("::notice"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("comes from a fork");
    expect(commentBodies(11)).toEqual([]);
  });

  it("drift mode fails with has-changes when the live state differs, the plan in the job summary", async () => {
    await new IAMClient(peers.aws(PROD)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    const r = await runAction({
      workspace: peers.dir,
      event: scheduleEvent({ store: gh.store, apiUrl: gh.url, repo: REPO, cron: "0 6 * * *", sha: syntheticSha("main") }),
      inputs: inputs(),
      env: awsEnv(),
      apiUrl: gh.url,
    });
    expect(r.code).not.toBe(0);
    expect(r.outputs["has-changes"]).toBe("true");
    expect(r.summary).toContain("Drift");
    expect(r.summary).toContain("aws.iam.role[prod:/authentik/readonly]");
    expect(r.stdout).toContain("drift:");
  });

  it("posts config errors with file:line:col, annotates the file, and fails", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig.replace("roles:\n", "rolse:\n  x: {}\nroles:\n"));
    const r = await act(openPull(12));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/::error title=authentik-aws-gitops,file=aws-access\.yaml,line=\d+,col=1::unknown property 'rolse' — did you mean 'roles'\?/);
    const body = commentBodies(12)[0]!.body;
    expect(body).toContain("❌ Plan failed");
    expect(body).toMatch(/aws-access\.yaml:\d+:1: error: unknown property 'rolse'/);
    peers.writeConfig("aws-access.yaml", baseConfig);
  });
});

describe("dist/", () => {
  it("exists for action.yml to run", () => {
    expect(existsSync(new URL("../../dist/index.js", import.meta.url))).toBe(true);
    expect(readFileSync(new URL("../../action.yml", import.meta.url), "utf8")).toContain("using: node24");
  });
});
