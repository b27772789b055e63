/**
 * The review loop tried the way an attacker meets it: someone who can open a pull
 * request (and so write names into the configuration), or rename a group in
 * authentik. The bundled Action runs under Node 24 against the peers, each in a
 * process of its own, as in action.test.ts.
 */
import { GetRoleCommand, IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import type { GitHubPeer } from "../peers/github/peer.js";
import { actionBench } from "../support/action.js";
import { example, TOKEN, type Peers } from "../support/peers.js";

const PROD = "111111111111";
const DATA_PREFIX = "<!-- authentik-aws-gitops:data ";

let peers: Peers;
let gh: GitHubPeer;
const baseConfig = example("classic-iam.yaml");

const life = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], inputs: { "require-reviewed-plan": "true" } });

/** The config with one more mapping. */
function withMapping(mapping: string): string {
  return baseConfig.replace("\noptions:", `\n  - ${mapping}\n\noptions:`);
}

/** The JSON plan of the config as the CLI makes it now (what anyone with read access can compute). */
async function planHash(config: string): Promise<string> {
  peers.writeConfig("aws-access.yaml", config);
  const run = await peers.cli(["plan", "-c", "aws-access.yaml", "--format", "json"]);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { hash: string }).hash;
}

/** Lines of a log the runner would take as a workflow command (V2 `::cmd::` after leading space, or legacy `##[cmd]` anywhere). */
function commandLines(log: string): string[] {
  return log.split(/\r?\n/).filter((l) => /^\s*::/.test(l) || l.includes("##["));
}

beforeAll(async () => {
  ({ peers, gh } = await life.start());
}, 600_000);

afterAll(() => life.stopAfterChecks());

describe("the reviewed hash cannot come from text a pull request controls", () => {
  it("a data block spelled as a role name, then a plan error, then a merge while red: nothing is applied", async () => {
    // What the attacker wants applied, and never shown: admin for a group of their own.
    const wanted = withMapping("{ group: intruders, roles: [admin] }");
    await peers.ak("POST", "/core/groups/", { name: "intruders" });
    const hash = await planHash(wanted);
    const intruders = (await peers.ak<{ results: { pk: string }[] }>("GET", "/core/groups/?name=intruders")).results[0]!;
    await peers.ak("DELETE", `/core/groups/${intruders.pk}/`);

    // Commit 1: a configuration error that quotes a name spelled as the Action's data block.
    // In runs of six (a base64 decoder skips the spaces), so the name does not look like a secret and is quoted back.
    const payload = Buffer.from(JSON.stringify({ hash, commit: "0" })).toString("base64url").replace(/.{6}/g, "$& ");
    const forged = `${DATA_PREFIX}${payload} -->`;
    peers.writeConfig("aws-access.yaml", withMapping(`{ group: engineers, roles: ["${forged}"] }`));
    const first = await life.act(await life.openPull(40, syntheticSha("forge-1")));
    expect(first.code).not.toBe(0);
    let [comment] = await life.comments(40);
    expect(comment!.body).toContain("Plan failed");
    // The name is shown, but cannot form a marker of the Action's.
    expect(comment!.body).not.toContain(DATA_PREFIX);
    expect(comment!.body.match(/<!--/g)).toHaveLength(comment!.body.split("\n").filter((l) => /^<!-- \/?authentik-aws-gitops:[a-z]+( [^<>]*)? -->$/.test(l)).length);

    // Commit 2: the configuration the attacker wants, failing with a plan error (no such group yet).
    peers.writeConfig("aws-access.yaml", wanted);
    const second = await life.act(await life.synchronize(40, syntheticSha("forge-2")));
    expect(second.code).not.toBe(0);
    [comment] = await life.comments(40);
    expect(comment!.body).toContain("Plan failed");
    expect(comment!.body).toContain("intruders");
    expect(comment!.body).not.toContain(DATA_PREFIX);

    // The group appears, the pull request is merged while its check is red.
    await peers.ak("POST", "/core/groups/", { name: "intruders" });
    const merged = await life.act(await life.merge(40, syntheticSha("merge-40"), syntheticSha("before-40")));
    expect(merged.code).not.toBe(0);
    expect(merged.stdout).toContain("no-reviewed-plan");
    await expect(new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "admin" }))).rejects.toBeInstanceOf(NoSuchEntityException);
    const intrudersAgain = (await peers.ak<{ results: { pk: string }[] }>("GET", "/core/groups/?name=intruders")).results[0]!;
    await peers.ak("DELETE", `/core/groups/${intrudersAgain.pk}/`);
  });

  it("a plan error after a good plan replaces the plan and drops its data", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    expect((await life.act(await life.openPull(41, syntheticSha("good-41")))).code).toBe(0);
    expect((await life.comments(41))[0]!.body).toContain(DATA_PREFIX);

    peers.writeConfig("aws-access.yaml", withMapping("{ group: nobody-has-this-group, roles: [readonly] }"));
    const failed = await life.act(await life.synchronize(41, syntheticSha("bad-41")));
    expect(failed.code).not.toBe(0);
    const comments = await life.comments(41);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("Plan failed");
    expect(comments[0]!.body).toContain("nobody-has-this-group");
    expect(comments[0]!.body).not.toContain(DATA_PREFIX);
    expect(comments[0]!.body).not.toContain("📝 Planned");

    // Merged anyway: there is no reviewed plan to apply.
    peers.writeConfig("aws-access.yaml", baseConfig);
    const merged = await life.act(await life.merge(41, syntheticSha("merge-41"), syntheticSha("before-41")));
    expect(merged.code).not.toBe(0);
    expect(merged.stdout).toContain("no-reviewed-plan");
    await expect(new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "admin" }))).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it("errors that grow when escaped still replace the comment within GitHub's limit", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    expect((await life.act(await life.openPull(48, syntheticSha("good-48")))).code).toBe(0);
    // 120 undefined roles whose names hold a marker and quotes: each error line is several times longer once escaped.
    const mappings = Array.from({ length: 120 }, (_, i) => `{ group: engineers, roles: ['-->${'"'.repeat(600)}${i}'] }`);
    peers.writeConfig("aws-access.yaml", baseConfig.replace("\noptions:", `\n${mappings.map((m) => `  - ${m}`).join("\n")}\n\noptions:`));
    const failed = await life.act(await life.synchronize(48, syntheticSha("bad-48")));
    expect(failed.code).not.toBe(0);
    const [comment] = await life.comments(48);
    expect(comment!.body).toContain("Plan failed");
    expect(comment!.body).not.toContain(DATA_PREFIX);
    expect([...comment!.body].length).toBeLessThanOrEqual(65_536);
    expect(comment!.body).toMatch(/… and \d+ more line\(s\); see the run log/);
  });

  it("authentik unreachable after a good plan: the comment says so and keeps no data", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    expect((await life.act(await life.openPull(42, syntheticSha("good-42")))).code).toBe(0);
    // The discard port: nothing listens.
    const failed = await life.act(await life.synchronize(42, syntheticSha("down-42")), { "authentik-url": "http://127.0.0.1:9" });
    expect(failed.code).not.toBe(0);
    const [comment] = await life.comments(42);
    expect(comment!.body).toContain("Plan failed");
    expect(comment!.body).not.toContain(DATA_PREFIX);
    expect(comment!.body).not.toContain(TOKEN);
  });
});

describe("a comment edited by someone else vouches for nothing", () => {
  it("a collaborator keeps the reviewed plan's text and swaps its data line: apply refuses (edited-plan-comment)", async () => {
    // Reviewed: the base configuration. What the collaborator wants applied: admin for aws-admins in dev too.
    peers.writeConfig("aws-access.yaml", baseConfig);
    expect((await life.act(await life.openPull(46, syntheticSha("rev-46")))).code).toBe(0);
    const reviewed = (await life.comments(46))[0]!;
    const wanted = withMapping("{ group: engineers, roles: [admin] }");
    const hash = await planHash(wanted);
    const lines = reviewed.body.replace(/\n+$/, "").split("\n");
    lines[lines.length - 1] = `${DATA_PREFIX}${Buffer.from(JSON.stringify({ hash, commit: "0" })).toString("base64url")} -->`;
    await gh.control.editComment(reviewed.id, "mallory", `${lines.join("\n")}\n`);

    const merged = await life.act(await life.merge(46, syntheticSha("merge-46"), syntheticSha("before-46")));
    expect(merged.code).not.toBe(0);
    expect(merged.stdout).toContain("edited-plan-comment");
    expect(merged.stdout).toContain("last edited by mallory");
    await expect(new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "admin" }))).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it("the Action's own edits (a new push re-plans, apply's status) keep the comment trusted", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    expect((await life.act(await life.openPull(47, syntheticSha("own-47")))).code).toBe(0);
    const [comment] = await life.comments(47);
    await gh.control.editComment(comment!.id, "mallory", `${comment!.body}\nsneaky`);
    // A new push: the Action writes the whole comment again, and is its last editor.
    expect((await life.act(await life.synchronize(47, syntheticSha("own-47b")))).code).toBe(0);
    const applied = await life.act(await life.merge(47, syntheticSha("merge-47"), syntheticSha("before-47")));
    expect(applied.code, applied.stdout).toBe(0);
    expect((await life.comments(47))[0]!.body).toContain("✅ **Applied**");
  });
});

describe("names from authentik cannot write workflow commands", () => {
  it("a group renamed to carry ::error, ::add-mask, ##[warning] and ANSI escapes prints as text in the apply log", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    expect((await life.act(await life.openPull(43, syntheticSha("base-43")))).code).toBe(0);
    expect((await life.act(await life.merge(43, syntheticSha("merge-43"), syntheticSha("before-43")))).code).toBe(0);

    const engineers = (await peers.ak<{ results: { pk: string }[] }>("GET", "/core/groups/?name=engineers")).results[0]!;
    const hostile = "engineers\n::error title=Forged::all good\r\n  ::add-mask::x\n::stop-commands::abc\n##[warning]legacy \u001b[32m✓ fine\u001b[0m\u200b";
    await peers.ak("PATCH", `/core/groups/${engineers.pk}/`, { name: hostile });
    try {
      // The pull request stops mapping engineers: its bindings (shown by the live name) are deleted.
      peers.writeConfig("aws-access.yaml", baseConfig.replace("  - group: engineers\n    roles: [readonly]\n", ""));
      const planned = await life.act(await life.openPull(44, syntheticSha("drop-44")));
      expect(planned.code).toBe(0);
      expect(commandLines(planned.stdout).filter((l) => !l.startsWith("::add-mask::"))).toEqual([]);
      const applied = await life.act(await life.merge(44, syntheticSha("merge-44"), syntheticSha("before-44")));
      expect(applied.code, applied.stdout).toBe(0);
      expect(applied.stdout).toContain("delete authentik.policy_binding");
      // Only the Action's own add-mask (of the token) is a command; nothing from the name is.
      expect(commandLines(applied.stdout).filter((l) => !l.startsWith("::add-mask::"))).toEqual([]);
      expect(applied.stdout.split("\n").filter((l) => l.startsWith("::add-mask::"))).toHaveLength(1);
      expect(applied.stdout).not.toContain("\u001b");
      expect(applied.stdout).not.toContain("\r");
      expect(applied.stdout).toContain("\\u200b");
      expect(applied.summary).not.toContain("\u001b");
      // The apply comment on the merged pull request names the deleted bindings by the hostile live name, escaped.
      const [, applyComment] = await life.comments(44);
      expect(applyComment!.body).toContain("| delete | ✅ done |");
      expect(applyComment!.body).not.toMatch(/[\u001b\r\u200b]/);
      expect(applyComment!.body.match(/<!--/g)).toHaveLength(1);
      expect(applyComment!.body.split("\n").filter((l) => l.startsWith("::"))).toEqual([]);
    } finally {
      await peers.ak("PATCH", `/core/groups/${engineers.pk}/`, { name: "engineers" });
    }
  });
});

describe("events the Action refuses", () => {
  it("pull_request_target: a clear error, nothing planned or written", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    const event = await life.openPull(45, syntheticSha("target-45"));
    const r = await life.act({ ...event, name: "pull_request_target" as typeof event.name, env: { ...event.env, GITHUB_EVENT_NAME: "pull_request_target" } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/::error::.*pull_request_target/);
    expect(await life.comments(45)).toEqual([]);
  });
});
