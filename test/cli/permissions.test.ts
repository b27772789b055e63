import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { PermissionsReport } from "../../src/permissions/model.js";
import { runCli } from "../support/run-cli.js";

/** The `permissions` command offline: what it prints for a configuration's features (test/integration/permissions.test.ts checks it is true). */
const root = path.join(import.meta.dirname, "..", "..");
const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runCli(argv, env, root);
const example = (name: string) => path.join(root, "examples", name);

async function json(file: string, phase: "plan" | "apply", extra: string[] = []): Promise<PermissionsReport> {
  const r = await run(["permissions", "-c", file, "--for", phase, "--format", "json", ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PermissionsReport;
}

const actions = (report: PermissionsReport, id: string) => report.aws.policies.find((p) => p.id === id)!.document.Statement.flatMap((s) => s.Action);

function writeWith(name: string, from: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "aag-perm-"));
  copyFileSync(example("identity-center-sp-metadata.xml"), path.join(dir, "identity-center-sp-metadata.xml"));
  const file = path.join(dir, name);
  writeFileSync(file, edit(readFileSync(example(from), "utf8")));
  return file;
}

describe("permissions", () => {
  it("classic-iam: the caller assumes each account's role; plan reads only, apply writes scoped by path, tags and name", async () => {
    const plan = await json(example("classic-iam.yaml"), "plan");
    expect(plan).toMatchObject({ version: 1, mode: "classic-iam", phase: "plan" });
    expect(plan.aws.policies.map((p) => p.id)).toEqual(["caller", "account:prod", "account:dev"]);
    expect(plan.aws.policies[0]!.document.Statement).toEqual([
      { Sid: "AssumeAccountRoles", Effect: "Allow", Action: ["sts:AssumeRole"], Resource: ["arn:aws:iam::111111111111:role/gitops", "arn:aws:iam::222222222222:role/gitops"] },
    ]);
    // GetPolicy and GetAccountSummary: the plan looks up the managed policies a role is to attach (policy-preflight) and the account's room for roles (quota-checks);
    // GetPolicyVersion: it reads the documents of those a change attaches or detaches (action-expansion).
    expect(actions(plan, "account:prod").sort()).toEqual(["iam:GetAccountAuthorizationDetails", "iam:GetAccountSummary", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetSAMLProvider", "iam:ListRoles"]);
    expect(plan.authentik.permissions.every((p) => /\.view_/.test(p))).toBe(true);

    const apply = await json(example("classic-iam.yaml"), "apply");
    const prod = apply.aws.policies.find((p) => p.id === "account:prod")!.document.Statement;
    const own = prod.find((s) => s.Sid === "WriteOwnRoles")!;
    expect(own.Resource).toBe("arn:aws:iam::111111111111:role/authentik/*");
    expect(own.Condition).toEqual({ StringEquals: { "aws:ResourceTag/managed-by": "authentik-aws-gitops", "aws:ResourceTag/managed-by-config": "aws" } });
    expect(prod.find((s) => s.Sid === "CreateTaggedRoles")!.Condition).toEqual({
      StringEquals: { "aws:RequestTag/managed-by": "authentik-aws-gitops", "aws:RequestTag/managed-by-config": "aws" },
      Null: { "aws:ResourceTag/managed-by": "true" },
    });
    expect(prod.find((s) => s.Sid === "WriteSamlProvider")!.Resource).toBe("arn:aws:iam::111111111111:saml-provider/authentik");
    expect(apply.authentik.permissions).toEqual(expect.arrayContaining(["authentik_core.add_applicationentitlement", "authentik_policies.delete_policybinding"]));
  });

  it("follows pruning, expiring grants and adopt", async () => {
    const noPrune = await json(example("classic-iam.yaml"), "apply", ["--no-prune"]);
    expect(actions(noPrune, "account:dev")).not.toContain("iam:DeleteRole");
    expect(noPrune.authentik.permissions).not.toContain("authentik_policies.delete_policybinding");
    // An expiring grant is removed without pruning: its binding's delete comes back.
    const expiring = writeWith("c.yaml", "classic-iam.yaml", (t) => t.replace("prune: true", "prune: false").replace("  - group: aws-admins\n    roles: [admin]\n", "  - group: aws-admins\n    roles: [admin]\n    expires: 2099-12-31\n"));
    const withExpiry = await json(expiring, "apply");
    expect(withExpiry.features).toContain("expiring grants");
    expect(withExpiry.authentik.permissions).toContain("authentik_policies.delete_policybinding");
    expect(actions(withExpiry, "account:dev")).not.toContain("iam:DeleteRole");

    const adopting = writeWith("a.yaml", "classic-iam.yaml", (t) => t.replace("roles:\n  admin:", "adopt:\n  roles: [admin]\n\nroles:\n  admin:"));
    const adopt = (await json(adopting, "apply")).aws.policies.find((p) => p.id === "account:prod")!;
    const statement = adopt.document.Statement.find((s) => s.Sid === "AdoptRoles")!;
    expect(statement.Resource).toBe("arn:aws:iam::111111111111:role/authentik/admin");
    expect(statement.Condition).toBeUndefined();
  });

  it("identity-center: sso, identitystore and organizations; SCIM's permissions only with scim:; the management-account policy is optional", async () => {
    const file = writeWith("ic.yaml", "identity-center.yaml", (t) => t);
    const apply = await json(file, "apply");
    expect(apply.aws.policies.map((p) => [p.id, Boolean(p.optional)])).toEqual([
      ["identity-center", false],
      ["identity-center-management-account", true],
    ]);
    const ic = actions(apply, "identity-center");
    expect(ic).toEqual(expect.arrayContaining(["sso:ListInstances", "sso:CreateAccountAssignment", "identitystore:ListGroups", "identitystore:GetGroupId", "organizations:ListAccountsForParent"]));
    expect(apply.authentik.permissions).toEqual(expect.arrayContaining(["authentik_providers_scim.add_scimprovider", "authentik_providers_scim.view_scimprovider"]));
    expect(apply.authentik.notes.join()).toContain("no superuser cannot start authentik's full SCIM sync");

    const noScim = writeWith("ic2.yaml", "identity-center.yaml", (t) => t.replace(/\nscim:\n(?: {2}.*\n| {4}.*\n)+/, "\n"));
    const without = await json(noScim, "apply");
    expect(without.features).toContain("SCIM off");
    expect(without.authentik.permissions.filter((p) => /add_scim|change_scim/.test(p))).toEqual([]);
    expect(actions(without, "identity-center")).not.toContain("identitystore:GetGroupId");
    // Given instance and identity store: no ListInstances, and ARNs scoped to the instance.
    const given = writeWith("ic3.yaml", "identity-center.yaml", (t) =>
      t.replace("    region: us-east-1\n", "    region: us-east-1\n    instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef\n    identityStoreId: d-1234567890\n"),
    );
    const scoped = await json(given, "plan");
    expect(actions(scoped, "identity-center")).not.toContain("sso:ListInstances");
    expect(scoped.aws.policies[0]!.document.Statement.find((s) => s.Sid === "ReadPermissionSets")!.Resource).toEqual([
      "arn:aws:sso:::instance/ssoins-1234567890abcdef",
      "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/*",
    ]);
  });

  it("prints text to paste, reads no secret, and reports bad usage and bad files like the other commands", async () => {
    const file = writeWith("ic.yaml", "identity-center.yaml", (t) => t);
    const text = await run(["permissions", "-c", file, "--for", "apply"], { AWS_SCIM_TOKEN: "scim-secret-value-0123456789", AUTHENTIK_TOKEN: "authentik-secret-0123456789" });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('-- policy "identity-center": attach to');
    expect(text.stdout).toContain("- model: authentik_rbac.role");
    expect(text.stdout).not.toContain("scim-secret-value");
    expect(text.stdout).not.toContain("authentik-secret");
    // Each policy block is the JSON document as printed in the JSON format.
    const block = text.stdout.split('-- policy "identity-center": ')[1]!;
    const doc = JSON.parse(block.slice(block.indexOf("{"), block.indexOf("\n    }\n") + 6));
    expect(doc.Version).toBe("2012-10-17");

    const missing = await run(["permissions", "-c", file]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("--for");
    const bad = await run(["permissions", "-c", path.join(root, "test", "fixtures", "invalid", "12-version-2.yaml"), "--for", "plan"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/12-version-2\.yaml:1:10: error:/);
  });
});
