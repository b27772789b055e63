import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";

/**
 * What a new user trips over first: an account id written without quotes, and
 * one value of the wrong type that the semantic rules then read as if it were
 * valid, adding a second, misleading message.
 */
const lines = (text: string) => validateConfigText("aws-access.yaml", text).diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}: ${d.message}`);

/** A classic-iam file; the account's id and the mapping's roles as written, then anything extra. */
function classic({ id = '"111111111111"', roles = "[admin]", rolesSection = '\n  admin: { accounts: "*" }', accounts = '\n    prod:\n      id: ID' } = {}): string {
  return `version: 1
mode: classic-iam
authentik:
  application: { slug: aws, name: AWS }
  provider: { name: aws }
aws:
  accounts:${accounts.replace("ID", id)}
roles:${rolesSection}
mappings:
  - group: admins
    roles: ${roles}
`;
}

describe("an account id written without quotes", () => {
  it("says to quote it, with the id as written", () => {
    expect(lines(classic({ id: "222222222222" }))).toEqual([
      `9:11 error: 'aws.accounts.prod.id' must be a string, not a number: quote it, e.g. id: "222222222222"`,
    ]);
  });

  it("says that YAML dropped the leading zero when the id starts with 0", () => {
    expect(lines(classic({ id: "012345678901" }))).toEqual([
      `9:11 error: 'aws.accounts.prod.id' must be a string, not a number: quote it, e.g. id: "012345678901" — unquoted, YAML reads it as the number 12345678901, without its leading zero`,
    ]);
    expect(lines(classic({ id: "001234567890" }))[0]).toContain(`e.g. id: "001234567890" — unquoted, YAML reads it as the number 1234567890, without its leading zeros`);
  });

  it("in flow style too, and for other strings given as numbers", () => {
    expect(lines(classic({ accounts: "\n    prod: { id: 012345678901 }" }))).toEqual([
      `8:17 error: 'aws.accounts.prod.id' must be a string, not a number: quote it, e.g. id: "012345678901" — unquoted, YAML reads it as the number 12345678901, without its leading zero`,
    ]);
    const text = classic().replace("{ slug: aws, name: AWS }", "{ slug: aws, name: 2024 }");
    expect(lines(text)).toEqual([`4:35 error: 'authentik.application.name' must be a string, not a number: quote it, e.g. name: "2024"`]);
  });

  it("a number that is not one as written (an alias) gets the hint without an example", () => {
    const text = classic({ id: "*n" }).replace("version: 1\n", "version: 1\nx-n: &n 5\n");
    expect(lines(text)).toContainEqual(expect.stringContaining("'aws.accounts.prod.id' must be a string, not a number: quote it"));
    expect(lines(text).join("\n")).not.toContain('"*n"');
  });
});

describe("a section of the wrong type is not also read as if it were valid", () => {
  it("a mapping's roles written as a string: only the type error, not 'role is not granted to any group'", () => {
    expect(lines(classic({ roles: "admin" }))).toEqual([`14:12 error: 'mappings[0].roles' must be a list, not a string`]);
  });

  it("roles written as a string: no 'not defined in roles' for the mappings, no 'account has no roles'", () => {
    expect(lines(classic({ rolesSection: " admin" }))).toEqual([`10:8 error: 'roles' must be a mapping (key: value), not a string`]);
  });

  it("a role written as a string: no 'does not exist in account' for the mappings that name it", () => {
    const text = classic({ rolesSection: "\n  admin: prod" }).replace("    roles: [admin]\n", "    roles: [admin]\n    accounts: [prod]\n");
    expect(lines(text)).toEqual([`11:10 error: 'roles.admin' must be a mapping (key: value), not a string`]);
  });

  it("a role's accounts of the wrong type: no 'account has no roles'", () => {
    expect(lines(classic({ rolesSection: "\n  admin: { accounts: 5 }" }))).toEqual([
      `11:22 error: 'roles.admin.accounts' must be a list of account aliases or "*" for all accounts`,
    ]);
  });

  it("accounts written as a list: no 'unknown account' for every alias the roles name", () => {
    const text = classic({ accounts: '\n    - prod: { id: "111111111111" }', rolesSection: "\n  admin: { accounts: [prod] }" });
    expect(lines(text)).toEqual([`8:5 error: 'aws.accounts' must be a mapping (key: value), not a list`]);
  });

  it("a role's session duration of the wrong type is not taken for the 1h default", () => {
    const text = classic({ rolesSection: '\n  admin: { accounts: "*", maxSessionDuration: true }' }).replace("provider: { name: aws }", "provider: { name: aws, sessionDuration: 2h }");
    expect(lines(text)).toEqual([
      `11:47 error: 'roles.admin.maxSessionDuration' must be a duration: seconds as a number (3600), or a string like "4h", "1h30m", "900s" or "PT4H"`,
    ]);
  });

  it("identity-center: a mapping's permissionSets written as a string: no 'not assigned to any group'", () => {
    const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "identity-center.yaml"), "utf8");
    const text = example.replace("permissionSets: [AdministratorAccess]", "permissionSets: AdministratorAccess");
    expect(text).not.toBe(example);
    const result = validateConfigText("ic.yaml", text).diagnostics.map((d) => d.message);
    expect(result).toEqual(["'mappings[0].permissionSets' must be a list, not a string"]);
  });
});
