import type { Change, Plan } from "../../src/domain/plan-types.js";

/** A plan in which every string a person might see carries NASTY. */
export function hostilePlan(NASTY: string): Plan {
  const change = (action: Change["action"]): Change => ({
    address: `authentik.entitlement[aws/${NASTY}]`,
    type: "authentik.entitlement",
    system: "authentik",
    account: `acct${NASTY}`,
    title: `Entitlement ${NASTY}`,
    action,
    reason: `because ${NASTY}`,
    before: action === "create" ? null : { [`key${NASTY}`]: NASTY, nested: { deep: [NASTY, { $ref: `ref${NASTY}` }, { $lookup: "group", key: NASTY }] } },
    after: action === "delete" ? null : { name: NASTY, long: `${NASTY}\n`.repeat(20), [`key${NASTY}`]: { a: NASTY } },
    fields:
      action === "update"
        ? [
            { field: `field${NASTY}`, before: NASTY, after: `${NASTY}!` },
            { field: "expression", before: "", after: "", patch: `--- a\n+++ b\n@@ -1 +1 @@\n-${NASTY}\n+${NASTY}` },
          ]
        : [],
    dependsOn: [`dep${NASTY}`],
  });
  return {
    version: 2,
    tool: { name: "authentik-aws-gitops", version: "0.1.0" },
    mode: "identity-center",
    config: `cfg${NASTY}.yaml`,
    hash: "a".repeat(64),
    summary: { adopt: 0, create: 1, update: 1, delete: 1, replace: 1 },
    access: [
      { group: NASTY, grant: NASTY, account: NASTY, accountId: "111111111111", change: "gained" },
      { group: NASTY, grant: NASTY, account: NASTY, accountId: NASTY, change: "lost", kind: "application" } as Plan["access"][number],
    ],
    permissions: [
      {
        grant: NASTY,
        account: NASTY,
        accountId: NASTY,
        change: "widened",
        address: `addr${NASTY}`,
        added: [{ effect: "Allow", action: NASTY, resource: NASTY, condition: { [NASTY]: { [NASTY]: NASTY } } }],
        removed: [{ effect: "Deny", action: NASTY, resource: NASTY, notAction: true }],
        managedPoliciesAdded: [NASTY],
        managedPoliciesRemoved: [NASTY],
        customerManagedPoliciesAdded: [NASTY],
        customerManagedPoliciesRemoved: [NASTY],
        permissionsBoundary: { before: NASTY, after: null },
        people: { count: 2, names: [NASTY, `b${NASTY}`] },
      },
    ],
    risks: [{ rule: NASTY, severity: "high", message: NASTY, addresses: [`addr${NASTY}`] }],
    changes: [change("create"), change("update"), change("delete"), change("replace")],
    notPruned: [{ address: `addr${NASTY}`, title: NASTY }],
    warnings: [NASTY, `multi\nline ${NASTY}`],
    manualSteps: [NASTY],
  };
}

