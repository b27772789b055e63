// Issue 20, item 1, in identity-center mode, through the shipped Action (dist/index.js
// under Node 24) against moto_server behind the Identity Center shim, the authentik
// emulator and the GitHub emulator, each in a process of its own. An account assignment
// has nowhere to hold its end: the tool records it in an entitlement of its own on the
// application, bound to no group. Adding `expires:` to an assignment that stays is a plan
// (a comment that is not "No changes.", "now expires on …", before → after in "Access that
// expires"); applied, the re-plan is clean; removing it again says "made permanent".
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import { actionBench } from "../support/action.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, provisionGroup, type OrgFixture } from "../support/identity-center.js";
import type { Peers } from "../support/peers.js";

const DEV = "222222222222";
const RECORD = "authentik.entitlement[aws-identity-center/aws-gitops access lifetimes]";
const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], peers: { shim: true }, env: IDENTITY_CENTER_ENV });
let peers: Peers;
let org: OrgFixture;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const LATER = day(60);

const base = () => identityCenterExample(org);
/** data-eng's DataEngineer assignment in dev, ending on `date`. */
function withExpiry(date: string): string {
  const text = base().replace("    permissionSets: [DataEngineer]\n    accounts: [dev]\n", `    permissionSets: [DataEngineer]\n    accounts: [dev]\n    expires: ${date}\n`);
  expect(text).toContain(`expires: ${date}`);
  return text;
}

async function apply(config: string): Promise<void> {
  peers.writeConfig("aws-access.yaml", config);
  const r = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"], IDENTITY_CENTER_ENV);
  expect(r.code, r.stderr + r.stdout).toBe(0);
}

async function replanIsClean(): Promise<void> {
  const again = await peers.cli(["plan", "-c", "aws-access.yaml", "--detailed-exitcode"], IDENTITY_CENTER_ENV);
  expect(again.code, again.stdout + again.stderr).toBe(0);
}

/** The access report's grants, as the CLI gives them. */
async function accessGrants(): Promise<unknown[]> {
  const r = await peers.cli(["access", "-c", "aws-access.yaml", "--format", "json"], IDENTITY_CENTER_ENV);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { grants: unknown[] }).grants;
}

async function planComment(pull: number, config: string): Promise<string> {
  peers.writeConfig("aws-access.yaml", config);
  const r = await bench.act(await bench.openPull(pull, syntheticSha(`ic-life-${pull}`)));
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.outputs["has-changes"]).toBe("true");
  const comments = await bench.comments(pull);
  expect(comments).toHaveLength(1);
  return comments[0]!.body;
}

const section = (body: string) => body.slice(body.indexOf("#### Access that expires"), body.indexOf("#### Changes"));

beforeAll(async () => {
  ({ peers } = await bench.start());
  org = await createOrganization(peers.awsEndpoint);
  for (const g of ["aws-admins", "engineers", "data-eng"]) await provisionGroup(peers.awsEndpoint, org.identityStoreId, g);
  peers.copyExample("identity-center-sp-metadata.xml");
  await apply(base());
  await replanIsClean();
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("access lifetime in the plan comment, identity-center mode", () => {
  it("adding expires: 'now expires on …' with before → after; applied, the re-plan is clean; removing it: 'made permanent'", async () => {
    const grantsBefore = await accessGrants();
    const body = await planComment(70, withExpiry(LATER));
    expect(body).not.toContain("No changes");
    expect(body).toContain("**1 to create, 0 to update, 0 to delete**");
    expect(body).toContain(RECORD);
    const added = section(body);
    expect(added).toContain("| Group | Permission set | Account | Before → after | Where |");
    expect(added).toContain(`| \`data-eng\` | \`DataEngineer\` | dev (\`${DEV}\`) | permanent → \`${LATER}\`<br>now expires on ${LATER}, was permanent | \`mappings[2].expires\` |`);

    // Applied (as the merge would): the end is recorded in authentik, and a re-plan is clean.
    await apply(withExpiry(LATER));
    const entitlements = (await peers.ak("GET", "/core/application_entitlements/")).results as { name: string; pbm_uuid: string; attributes: Record<string, unknown> }[];
    const record = entitlements.find((e) => e.name === "aws-gitops access lifetimes")!;
    expect(record.attributes.access_expires).toEqual({ [`data-eng→DataEngineer@${DEV}`]: LATER });
    expect(record.attributes.managed_by).toBe("authentik-aws-gitops");
    // Bound to no group: it grants nothing.
    expect((await peers.ak("GET", `/policies/bindings/?target=${record.pbm_uuid}`)).results).toEqual([]);
    await replanIsClean();
    // Neither the access report nor import takes the record for a grant.
    expect(await accessGrants()).toEqual(grantsBefore);
    const imported = await peers.cli(["import", "--mode", "identity-center", "--application", "aws-identity-center", "--url", "https://authentik.company", "-o", "imported.yaml"], IDENTITY_CENTER_ENV);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout + imported.stderr).not.toContain("lifetimes");
    const importedText = readFileSync(path.join(peers.dir, "imported.yaml"), "utf8");
    expect(importedText).not.toContain("lifetimes");
    expect(importedText).toContain("DataEngineer");

    const removed = await planComment(71, base());
    expect(removed).not.toContain("No changes");
    expect(removed).toContain("**0 to create, 0 to update, 1 to delete**");
    expect(removed).not.toContain("[!WARNING]"); // the record grants nothing: no deletion warning
    expect(section(removed)).toContain(`| \`data-eng\` | \`DataEngineer\` | dev (\`${DEV}\`) | \`${LATER}\` → **permanent**<br>made permanent, was expiring on ${LATER} |`);
    await apply(base());
    await replanIsClean();
    expect(((await peers.ak("GET", "/core/application_entitlements/")).results as { name: string }[]).map((e) => e.name)).toEqual([]);
  });
});
