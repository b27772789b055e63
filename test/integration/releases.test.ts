import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import { resetMoto, startMoto, type MotoServer } from "../peers/moto.js";
import { runCliProcess } from "../support/run-cli.js";
import { authentikApi, copyExample, example, expectAuthentikClean, peerEnv, startAuthentikPeer, startAwsShimPeer, type AuthentikPeer, type AwsShimPeer } from "../support/peers.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, provisionGroup } from "../support/identity-center.js";
import { actions } from "../support/plan.js";

/**
 * The classic and identity-center (with SCIM) cycles against the oldest supported
 * authentik release, 2026.2 and the newest — each emulated with that release's own
 * schema.yml and behaviours: plan, apply, clean re-plan, a re-apply that writes
 * nothing, an edit, apply, clean re-plan. The tool (bin/) and every peer run as
 * processes of their own.
 */
const RELEASES = ["2025.10.4", "2026.2.0", "2026.8.3"];
const GROUPS = ["aws-admins", "engineers", "data-eng", "finance"];

let moto: MotoServer;
let shim: AwsShimPeer;

beforeAll(async () => {
  moto = await startMoto();
  shim = await startAwsShimPeer(moto.endpoint);
});
afterAll(async () => {
  await shim.stop();
  await moto.stop();
});

describe.each(RELEASES)("authentik %s", (version) => {
  let authentik: AuthentikPeer;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const ak = <T = any>(method: string, apiPath: string, body?: unknown): Promise<T> => authentikApi(authentik.url)<T>(method, apiPath, body);
  const cli = (argv: string[]) => runCliProcess(argv, env, dir);
  const writes = async () => (await authentik.control.requests()).filter((r) => r.method !== "GET").length;
  async function plan(file: string): Promise<Plan> {
    const r = await cli(["plan", "-c", file, "--format", "json"]);
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Plan;
  }
  async function apply(file: string): Promise<string> {
    const r = await cli(["apply", "-c", file, "--auto-approve"]);
    expect(r.stderr).not.toContain("error:");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.stdout;
  }
  /** Clean: no changes, and applying that makes no write at all. */
  async function expectConverged(file: string): Promise<void> {
    expect(actions(await plan(file))).toEqual([]);
    const before = await writes();
    expect(await apply(file)).toContain("No changes");
    expect(await writes()).toBe(before);
  }

  beforeAll(async () => {
    await resetMoto(shim.url); // through the shim: it forgets its own state too
    authentik = await startAuthentikPeer(["--version", version]);
    for (const name of [...GROUPS, "hr"]) await ak("POST", "/core/groups/", { name });
    dir = mkdtempSync(path.join(tmpdir(), `aag-release-${version}-`));
    env = { ...peerEnv(shim.url, authentik.url), ...IDENTITY_CENTER_ENV };
  }, 120_000);
  afterAll(async () => {
    try {
      await expectAuthentikClean(authentik);
    } finally {
      await authentik.stop();
    }
  });

  it("classic-iam: plan, apply, converge; an edit, apply, converge", async () => {
    const file = path.join(dir, "classic.yaml");
    writeFileSync(file, example("classic-iam.yaml"));
    const first = await plan(file);
    const provider = first.changes.find((c) => c.type === "authentik.saml_provider")!;
    // The issuer is pinned in the field this release has.
    const issuerField = version < "2026.5" ? "issuer" : "issuer_override";
    expect(provider.after![issuerField]).toBe("https://authentik.company/application/saml/aws/metadata/");
    expect(provider.after).not.toHaveProperty(issuerField === "issuer" ? "issuer_override" : "issuer");
    await apply(file);
    await expectConverged(file);

    // The issuer AWS trusts is the pinned one, in the metadata this release serves.
    const saml = (await ak("GET", "/providers/saml/")).results.find((p: { name: string }) => p.name === "aws");
    const { metadata } = await ak("GET", `/providers/saml/${saml.pk}/metadata/`);
    expect(metadata).toContain('entityID="https://authentik.company/application/saml/aws/metadata/"');

    writeFileSync(
      file,
      example("classic-iam.yaml")
        .replace("  - group: engineers\n    roles: [readonly]\n", "  - group: engineers\n    roles: [readonly, data-engineer]\n  - group: finance\n    roles: [readonly]\n")
        .replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject]"),
    );
    const edit = await plan(file);
    expect(actions(edit)).toEqual(
      [
        "create authentik.policy_binding[aws/data-engineer@dev→group:engineers]",
        "create authentik.policy_binding[aws/readonly@dev→group:finance]",
        "create authentik.policy_binding[aws/readonly@prod→group:finance]",
        "create authentik.policy_binding[aws→group:finance]",
        "update aws.iam.role[dev:/authentik/data-engineer]",
      ].sort(),
    );
    await apply(file);
    await expectConverged(file);
  });

  it("identity-center with SCIM: plan, apply, converge; an edit, apply, converge; SCIM provisions only the mapped groups' people", async () => {
    const org = await createOrganization(shim.url);
    // SCIM's part, done by the test: the mapped groups are in the Identity Store.
    for (const g of GROUPS) await provisionGroup(shim.url, org.identityStoreId, g);
    // Before 2026.2 SCIM can be limited to the direct members of one group only: an
    // umbrella group "aws-users" holds everyone who needs AWS.
    const old = version < "2026.2";
    await ak("POST", "/core/groups/", { name: "aws-users" });
    const users = { alice: ["aws-admins", "aws-users"], bob: ["engineers", "aws-users"], carol: ["hr"], dave: ["data-eng", "aws-users"] };
    const groups = (await ak("GET", "/core/groups/?page_size=100")).results as { pk: string; name: string }[];
    for (const [username, member] of Object.entries(users)) {
      await ak("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: member.map((m) => groups.find((g) => g.name === m)!.pk) });
    }
    copyExample("identity-center-sp-metadata.xml", dir);
    const file = path.join(dir, "ic.yaml");
    let base = identityCenterExample(org);
    writeFileSync(file, base);
    if (old) {
      // With the three mapped groups SCIM would provision every user: refused, nothing written.
      const before = await writes();
      const refused = await cli(["plan", "-c", file]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`error: authentik ${version} can limit SCIM to the members of one group only`);
      expect(refused.stderr).toContain("would provision every user into IAM Identity Center");
      expect(await writes()).toBe(before);
      base = base.replace("  tokenEnv: AWS_SCIM_TOKEN", "  groups: [aws-users]\n  tokenEnv: AWS_SCIM_TOKEN");
      writeFileSync(file, base);
    }

    const first = await plan(file);
    const scimCreate = first.changes.find((c) => c.type === "authentik.scim_provider")!;
    if (old) {
      expect(scimCreate.after).toMatchObject({ filter_group: { $lookup: "group", key: "aws-users" } });
      expect(first.warnings.join("\n")).toContain(`authentik ${version}: SCIM provisions the direct members of group 'aws-users'`);
    } else {
      expect((scimCreate.after!.group_filters as { key: string }[]).map((g) => g.key)).toEqual(["aws-admins", "data-eng", "engineers"]);
    }
    expect(scimCreate.after!.sync_page_size).toBe(version < "2025.12" ? undefined : 50);
    await apply(file);
    await expectConverged(file);

    // Only the people who need AWS: not carol (group hr), not the admin user.
    const provision = await authentik.control.scimWouldProvision("aws-identity-center-scim");
    expect(provision.users).toEqual(["alice", "bob", "dave"]);
    if (!old) expect(provision.groups).toEqual(["aws-admins", "data-eng", "engineers"]);
    // The sync authentik started on save ran before the provider was attached and found
    // nothing; the tool started one once it was attached and bound.
    const syncs = await authentik.control.scimSyncs("aws-identity-center-scim");
    expect(syncs.at(-1)!.users).toEqual(["alice", "bob", "dave"]);

    // An edit: finance gains a permission set, data-eng is no longer mapped.
    writeFileSync(
      file,
      base
        .replace("mappings:\n", "mappings:\n  - group: finance\n    permissionSets: [ReadOnly]\n    accounts: [prod]\n")
        .replace("  - group: data-eng\n    permissionSets: [DataEngineer]\n    accounts: [dev]\n", ""),
    );
    const edit = await plan(file);
    expect(actions(edit)).toEqual(
      [
        "create authentik.policy_binding[aws-identity-center→group:finance]",
        "delete authentik.policy_binding[aws-identity-center→group:data-eng]",
        `create aws.sso.account_assignment[finance→ReadOnly@111111111111]`,
        `delete aws.sso.account_assignment[data-eng→DataEngineer@222222222222]`,
        ...(old ? [] : ["update authentik.scim_provider[aws-identity-center-scim]"]),
      ].sort(),
    );
    await apply(file);
    await expectConverged(file);
    // From 2026.2 the application's bindings follow the mappings; before, the umbrella group decides.
    expect((await authentik.control.scimWouldProvision("aws-identity-center-scim")).users).toEqual(old ? ["alice", "bob", "dave"] : ["alice", "bob"]);
  });
});
