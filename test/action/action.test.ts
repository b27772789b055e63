import { existsSync, readFileSync } from "node:fs";
import { GetRoleCommand, IAMClient, NoSuchEntityException, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { syntheticSha } from "../peers/github/events.js";
import { actionBench, GITHUB_ACTIONS_BOT as BOT, REPO, writes } from "../support/action.js";
import type { GitHubPeer } from "../peers/github/peer.js";
import { example, TOKEN, type Peers } from "../support/peers.js";

const MARKER = "<!-- authentik-aws-gitops:plan config=aws-access.yaml -->";
/** The bot account of the GitHub App whose installation token ghs_app is. */
const APP_BOT = "aws-gitops[bot]";
const PROD = "111111111111";
const JOB_SUMMARY_LIMIT = 1024 * 1024;

const bench = actionBench({
  groups: ["aws-admins", "engineers", "data-eng"],
  tokens: {
    ghs_default: { login: BOT, type: "Bot" }, // GITHUB_TOKEN
    ghs_fork: { login: BOT, type: "Bot", readOnly: true }, // GITHUB_TOKEN of a fork's pull request
    ghs_app: { app: { slug: "aws-gitops", name: "AWS GitOps", owner: "acme" } }, // e.g. from actions/create-github-app-token
  },
  inputs: { "require-reviewed-plan": "true" },
});
const { act, openPull, synchronize, merge, during } = bench;
const commentBodies = bench.comments;
let peers: Peers;
/** The GitHub emulator, in a process of its own. */
let gh: GitHubPeer;
const baseConfig = example("classic-iam.yaml");

beforeAll(async () => {
  ({ peers, gh } = await bench.start());
  peers.writeConfig("aws-access.yaml", baseConfig);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("the bundled Action, run by Node 24 the way the runner runs it", () => {
  it("posts one plan comment on a new pull request, with outputs and the job summary", async () => {
    const { result: r, github } = await during(async () => act(await openPull(7)));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // Whose comments are its own: GraphQL's viewer, which answers for every kind of token (GET /user refuses installation tokens).
    expect(github).toContainEqual({ method: "POST", path: "/graphql" });
    expect(github).not.toContainEqual({ method: "GET", path: "/user" });
    const comments = await commentBodies(7);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(comments[0]!.login).toBe(BOT);
    expect(body.startsWith(MARKER)).toBe(true);
    // Summary and access first, details later, then hash and commit.
    expect(body.indexOf("26 to create")).toBeGreaterThan(0);
    expect(body.indexOf("26 to create")).toBeLessThan(body.indexOf("Access changes"));
    expect(body.indexOf("Access changes")).toBeLessThan(body.indexOf("<details>"));
    expect(r.outputs["has-changes"]).toBe("true");
    expect(r.outputs["plan-hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(body).toContain(r.outputs["plan-hash"]!);
    const plan = JSON.parse(readFileSync(r.outputs["plan-json"]!, "utf8")) as Plan;
    expect(plan.hash).toBe(r.outputs["plan-hash"]);
    expect(r.outputs.summary).toBe("aws-access.yaml: 26 to create, 0 to update, 0 to delete");
    expect(r.summary).toContain("Access changes");
    // The runner consumes ::add-mask:: lines and masks the value everywhere else.
    const visible = r.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::")).join("\n");
    expect(visible + r.summary + body).not.toContain(TOKEN);
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`);
  });

  it("updates the same comment on a new push instead of adding one", async () => {
    const before = (await commentBodies(7))[0]!;
    peers.writeConfig("aws-access.yaml", baseConfig.replace("sessionDuration: 1h", "sessionDuration: 30m"));
    const r = await act(await synchronize(7, syntheticSha("head-7b")));
    expect(r.code).toBe(0);
    const after = await commentBodies(7);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before.id);
    expect(after[0]!.body).not.toBe(before.body);
    expect(after[0]!.body).toContain(r.outputs["plan-hash"]!);
    // The author reverts the change in a third push: still one comment, now showing that plan.
    peers.writeConfig("aws-access.yaml", baseConfig);
    const third = await act(await synchronize(7, syntheticSha("head-7c")));
    expect(third.code).toBe(0);
    expect(await commentBodies(7)).toHaveLength(1);
    expect((await commentBodies(7))[0]!.body).toContain(third.outputs["plan-hash"]!);
  });

  it("leaves alone a comment by someone else that carries the same marker", async () => {
    const event = await openPull(8);
    await gh.control.addComment({ repo: REPO, issueNumber: 8, user: "bob", body: `${MARKER}\nI pasted the marker to confuse the bot` });
    const r = await act(event);
    expect(r.code).toBe(0);
    const comments = await commentBodies(8);
    expect(comments).toHaveLength(2);
    expect(comments[0]!.login).toBe("bob");
    expect(comments[0]!.body).toBe(`${MARKER}\nI pasted the marker to confuse the bot`);
    expect(comments[1]!.login).toBe(BOT);
  });

  it("keeps a plan too large for one comment under 65,536 characters, and its job summary under 1 MiB in bytes, with the full plan in the JSON", async () => {
    // Non-ASCII descriptions (Latin-1: what IAM accepts in a description, 2 bytes each in
    // UTF-8): the summary fits 1 Mi UTF-16 code units, not 1 MiB of UTF-8 (GitHub's limit).
    // 105 roles: the whole plan's markdown lands between the two (about 0.98 Mi code units,
    // 1.2 MiB), with each role's risk rows and permission entries.
    const roles = Array.from({ length: 105 }, (_, i) => `  role-${String(i).padStart(3, "0")}:\n    description: ${"éàüöçñåøßÿ".repeat(96)}\n    accounts: "*"\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n`).join("");
    const maps = Array.from({ length: 105 }, (_, i) => `  - { group: engineers, roles: [role-${String(i).padStart(3, "0")}] }\n`).join("");
    peers.writeConfig("big.yaml", baseConfig.replace("roles:\n", `roles:\n${roles}`).replace("mappings:\n", `mappings:\n${maps}`));
    const r = await act(await openPull(9), { config: "big.yaml" });
    expect(r.code).toBe(0);
    const body = (await commentBodies(9))[0]!.body;
    expect([...body].length).toBeLessThanOrEqual(65_536);
    // Said at the top, under the counts (not at the bottom, after the cut).
    expect(body).toMatch(/does not show the whole plan/);
    expect(body.indexOf("[!CAUTION]")).toBeLessThan(body.indexOf("#### Access changes"));
    expect(body).toContain("job summary");
    const plan = JSON.parse(readFileSync(r.outputs["plan-json"]!, "utf8")) as Plan;
    expect(plan.changes.length).toBeGreaterThan(600);
    // The premise: the whole plan as markdown is under 1 Mi code units but over 1 MiB in bytes.
    const whole = renderPlanMarkdown(plan, { commit: "x" });
    expect(whole.length).toBeLessThan(JOB_SUMMARY_LIMIT);
    expect(Buffer.byteLength(whole)).toBeGreaterThan(JOB_SUMMARY_LIMIT);
    // GitHub drops a step summary above 1 MiB altogether: it is cut to fit, and says so.
    expect(Buffer.byteLength(r.summary)).toBeLessThanOrEqual(JOB_SUMMARY_LIMIT);
    expect(Buffer.byteLength(r.summary)).toBeGreaterThan(JOB_SUMMARY_LIMIT * 0.9);
    expect(r.summary).toMatch(/does not show the whole plan\*\*: \d+ of \d+ changes shown/);
    expect(r.summary).toContain("plan-json");
    expect(r.summary).toContain(plan.hash);
    expect(r.summary.length).toBeGreaterThan(body.length);
  });

  it("never sends the authentik token to authentik.url from the configuration (a pull request can change it)", async () => {
    const r = await act(await openPull(31), { "authentik-url": "" });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr + r.summary).toContain("the authentik-url input is not set: the Action sends the authentik token only to the address the workflow names");
  });

  it("applies on merge when the plan is unchanged, and marks the comment applied", async () => {
    const r = await act(await merge(7));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✓ create aws.iam.role[prod:/authentik/admin]");
    const role = await new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "admin" }));
    expect(role.Role?.Path).toBe("/authentik/");
    const body = (await commentBodies(7))[0]!.body;
    expect(body).toContain("✅ **Applied**");
    expect(body).toContain("/actions/runs/4242");
    expect(r.summary).toContain("Applied");
  });

  it("refuses on merge with plan-changed when the live state moved after review, applying nothing", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig.replace("mappings:\n", "  auditor:\n    accounts: [prod]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\nmappings:\n  - { group: engineers, roles: [auditor] }\n"));
    const planned = await act(await openPull(10));
    expect(planned.code).toBe(0);
    expect((await commentBodies(10))[0]!.body).toContain("auditor");
    // Someone edits AWS between review and merge.
    await new IAMClient(peers.aws(PROD)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    const r = await act(await merge(10));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("plan-changed");
    expect(r.stdout).toContain("planned now, never reviewed: update aws.iam.role[prod:/authentik/readonly]");
    const body = (await commentBodies(10))[0]!.body;
    expect(body).toContain("**Plan changed**");
    await expect(new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "auditor" }))).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it("posts nothing on a pull request whose plan has no changes, unless asked", async () => {
    // The live state matches aws-access.yaml again only for the roles it declares; plan a config that matches exactly.
    peers.writeConfig("aws-access.yaml", baseConfig);
    const settle = await act(await merge(9), { config: "aws-access.yaml", "require-reviewed-plan": "false" });
    expect(settle.code).toBe(0);
    const quiet = await act(await openPull(13));
    expect(quiet.code).toBe(0);
    expect(quiet.outputs["has-changes"]).toBe("false");
    expect(await commentBodies(13)).toEqual([]);
    const asked = await act(await openPull(14), { "comment-on-no-changes": "true" });
    expect(asked.code).toBe(0);
    expect(await commentBodies(14)).toHaveLength(1);
    expect((await commentBodies(14))[0]!.body).toContain("No changes");
  });

  it("with a GitHub App installation token: one comment by <app-slug>[bot], updated on a new push, and the reviewed plan applied on merge", async () => {
    const app = { "github-token": "ghs_app" };
    peers.writeConfig("aws-access.yaml", baseConfig.replace("sessionDuration: 1h", "sessionDuration: 30m"));
    const first = await act(await openPull(20), app);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const posted = await commentBodies(20);
    expect(posted.map((c) => [c.login, c.viaApp])).toEqual([[APP_BOT, "aws-gitops"]]);

    peers.writeConfig("aws-access.yaml", baseConfig.replace("sessionDuration: 1h", "sessionDuration: 50m"));
    const second = await act(await synchronize(20, syntheticSha("head-20b")), app);
    expect(second.code).toBe(0);
    const updated = await commentBodies(20);
    expect(updated).toHaveLength(1);
    expect(updated[0]!.id).toBe(posted[0]!.id);
    expect(updated[0]!.body).toContain(second.outputs["plan-hash"]!);

    // bot-login, when given, is taken as is: no question to GitHub about the token (GraphQL is
    // asked only who last edited the comment, which decides whether it still vouches for the plan).
    const before = (await gh.control.requests()).length;
    const { result: applied } = await during(async () => act(await merge(20), { ...app, "bot-login": APP_BOT }));
    expect(applied.code).toBe(0);
    const queries = (await gh.control.requests()).slice(before).filter((q) => q.path === "/graphql").map((q) => String((q.body as { query?: string }).query));
    expect(queries).toEqual(["query($id: ID!) { node(id: $id) { ... on IssueComment { editor { login } } } }"]);
    expect(applied.stdout).toMatch(/✓ update authentik\./);
    const body = (await commentBodies(20))[0]!.body;
    expect(body).toContain("✅ **Applied**");
    expect(body).toContain(second.outputs["plan-hash"]!);
  });

  it("on merge_group plans the queued merge and passes, writing nothing to GitHub and applying nothing; the push after the queue merged applies the reviewed plan", async () => {
    const queued = baseConfig.replace(
      "mappings:\n",
      "  queue-auditor:\n    accounts: [prod]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\nmappings:\n  - { group: engineers, roles: [queue-auditor] }\n",
    );
    peers.writeConfig("aws-access.yaml", queued);
    const planned = await act(await openPull(21));
    expect(planned.code).toBe(0);
    const reviewed = (await commentBodies(21))[0]!;
    expect(reviewed.body).toContain(planned.outputs["plan-hash"]!);

    const event = await gh.control.mergeGroupEvent({ repo: REPO, number: 21 });
    expect(event.env.GITHUB_REF).toMatch(/^refs\/heads\/gh-readonly-queue\/main\/pr-21-[0-9a-f]{40}$/);
    const { result: check, github, authentik } = await during(() => act(event));
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    expect(check.outputs["has-changes"]).toBe("true");
    expect(check.outputs["plan-hash"]).toBe(planned.outputs["plan-hash"]);
    expect(check.outputs.summary).toMatch(/^aws-access\.yaml: \d+ to create/);
    expect(JSON.parse(readFileSync(check.outputs["plan-json"]!, "utf8")).hash).toBe(planned.outputs["plan-hash"]);
    expect(check.summary).toContain("queue-auditor");
    expect(check.summary).toContain(event.env.GITHUB_SHA!.slice(0, 7));
    // Nothing written anywhere: no comment, no status change, nothing applied.
    expect(writes(github)).toEqual([]);
    expect(writes(authentik)).toEqual([]);
    expect(await commentBodies(21)).toEqual([reviewed]);
    await expect(new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "queue-auditor" }))).rejects.toBeInstanceOf(NoSuchEntityException);

    // The queue merges the pull request as the commit it checked and moves main there.
    const push = await merge(21, event.env.GITHUB_SHA!);
    expect(push.env.GITHUB_SHA).toBe(event.env.GITHUB_SHA);
    const applied = await act(push);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("✓ create aws.iam.role[prod:/authentik/queue-auditor]");
    expect((await new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "queue-auditor" }))).Role?.Path).toBe("/authentik/");
    expect((await commentBodies(21))[0]!.body).toContain("✅ **Applied**");
  });

  it("refuses a push to main that no reviewed pull request belongs to (no-reviewed-plan)", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig.replace("sessionDuration: 1h", "sessionDuration: 45m"));
    const direct = await gh.control.pushEvent({ repo: REPO, before: syntheticSha("d0"), after: syntheticSha("direct-push") });
    const r = await act(direct);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("no-reviewed-plan: no merged pull request is associated with");
    peers.writeConfig("aws-access.yaml", baseConfig);
  });

  it("says in one notice that a fork's pull request cannot be planned, without failing obscurely", async () => {
    const event = await openPull(11, syntheticSha("fork"), { fork: true });
    const r = await act(event, { "github-token": "ghs_fork", "authentik-token": "" });
    expect(r.code).toBe(0);
    const notices = r.stdout.split("\n").filter((l) => l.startsWith("::notice"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("comes from a fork");
    expect(await commentBodies(11)).toEqual([]);
  });

  it("drift mode fails with has-changes when the live state differs, the plan in the job summary", async () => {
    await new IAMClient(peers.aws(PROD)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    const r = await act(await bench.schedule("0 6 * * *"));
    expect(r.code).not.toBe(0);
    expect(r.outputs["has-changes"]).toBe("true");
    expect(r.summary).toContain("Drift");
    expect(r.summary).toContain("aws.iam.role[prod:/authentik/readonly]");
    expect(r.stdout).toContain("drift:");
  });

  it("posts config errors with file:line:col, annotates the file, and fails", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig.replace("roles:\n", "rolse:\n  x: {}\nroles:\n"));
    const r = await act(await openPull(12));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/::error title=authentik-aws-gitops,file=aws-access\.yaml,line=\d+,col=1::unknown property 'rolse' — did you mean 'roles'\?/);
    const body = (await commentBodies(12))[0]!.body;
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
