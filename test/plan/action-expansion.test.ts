import { describe, expect, it } from "vitest";
import { expandChange, expandPattern, managedPoliciesToRead, type ManagedPolicyDocument } from "../../src/plan/action-expansion.js";
import { serviceReference } from "../../src/domain/iam-reference.js";
import type { Change, Plan, Props } from "../../src/domain/plan-types.js";

const role = (statements: object[], managed: string[] = []): Props => ({ name: "data", managed_policies: managed, inline_policies: statements.length ? { data: { Version: "2012-10-17", Statement: statements } } : {} });
const none = () => undefined;
const s3 = serviceReference("s3")!;
const s3Count = s3.actions.size;
const s3Levels = [...s3.actions.values()].reduce<Record<string, number>>((n, a) => ({ ...n, [a.level]: (n[a.level] ?? 0) + 1 }), {});

describe("expanding a permission change into actions", () => {
  it("s3:* on * newly allows every s3 action, counted per access level, Permissions management examples first, the statement quoted", () => {
    const { actions } = expandChange(role([]), role([{ Effect: "Allow", Action: "s3:*", Resource: "*" }]), none);
    expect(actions).toHaveLength(1);
    const a = actions[0]!;
    expect(a).toMatchObject({ change: "allows", source: "inline policy data", statement: '{"Effect":"Allow","Action":"s3:*","Resource":"*"}', actions: s3Count, resources: ["*"] });
    expect(a.services).toEqual([{ service: "s3", actions: s3Count, levels: a.levels, examples: expect.any(Array) }]);
    expect(a.levels).toEqual({ "Permissions management": s3Levels["Permissions management"], Write: s3Levels.Write, Tagging: s3Levels.Tagging, Read: s3Levels.Read, List: s3Levels.List });
    expect(a.services[0]!.examples[0]).toMatch(/^s3:.*(Policy|Acl)/);
    expect(a.writeOnEveryResource?.actions).toBe(s3Levels.Write! + s3Levels["Permissions management"]!);
  });

  it("wildcards inside a name (s3:Get*) match only the reference's actions they name, in any letter case", () => {
    const gets = [...s3.actions.values()].filter((x) => x.name.startsWith("Get"));
    expect(expandPattern("S3:get*")).toHaveLength(gets.length);
    const { actions } = expandChange(role([]), role([{ Effect: "Allow", Action: ["s3:Get*"], Resource: "arn:aws:s3:::data/*" }]), none);
    expect(actions[0]).toMatchObject({ actions: gets.length, levels: { Read: gets.length }, resources: ["arn:aws:s3:::data/*"] });
    expect(actions[0]!.writeOnEveryResource).toBeUndefined();
  });

  it("`*` names every action of every service; the services most able to write are listed first, the rest summed", () => {
    const { actions } = expandChange(null, role([{ Effect: "Allow", Action: "*", Resource: "*" }]), none);
    const a = actions[0]!;
    expect(a.actions).toBeGreaterThan(15000);
    expect(a.services).toHaveLength(8);
    expect(a.otherServices!.services).toBeGreaterThan(300);
    expect(a.escalation).toContain("iam:PassRole");
    expect(a.escalation).toContain("sts:AssumeRole");
  });

  it("NotAction allows every action but those named", () => {
    const { actions } = expandChange(role([]), role([{ Effect: "Allow", NotAction: ["iam:*", "organizations:*"], Resource: "*" }]), none);
    const a = actions[0]!;
    expect(a.services.map((s) => s.service)).not.toContain("iam");
    // Not IAM's: AssumeRole, and what this tool writes (Identity Center, the Identity Store).
    expect(a.escalation).toContain("sts:AssumeRole");
    expect(a.escalation).toContain("sso:CreateAccountAssignment");
    expect(a.escalation!.filter((e) => e.startsWith("iam:"))).toEqual([]);
    const all = expandPattern("*").length;
    expect(a.actions).toBe(all - expandPattern("iam:*").length - expandPattern("organizations:*").length);
  });

  it("a Deny subtracts what it denies; a Deny added is quoted as what takes the actions away", () => {
    const allow = { Effect: "Allow", Action: "s3:*", Resource: "*" };
    const deny = { Effect: "Deny", Action: ["s3:Delete*", "s3:PutBucketPolicy"], Resource: "*" };
    const denied = expandPattern("s3:Delete*").length + 1;
    const both = expandChange(role([]), role([allow, deny]), none).actions;
    expect(both).toHaveLength(1);
    expect(both[0]!.actions).toBe(s3Count - denied);
    const added = expandChange(role([allow]), role([allow, deny]), none).actions;
    expect(added).toEqual([expect.objectContaining({ change: "no-longer-allows", actions: denied, statement: '{"Effect":"Deny","Action":["s3:Delete*","s3:PutBucketPolicy"],"Resource":"*"}' })]);
    // A Deny with a condition does not take anything away for sure.
    expect(expandChange(role([allow]), role([allow, { ...deny, Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } }]), none).actions).toEqual([]);
  });

  it("what was allowed already is not new: the same action on * or on the same resource; another resource is", () => {
    const wide = { Effect: "Allow", Action: "s3:GetObject", Resource: "*" };
    const narrow = { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::a/*" };
    expect(expandChange(role([wide]), role([wide, narrow]), none).actions).toEqual([]);
    expect(expandChange(role([narrow]), role([narrow, { ...narrow, Resource: "arn:aws:s3:::b/*" }]), none).actions[0]).toMatchObject({ actions: 1, resources: ["arn:aws:s3:::b/*"] });
    const removed = expandChange(role([wide]), role([]), none).actions;
    expect(removed).toEqual([expect.objectContaining({ change: "no-longer-allows", actions: 1, levels: { Read: 1 } })]);
  });

  it("managed policies attached or detached are expanded from the documents IAM returned (URL-encoded as IAM sends them); one not read is said", () => {
    const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    const doc = encodeURIComponent(JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Action: ["s3:Get*", "s3:List*"], Resource: "*" }] }));
    const documents = (a: string): ManagedPolicyDocument | undefined => (a === arn ? { document: doc } : undefined);
    const { actions, unread } = expandChange(role([]), role([], [arn]), documents);
    expect(actions[0]).toMatchObject({ change: "allows", source: "managed policy ReadOnlyAccess", statement: '{"Sid":"Read","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}' });
    expect(actions[0]!.levels.Write).toBeUndefined();
    expect(unread).toEqual([]);
    const detached = expandChange(role([], [arn]), role([]), documents).actions;
    expect(detached[0]!.change).toBe("no-longer-allows");
    // A policy attached before and after is not read, and counts on neither side.
    expect(expandChange(role([], [arn]), role([{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }], [arn]), none).actions[0]!.actions).toBe(1);
    expect(expandChange(role([]), role([], ["arn:aws:iam::111111111111:policy/Mine"]), () => ({ unread: "iam:GetPolicy was refused" })).unread).toEqual(["managed policy Mine: iam:GetPolicy was refused"]);
  });

  it("a permission set: its one inline policy (as IAM Identity Center returns it, a string), its managed policies; customer-managed references are said not to be read", () => {
    const arn = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";
    const ps = (inline: object | null, managed: string[], customer: object[] = []): Props => ({ name: "Data", inline_policy: inline ? JSON.stringify(inline) : null, managed_policies: managed, customer_managed_policies: customer });
    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }] };
    const { actions, unread } = expandChange(ps(null, []), ps(doc, [arn], [{ name: "DataAccess", path: "/team/" }]), (a) => (a === arn ? { document: { Statement: { Effect: "Allow", Action: "cloudwatch:List*", Resource: "*" } } } : undefined));
    expect(actions.map((a) => [a.source, a.escalation ?? []])).toEqual([
      ["managed policy ViewOnlyAccess", []],
      ["inline policy", ["iam:PassRole"]],
    ]);
    expect(unread).toEqual(["customer-managed policy /team/DataAccess: its document lives in each account the permission set is provisioned to, and is not read"]);
  });

  it("reads only the managed policies a change attaches or detaches, per account", () => {
    const change = (account: string, before: string[], after: string[]): Change =>
      ({ address: `aws.iam.role[${account}:/x]`, type: "aws.iam.role", account, action: "update", before: role([], before), after: role([], after) }) as unknown as Change;
    const plan = { changes: [change("prod", ["arn:a/A", "arn:a/B"], ["arn:a/B", "arn:a/C"])], permissions: [{ address: "aws.iam.role[prod:/x]" }] } as unknown as Plan;
    expect(managedPoliciesToRead(plan)).toEqual([
      { account: "prod", arn: "arn:a/A" },
      { account: "prod", arn: "arn:a/C" },
    ]);
  });
});
