// mode: expire in identity-center mode with SCIM: dist/index.js under Node 24 against
// moto_server behind the Identity Center shim, the authentik emulator and the GitHub
// emulator. The expired assignment and the group's application binding are removed on
// schedule; SCIM's group filter (by default the mapped groups) does not change, so it
// never turns the scheduled removal into "drift".
import { copyFileSync } from "node:fs";
import path from "node:path";
import { DescribePermissionSetCommand, ListAccountAssignmentsCommand, ListPermissionSetsCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { example, startPeers, TOKEN, type Peers } from "../integration/harness.js";
import { createOrganization, MANAGEMENT, provisionGroup, type OrgFixture } from "../integration/identity-center-setup.js";
import { syntheticSha } from "../peers/github/events.js";
import { type GitHubPeer, startGitHubPeer } from "../peers/github/peer.js";
import { awsClientConfig } from "../peers/moto.js";
import { node24Binary, runAction, type ActionResult } from "./runner.js";

const REPO = "acme/aws-access";
const DEV = "222222222222";
const SCIM_TOKEN = "scim-token-0123456789-abcdefghij";

let peers: Peers;
let gh: GitHubPeer;
let org: OrgFixture;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function configText(expires: string): string {
  const text = example("identity-center.yaml")
    .replace("ou-ab12-cd34ef56", org.sandboxesOu)
    .replace("    permissionSets: [DataEngineer]\n    accounts: [dev]\n", `    permissionSets: [DataEngineer]\n    accounts: [dev]\n    expires: ${expires}\n`);
  expect(text).toContain(`expires: ${expires}`);
  return text;
}

function awsEnv(): NodeJS.ProcessEnv {
  const { AUTHENTIK_TOKEN: _t, AUTHENTIK_URL: _u, ...aws } = peers.env;
  return aws;
}

async function expireRun(): Promise<ActionResult> {
  return runAction({
    workspace: peers.dir,
    event: await gh.control.scheduleEvent({ repo: REPO, cron: "23 * * * *", sha: syntheticSha("main") }),
    inputs: { config: "aws-access.yaml", mode: "expire", "github-token": "ghs_default", "authentik-url": peers.authentik.url, "authentik-token": TOKEN },
    env: { ...awsEnv(), AWS_SCIM_TOKEN: SCIM_TOKEN, AUTHENTIK_AWS_GITOPS_POLL_MS: "20" },
    apiUrl: gh.url,
  });
}

async function dataEngineerAssignments(): Promise<number> {
  const sso = new SSOAdminClient(awsClientConfig(peers.awsEndpoint, MANAGEMENT));
  for (const arn of (await sso.send(new ListPermissionSetsCommand({ InstanceArn: org.instanceArn }))).PermissionSets ?? []) {
    if ((await sso.send(new DescribePermissionSetCommand({ InstanceArn: org.instanceArn, PermissionSetArn: arn }))).PermissionSet?.Name !== "DataEngineer") continue;
    return ((await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: org.instanceArn, AccountId: DEV, PermissionSetArn: arn }))).AccountAssignments ?? []).length;
  }
  throw new Error("no permission set DataEngineer");
}

beforeAll(async () => {
  node24Binary();
  [peers, gh] = await Promise.all([startPeers(["aws-admins", "engineers", "data-eng"], { shim: true }), startGitHubPeer({ ghs_default: { login: "github-actions[bot]", type: "Bot" } })]);
  await gh.control.addRepo({ owner: "acme", name: "aws-access", ownerType: "Organization" });
  org = await createOrganization(peers.awsEndpoint);
  for (const g of ["aws-admins", "engineers", "data-eng"]) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
  copyFileSync(path.join(import.meta.dirname, "..", "..", "examples", "identity-center-sp-metadata.xml"), path.join(peers.dir, "identity-center-sp-metadata.xml"));
  peers.writeConfig("aws-access.yaml", configText(day(1)));
  const r = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"], { AWS_SCIM_TOKEN: SCIM_TOKEN, AUTHENTIK_AWS_GITOPS_POLL_MS: "20" });
  expect(r.code).toBe(0);
}, 600_000);

afterAll(async () => {
  try {
    if (peers) expect(await peers.authentik.control.invalidRequests()).toEqual([]);
  } finally {
    await Promise.all([gh?.stop(), peers?.stop()]);
  }
});

describe("the Action's mode: expire in identity-center mode with SCIM", () => {
  it("does nothing before the date, removes the expired assignment after it, and is clean again", async () => {
    const before = await expireRun();
    expect(before.code).toBe(0);
    expect(before.outputs["has-changes"]).toBe("false");
    expect(await dataEngineerAssignments()).toBe(1);

    peers.writeConfig("aws-access.yaml", configText(day(-1)));
    const r = await expireRun();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ delete aws.sso.account_assignment[data-eng→DataEngineer@${DEV}]`);
    expect(r.stdout).toContain("✓ delete authentik.policy_binding[aws-identity-center→group:data-eng]");
    expect(r.stdout).not.toMatch(/✓ \w+ authentik\.scim_provider/);
    expect(r.summary).toContain("Expired access removed");
    expect(r.summary).toContain(`group 'data-eng': permission set 'DataEngineer' in dev \\(${DEV}\\), expired on ${day(-1)}`); // markdown-escaped
    expect(await dataEngineerAssignments()).toBe(0);

    const after = await expireRun();
    expect(after.code).toBe(0);
    expect(after.outputs["has-changes"]).toBe("false");
  });
});
