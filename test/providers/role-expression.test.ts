import { describe, expect, it } from "vitest";
import { ROLE_EXPRESSION } from "../../src/domain/expressions.js";
import { expressionGrants, readRoleExpression } from "../../src/domain/role-expression.js";

const ID = "123412341234";
const pair = (role: string, provider = "authentik") => `arn:aws:iam::${ID}:role/${role},arn:aws:iam::${ID}:saml-provider/${provider}`;

describe("reading the guide's Role expressions", () => {
  it("recognises the tool's own expression", () => {
    expect(readRoleExpression(ROLE_EXPRESSION)).toEqual({ style: "entitlements" });
  });

  it("reads a static ARN pair, in either order, with comments", () => {
    const r = readRoleExpression(`# AWS role\nreturn "${pair("saml_role")}"\n`);
    expect(r).toMatchObject({ style: "static", pairs: [{ roleName: "saml_role", accountId: ID, rolePath: "/", samlProviderName: "authentik" }] });
    const swapped = readRoleExpression(`return 'arn:aws:iam::${ID}:saml-provider/authentik,arn:aws:iam::${ID}:role/ops/admin'`);
    expect(swapped).toMatchObject({ style: "static", pairs: [{ roleName: "admin", rolePath: "/ops/" }] });
  });

  it("reads the list style over several lines, trailing comma included", () => {
    const r = readRoleExpression(`return [\n    "${pair("role_a")}",\n    "${pair("role_b")}",  # b\n    "${pair("role_c")}",\n]\n`);
    expect(r.style).toBe("static");
    expect(r.style === "static" && r.pairs.map((p) => p.roleName)).toEqual(["role_a", "role_b", "role_c"]);
  });

  it("reads the group-attribute style and fills in role names", () => {
    const r = readRoleExpression(`role_name = user.group_attributes().get("aws_role", "")\nreturn f"arn:aws:iam::${ID}:role/{role_name},arn:aws:iam::${ID}:saml-provider/authentik"\n`);
    expect(r).toMatchObject({ style: "group-attribute", attribute: "aws_role", defaultValue: "" });
    if (r.style !== "group-attribute") throw new Error();
    expect(r.pairFor("admin")).toMatchObject({ roleName: "admin", roleArn: `arn:aws:iam::${ID}:role/admin` });
    const { grants, problems } = expressionGrants(
      r,
      [
        { name: "admins", attributes: { aws_role: "admin" } },
        { name: "nobody", attributes: {} },
        { name: "odd", attributes: { aws_role: ["x"] } },
      ],
      "everyone",
    );
    expect(grants.map((g) => `${g.group}:${g.pair.roleName}`)).toEqual(["admins:admin"]);
    expect(problems).toEqual([expect.stringContaining("group 'odd'")]);
  });

  it("reports what it cannot read with the line, never guessing", () => {
    const cond = readRoleExpression(`if ak_is_group_member(request.user, name="admins"):\n    return "${pair("admin")}"\nreturn "${pair("readonly")}"`);
    expect(cond).toMatchObject({ style: "unreadable" });
    expect(readRoleExpression(`return "arn:aws:iam::${ID}:role/a,arn:aws:iam::999999999999:saml-provider/authentik"`)).toMatchObject({
      style: "unreadable",
      reason: expect.stringContaining("account 999999999999"),
    });
    expect(readRoleExpression(`roles = compute()\nreturn roles`)).toMatchObject({ style: "unreadable", line: 1 });
    expect(readRoleExpression(`role_name = user.group_attributes().get("aws_role")\nreturn f"{role_name}"`)).toMatchObject({ style: "unreadable", line: 2 });
  });

  it("static pairs go to the groups that may sign in; with no bindings it refuses to say 'everyone' by group", () => {
    const r = readRoleExpression(`return "${pair("admin")}"`);
    if (r.style !== "static") throw new Error();
    expect(expressionGrants(r, [], ["ops", "sre"]).grants.map((g) => g.group)).toEqual(["ops", "sre"]);
    expect(expressionGrants(r, [], "everyone")).toMatchObject({ grants: [], problems: [expect.stringContaining("no policy bindings")] });
  });
});
