// verify in the shipped Action (issue 21), classic-iam: dist/index.js under Node 24 against
// moto_server (behind the AWS shim), the authentik emulator and the GitHub emulator, each in
// a process of its own. After the apply of a merged pull request the sign-ins of the people
// the plan affected are followed, and the apply comment says how that went (a sign-in that
// does not work fails the job, after the comment is written); the drift mode follows
// everyone's and reports what breaks them beside the plan's drift.
import { readFileSync } from "node:fs";
import { IAMClient, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifyReport } from "../../src/domain/verify.js";
import { syntheticSha } from "../peers/github/events.js";
import { actionBench } from "../support/action.js";
import { example, TOKEN, type Peers } from "../support/peers.js";

const PROD = "111111111111";
const FRANKFURT = "https://eu-central-1.signin.aws.amazon.com/saml";
const KEYPAIR = "authentik Self-signed Certificate";
/** A username that spells markup and a hidden marker: it must reach every comment escaped. */
const MALLORY = "mallory_<!--x-->*";

const bench = actionBench({ groups: ["aws-admins", "engineers", "data-eng"], inputs: { "require-reviewed-plan": "true" } });
let peers: Peers;
const baseConfig = example("classic-iam.yaml");

/** A hand-made entitlement (outside what the tool manages) that sends engineers a role IAM does not have. */
async function breakGlass(): Promise<() => Promise<void>> {
  const groups = await peers.groupPks();
  const app = await peers.ak("GET", "/core/applications/aws/");
  const entitlement = await peers.ak("POST", "/core/application_entitlements/", {
    name: "break-glass",
    app: app.pk,
    attributes: { aws_role_arn: `arn:aws:iam::${PROD}:role/break-glass`, aws_saml_provider_arn: `arn:aws:iam::${PROD}:saml-provider/authentik` },
  });
  const binding = await peers.ak("POST", "/policies/bindings/", { target: entitlement.pbm_uuid, group: groups["engineers"], order: 0 });
  return async () => {
    await peers.ak("DELETE", `/policies/bindings/${binding.pk}/`);
    await peers.ak("DELETE", `/core/application_entitlements/${entitlement.pbm_uuid}/`);
  };
}

const verifyReport = (outputs: Record<string, string>) => JSON.parse(readFileSync(outputs["verify-json"]!, "utf8")) as VerifyReport;
const line = (f: VerifyReport["findings"][number]) => `${f.severity} ${f.check} ${f.subject.name} ${f.grant ?? "-"}@${f.account?.id ?? "-"}`;

beforeAll(async () => {
  ({ peers } = await bench.start());
  const groups = await peers.groupPks();
  for (const [username, group] of [
    ["vera.admin", "aws-admins"],
    ["walt.engineer", "engineers"],
    ["zoe.dataeng", "data-eng"],
    [MALLORY, "engineers"],
  ] as const) {
    await peers.ak("POST", "/core/users/", { username, name: username, email: `${username.replace(/[^a-z.]/g, "")}@example.com`, groups: [groups[group]] });
  }
  peers.writeConfig("aws-access.yaml", baseConfig);
}, 600_000);

afterAll(() => bench.stopAfterChecks());

describe("verify after the Action's apply", () => {
  it("the apply comment says the sign-ins of the people the plan affected were verified; the job summary and outputs carry the report", async () => {
    expect((await bench.act(await bench.openPull(1))).code).toBe(0);
    const r = await bench.act(await bench.merge(1, syntheticSha("merge-1")));
    expect(r.code, r.stdout).toBe(0);
    const [plan, applied] = await bench.comments(1);
    const body = applied!.body;
    expect(body.split("\n")[1]).toBe("### ✅ authentik-aws-gitops applied `aws-access.yaml`");
    expect(body).toContain("**Sign-ins verified** (everyone with access: the plan changed a link every sign-in goes through): 4 people checked, 8 sign-ins followed: every sign-in works as configured.");
    expect(plan!.body).toContain("✅ **Applied**");
    expect(r.summary).toContain("Sign-ins verified");
    expect(r.outputs["verify-findings"]).toBe("0");
    expect(verifyReport(r.outputs)).toMatchObject({ version: 1, mode: "classic-iam", findings: [], grantsChecked: 8 });
    expect(body + r.summary).not.toContain("<!--x");
  });

  it("a sign-in that does not work after the apply: the apply comment names the person and the reason (escaped), the plan comment says so, and the job fails after both are written", async () => {
    const undo = await breakGlass();
    // engineers gain data-engineer in dev: the plan affects walt and mallory.
    peers.writeConfig("aws-access.yaml", baseConfig.replace("  - group: engineers\n    roles: [readonly]\n", "  - group: engineers\n    roles: [readonly, data-engineer]\n"));
    expect((await bench.act(await bench.openPull(2))).code).toBe(0);
    const r = await bench.act(await bench.merge(2, syntheticSha("merge-2")));
    expect(r.code).not.toBe(0);
    const [plan, applied] = await bench.comments(2);
    const body = applied!.body;
    expect(body.split("\n")[1]).toBe("### ❌ authentik-aws-gitops applied `aws-access.yaml`, but verify found 2 sign-ins that do not work");
    expect(body).toMatch(/\*\*\d+ of \d+ changes? applied\*\*/);
    expect(body).toContain("**Sign-ins that do not work** (the 2 people the plan affected): 2 people checked, 8 sign-ins followed: 2 errors.");
    expect(body).toContain("| ❌ error | person walt.engineer | break-glass in prod \\(111111111111\\) | `role-exists` |");
    expect(body).toContain("mallory\\_&lt;\\!--x--&gt;\\*");
    expect(body).not.toContain("<!--x");
    expect(body).toContain(`arn:aws:iam::${PROD}:role/break-glass`);
    expect(body).not.toContain(TOKEN);
    expect(plan!.body).toContain("❌ **Applied, but 2 sign-ins do not work**");
    expect(plan!.body).toContain(`[apply results](https://github.com/acme/aws-access/pull/2#issuecomment-${applied!.id})`);
    // The job fails with the clear line, after the comments were written.
    expect(r.stdout).toContain("::error::aws-access.yaml: apply complete; verify found 2 sign-ins that do not work: mallory");
    expect(r.stdout).toContain("walt.engineer — break-glass in prod (111111111111): role-exists");
    expect(r.outputs["verify-findings"]).toBe("2");
    expect(verifyReport(r.outputs).findings.map(line)).toEqual([`error role-exists ${MALLORY} break-glass@${PROD}`, `error role-exists walt.engineer break-glass@${PROD}`]);
    expect(r.summary).toContain("Sign-ins that do not work");
    expect(r.summary).not.toContain("<!--x");
    await undo();
  });
});

describe("verify in the Action's drift mode (everyone)", () => {
  it("a trust policy edited by hand and the signing certificate renewed in authentik: the run fails and names each person and the reason beside the drift", async () => {
    await new IAMClient(peers.aws(PROD)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::${PROD}:saml-provider/authentik` }, Action: "sts:AssumeRoleWithSAML", Condition: { StringEquals: { "SAML:aud": FRANKFURT } } }],
        }),
      }),
    );
    await peers.authentik.control.renewKeypair({ name: KEYPAIR });
    const r = await bench.act(await bench.schedule("0 6 * * *"));
    expect(r.code).not.toBe(0);
    expect(r.outputs["has-changes"]).toBe("true");
    const report = verifyReport(r.outputs);
    const found = report.findings.map(line);
    expect(found).toContain(`error trust-policy walt.engineer readonly@${PROD}`);
    expect(found).toContain(`error trust-policy ${MALLORY} readonly@${PROD}`);
    for (const person of ["vera.admin", "walt.engineer", "zoe.dataeng", MALLORY]) expect(found.some((f) => f.startsWith(`error saml-provider-certificate ${person} `))).toBe(true);
    expect(r.outputs["verify-findings"]).toBe(String(report.summary!.errors));
    // The job summary: the drift and the sign-ins, each person by name.
    expect(r.summary).toContain("**Drift**");
    expect(r.summary).toContain("Sign-ins that do not work");
    expect(r.summary).toContain("| ❌ error | person walt.engineer | readonly in prod \\(111111111111\\) | `trust-policy` |");
    expect(r.summary).toMatch(/\| ❌ error \| person zoe\.dataeng \| [^|]+ \| `saml-provider-certificate` \|/);
    expect(r.summary).toContain("eu-central-1.signin.aws.amazon.com/saml only");
    expect(r.summary).not.toContain("<!--x");
    // The failure says both.
    expect(r.stdout).toMatch(/::error::aws-access\.yaml: drift: \d+ change\(s\) between the configuration and the live state; verify found \d+ sign-ins that do not work: /);
  });

  it("mended by an apply: no drift, every sign-in works; a certificate expiring within review.certificateWarningDays is a warning in the summary and does not fail the run; with review.people: count nobody is named", async () => {
    peers.writeConfig("aws-access.yaml", baseConfig);
    const mend = await peers.cli(["apply", "-c", "aws-access.yaml", "--auto-approve"]);
    expect(mend.code, mend.stdout + mend.stderr).toBe(0);
    const clean = await bench.act(await bench.schedule("0 6 * * *"));
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.outputs["verify-findings"]).toBe("0");
    expect(clean.summary).toContain("✅ No drift.");
    expect(clean.summary).toContain("Sign-ins verified");

    // The renewed certificate is valid for a year: warned 400 days ahead, it is a warning.
    peers.writeConfig("aws-access.yaml", `${baseConfig}\nreview:\n  certificateWarningDays: 400\n`);
    const warned = await bench.act(await bench.schedule("0 6 * * *"));
    expect(warned.code, warned.stdout).toBe(0);
    expect(warned.outputs["verify-findings"]).toBe("0");
    expect(warned.summary).toContain("| ⚠️ warning | person walt.engineer |  | `certificate-expiry` |");
    expect(warned.stdout).toMatch(/::warning::aws-access\.yaml: verify: 4 warnings/);

    // review.people: count — no name anywhere the run writes: the summary counts, the log counts, no JSON report.
    peers.writeConfig("aws-access.yaml", `${baseConfig}\nreview:\n  people: count\n  certificateWarningDays: 400\n`);
    const counted = await bench.act(await bench.schedule("0 6 * * *"));
    expect(counted.code, counted.stdout).toBe(0);
    expect(counted.summary).toContain("| ⚠️ warning | 4 people |  | `certificate-expiry` |");
    expect(counted.stdout).toMatch(/::warning::aws-access\.yaml: verify: 4 warnings: 4 people: certificate-expiry/);
    for (const name of ["vera.admin", "walt.engineer", "zoe.dataeng", "mallory"]) expect(counted.summary + counted.stdout).not.toContain(name);
    expect(counted.outputs["verify-json"]).toBeUndefined();
    peers.writeConfig("aws-access.yaml", baseConfig);
  });
});
