import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load-config.js";
import { createPlan } from "../../src/engine.js";
import { example, startPeers, type Peers } from "../support/peers.js";

/**
 * authentik's own objects (`managed` set) are never the tool's, whatever their name.
 * Validation already refuses a prefix that names them; this reads past it, in process,
 * to prove the reader itself never claims them (a prefix "authentik default SAML
 * Mapping" once planned to delete all seven of authentik's default SAML mappings).
 */
let peers: Peers;
beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  // In process, the AWS SDK reads its endpoint and credentials from process.env.
  for (const [k, v] of Object.entries(peers.env)) if (k.startsWith("AWS_")) process.env[k] = v;
});
afterAll(async () => {
  await peers.stop();
});

describe("authentik's own property mappings", () => {
  it("are never planned for deletion, even under a prefix that matches their names", async () => {
    const file = peers.writeConfig("c.yaml", example("classic-iam.yaml"));
    const { config } = await loadConfigFile(file);
    config.authentik.provider.propertyMappingPrefix = "authentik default SAML Mapping";
    const session = await createPlan({ ...config, options: { ...config.options, prune: true } }, { env: peers.env });
    const managed = (await peers.ak("GET", "/propertymappings/provider/saml/?page_size=100")).results.filter((m: { managed: string | null }) => m.managed);
    expect(managed.length).toBeGreaterThan(0);
    const touched = session.plan.changes.filter((c) => managed.some((m: { name: string }) => c.address.includes(m.name)));
    expect(touched.map((c) => `${c.action} ${c.address}`)).toEqual([]);
  });
});
