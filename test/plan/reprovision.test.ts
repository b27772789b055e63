// A permission set changed but not provisioned to an account (issue 21): the plan shows
// "needs re-provisioning" as a real change — counted, hashed — and once provisioned, a
// re-plan is clean. Pure (the live side as the reader reports it; see
// test/integration/verify-identity-center.test.ts for AWS).
import { identityCenterConfig } from "../support/identity-center.js";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import { desiredIdentityCenter } from "../../src/desired/identity-center.js";
import type { LiveResource } from "../../src/domain/plan-types.js";
import { notProvisionedPhrase, PROVISIONED_EVERYWHERE } from "../../src/domain/provisioning.js";
import { authentikRelease } from "../../src/domain/releases.js";
import { computePlan } from "../../src/plan/compute-plan.js";
import { styler } from "../../src/render/terminal-style.js";
import { renderPlanText } from "../../src/render/text.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const text = identityCenterConfig({
  slug: "aws",
  appName: "AWS",
  accounts: { prod: "111111111111" },
  permissionSets: "  Admin: { managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess] }\n",
  mappings: "  - { group: admins, permissionSets: [Admin], accounts: [prod] }\n",
  prune: false,
});
const config = validateConfigText("aws-access.yaml", text, { now: NOW }).config!;
const PS = "aws.sso.permission_set[Admin]";
const ctx = {
  authentikUrl: "https://authentik.company",
  api: authentikRelease("2026.8.1", "test"),
  sp: { entityId: "https://us-east-1.signin.aws.amazon.com/platform/saml/d-1234567890", acsUrl: "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/abc" },
  ouAccounts: new Map(),
};

function plan(notProvisioned: boolean) {
  const desired = desiredIdentityCenter(config, { ...ctx, ...(notProvisioned ? { notProvisioned: new Set([PS]) } : {}) });
  // Live: what an apply left, the permission set reported as changed since its last provisioning.
  const live: LiveResource[] = desiredIdentityCenter(config, ctx).map(({ grantedBy: _g, dependsOn: _d, ...r }) => ({
    ...r,
    id: `id-${r.address}`,
    owned: true,
    ...(notProvisioned && r.address === PS ? { props: { ...r.props, provisioning: notProvisionedPhrase(["prod (111111111111)"]) } } : {}),
  }));
  return computePlan({ mode: "identity-center", configFile: "aws-access.yaml", tool: { name: "t", version: "0" }, desired, live, prune: true, allowDeleteAll: false });
}

describe("a permission set that needs re-provisioning", () => {
  it("is an update of the permission set: counted, hashed, with the accounts holding an older version", () => {
    const p = plan(true);
    expect(p.summary).toEqual({ adopt: 0, create: 0, update: 1, delete: 0, replace: 0 });
    const [change] = p.changes;
    expect(change).toMatchObject({ address: PS, action: "update", reason: "needs re-provisioning: changed since it was last provisioned to the accounts it is assigned in" });
    expect(change!.fields).toEqual([{ field: "provisioning", before: "needs re-provisioning: prod (111111111111) holds an older version", after: PROVISIONED_EVERYWHERE }]);
    expect(p.hash).not.toBe(plan(false).hash);
    expect(p.access).toEqual([]);
    expect(p.permissions).toEqual([]);
    const shown = renderPlanText(p, styler(false));
    expect(shown).toContain("needs re-provisioning");
  });

  it("once provisioned, the plan is clean", () => {
    expect(plan(false).changes).toEqual([]);
  });
});
