// The top of the plan a reviewer reads: the people an access change affects, what
// the permissions of a grant become, and which changes are risky — end to end,
// through the shipped CLI, against moto_server and the authentik emulator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { example, startPeers, type Peers } from "../support/peers.js";

const DEV = "222222222222";
let peers: Peers;
const base = example("classic-iam.yaml");

/** Distinctive user names, so that "no name anywhere" can be checked by search. */
const PEOPLE = { dataEng: ["zoe.dataeng", "yann.dataeng"], intern: ["xia.intern"], engineers: ["walt.engineer"], admins: ["vera.admin"] };
const ALL_NAMES = Object.values(PEOPLE).flat();

async function plan(file: string, format: "json" | "text" | "markdown" = "json") {
  const r = await peers.cli(["plan", "-c", file, "--format", format]);
  expect(r.stderr).not.toContain("error");
  expect(r.code).toBe(0);
  return r.stdout;
}
const planJson = async (file: string) => JSON.parse(await plan(file)) as Plan;

/** The example with s3:PutObject added to data-engineer's inline policy. */
const withPutObject = (text: string) => text.replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject, s3:ListBucket, s3:PutObject]");

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  const groups = await peers.groupPks();
  const pk = (name: string) => groups[name]!;
  // A child group of data-eng: authentik applies data-eng's bindings to its members too.
  const intern = await peers.ak("POST", "/core/groups/", { name: "data-eng-interns", parents: [pk("data-eng")] });
  const user = (username: string, group: string) => peers.ak("POST", "/core/users/", { username, name: username, groups: [group] });
  for (const u of PEOPLE.dataEng) await user(u, pk("data-eng"));
  for (const u of PEOPLE.intern) await user(u, intern.pk);
  for (const u of PEOPLE.engineers) await user(u, pk("engineers"));
  for (const u of PEOPLE.admins) await user(u, pk("aws-admins"));
  await peers.ak("POST", "/core/users/", { username: "ulla.inactive", name: "ulla", groups: [pk("data-eng")], is_active: false });
  const config = peers.writeConfig("base.yaml", base);
  const r = await peers.cli(["apply", "-c", config, "--auto-approve"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
});

afterAll(() => peers.stopAfterChecks());

describe("the review at the top of the plan", () => {
  it("adding s3:PutObject to a role's inline policy is a widening, held by the group's people and its child group's", async () => {
    const p = await planJson(peers.writeConfig("put.yaml", withPutObject(base)));
    expect(p.permissions).toEqual([
      expect.objectContaining({
        grant: "data-engineer",
        account: "dev",
        accountId: DEV,
        change: "widened",
        added: [
          { effect: "Allow", action: "s3:PutObject", resource: "arn:aws:s3:::data-lake" },
          { effect: "Allow", action: "s3:PutObject", resource: "arn:aws:s3:::data-lake/*" },
        ],
        removed: [],
        managedPoliciesAdded: [],
        managedPoliciesRemoved: [],
        people: { count: 3, names: [...PEOPLE.dataEng, ...PEOPLE.intern].sort() },
      }),
    ]);
  });

  it("a group with a child group counts the child's members in its access rows", async () => {
    const text = base.replace("  - group: data-eng\n    roles: [readonly, data-engineer]", "  - group: data-eng\n    roles: [readonly, data-engineer, admin]");
    const p = await planJson(peers.writeConfig("child.yaml", text));
    const row = p.access.find((a) => a.group === "data-eng" && a.grant === "admin");
    expect(row).toMatchObject({ account: "dev", change: "gained", people: { count: 3, names: ["xia.intern", "yann.dataeng", "zoe.dataeng"] } });
  });

  it("review.people: count puts no user name in any output", async () => {
    const text = `${withPutObject(base).replace("  - group: data-eng\n    roles: [readonly, data-engineer]", "  - group: data-eng\n    roles: [readonly, data-engineer, admin]")}\nreview:\n  people: count\n`;
    const file = peers.writeConfig("count.yaml", text);
    const p = await planJson(file);
    expect(p.permissions![0]!.people).toEqual({ count: 3 });
    expect(p.access.find((a) => a.group === "data-eng" && a.grant === "admin")!.people).toEqual({ count: 3 });
    for (const out of [JSON.stringify(p), await plan(file, "text"), await plan(file, "markdown")]) {
      for (const name of ALL_NAMES) expect(out).not.toContain(name);
    }
    // …while with names (the default) they are there: the search above can find them.
    expect(await plan(peers.writeConfig("names.yaml", text.replace("people: count", "people: names")), "markdown")).toContain("xia.intern");
  });
});

describe("risks", () => {
  it("attaching AdministratorAccess to a group's role in an account marked production is a high risk", async () => {
    const text = base
      .replace('      name: Production\n', '      name: Production\n      production: true\n')
      .replace("    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n  data-engineer:", "    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/AdministratorAccess]\n  data-engineer:");
    expect(text).toContain("production: true");
    const p = await planJson(peers.writeConfig("prod-admin.yaml", text));
    const readonlyProd = p.permissions!.find((r) => r.grant === "readonly" && r.account === "prod")!;
    expect(readonlyProd).toMatchObject({ change: "widened", managedPoliciesAdded: ["AdministratorAccess"], people: { count: 1 } });
    const prodRisks = p.risks!.filter((r) => r.addresses.includes("aws.iam.role[prod:/authentik/readonly]"));
    expect(prodRisks.map((r) => [r.rule, r.severity])).toEqual([
      ["admin-equivalent", "high"],
      ["production", "high"],
    ]);
    expect(p.risks![0]!.severity).toBe("high");
    // The same change in dev alone (not production) is admin-equivalent, but no production risk.
    expect(p.risks!.filter((r) => r.rule === "production").every((r) => !r.message.includes(" dev"))).toBe(true);
    // The Action's exit: the highest severity.
    const r = await peers.cli(["plan", "-c", peers.writeConfig("prod-admin.yaml", text), "--format", "markdown"]);
    expect(r.stdout).toMatch(/Risks/);
  });
});

describe("review configuration", () => {
  it("a custom risk rule must name declared accounts, and validate says where", async () => {
    const file = peers.writeConfig("custom.yaml", `${base}\nreview:\n  risks:\n    custom:\n      - { name: payments, severity: high, message: payments, accounts: [prdo] }\n`);
    const r = await peers.cli(["validate", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/custom\.yaml:\d+:\d+.*unknown account 'prdo'/);
  });

  it("a custom rule fires on the action it names, naming the change", async () => {
    const text = `${withPutObject(base)}\nreview:\n  risks:\n    custom:\n      - { name: data-writes, severity: medium, message: writes to the data lake, actions: [s3:PutObject] }\n`;
    const p = await planJson(peers.writeConfig("custom-ok.yaml", text));
    expect(p.risks.map((r) => [r.rule, r.severity, r.addresses])).toEqual([["data-writes", "medium", ["aws.iam.role[dev:/authentik/data-engineer]"]]]);
  });
});

describe("people on authentik 2025.10, whose groups have one parent (parent, not parents)", () => {
  let old: Peers;
  afterAll(async () => {
    if (!old) return;
    expect(await old.authentik.control.invalidRequests()).toEqual([]);
    expect(await old.authentik.control.emulatorErrors()).toEqual([]);
    await old.stop();
  });
  it("counts the members of a child group", async () => {
    old = await startPeers(["aws-admins", "engineers", "data-eng"], { authentikArgs: ["--version", "2025.10.4"] });
    const groups = await old.groupPks();
    const pk = (name: string) => groups[name]!;
    const child = await old.ak("POST", "/core/groups/", { name: "eng-contractors", parent: pk("engineers") });
    await old.ak("POST", "/core/users/", { username: "tom.engineer", name: "tom", groups: [pk("engineers")] });
    await old.ak("POST", "/core/users/", { username: "sam.contractor", name: "sam", groups: [child.pk] });
    const r = await old.cli(["plan", "-c", old.writeConfig("old.yaml", base), "--format", "json"]);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as Plan;
    expect(p.access.find((a) => a.group === "engineers" && a.account === "prod")!.people).toEqual({ count: 2, names: ["sam.contractor", "tom.engineer"] });
  });
});
