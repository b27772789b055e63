// The bundled Action in identity-center mode with SCIM, end to end: dist/index.js under
// Node 24 against moto_server behind the Identity Center shim, the authentik emulator
// and the GitHub emulator, each in a process of its own. A pull request gets the plan
// comment (with the console-only steps); the merge applies it — starting authentik's
// SCIM sync and waiting for the group it has not provisioned yet — and the comment says
// applied; a new pull request then has nothing to plan.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import type { GitHubPeer } from "../peers/github/peer.js";
import { actionBench, GITHUB_ACTIONS_BOT as BOT, REPO } from "../support/action.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, identityCenterOf, provisionGroup, SCIM_TOKEN, type OrgFixture } from "../support/identity-center.js";
import { TOKEN, type Peers } from "../support/peers.js";

const DEV = "222222222222";
const PROD = "111111111111";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng", "finance"], peers: { shim: true }, env: IDENTITY_CENTER_ENV });
let peers: Peers;
let gh: GitHubPeer;
let org: OrgFixture;

const act = bench.act;
const openPull = (number: number) => bench.openPull(number, syntheticSha(`ic-head-${number}`));

/** Group display names assigned a permission set in an account, as AWS reports them. */
const assignedGroups = (account: string, name: string) => identityCenterOf(peers.awsEndpoint, org).assignedGroups(account, name);

beforeAll(async () => {
  ({ peers, gh } = await bench.start());
  org = await createOrganization(peers.awsEndpoint);
  // SCIM has provisioned two of the three mapped groups so far.
  await provisionGroup(peers.awsEndpoint, org.identityStoreId, "aws-admins");
  await provisionGroup(peers.awsEndpoint, org.identityStoreId, "engineers");
  peers.copyExample("identity-center-sp-metadata.xml");
  peers.writeConfig("aws-access.yaml", identityCenterExample(org));
}, 600_000);

afterAll(() => bench.stopAfterChecks());

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
    const push = await bench.merge(1, syntheticSha("ic-merge-1"), syntheticSha("ic-before-1"));
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
