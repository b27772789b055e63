import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import { describePath, looksLikeSecret, quoteName } from "../../src/config/paths.js";
import { jsonErrorAt } from "../../src/config/policy-documents.js";

/** What messages may repeat from a file: names of things yes, credentials and free text no. */
describe("names in messages", () => {
  it.each([
    "admin", "AdministratorAccess", "ReadOnlyAccess", "data-engineer", "aws-admins", "S3ReadOnly", "EC2Admin", "Route53Admin",
    "team-platform-2024", "prod-eu-west-1", "sandbox01", "AWSReadOnlyAccess", "GitHubActionsDeployer", "AWS_SCIM_TOKEN",
    "first.last@company.com", "kubernetes-admins", "authentik Self-signed Certificate",
  ])("%s reads as a name and is shown", (name) => {
    expect(looksLikeSecret(name)).toBe(false);
    expect(quoteName(name)).toBe(`'${name}'`);
  });

  it.each([
    "kR7vQ2mXp9LwZt4BnH8sJc3Yd6FgA1eU", "ghp_h325YbVHZ8kkxlkeEohTueUy1L06DaqrOCX9", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzq9vB1kLm3",
    "3f9a2c7e1b0d4a8f", "ii1wRkQ9", "AKIAIOSFODNN7EXAMPLE", "dGhpcyBpcyBhIHNlY3JldA==",
  ])("%s looks like a secret and is not shown", (token) => {
    expect(looksLikeSecret(token)).toBe(true);
    expect(quoteName(token)).toBe(`<a name that looks like a secret, ${token.length} characters, not shown>`);
  });

  it("shows control characters in names as escapes", () => {
    expect(quoteName("a\u001b[31mb\nc")).toBe("'a\\u001b[31mb\\nc'");
  });

  it("paths show free-text keys (tags) and secret-looking keys as […]", () => {
    expect(describePath(["roles", "admin", "tags", "owner"])).toBe("roles.admin.tags[…]");
    expect(describePath(["roles", "kR7vQ2mXp9LwZt4BnH8sJc3Yd6FgA1eU", "accounts"])).toBe("roles[…].accounts");
    expect(describePath(["roles", "admin role", "accounts", 0])).toBe('roles["admin role"].accounts[0]');
  });
});

describe("YAML syntax messages never quote the file", () => {
  const secret = "SECRETkR7vQ2mXp9Lw";
  it.each([
    ["an unknown tag", `version: 1\nmode: !${secret} x\n`],
    ["a value starting with an indicator", `version: 1\nmode: @${secret}\n`],
    ["a backquote", `version: 1\nmode: \`${secret}\n`],
    ["a directive", `%${secret}\n---\nversion: 1\n`],
    ["an anchor in the wrong place", `version: 1\nmode: x &${secret}\n`],
    ["an invalid escape", `version: 1\nmode: "\\q${secret}"\n`],
    ["a block scalar header with extra characters", `version: 1\nmode: |${secret}\n  x\n`],
    ["a flow mapping used as a key", `version: 1\n{ ${secret}: 1 }: x\n`],
    ["a duplicate key", `version: 1\n${secret}: 1\n${secret}: 2\n`],
  ])("%s", (_what, text) => {
    const result = validateConfigText("x.yaml", text);
    expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
    for (const d of result.diagnostics) {
      expect(d.message).not.toContain("kR7vQ2mX");
      expect(d.line).toBeGreaterThan(0);
    }
  });

  it("names the line of the first definition of a duplicate key", () => {
    const result = validateConfigText("x.yaml", "version: 1\nmode: a\nmode: b\n");
    expect(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toContain(
      "3:1 duplicate key: the same key is already defined at line 2, column 1 of this mapping; remove or rename one of them",
    );
  });
});

describe("invalid JSON in policy documents", () => {
  it("says where, not what the text around it is", () => {
    expect(jsonErrorAt('{"Statement": [{"Sid": "kR7vQ2mXp9Lw",}]}')).toBe("line 1, column 39 of the JSON: expected a property name in double quotes");
    expect(jsonErrorAt('{\n  "a": tru\n}')).toBe("line 2, column 8 of the JSON: expected true");
    expect(jsonErrorAt('{"a": "b\nc"}')).toBe("line 1, column 9 of the JSON: a control character (such as a newline or tab) inside a string; write it as an escape (\\n, \\t)");
  });
});
