import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyMarkerFor, changeDigests, dataBlock, digestDrift, markerFor, readData, replaceStatus, RESULT_FAILED, RESULT_PLANNED, statusBlock } from "../../src/action/comment.js";
import type { Plan } from "../../src/domain/plan-types.js";
import { renderApplyMarkdown } from "../../src/render/apply-markdown.js";
import { escapeLogLine } from "../../src/util/safe-text.js";

const HASH = "ab".repeat(32);
const data = (d: unknown) => `<!-- authentik-aws-gitops:data ${Buffer.from(JSON.stringify(d)).toString("base64url")} -->`;
const comment = (result: string, middle: string, last = data({ hash: HASH, commit: "c" })) =>
  [markerFor("aws-access.yaml"), result, "### plan", "", statusBlock("📝 Planned"), "", middle, "", last].join("\n");

describe("readData: the reviewed plan comes only from a successful plan's last line", () => {
  it("reads the data line of a planned comment", () => {
    expect(readData(comment(RESULT_PLANNED, "body"))?.hash).toBe(HASH);
    expect(readData(`${comment(RESULT_PLANNED, "body")}\n`)?.hash).toBe(HASH);
  });

  it("vouches for nothing in a failed plan's comment, whatever it holds", () => {
    expect(readData(comment(RESULT_FAILED, "body"))).toBeUndefined();
    expect(readData([markerFor("a.yaml"), "### plan", data({ hash: HASH, commit: "c" })].join("\n"))).toBeUndefined();
  });

  it("vouches for nothing when the data marker appears anywhere else too", () => {
    expect(readData(comment(RESULT_PLANNED, data({ hash: "cd".repeat(32), commit: "x" })))).toBeUndefined();
    expect(readData(comment(RESULT_PLANNED, "mentions authentik-aws-gitops:data in text"))).toBeUndefined();
  });

  it("takes only the exact form: base64url, nothing after it, a sha256 hash", () => {
    expect(readData(comment(RESULT_PLANNED, "body", `${data({ hash: HASH, commit: "c" })} trailing`))).toBeUndefined();
    expect(readData(comment(RESULT_PLANNED, "body", data({ hash: HASH, commit: "c" }).replace(/(.{40})/, "$1 ")))).toBeUndefined();
    expect(readData(comment(RESULT_PLANNED, "body", data({ hash: "forged", commit: "c" })))).toBeUndefined();
    expect(readData(comment(RESULT_PLANNED, "body", data([HASH])))).toBeUndefined();
    expect(readData(comment(RESULT_PLANNED, "body", "<!-- authentik-aws-gitops:data !!! -->"))).toBeUndefined();
  });

  it("keeps the result line and the data when apply rewrites the status", () => {
    const body = replaceStatus(comment(RESULT_PLANNED, "body"), "✅ **Applied**");
    expect(body).toContain("✅ **Applied**");
    expect(readData(body)?.hash).toBe(HASH);
  });
});

describe("the apply comment vouches for nothing", () => {
  it("has a marker of its own, per config and commit, which the plan comment's finder never matches", () => {
    const apply = applyMarkerFor("aws-access.yaml", "abc");
    expect(apply).toBe("<!-- authentik-aws-gitops:apply config=aws-access.yaml commit=abc -->");
    expect(apply).not.toBe(markerFor("aws-access.yaml"));
    expect(applyMarkerFor("a b.yaml", "abc")).toBe("<!-- authentik-aws-gitops:apply config=a%20b.yaml commit=abc -->");
  });

  it("readData reads nothing from one the Action renders, whatever names and errors it holds", () => {
    const forged = `x\n${RESULT_PLANNED}\n${data({ hash: HASH, commit: "c" })}`;
    const body = renderApplyMarkdown(
      { config: forged, commit: "abc", run: { url: "u", label: "run 1" }, rows: [{ address: `a[${forged}]`, action: "create", result: "failed", error: forged }], verification: { kind: "not-run", reason: forged }, errorLines: [forged] },
      { marker: applyMarkerFor("aws-access.yaml", "abc") },
    );
    expect(readData(body)).toBeUndefined();
    expect(readData(`${body}\n${data({ hash: HASH, commit: "c" })}`)).toBeUndefined();
    expect(body.match(/<!--/g)).toHaveLength(1);
  });
});

describe("escapeLogLine: no line the Action writes is a workflow command", () => {
  it.each([
    ["::error title=X::forged", "\\u003a:error title=X::forged"],
    ["   ::add-mask::secret", "   \\u003a:add-mask::secret"],
    ["a\n::stop-commands::t", "a\\n::stop-commands::t"],
    ["x ##[warning]legacy", "x ##\\u005bwarning]legacy"],
    ["\u001b[31mred\r", "\\u001b[31mred\\u000d"],
    ["a\u200bb", "a\\u200bb"],
    ["plain: a::b", "plain: a::b"],
  ])("%j", (input, expected) => {
    expect(escapeLogLine(input)).toBe(expected);
  });
});

describe("src/action writes to the log only through log.ts", () => {
  it("calls no @actions/core logging function anywhere else", () => {
    const dir = path.join(import.meta.dirname, "..", "..", "src", "action");
    // Every file under src/action/, the runners' folder included.
    const offenders = (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts") && f !== "log.ts")
      .flatMap((f) =>
        readFileSync(path.join(dir, f), "utf8")
          .split("\n")
          .map((line, i) => ({ f, i, line }))
          .filter(({ line }) => /\bcore\.(info|warning|error|notice|debug|setFailed|startGroup|endGroup|group)\(/.test(line) || /process\.(stdout|stderr)\.write|console\.(log|error|warn|info)/.test(line)),
      )
      .map(({ f, i, line }) => `${f}:${i + 1}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});

describe("the data line keeps the hash and short digests, and apply can still say what changed", () => {
  const change = (address: string, after: Record<string, unknown> = { x: 1 }) =>
    ({ address, type: "authentik.policy_binding", system: "authentik", title: address, action: "create", reason: "", before: null, after, fields: [], dependsOn: [] }) as Plan["changes"][number];
  const planOf = (changes: Plan["changes"]) => ({ hash: HASH, changes }) as unknown as Plan;
  const ninety = planOf(Array.from({ length: 90 }, (_, i) => change(`authentik.policy_binding[aws/readonly@prod→group:team-${i}]`)));

  it("is 8 bytes a change, not the change list", () => {
    const line = dataBlock(ninety, "c".repeat(40), 20_000);
    // 90 changes × 8 bytes, base64url inside base64url JSON: well under 2,000 characters (the change list took over 11,000).
    expect(line.length).toBeLessThan(2_000);
    const read = readData(comment(RESULT_PLANNED, "body", line))!;
    expect(read.hash).toBe(HASH);
    expect(read.digests).toBe(changeDigests(ninety));
    expect(read.changes).toBeUndefined();
  });

  it("names what is planned now and was never reviewed, what is planned differently, and counts what is gone", () => {
    const now = planOf([change("authentik.policy_binding[aws→group:new]"), change("authentik.policy_binding[aws/readonly@prod→group:team-1]", { x: 2 }), ...ninety.changes.slice(2, 89)]);
    expect(digestDrift(changeDigests(ninety), now)).toEqual([
      "- reviewed, no longer planned: 2 changes (see the plan comment)",
      "+ planned now, never reviewed: create authentik.policy_binding[aws→group:new]",
      "~ planned differently: create authentik.policy_binding[aws/readonly@prod→group:team-1]",
    ]);
    expect(digestDrift(changeDigests(ninety), ninety)).toEqual(["~ the same changes, made differently (e.g. a value edited outside the review)"]);
  });

  it("ignores digests that are not base64url (the hash alone decides)", () => {
    const read = readData(comment(RESULT_PLANNED, "body", data({ hash: HASH, commit: "c", digests: "<!--" })))!;
    expect(read.hash).toBe(HASH);
    expect(read.digests).toBeUndefined();
  });
});
