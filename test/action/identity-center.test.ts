// The bundled Action in identity-center mode with SCIM, end to end: dist/index.js under
// Node 24 against moto_server behind the Identity Center shim, the authentik emulator
// and the GitHub emulator, each in a process of its own. A pull request gets the plan
// comment (with the console-only steps); the merge applies it — starting authentik's
// SCIM sync and waiting for the group it has not provisioned yet — and the comment says
// applied; a new pull request then has nothing to plan.
import { copyFileSync } from "node:fs";
import path from "node:path";
import { IdentitystoreClient, ListGroupsCommand } from "@aws-sdk/client-identitystore";
import { DescribePermissionSetCommand, ListAccountAssignmentsCommand, ListPermissionSetsCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { example, startPeers, TOKEN, type Peers } from "../integration/harness.js";
import { createOrganization, MANAGEMENT, provisionGroup, type OrgFixture } from "../integration/identity-center-setup.js";
import { type RunnerEvent, syntheticSha } from "../peers/github/events.js";
import { type GitHubPeer, startGitHubPeer } from "../peers/github/peer.js";
import { awsClientConfig } from "../peers/moto.js";
import { node24Binary, runAction, type ActionResult } from "./runner.js";

const REPO = "acme/aws-access";
const BOT = "github-actions[bot]";
const DEV = "222222222222";
const PROD = "111111111111";
const SCIM_TOKEN = "scim-token-0123456789-abcdefghij";

let peers: Peers;
let gh: GitHubPeer;
let org: OrgFixture;

function awsEnv(): NodeJS.ProcessEnv {
  const { AUTHENTIK_TOKEN: _t, AUTHENTIK_URL: _u, ...aws } = peers.env;
  return aws;
}

function act(event: RunnerEvent): Promise<ActionResult> {
  return runAction({
    workspace: peers.dir,
    event,
    inputs: { config: "aws-access.yaml", mode: "auto", "github-token": "ghs_default", "authentik-url": peers.authentik.url, "authentik-token": TOKEN },
    env: { ...awsEnv(), AWS_SCIM_TOKEN: SCIM_TOKEN, AUTHENTIK_AWS_GITOPS_POLL_MS: "20" },
    apiUrl: gh.url,
  });
}

async function openPull(number: number): Promise<RunnerEvent> {
  await gh.control.addPullRequest({ repo: REPO, number, user: "alice", head: { ref: `change-${number}`, sha: syntheticSha(`ic-head-${number}`) } });
  return gh.control.pullRequestEvent({ repo: REPO, number, action: "opened" });
}

function sso() {
  return new SSOAdminClient(awsClientConfig(peers.awsEndpoint, MANAGEMENT));
}

/** Group display names assigned a permission set in an account, as AWS reports them. */
async function assignedGroups(account: string, name: string): Promise<string[]> {
  const arns = (await sso().send(new ListPermissionSetsCommand({ InstanceArn: org.instanceArn }))).PermissionSets ?? [];
  let arn: string | undefined;
  for (const a of arns) {
    const ps = await sso().send(new DescribePermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: a }));
    if (ps.PermissionSet?.Name === name) arn = a;
  }
  if (!arn) return [];
  const assignments = (await sso().send(new ListAccountAssignmentsCommand({ InstanceArn: org.instanceArn, AccountId: account, PermissionSetArn: arn }))).AccountAssignments ?? [];
  const groups = (await new IdentitystoreClient(awsClientConfig(peers.awsEndpoint, MANAGEMENT)).send(new ListGroupsCommand({ IdentityStoreId: org.identityStoreId }))).Groups ?? [];
  return assignments.map((a) => groups.find((g) => g.GroupId === a.PrincipalId)?.DisplayName ?? a.PrincipalId!).sort();
}

beforeAll(async () => {
  node24Binary();
  [peers, gh] = await Promise.all([
    startPeers(["aws-admins", "engineers", "data-eng", "finance"], { shim: true }),
    startGitHubPeer({ ghs_default: { login: BOT } }, ["--repo", REPO]),
  ]);
  org = await createOrganization(peers.awsEndpoint);
  // SCIM has provisioned two of the three mapped groups so far.
  await provisionGroup(peers.awsEndpoint, org.identityStoreId, "aws-admins");
  await provisionGroup(peers.awsEndpoint, org.identityStoreId, "engineers");
  copyFileSync(path.join(import.meta.dirname, "..", "..", "examples", "identity-center-sp-metadata.xml"), path.join(peers.dir, "identity-center-sp-metadata.xml"));
  peers.writeConfig("aws-access.yaml", example("identity-center.yaml").replace("ou-ab12-cd34ef56", org.sandboxesOu));
}, 600_000);

afterAll(async () => {
  try {
    // (only when beforeAll got them started)
    if (gh) expect(await gh.control.invalidRequests()).toEqual([]);
    if (gh) expect(await gh.control.emulatorErrors()).toEqual([]);
    if (peers) expect(await peers.authentik.control.invalidRequests()).toEqual([]);
    if (peers) expect(await peers.authentik.control.emulatorErrors()).toEqual([]);
  } finally {
    await Promise.all([gh?.stop(), peers?.stop()]);
  }
});

describe("the bundled Action in identity-center mode (moto_server + shim, authentik and GitHub emulators)", () => {
  it("comments the plan on a pull request, with the console-only steps and without the SCIM token", async () => {
    const r = await act(await openPull(1));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.outputs["has-changes"]).toBe("true");
    const comments = await gh.control.comments(REPO, 1);
    expect(comments.map((c) => c.user)).toEqual([BOT]);
    const body = comments[0]!.body;
    expect(body).toContain(r.outputs["plan-hash"]!);
    expect(body).toContain("Access changes");
    expect(body).toContain("aws.sso.permission_set[DataEngineer]");
    expect(body).toContain(`aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]`);
    expect(body).toContain("External identity provider");
    // where the SCIM token goes (markdown-escaped), never the token
    expect(body).toMatch(/store it as the secret AWS\\?_SCIM\\?_TOKEN/);
    const visible = r.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::")).join("\n");
    for (const secret of [SCIM_TOKEN, TOKEN]) {
      expect(visible + r.summary + body).not.toContain(secret);
      expect(r.stdout).toContain(`::add-mask::${secret}`);
    }
  });

  it("applies on merge — SCIM sync started, the missing group awaited, then assigned — and marks the comment applied", async () => {
    await gh.control.mergePullRequest(REPO, 1, { mergeCommitSha: syntheticSha("ic-merge-1"), mergedBy: "alice" });
    const push = await gh.control.pushEvent({ repo: REPO, before: syntheticSha("ic-before-1"), mergedPull: 1 });
    // Stand-in for SCIM: once authentik's sync is triggered, the group reaches the Identity Store.
    let stop = false;
    const scim = (async () => {
      while (!stop) {
        if ((await peers.authentik.control.requests()).some((q) => q.method === "POST" && q.path.endsWith("/send/"))) {
          await provisionGroup(peers.awsEndpoint, org.identityStoreId, "data-eng");
          return true;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    })();
    const r = await act(push);
    stop = true;
    expect(await scim).toBe(true);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("started authentik's SCIM sync");
    expect(r.stdout).toContain(`✓ create aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]`);
    expect(await assignedGroups(DEV, "DataEngineer")).toEqual(["data-eng"]);
    expect(await assignedGroups(PROD, "AdministratorAccess")).toEqual(["aws-admins"]);
    expect(await assignedGroups(org.teamAccount, "ReadOnly")).toEqual(["engineers"]);
    const scimProvider = (await peers.ak("GET", "/providers/scim/")).results[0];
    expect(scimProvider.compatibility_mode).toBe("aws");
    expect(await peers.authentik.control.scimProviderToken()).toBe(SCIM_TOKEN);
    const body = (await gh.control.comments(REPO, 1))[0]!.body;
    expect(body).toContain("✅ **Applied**");
    expect(r.summary).toContain("Applied");
  });

  it("has nothing to plan on the next pull request, and so posts nothing", async () => {
    const r = await act(await openPull(2));
    expect(r.code).toBe(0);
    expect(r.outputs["has-changes"]).toBe("false");
    expect(await gh.control.comments(REPO, 2)).toEqual([]);
  });
});
