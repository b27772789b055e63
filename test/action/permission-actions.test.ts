// What a permission change means in actions, in the comment the shipped Action posts: a
// statement and a managed policy added to roles, expanded against AWS's service
// authorization reference, and the risks that quote the statement.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitHubPeer } from "../peers/github/peer.js";
import { actionBench, REPO } from "../support/action.js";
import { example, type Peers } from "../support/peers.js";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"] });
const { act, openPull } = bench;
let peers: Peers;
let gh: GitHubPeer;

const base = example("classic-iam.yaml").replace('      name: Production\n', '      name: Production\n      production: true\n');

beforeAll(async () => {
  ({ peers, gh } = await bench.start());
  peers.writeConfig("aws-access.yaml", base);
  const applied = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"]);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("a permission change, in actions", () => {
  it("says how many actions of which access level a statement and a managed policy newly allow, and the risks quote the statement", async () => {
    const changed = base
      // readonly (prod and dev) gains s3:* on *.
      .replace(
        "    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n  data-engineer:",
        '    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n    inlinePolicies:\n      buckets:\n        Version: "2012-10-17"\n        Statement:\n          - Effect: Allow\n            Action: "s3:*"\n            Resource: "*"\n  data-engineer:',
      )
      // data-engineer (dev) gains an AWS-managed policy, whose document IAM returns.
      .replace("    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n    inlinePolicies:\n      data-lake:", "    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/AmazonS3FullAccess]\n    inlinePolicies:\n      data-lake:");
    expect(changed).not.toBe(base);
    peers.writeConfig("aws-access.yaml", changed);
    const run = await act(await openPull(1));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.risk).toBe("high");
    const body = (await gh.control.comments(REPO, 1))[0]!.body;

    // The permission changes say what was added, in actions, with the statement.
    const s3 = /newly allows (\d+) s3 actions — (\d+) Write, (\d+) Permissions management, \d+ Tagging, \d+ Read, \d+ List \(`s3:\w+`, `s3:\w+`, `s3:\w+`, …\) — inline policy buckets: `\{"Effect":"Allow","Action":\["s3:\*"\],"Resource":\["\*"\]\}`/;
    const m = s3.exec(body);
    expect(m, body).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(100);
    expect(body).toMatch(/newly allows \d+ actions of 2 services \\\(s3 \d+, s3-object-lambda \d+\\\) — \d+ Write, \d+ Permissions management, .* — managed policy AmazonS3FullAccess: `\{"Effect":"Allow","Action":\["s3:\*","s3-object-lambda:\*"\],"Resource":"\*"\}`/);
    // Examples worth a reviewer's eye: what writes a policy or an ACL.
    expect(m![0]).toContain("`s3:PutBucketAcl`, `s3:PutObjectAcl`, `s3:PutBucketPolicy`");

    // The risks: high in production, medium in dev, each quoting the statement.
    // (Markdown escapes in the finding's text undone, to read it as a reviewer does.)
    const riskRows = body
      .split("\n")
      .filter((l) => l.includes("`write-on-every-resource`"))
      .map((l) => l.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, "$1"));
    expect(riskRows.map((l) => /\*\*(high|medium)\*\*/.exec(l)?.[1]).sort()).toEqual(["high", "medium", "medium"]);
    const prod = riskRows.find((l) => l.includes("**high**"))!;
    expect(prod).toMatch(/readonly in prod.* newly allows \d+ write or permissions-management actions on every resource in production \(s3:\w+, s3:\w+, s3:\w+, …\): inline policy buckets \{"Effect":"Allow","Action":\["s3:\*"\],"Resource":\["\*"\]\}/);
    expect(riskRows.some((l) => /data-engineer in dev.*managed policy AmazonS3FullAccess \{/.test(l))).toBe(true);
  });
});
