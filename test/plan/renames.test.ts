// Renames and moves are recognised (issue 20, item 3): a grant deleted and one created with
// the same permissions and the same people reads "renamed A → B", raises no access risk and
// no deletion warning, and its changes still happen.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import type { ResolvedConfig } from "../../src/config/model.js";
import { desiredClassicIam } from "../../src/desired/classic-iam.js";
import { accessByKind } from "../../src/plan/access-diff.js";
import { computePlan } from "../../src/plan/compute-plan.js";
import { assessRisks } from "../../src/plan/risks.js";
import type { LiveResource, Plan } from "../../src/domain/plan-types.js";
import { authentikRelease } from "../../src/domain/releases.js";
import { renderPlanMarkdown } from "../../src/render/markdown.js";
import { renderPlanText } from "../../src/render/text.js";

const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "classic-iam.yaml"), "utf8");
const ctx = { authentikUrl: "https://authentik.company", api: authentikRelease("2026.8.1", "test") };
const plain = { bold: (t: string) => t, dim: (t: string) => t, red: (t: string) => t, green: (t: string) => t, yellow: (t: string) => t, cyan: (t: string) => t };

function config(text: string): ResolvedConfig {
  const result = validateConfigText("aws-access.yaml", text, {});
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.config!;
}
/** admin → administrator, nothing else changed. */
const renamed = example.replace("  admin:\n", "  administrator:\n").replace("roles: [admin]", "roles: [administrator]");

const live = (c: ResolvedConfig): LiveResource[] => desiredClassicIam(c, ctx).map(({ grantedBy: _g, ...r }) => ({ ...r, id: `id-${r.address}`, owned: true }));

function plan(c: ResolvedConfig, before: LiveResource[]): Plan {
  const desired = desiredClassicIam(c, ctx);
  const accessOf = accessByKind(desired, before);
  const p = computePlan({
    mode: c.mode,
    configFile: c.file,
    tool: { name: "t", version: "0" },
    desired,
    live: before,
    prune: true,
    allowDeleteAll: false,
    accountIds: { prod: "111111111111", dev: "222222222222" },
    members: { "aws-admins": ["alice", "bob"], engineers: ["carol"], "data-eng": ["dan"] },
    people: "names",
  });
  p.risks = assessRisks({ plan: p, config: c, desired, accessOfChange: (ch) => accessOf({ type: ch.type, ...(ch.account ? { account: ch.account } : {}), props: (ch.after ?? ch.before)! }, ch.after ? "desired" : "live") });
  return p;
}

describe("a role renamed with the same permissions and the same people", () => {
  it("reads 'renamed admin → administrator', with no access rows, no risk and no deletion warning; the changes stay", () => {
    expect(renamed).not.toBe(example);
    const p = plan(config(renamed), live(config(example)));
    expect(p.summary).toMatchObject({ create: 6, delete: 6 });
    expect(p.renames).toEqual([
      expect.objectContaining({ kind: "role", from: "admin", to: "administrator", accounts: ["dev", "prod"] }),
    ]);
    expect(p.renames![0]!.addresses).toHaveLength(12);
    expect(p.access).toEqual([]);
    expect(p.risks).toEqual([]);
    expect(p.permissions).toEqual([]);
    const md = renderPlanMarkdown(p, {});
    expect(md).toContain("renamed role admin → administrator in dev, prod: nobody gains or loses anything");
    expect(md).not.toContain("[!WARNING]");
    expect(md).not.toContain("Risks");
    expect(md).toContain("#### Changes (12)");
    const text = renderPlanText(p, plain as never);
    expect(text).toContain("renamed role admin → administrator in dev, prod: nobody gains or loses anything");
    expect(text).not.toContain("This plan deletes");
  });

  it("is not a rename when the permissions differ, or the people do", () => {
    const wider = renamed.replace("arn:aws:iam::aws:policy/AdministratorAccess]\n    maxSessionDuration: 4h", "arn:aws:iam::aws:policy/AdministratorAccess, arn:aws:iam::aws:policy/ReadOnlyAccess]\n    maxSessionDuration: 4h");
    expect(wider).not.toBe(renamed);
    expect(plan(config(wider), live(config(example))).renames).toBeUndefined();
    const otherPeople = renamed.replace("  - group: aws-admins\n    roles: [administrator]", "  - group: engineers\n    roles: [administrator]");
    expect(otherPeople).not.toBe(renamed);
    const p = plan(config(otherPeople), live(config(example)));
    expect(p.renames).toBeUndefined();
    expect(p.access.some((r) => r.change === "lost" && r.grant === "admin")).toBe(true);
  });

  it("is not a rename when a tag changes: a role's tags are its sessions' principal tags, which policies test", () => {
    const retagged = renamed.replace("  administrator:\n", "  administrator:\n    tags: { team: finance }\n");
    expect(retagged).not.toBe(renamed);
    expect(plan(config(retagged), live(config(example))).renames).toBeUndefined();
  });
});
