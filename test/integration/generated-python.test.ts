import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLE_EXPRESSION, pyLiteral, roleSessionNameExpression, sessionDurationExpression } from "../../src/domain/expressions.js";
import { startPeers, type Peers } from "../support/peers.js";

/**
 * The Python the tool writes into authentik, executed by python3 (through the
 * emulator's property-mapping test endpoint, which runs it against a stub of
 * authentik's evaluation context) for users and groups with hostile names.
 */
// (Control characters such as newlines are refused by validation, so names carry none.)
const HOSTILE_GROUPS = [`eng "quoted" 'single'`, "percent %(x)s {{braces}} $(id)", "back\\slash \\n", "ünïcødé 👩‍💻 ${x} {0} %s", "\"; import os; os.system('x') #"];
const HOSTILE_USERS = [
  { username: "o'brien", email: "o'brien+aws@example.com" },
  { username: "new\nline", email: "a!b#c$d%e&f*g{h}|i~j@example.com" },
  { username: "x", email: "" },
  { username: "\\\"; raise SystemExit #", email: `${"a".repeat(80)}@example.com` },
];

let peers: Peers;
let userPks: number[] = [];

function yamlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
}

beforeAll(async () => {
  peers = await startPeers(HOSTILE_GROUPS);
  const mappings = HOSTILE_GROUPS.map((g, i) => `  - group: ${yamlString(g)}\n    roles: [${i % 2 === 0 ? "admin" : "readonly"}]\n`).join("");
  const config = `version: 1
mode: classic-iam
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws, sessionName: email, sessionDuration: 2h }
aws:
  accounts:
    prod: { id: "111111111111", assumeRole: "arn:aws:iam::111111111111:role/gitops" }
roles:
  admin: { accounts: "*", maxSessionDuration: 4h }
  readonly: { accounts: "*", maxSessionDuration: 2h }
mappings:
${mappings}`;
  const file = peers.writeConfig("hostile.yaml", config);
  const r = await peers.cli(["apply", "-c", file, "--auto-approve"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const pk = await peers.groupPks();
  for (const [i, u] of HOSTILE_USERS.entries()) {
    const created = await peers.ak("POST", "/core/users/", { username: u.username, name: u.username, email: u.email, groups: [pk[HOSTILE_GROUPS[i]!]!] });
    userPks.push(created.pk);
  }
});

afterAll(() => peers.stopAfterChecks());

async function mappingPk(suffix: string): Promise<string> {
  const all = (await peers.ak("GET", "/propertymappings/provider/saml/?page_size=100")).results as { pk: string; name: string }[];
  return all.find((m) => m.name === `aws-gitops aws: AWS ${suffix}`)!.pk;
}

async function evaluate(suffix: string, user: number): Promise<unknown> {
  // As the SAML assertion evaluates it (with `provider`, which authentik's test endpoint never passes).
  const r = await peers.authentik.control.evaluateInAssertion({ mapping: await mappingPk(suffix), user });
  expect(r.successful, String(r.result)).toBe(true);
  return JSON.parse(r.result);
}

describe("generated Python against hostile names", () => {
  it("renders literals Python reads back exactly", () => {
    for (const s of [...HOSTILE_GROUPS, "tab\tand\u0000nul", "\u2028"]) expect(pyLiteral(s)).not.toMatch(/[^\x20-\x7e]/);
    expect(pyLiteral(3600)).toBe("3600");
    expect(() => pyLiteral(1.5)).toThrow();
  });

  it("writes no config-derived name into any expression", () => {
    for (const expression of [ROLE_EXPRESSION, roleSessionNameExpression("email"), roleSessionNameExpression("username"), sessionDurationExpression(7200)]) {
      for (const g of HOSTILE_GROUPS) expect(expression).not.toContain(g);
    }
  });

  it("gives each user exactly the role,provider pairs of their group's entitlements", async () => {
    for (const [i, pk] of userPks.entries()) {
      const role = i % 2 === 0 ? "admin" : "readonly";
      expect(await evaluate("Role", pk)).toEqual([`arn:aws:iam::111111111111:role/authentik/${role},arn:aws:iam::111111111111:saml-provider/authentik`]);
    }
  });

  it("sends each role once to a user in two mapped groups bound to the same entitlement", async () => {
    // authentik's app_entitlements() lists an entitlement once per binding that grants it.
    const pk = await peers.groupPks();
    const both = await peers.ak("POST", "/core/users/", { username: "in-two-admin-groups", name: "x", email: "two@example.com", groups: [pk[HOSTILE_GROUPS[0]!], pk[HOSTILE_GROUPS[2]!], pk[HOSTILE_GROUPS[1]!]] });
    expect(await evaluate("Role", both.pk)).toEqual([
      "arn:aws:iam::111111111111:role/authentik/admin,arn:aws:iam::111111111111:saml-provider/authentik",
      "arn:aws:iam::111111111111:role/authentik/readonly,arn:aws:iam::111111111111:saml-provider/authentik",
    ]);
  });

  it("derives a RoleSessionName AWS accepts from any email", async () => {
    for (const pk of userPks) {
      const name = (await evaluate("RoleSessionName", pk)) as string;
      expect(name).toMatch(/^[A-Za-z0-9_+=,.@-]{2,64}$/);
    }
    expect(await evaluate("RoleSessionName", userPks[0]!)).toBe("o_brien+aws@example.com");
  });

  it("sends the session duration as a string of seconds", async () => {
    expect(await evaluate("SessionDuration", userPks[0]!)).toBe("7200");
  });
});
