import { describe, expect, it } from "vitest";
import { diffPolicies, policyRows } from "../../src/plan/policy-diff.js";

const doc = (...Statement: unknown[]) => ({ Version: "2012-10-17", Statement });

describe("statement-level policy diff", () => {
  it("finds an action added to an existing statement", () => {
    const before = doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/*" });
    const after = doc({ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::data/*" });
    expect(diffPolicies(before, after)).toEqual({
      added: [{ effect: "Allow", action: "s3:PutObject", resource: "arn:aws:s3:::data/*" }],
      removed: [],
      change: "widened",
    });
    expect(diffPolicies(after, before).change).toBe("narrowed");
  });

  it("keeps wildcards as written, not expanded", () => {
    const d = diffPolicies(doc({ Effect: "Allow", Action: "s3:Get*", Resource: "*" }), doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }));
    expect(d.added).toEqual([{ effect: "Allow", action: "s3:*", resource: "*" }]);
    expect(d.removed).toEqual([{ effect: "Allow", action: "s3:Get*", resource: "*" }]);
    expect(d.change).toBe("both");
  });

  it("keeps NotAction and NotResource, marked", () => {
    const rows = policyRows(doc({ Effect: "Deny", NotAction: ["iam:*", "sts:*"], NotResource: "arn:aws:iam::*:role/x" }));
    expect(rows).toEqual([
      { effect: "Deny", action: "iam:*", resource: "arn:aws:iam::*:role/x", notAction: true, notResource: true },
      { effect: "Deny", action: "sts:*", resource: "arn:aws:iam::*:role/x", notAction: true, notResource: true },
    ]);
    // An Allow of s3:* differs from an Allow of everything except s3:*.
    const d = diffPolicies(doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }), doc({ Effect: "Allow", NotAction: "s3:*", Resource: "*" }));
    expect(d.added).toEqual([{ effect: "Allow", action: "s3:*", resource: "*", notAction: true }]);
    expect(d.removed).toEqual([{ effect: "Allow", action: "s3:*", resource: "*" }]);
  });

  it("compares conditions; a condition added to an Allow is a change of that row", () => {
    const plain = doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" });
    const conditioned = doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "data" } } });
    const d = diffPolicies(plain, conditioned);
    expect(d.added).toEqual([{ effect: "Allow", action: "s3:GetObject", resource: "*", condition: { StringEquals: { "aws:PrincipalTag/team": "data" } } }]);
    expect(d.removed).toEqual([{ effect: "Allow", action: "s3:GetObject", resource: "*" }]);
    // Condition values as a one-element list or a string, in any order: the same.
    const listed = doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": ["data"] } } });
    expect(diffPolicies(conditioned, listed).change).toBe("none");
  });

  it("treats a single statement and a one-element list, single values and lists alike", () => {
    const single = { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::a/*" } };
    const listed = doc({ Resource: ["arn:aws:s3:::a/*"], Action: ["s3:GetObject"], Effect: "Allow" });
    expect(diffPolicies(single, listed)).toEqual({ added: [], removed: [], change: "none" });
    expect(diffPolicies(JSON.stringify(single), encodeURIComponent(JSON.stringify(listed))).change).toBe("none");
  });

  it("sees no change when statements, actions or resources are reordered", () => {
    const a = doc({ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::a", "arn:aws:s3:::a/*"] }, { Effect: "Deny", Action: "iam:*", Resource: "*" });
    const b = doc({ Effect: "Deny", Action: ["iam:*"], Resource: "*" }, { Resource: ["arn:aws:s3:::a/*", "arn:aws:s3:::a"], Action: ["s3:ListBucket", "s3:GetObject"], Effect: "Allow" });
    expect(diffPolicies(a, b).change).toBe("none");
  });

  it("counts a removed Deny as a widening and an added Deny as a narrowing", () => {
    const allow = { Effect: "Allow", Action: "*", Resource: "*" };
    const deny = { Effect: "Deny", Action: "iam:*", Resource: "*" };
    expect(diffPolicies(doc(allow, deny), doc(allow)).change).toBe("widened");
    expect(diffPolicies(doc(allow), doc(allow, deny)).change).toBe("narrowed");
    expect(diffPolicies(null, doc(allow)).added).toEqual([{ effect: "Allow", action: "*", resource: "*" }]);
  });
});
