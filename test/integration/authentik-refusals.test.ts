import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { example, startPeers, type Peers } from "../support/peers.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, provisionGroup, provisionWhenSynced } from "../support/identity-center.js";

/**
 * What authentik refuses or allows that would make an apply fail half-way, caught by
 * the plan before anything is written; and a token without a permission.
 */
let peers: Peers;
const writes = async () => (await peers.authentik.control.requests()).filter((r) => r.method !== "GET").length;

beforeAll(async () => {
  // 2025.10: the one release in which two groups can share a name.
  peers = await startPeers(["aws-admins", "engineers", "data-eng"], { shim: true, authentikArgs: ["--version", "2025.10.4"] });
});
afterAll(() => peers.stop());

describe("plan errors before any write", () => {
  it("a provider of another type with the configured name", async () => {
    await peers.authentik.control.addProvider({ kind: "oauth2", name: "aws" });
    const file = peers.writeConfig("classic.yaml", example("classic-iam.yaml"));
    const before = await writes();
    const r = await peers.cli(["plan", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: authentik already has a provider named 'aws' (OAuth2/OpenID Provider");
    expect(r.stderr).toContain("provider names are unique across every provider type in authentik, so authentik.provider.name must name another one");
    expect(await writes()).toBe(before);
  });

  it("two groups with a mapped name, on a release that allows it", async () => {
    await peers.authentik.control.addGroup({ name: "engineers" });
    const file = peers.writeConfig("classic.yaml", example("classic-iam.yaml").replace("  provider:\n    name: aws\n", "  provider:\n    name: aws-second\n"));
    const before = await writes();
    const r = await peers.cli(["plan", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/classic\.yaml:\d+:\d+: error: authentik 2025\.10\.4 has 2 groups named 'engineers'/);
    expect(await writes()).toBe(before);
  });
});

describe("a token that may not start task schedules", () => {
  it("syncs just the missing group instead, and says that only a superuser could start a full sync", async () => {
    await peers.authentik.control.denyPermission("authentik_tasks_schedules.send_schedule");
    const org = await createOrganization(peers.awsEndpoint);
    await provisionGroup(peers.awsEndpoint, org.identityStoreId, "aws-admins");
    peers.copyExample("identity-center-sp-metadata.xml");
    // One SCIM group (2025.10 has a single filter_group); aws-admins is provisioned, data-eng is not yet.
    const file = peers.writeConfig(
      "ic.yaml",
      identityCenterExample(org)
        .replace("  tokenEnv: AWS_SCIM_TOKEN", "  groups: [data-eng]\n  tokenEnv: AWS_SCIM_TOKEN")
        .replace(/  - group: engineers\n(?:    .*\n)+?(?=  - group)/, ""),
    );
    const scimSync = provisionWhenSynced(peers.authentik, peers.awsEndpoint, org.identityStoreId, "/sync/object/", ["data-eng"]);
    const r = await peers.cli(["apply", "-c", file, "--auto-approve"], IDENTITY_CENTER_ENV);
    await scimSync;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("warning: authentik lets only superusers start a task schedule");
    expect(r.stdout).toContain("granting send_schedule does not help");
    expect(r.stdout).toContain("relies on the sync authentik starts when the provider is saved");
    expect(r.stdout).toContain("asked authentik to sync group 'data-eng' through SCIM");
  });
});
