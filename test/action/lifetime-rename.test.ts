// Issue 20, items 1 and 3, through the shipped Action (dist/index.js under Node 24) against
// the peers, each in a process of its own: an expiry added or removed is a plan change
// whose comment says so ("now expires on …", "made permanent", before → after in "Access
// that expires"); a pure role rename reads "renamed", with no risk and no deletion warning.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticSha } from "../peers/github/events.js";
import { actionBench } from "../support/action.js";
import { example, type Peers } from "../support/peers.js";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"] });
let peers: Peers;
const base = example("classic-iam.yaml");
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const LATER = day(60);
/** data-eng's mapping ending on `date`. */
const withExpiry = (date: string) => base.replace("    accounts: [dev]\n\noptions:", `    accounts: [dev]\n    expires: ${date}\n\noptions:`);

async function apply(config: string): Promise<void> {
  peers.writeConfig("aws-access.yaml", config);
  const r = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"]);
  expect(r.code, r.stderr).toBe(0);
}

async function planComment(pull: number, config: string): Promise<string> {
  peers.writeConfig("aws-access.yaml", config);
  const r = await bench.act(await bench.openPull(pull, syntheticSha(`head-${pull}`)));
  expect(r.code, r.stdout).toBe(0);
  expect(r.outputs["has-changes"]).toBe("true");
  const comments = await bench.comments(pull);
  expect(comments).toHaveLength(1);
  return comments[0]!.body;
}

beforeAll(async () => {
  ({ peers } = await bench.start());
  await apply(base);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("access lifetime in the plan comment", () => {
  it("adding expires: a comment that is not 'No changes.', 'now expires on …' with before → after; then removing it: 'made permanent'", async () => {
    const added = withExpiry(LATER);
    expect(added).toContain(`expires: ${LATER}`);
    const body = await planComment(60, added);
    expect(body).not.toContain("No changes");
    expect(body).toContain("**0 to create, 2 to update, 0 to delete**");
    const section = body.slice(body.indexOf("#### Access that expires"), body.indexOf("#### Changes"));
    expect(section).toContain("| Group | Role | Account | Before → after | Where |");
    expect(section).toContain(`| \`data-eng\` | \`data-engineer\` | dev (\`222222222222\`) | permanent → \`${LATER}\`<br>now expires on ${LATER}, was permanent | \`mappings[2].expires\` |`);
    expect(section).toContain(`| \`data-eng\` | \`readonly\` | dev (\`222222222222\`) | permanent → \`${LATER}\`<br>now expires on ${LATER}, was permanent |`);

    // Applied (as the merge would): the end is recorded, and a re-plan is clean.
    await apply(added);
    const again = await peers.cli(["plan", "-c", "aws-access.yaml", "--detailed-exitcode"]);
    expect(again.code, again.stdout).toBe(0);

    const removed = await planComment(61, base);
    expect(removed).not.toContain("No changes");
    const after = removed.slice(removed.indexOf("#### Access that expires"), removed.indexOf("#### Changes"));
    expect(after).toContain(`| \`data-eng\` | \`data-engineer\` | dev (\`222222222222\`) | \`${LATER}\` → **permanent**<br>made permanent, was expiring on ${LATER} |`);
    await apply(base);
  });
});

describe("a pure role rename in classic-iam", () => {
  it("reads 'renamed admin → administrator: nobody gains or loses anything', with no risk, no deletion warning and no access rows", async () => {
    const renamed = base.replace("  admin:\n", "  administrator:\n").replace("roles: [admin]", "roles: [administrator]");
    expect(renamed).not.toBe(base);
    const body = await planComment(62, renamed);
    expect(body).toContain("**6 to create, 0 to update, 6 to delete**");
    expect(body).toContain("- 🔁 renamed role admin → administrator in dev, prod: nobody gains or loses anything (12 changes re-create it)");
    expect(body).not.toContain("[!WARNING]");
    expect(body).not.toContain("Risks");
    expect(body).not.toContain("🔴 **loses**");
    expect(body).not.toContain("🟢 gains");
    expect(body).not.toContain("#### Permission changes");
    // The changes themselves still happen, and are listed.
    expect(body).toContain("#### Changes (12)");
    expect(body).toContain("aws.iam.role[prod:/authentik/administrator]");
    expect(body).toContain("aws.iam.role[prod:/authentik/admin]");
  });
});
