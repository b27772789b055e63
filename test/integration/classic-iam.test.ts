import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetSAMLProviderCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolesCommand,
  NoSuchEntityException,
  UpdateAssumeRolePolicyCommand,
  UpdateSAMLProviderCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { example, startFaultProxy, startPeers, TOKEN, type Peers } from "../support/peers.js";
import { actions, withoutPeople } from "../support/plan.js";

const PROD = "111111111111";
const DEV = "222222222222";

let peers: Peers;
let config: string;
const baseConfig = example("classic-iam.yaml");

async function planJson(file = config, extra: string[] = []): Promise<Plan> {
  return withoutPeople(await peers.planJson(file, { args: extra }));
}

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  config = peers.writeConfig("aws-access.yaml", baseConfig);
});

// Whatever else happened, the tool only ever sent requests authentik's schema allows.
afterAll(() => peers.stopAfterChecks());

describe("classic-iam end to end against moto_server and the authentik emulator", () => {
  it("plans everything as a create on a fresh authentik and empty accounts", async () => {
    const plan = await planJson();
    expect(plan.version).toBe(2);
    expect(plan.summary).toEqual({ adopt: 0, create: 26, update: 0, delete: 0, replace: 0 });
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(actions(plan)).toContain("create aws.iam.role[prod:/authentik/admin]");
    expect(actions(plan)).toContain("create aws.iam.saml_provider[dev:authentik]");
    expect(plan.access).toEqual(
      expect.arrayContaining([
        { group: "aws-admins", grant: "admin", account: "prod", accountId: PROD, change: "gained" },
        { group: "data-eng", grant: "data-engineer", account: "dev", accountId: DEV, change: "gained" },
      ]),
    );
    // …and only the mapped groups may sign in to the application at all.
    expect(plan.access.filter((a) => a.kind === "application")).toEqual(
      ["aws-admins", "data-eng", "engineers"].map((group) => ({ group, grant: "aws", account: "authentik", accountId: "", kind: "application", change: "gained" })),
    );
    expect(plan.access).toHaveLength(9);
    const detailed = await peers.cli(["plan", "-c", config, "--detailed-exitcode"]);
    expect(detailed.code).toBe(2);
  });

  it("applies, and the result is visible through the AWS SDK and authentik's API", async () => {
    const r = await peers.cli(["apply", "-c", config, "--auto-approve"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✓ created aws.iam.role[prod:/authentik/admin]");
    expect(r.stdout).toContain("Apply complete: 26 created, 0 updated, 0 deleted.");

    const prod = new IAMClient(peers.aws(PROD));
    const role = (await prod.send(new GetRoleCommand({ RoleName: "admin" }))).Role!;
    expect(role.Path).toBe("/authentik/");
    expect(role.MaxSessionDuration).toBe(4 * 3600);
    const trust = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!));
    expect(trust.Statement[0].Principal.Federated).toBe(`arn:aws:iam::${PROD}:saml-provider/authentik`);
    expect(trust.Statement[0].Action).toBe("sts:AssumeRoleWithSAML");
    expect(trust.Statement[0].Condition.StringEquals["SAML:aud"]).toBe("https://signin.aws.amazon.com/saml");
    expect(role.Tags).toEqual(expect.arrayContaining([{ Key: "managed-by", Value: "authentik-aws-gitops" }, { Key: "cost-center", Value: "platform" }]));
    const attached = await prod.send(new ListAttachedRolePoliciesCommand({ RoleName: "admin" }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual(["arn:aws:iam::aws:policy/AdministratorAccess"]);

    const dev = new IAMClient(peers.aws(DEV));
    const inline = await dev.send(new GetRolePolicyCommand({ RoleName: "data-engineer", PolicyName: "data-lake" }));
    expect(JSON.parse(decodeURIComponent(inline.PolicyDocument!)).Statement[0].Sid).toBe("ReadDataLake");
    await expect(prod.send(new GetRoleCommand({ RoleName: "data-engineer" }))).rejects.toBeInstanceOf(NoSuchEntityException);

    // The IAM SAML provider holds the metadata authentik serves, signing certificate included.
    const providers = await peers.ak("GET", "/providers/saml/");
    const provider = providers.results.find((p: { name: string }) => p.name === "aws");
    expect(provider.acs_url).toBe("https://signin.aws.amazon.com/saml");
    expect(provider.audience).toBe("urn:amazon:webservices");
    expect(provider.sign_assertion).toBe(true);
    expect(provider.assigned_application_slug).toBe("aws");
    const { metadata } = await peers.ak("GET", `/providers/saml/${provider.pk}/metadata/`);
    const saml = await dev.send(new GetSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${DEV}:saml-provider/authentik` }));
    // authentik gives every metadata document a fresh ID; the certificate and endpoints are what matter.
    const certificate = (xml: string) => /<ds:X509Certificate>([^<]+)</.exec(xml)?.[1]?.replace(/\s+/g, "");
    expect(certificate(metadata)).toMatch(/^MII/);
    expect(certificate(saml.SAMLMetadataDocument!)).toBe(certificate(metadata));
    expect(saml.SAMLMetadataDocument).toContain(`${peers.authentik.url}/application/saml/aws/sso/binding/`);

    const app = await peers.ak("GET", "/core/applications/aws/");
    const entitlements = await peers.ak("GET", `/core/application_entitlements/?app=${app.pk}&page_size=100`);
    const names = entitlements.results.map((e: { name: string }) => e.name).sort();
    expect(names).toEqual(["admin@dev", "admin@prod", "data-engineer@dev", "readonly@dev", "readonly@prod"]);
    const adminProd = entitlements.results.find((e: { name: string }) => e.name === "admin@prod");
    expect(adminProd.attributes.aws_role_arn).toBe(`arn:aws:iam::${PROD}:role/authentik/admin`);
    expect(adminProd.attributes.aws_saml_provider_arn).toBe(`arn:aws:iam::${PROD}:saml-provider/authentik`);
    const bindings = await peers.ak("GET", `/policies/bindings/?target=${adminProd.pbm_uuid}`);
    expect(bindings.results.map((b: { group_obj: { name: string } }) => b.group_obj.name)).toEqual(["aws-admins"]);
    // The application itself is bound to exactly the mapped groups: nobody else sees it.
    const appBindings = await peers.ak("GET", `/policies/bindings/?target=${app.pk}`);
    expect(appBindings.results.map((b: { group_obj: { name: string } }) => b.group_obj.name).sort()).toEqual(["aws-admins", "data-eng", "engineers"]);
  });

  it("re-plans with no changes right after apply (exit 0 with --detailed-exitcode)", async () => {
    const r = await peers.cli(["plan", "-c", config, "--detailed-exitcode"]);
    expect(r.code).toBe(0);
    expect((await planJson()).changes).toEqual([]);
  });

  it("sign-in regions: authentik posts to the first region's endpoint, every role's SAML:aud allows them all; reordering changes only the provider; leaving them out restores both", async () => {
    const GLOBAL = "https://signin.aws.amazon.com/saml";
    const EU = "https://eu-west-1.signin.aws.amazon.com/saml";
    const ROLES = ["dev:/authentik/admin", "dev:/authentik/data-engineer", "dev:/authentik/readonly", "prod:/authentik/admin", "prod:/authentik/readonly"];
    const withRegions = (regions: string) => peers.writeConfig("regional.yaml", baseConfig.replace("  rolePath: /authentik/\n", `  rolePath: /authentik/\n  signInRegions: ${regions}\n`));
    const acsUrl = async () => ((await peers.ak("GET", "/providers/saml/")).results as { name: string; acs_url: string }[]).find((p) => p.name === "aws")!.acs_url;
    const audiences = async (account: string, role: string) => {
      const trust = JSON.parse(decodeURIComponent((await new IAMClient(peers.aws(account)).send(new GetRoleCommand({ RoleName: role }))).Role!.AssumeRolePolicyDocument!));
      return [trust.Statement[0].Condition.StringEquals["SAML:aud"]].flat().sort();
    };
    const applyClean = async (file: string) => {
      const r = await peers.cli(["apply", "-c", file, "--auto-approve"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect((await planJson(file)).changes).toEqual([]);
    };

    const regional = withRegions("[eu-west-1, us-east-1]");
    const plan = await planJson(regional);
    expect(plan.access).toEqual([]);
    expect(actions(plan)).toEqual(["update authentik.saml_provider[aws]", ...ROLES.map((r) => `update aws.iam.role[${r}]`)]);
    expect(plan.changes.find((c) => c.type === "authentik.saml_provider")!.fields).toEqual([{ field: "acs_url", before: GLOBAL, after: EU }]);
    for (const c of plan.changes.filter((x) => x.type === "aws.iam.role")) expect(c.fields.map((f) => f.field)).toEqual(["trust_policy"]);
    await applyClean(regional);
    expect(await acsUrl()).toBe(EU);
    expect(await audiences(PROD, "admin")).toEqual([EU, GLOBAL]);
    expect(await audiences(DEV, "data-engineer")).toEqual([EU, GLOBAL]);

    // Failing over to another listed region: only where authentik posts changes.
    const reordered = withRegions("[us-east-1, eu-west-1]");
    expect(actions(await planJson(reordered))).toEqual(["update authentik.saml_provider[aws]"]);
    await applyClean(reordered);
    expect(await acsUrl()).toBe(GLOBAL);

    // Without signInRegions: us-east-1's endpoint alone, as before.
    expect(actions(await planJson(config))).toEqual(ROLES.map((r) => `update aws.iam.role[${r}]`));
    await applyClean(config);
    expect(await audiences(PROD, "readonly")).toEqual([GLOBAL]);
  });

  it("shows exactly the edits: a mapping added, a policy changed, a role removed", async () => {
    const edited = baseConfig
      // add a mapping: engineers also get data-engineer (in dev, the only account it exists in)
      .replace("  - group: engineers\n    roles: [readonly]\n", "  - group: engineers\n    roles: [readonly, data-engineer]\n")
      // change a policy
      .replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject, s3:ListBucket, s3:GetBucketLocation]")
      // remove a role (and its mapping)
      .replace(/  admin:\n(?:    .*\n)+/, "")
      .replace("  - group: aws-admins\n    roles: [admin]\n", "");
    expect(edited).not.toContain("admin:");
    config = peers.writeConfig("aws-access.yaml", edited);
    const plan = await planJson();
    expect(actions(plan)).toEqual([
      "create authentik.policy_binding[aws/data-engineer@dev→group:engineers]",
      "delete authentik.entitlement[aws/admin@dev]",
      "delete authentik.entitlement[aws/admin@prod]",
      "delete authentik.policy_binding[aws/admin@dev→group:aws-admins]",
      "delete authentik.policy_binding[aws/admin@prod→group:aws-admins]",
      "delete authentik.policy_binding[aws→group:aws-admins]",
      "delete aws.iam.role[dev:/authentik/admin]",
      "delete aws.iam.role[prod:/authentik/admin]",
      "update aws.iam.role[dev:/authentik/data-engineer]",
    ]);
    const update = plan.changes.find((c) => c.action === "update")!;
    expect(update.fields.map((f) => f.field)).toEqual(["inline_policies.data-lake"]);
    expect(update.fields[0]!.patch).toContain('+        "s3:GetBucketLocation",');
    expect(plan.access).toEqual([
      { group: "aws-admins", grant: "admin", account: "dev", accountId: DEV, change: "lost" },
      { group: "aws-admins", grant: "admin", account: "prod", accountId: PROD, change: "lost" },
      { group: "aws-admins", grant: "aws", account: "authentik", accountId: "", kind: "application", change: "lost" },
      { group: "engineers", grant: "data-engineer", account: "dev", accountId: DEV, change: "gained" },
    ]);
    // Deletions wait for what references them: bindings before entitlements.
    const entitlementDelete = plan.changes.find((c) => c.address === "authentik.entitlement[aws/admin@prod]")!;
    expect(entitlementDelete.dependsOn).toEqual(["authentik.policy_binding[aws/admin@prod→group:aws-admins]"]);

    const markdown = await peers.cli(["plan", "-c", config, "--format", "markdown"]);
    expect(markdown.stdout).toContain("aws-admins");
    expect(markdown.stdout.indexOf("aws-admins")).toBeLessThan(markdown.stdout.indexOf("<details>"));
  });

  it("applies the edits and converges to a clean plan", async () => {
    const r = await peers.cli(["apply", "-c", config, "--auto-approve"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Apply complete: 1 created, 1 updated, 7 deleted.");
    expect((await planJson()).changes).toEqual([]);
    await expect(new IAMClient(peers.aws(PROD)).send(new GetRoleCommand({ RoleName: "admin" }))).rejects.toBeInstanceOf(NoSuchEntityException);
    const inline = await new IAMClient(peers.aws(DEV)).send(new GetRolePolicyCommand({ RoleName: "data-engineer", PolicyName: "data-lake" }));
    expect(decodeURIComponent(inline.PolicyDocument!)).toContain("s3:GetBucketLocation");
  });

  it("shows drift made behind its back as updates and creates with their reasons", async () => {
    const prod = new IAMClient(peers.aws(PROD));
    await prod.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const app = await peers.ak("GET", "/core/applications/aws/");
    const entitlements = await peers.ak("GET", `/core/application_entitlements/?app=${app.pk}`);
    const readonlyDev = entitlements.results.find((e: { name: string }) => e.name === "readonly@dev");
    const bindings = await peers.ak("GET", `/policies/bindings/?target=${readonlyDev.pbm_uuid}`);
    const engineers = bindings.results.find((b: { group_obj: { name: string } }) => b.group_obj.name === "engineers");
    await peers.ak("DELETE", `/policies/bindings/${engineers.pk}/`);

    const plan = await planJson();
    expect(actions(plan)).toEqual([
      "create authentik.policy_binding[aws/readonly@dev→group:engineers]",
      "update aws.iam.role[prod:/authentik/readonly]",
    ]);
    const trust = plan.changes.find((c) => c.action === "update")!;
    expect(trust.reason).toBe("live trust_policy differs from the configuration");
    expect(trust.fields[0]!.field).toBe("trust_policy");
    expect(plan.changes[0]!.reason).toBe("does not exist in authentik");
    expect(plan.access).toEqual([{ group: "engineers", grant: "readonly", account: "dev", accountId: DEV, change: "gained" }]);

    expect((await peers.cli(["apply", "-c", config, "--auto-approve"])).code).toBe(0);
    expect((await planJson()).changes).toEqual([]);
  });

  it("never deletes an object it does not own, with or without pruning", async () => {
    const prod = new IAMClient(peers.aws(PROD));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    // Under the managed path but without the managed-by tag, and a tagged one outside the path.
    await prod.send(new CreateRoleCommand({ RoleName: "hand-made", Path: "/authentik/", AssumeRolePolicyDocument: trust }));
    await prod.send(
      new CreateRoleCommand({ RoleName: "elsewhere", Path: "/", AssumeRolePolicyDocument: trust, Tags: [{ Key: "managed-by", Value: "authentik-aws-gitops" }] }),
    );
    // An entitlement-like object authentik holds for another application.
    const other = await peers.ak("POST", "/core/applications/", { name: "Other", slug: "other" });
    await peers.ak("POST", "/core/application_entitlements/", { name: "admin@prod", app: other.pk, attributes: {} });

    for (const prune of ["--prune", "--no-prune"]) {
      const plan = await planJson(config, [prune]);
      expect(plan.changes).toEqual([]);
    }
    expect((await peers.cli(["apply", "-c", config, "--auto-approve", "--prune"])).code).toBe(0);
    const names = (await prod.send(new ListRolesCommand({}))).Roles!.map((r) => r.RoleName);
    expect(names).toEqual(expect.arrayContaining(["hand-made", "elsewhere", "readonly"]));
  });

  it("leaves hand-made entitlements and user bindings in the managed application alone, even with pruning", async () => {
    const app = await peers.ak("GET", "/core/applications/aws/");
    const handMade = await peers.ak("POST", "/core/application_entitlements/", { name: "break-glass@prod", app: app.pk, attributes: { aws_role_arn: "arn:aws:iam::111111111111:role/break-glass" } });
    const entitlements = (await peers.ak("GET", `/core/application_entitlements/?app=${app.pk}&page_size=100`)).results as { name: string; pbm_uuid: string }[];
    const readonlyProd = entitlements.find((e) => e.name === "readonly@prod")!;
    const akadmin = (await peers.ak("GET", "/core/users/?username=akadmin")).results[0];
    await peers.ak("POST", "/policies/bindings/", { target: readonlyProd.pbm_uuid, user: akadmin.pk, order: 5 });
    const plan = await planJson(config, ["--prune"]);
    expect(plan.changes).toEqual([]);
    expect((await peers.ak("GET", `/core/application_entitlements/${handMade.pbm_uuid}/`)).name).toBe("break-glass@prod");
  });

  it("refuses to adopt an application made by hand, and says how to hand it over", async () => {
    await peers.ak("POST", "/core/applications/", { name: "Legacy AWS", slug: "legacy" });
    const legacy = peers.writeConfig("legacy.yaml", baseConfig.replace("slug: aws\n", "slug: legacy\n").replace("name: aws\n", "name: aws-legacy\n"));
    const r = await peers.cli(["plan", "-c", legacy]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("authentik.application[legacy]: application \"Legacy AWS\" (legacy) exists but is not managed by authentik-aws-gitops (its Publisher is not 'authentik-aws-gitops'");
  });

  it("keeps owned but undeclared objects when pruning is off, and lists them", async () => {
    const noPrune = peers.writeConfig("no-prune.yaml", baseConfig.replace("options:\n  prune: true\n", "options:\n  prune: false\n").replace(/  data-engineer:\n(?:    .*\n|      .*\n)+/, "").replace("    roles: [readonly, data-engineer]\n", "    roles: [readonly]\n"));
    const plan = await planJson(noPrune);
    expect(plan.changes.filter((c) => c.action === "delete")).toEqual([]);
    expect(plan.notPruned.map((n) => n.address)).toContain("aws.iam.role[dev:/authentik/data-engineer]");
  });

  it("refuses to adopt a hand-made role that collides with a declared one", async () => {
    const prod = new IAMClient(peers.aws(PROD));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    await prod.send(new CreateRoleCommand({ RoleName: "Auditor", Path: "/", AssumeRolePolicyDocument: trust }));
    const colliding = peers.writeConfig(
      "collide.yaml",
      baseConfig.replace("mappings:\n", "  auditor:\n    accounts: [prod]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\nmappings:\n  - { group: engineers, roles: [auditor] }\n"),
    );
    const r = await peers.cli(["plan", "-c", colliding]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: aws.iam.role[prod:/authentik/auditor]: IAM role /Auditor in prod (111111111111) already exists and is not managed by authentik-aws-gitops");
    expect(r.stderr).toContain("No changes were made.");
  });

  it("reports a group missing in authentik by name and config position, changing nothing", async () => {
    const missing = peers.writeConfig("missing-group.yaml", baseConfig.replace("  - group: data-eng\n", "  - group: data-engineers\n"));
    const r = await peers.cli(["apply", "-c", missing, "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing-group\.yaml:\d+:\d+: error: authentik has no group named 'data-engineers'/);
    expect(r.stdout).not.toContain("Applying");
  });

  it("applies a saved plan only while the live state still yields the same hash", async () => {
    const edited = peers.writeConfig("saved.yaml", baseConfig);
    const out = `${peers.dir}/plan.json`;
    expect((await peers.cli(["plan", "-c", edited, "--out", out])).code).toBe(0);
    // Someone changes AWS between review and apply.
    await new IAMClient(peers.aws(DEV)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    const refused = await peers.cli(["apply", "-c", edited, "--plan", out, "--auto-approve"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("no longer matches");
    expect(refused.stderr).toContain("+ planned now, never reviewed: update aws.iam.role[dev:/authentik/readonly]");
    // A fresh plan of the same state applies.
    expect((await peers.cli(["plan", "-c", edited, "--out", out])).code).toBe(0);
    const applied = await peers.cli(["apply", "-c", edited, "--plan", out, "--auto-approve"]);
    expect(applied.code).toBe(0);
    expect((await planJson(edited)).changes).toEqual([]);
  });

  it("converges after an apply that failed part-way, without duplicates", async () => {
    const file = peers.writeConfig(
      "broken.yaml",
      baseConfig.replace("mappings:\n", "  audit-reader:\n    accounts: \"*\"\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\nmappings:\n  - { group: engineers, roles: [audit-reader] }\n"),
    );
    // A policy missing where a role attaches it is refused by plan now (policy-preflight.test.ts);
    // what still fails part-way is AWS refusing a write: AttachRolePolicy, once, through a proxy.
    const proxy = await startFaultProxy(peers.moto.endpoint);
    try {
      await proxy.control.addRule({ action: "answer", method: "POST", body: "Action=AttachRolePolicy(?=.*RoleName=audit-reader)", status: 400, errorType: "NoSuchEntity" });
      const failed = await peers.cli(["apply", "-c", file, "--auto-approve"], { AWS_ENDPOINT_URL: proxy.url });
      expect(await proxy.control.pendingRules()).toEqual([]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("apply failed");
      expect(failed.stderr).toContain("aws.iam.role[");
      expect(failed.stderr).toContain("already written:");
    } finally {
      await proxy.stop();
    }
    // Apply again: what was done is kept, the rest is finished.
    const again = await peers.cli(["apply", "-c", file, "--auto-approve"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect((await planJson(file)).changes).toEqual([]);
    const app = await peers.ak("GET", "/core/applications/aws/");
    const entitlements = (await peers.ak("GET", `/core/application_entitlements/?app=${app.pk}&page_size=100`)).results as { name: string; pbm_uuid: string }[];
    const names = entitlements.map((e) => e.name);
    expect(names.filter((n) => n === "audit-reader@prod")).toHaveLength(1);
    const bindings = await peers.ak("GET", `/policies/bindings/?target=${entitlements.find((e) => e.name === "audit-reader@prod")!.pbm_uuid}`);
    expect(bindings.results).toHaveLength(1);
  });

  it("asks for confirmation and refuses without a terminal unless --auto-approve", async () => {
    const r = await peers.cli(["apply", "-c", peers.writeConfig("confirm.yaml", baseConfig.replace("sessionDuration: 1h", "sessionDuration: 30m"))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pass --auto-approve");
    expect(r.stdout).not.toContain("Applying");
  });

  it("updates the IAM SAML provider when its metadata no longer matches authentik's", async () => {
    const stale = (await new IAMClient(peers.aws(PROD)).send(new GetSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${PROD}:saml-provider/authentik` }))).SAMLMetadataDocument!;
    const rotated = stale.replace(/<ds:X509Certificate>[^<]+</, "<ds:X509Certificate>MIIBrotatedcertificate<");
    await new IAMClient(peers.aws(PROD)).send(new UpdateSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${PROD}:saml-provider/authentik`, SAMLMetadataDocument: rotated }));
    const current = `${peers.dir}/broken.yaml`; // the configuration applied last
    const plan = await planJson(current);
    expect(actions(plan)).toEqual(["update aws.iam.saml_provider[prod:authentik]"]);
    expect(plan.changes[0]!.fields.map((f) => f.field)).toEqual(["metadata"]);
    expect((await peers.cli(["apply", "-c", current, "--auto-approve"])).code).toBe(0);
    expect((await planJson(current)).changes).toEqual([]);
  });

  it("prunes a duplicate binding without reporting lost access, since its twin keeps it", async () => {
    const current = `${peers.dir}/broken.yaml`;
    const app = await peers.ak("GET", "/core/applications/aws/");
    const entitlements = (await peers.ak("GET", `/core/application_entitlements/?app=${app.pk}&page_size=100`)).results as { name: string; pbm_uuid: string }[];
    const adminProd = entitlements.find((e) => e.name === "admin@prod")!;
    const group = (await peers.groupPks())["aws-admins"]!;
    await peers.ak("POST", "/policies/bindings/", { target: adminProd.pbm_uuid, group, order: 0 });
    const plan = await planJson(current);
    expect(actions(plan)).toEqual(["delete authentik.policy_binding[aws/admin@prod→group:aws-admins]#2"]);
    expect(plan.access).toEqual([]);
    expect((await peers.cli(["apply", "-c", current, "--auto-approve"])).code).toBe(0);
    expect((await peers.ak("GET", `/policies/bindings/?target=${adminProd.pbm_uuid}`)).results).toHaveLength(1);
    expect((await planJson(current)).changes).toEqual([]);
  });

  it("reports access moving to another account when an account id changes", async () => {
    const moved = peers.writeConfig("moved.yaml", (await import("node:fs")).readFileSync(`${peers.dir}/broken.yaml`, "utf8").replaceAll("111111111111", "333333333333"));
    const plan = await planJson(moved);
    const rows = plan.access.map((a) => `${a.change} ${a.group} ${a.grant} ${a.accountId}`);
    expect(rows).toContain(`lost aws-admins admin ${PROD}`);
    expect(rows).toContain("gained aws-admins admin 333333333333");
    expect(plan.changes.map((c) => `${c.action} ${c.address}`)).toContain("update authentik.entitlement[aws/admin@prod]");
  });

  it("refuses a plan that removes every access it grants, unless told to — a hand-made grant does not count", async () => {
    const app = await peers.ak("GET", "/core/applications/aws/");
    const breakGlass = ((await peers.ak("GET", `/core/application_entitlements/?app=${app.pk}&page_size=100`)).results as { name: string; pbm_uuid: string }[]).find((e) => e.name === "break-glass@prod")!;
    const admins = (await peers.groupPks())["aws-admins"]!;
    await peers.ak("POST", "/policies/bindings/", { target: breakGlass.pbm_uuid, group: admins, order: 0 });
    const empty = peers.writeConfig("empty.yaml", baseConfig.replace(/\nroles:\n(?:  .*\n|    .*\n)+/, "\nroles: {}\n").replace(/\nmappings:\n(?:  .*\n)+/, "\nmappings: []\n"));
    const refused = await peers.cli(["plan", "-c", empty]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("would remove every access authentik-aws-gitops grants here");
    const forced = await planJson(empty, ["--allow-delete-all"]);
    expect(forced.access.every((a) => a.change === "lost")).toBe(true);
    expect(forced.summary.delete).toBeGreaterThan(0);
  });

  it("pins the SAML issuer to the public URL, so runs reaching authentik by another URL plan the same", async () => {
    const current = `${peers.dir}/broken.yaml`;
    const provider = ((await peers.ak("GET", "/providers/saml/")).results as { name: string; issuer_override: string }[]).find((p) => p.name === "aws")!;
    expect(provider.issuer_override).toBe("https://authentik.company/application/saml/aws/metadata/");
    const saml = await new IAMClient(peers.aws(PROD)).send(new GetSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${PROD}:saml-provider/authentik` }));
    expect(saml.SAMLMetadataDocument).toContain('entityID="https://authentik.company/application/saml/aws/metadata/"');
    const viaLocalhost = await peers.cli(["plan", "-c", current, "--format", "json"], { AUTHENTIK_URL: peers.authentik.url.replace("127.0.0.1", "localhost") });
    expect(viaLocalhost.code).toBe(0);
    expect((JSON.parse(viaLocalhost.stdout) as Plan).changes).toEqual([]);
  });

  it("never prints the authentik token, even when authentik refuses it", async () => {
    const r = await peers.cli(["plan", "-c", config], { AUTHENTIK_TOKEN: "wrong-token-value-123456" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HTTP 403");
    expect(r.stderr + r.stdout).not.toContain("wrong-token-value-123456");
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
  });
});
