// `verify` for classic-iam, end to end: the shipped CLI in a child process against
// moto_server (through the AWS shim) and the authentik emulator. Each defect is made by
// hand the way it happens in real life — a trust policy edited in the IAM console, the
// signing certificate renewed in authentik, a session duration or maximum changed — and
// first shown as today's tool sees it (the access report calls every role "trusted";
// plan lists an object-level update, or nothing at all, and names nobody who loses
// access), then found by verify with the person, the grant, the account and the reason.
import { readFileSync } from "node:fs";
import path from "node:path";
import { IAMClient, UpdateAssumeRolePolicyCommand, UpdateRoleCommand } from "@aws-sdk/client-iam";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/domain/plan-types.js";
import type { VerifyReport } from "../../src/domain/verify.js";
import type { AccessReport } from "../../src/report/types.js";
import { example, startPeers, type Peers } from "../support/peers.js";

const PROD = "111111111111";
const DEV = "222222222222";
const GLOBAL = "https://signin.aws.amazon.com/saml";
const FRANKFURT = "https://eu-central-1.signin.aws.amazon.com/saml";
const SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const KEYPAIR = "authentik Self-signed Certificate";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schema = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "..", "schema", "verify-report.schema.json"), "utf8"));
const validateReport = addFormats(new Ajv({ allErrors: true, strict: true })).compile(schema);

let peers: Peers;
let config: string;

async function verify(extra: string[] = []) {
  const r = await peers.cli(["verify", "-c", config, "--format", "json", ...extra]);
  const report = JSON.parse(r.stdout) as VerifyReport;
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
  return { code: r.code, stderr: r.stderr, report };
}
const line = (f: VerifyReport["findings"][number]) => `${f.severity} ${f.check} ${f.subject.kind}:${f.subject.name} ${f.grant ?? "-"}@${f.account ? `${f.account.alias}/${f.account.id}` : "-"}`;

async function access(): Promise<AccessReport> {
  const r = await peers.cli(["access", "-c", config, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as AccessReport;
}
async function planNow(): Promise<{ code: number; plan: Plan }> {
  const r = await peers.cli(["plan", "-c", config, "--format", "json", "--detailed-exitcode"]);
  expect([0, 2], r.stderr).toContain(r.code);
  return { code: r.code, plan: JSON.parse(r.stdout) as Plan };
}
async function apply() {
  const r = await peers.cli(["apply", "-c", config, "--auto-approve"]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

beforeAll(async () => {
  peers = await startPeers(["aws-admins", "engineers", "data-eng"]);
  const groups = await peers.groupPks();
  for (const [username, group] of [
    ["vera.admin", "aws-admins"],
    ["walt.engineer", "engineers"],
    ["zoe.dataeng", "data-eng"],
  ] as const) {
    await peers.ak("POST", "/core/users/", { username, name: username, email: `${username}@example.com`, groups: [groups[group]] });
  }
  // Someone in no mapped group: holds nothing, and is checked only when named.
  await peers.ak("POST", "/core/users/", { username: "olga.outsider", name: "olga.outsider", groups: [] });
  config = peers.writeConfig("aws-access.yaml", example("classic-iam.yaml"));
  await apply();
});

afterAll(() => peers.stopAfterChecks());

describe("verify, classic-iam", () => {
  it("after a clean apply: every person's every sign-in works, exit 0", async () => {
    const { code, report, stderr } = await verify();
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(report).toMatchObject({ version: 1, mode: "classic-iam", people: ["vera.admin", "walt.engineer", "zoe.dataeng"], findings: [], summary: { errors: 0, warnings: 0 } });
    // vera: admin in prod and dev; walt: readonly in prod and dev; zoe: readonly and data-engineer in dev.
    expect(report.grantsChecked).toBe(6);
    const text = await peers.cli(["verify", "-c", config]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("3 people checked, 6 sign-ins followed: every sign-in works as configured");
  });

  it("a trust policy edited by hand (SAML:aud another endpoint): the access report still says trusted; verify names walt, readonly, prod and why, exit 1", async () => {
    const iam = new IAMClient(peers.aws(PROD));
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "readonly",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::${PROD}:saml-provider/authentik` }, Action: "sts:AssumeRoleWithSAML", Condition: { StringEquals: { "SAML:aud": FRANKFURT } } }],
        }),
      }),
    );
    // Today's tool: the access report calls the role usable, and the plan shows an update of
    // the role's trust policy with no access change and nobody named.
    const before = await access();
    expect(before.rows.find((r) => r.person === "walt.engineer" && r.grant === "readonly" && r.account === "prod")!.awsRole).toBe("trusted");
    expect(before.summary.rolesNotUsable).toBe(0);
    const { code: planCode, plan } = await planNow();
    expect(planCode).toBe(2);
    expect(plan.changes.map((c) => `${c.action} ${c.address}`)).toEqual([`update aws.iam.role[prod:/authentik/readonly]`]);
    expect(plan.access).toEqual([]);
    expect(JSON.stringify(plan)).not.toContain("walt.engineer");

    const { code, report } = await verify();
    expect(code).toBe(1);
    expect(report.findings.map(line)).toEqual([`error trust-policy person:walt.engineer readonly@prod/${PROD}`]);
    expect(report.findings[0]!.reason).toContain(`allows SAML:aud ${FRANKFURT} only, and authentik posts the assertion to ${GLOBAL}`);
    expect(report.findings[0]!.reason).toContain("through group 'engineers'");

    const text = await peers.cli(["verify", "-c", config, "--no-color"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/✗ person walt\.engineer\n {4}error trust-policy — readonly in prod \(111111111111\)\n/);
    const md = await peers.cli(["verify", "-c", config, "--format", "markdown"]);
    expect(md.code).toBe(1);
    expect(md.stdout).toContain("| ❌ error | person walt.engineer | readonly in prod \\(111111111111\\) | `trust-policy` |");

    await apply();
    expect((await verify()).code).toBe(0);
  });

  it("a role authentik sends that IAM does not have (an entitlement made by hand): plan sees nothing; verify names the person", async () => {
    const groups = await peers.groupPks();
    const app = await peers.ak("GET", "/core/applications/aws/");
    const breakGlass = await peers.ak("POST", "/core/application_entitlements/", {
      name: "break-glass",
      app: app.pk,
      attributes: { aws_role_arn: `arn:aws:iam::${PROD}:role/break-glass`, aws_saml_provider_arn: `arn:aws:iam::${PROD}:saml-provider/authentik` },
    });
    const binding = await peers.ak("POST", "/policies/bindings/", { target: breakGlass.pbm_uuid, group: groups["engineers"], order: 0 });
    expect((await planNow()).code).toBe(0);
    const { code, report } = await verify();
    expect(code).toBe(1);
    expect(report.findings.map(line)).toEqual([`error role-exists person:walt.engineer break-glass@prod/${PROD}`]);
    expect(report.findings[0]!.reason).toContain(`has no such role`);
    await peers.ak("DELETE", `/policies/bindings/${binding.pk}/`);
    await peers.ak("DELETE", `/core/application_entitlements/${breakGlass.pbm_uuid}/`);
    expect((await verify()).code).toBe(0);
  });

  it("a binding of the configuration deleted by hand in authentik: verify names the person the configuration grants the role and authentik no longer sends it", async () => {
    const entitlement = await peers.entitlement("readonly@prod");
    const bindings = (await peers.ak("GET", `/policies/bindings/?target=${entitlement.pbm_uuid}&page_size=100`)).results as { pk: string }[];
    for (const b of bindings) await peers.ak("DELETE", `/policies/bindings/${b.pk}/`);
    const { code, report } = await verify();
    expect(code).toBe(1);
    expect(report.findings.map(line)).toEqual([`error role-values person:walt.engineer readonly@prod/${PROD}`]);
    expect(report.findings[0]!.reason).toContain("the configuration grants walt.engineer role readonly here through group 'engineers', and authentik does not send it");
    await apply();
    expect((await verify()).code).toBe(0);
  });

  it("the signing certificate renewed in authentik but not in IAM: the access report sees nothing; verify finds every sign-in, exit 1; apply mends it", async () => {
    const renewed = await peers.authentik.control.renewKeypair({ name: KEYPAIR });
    const before = await access();
    expect(before.summary.rolesNotUsable).toBe(0);
    expect(before.rows.every((r) => r.awsRole === "trusted")).toBe(true);
    // plan shows the IAM SAML providers' metadata as an update, and no access change.
    const { plan } = await planNow();
    expect(plan.changes.map((c) => `${c.action} ${c.address}`).sort()).toEqual(["update aws.iam.saml_provider[dev:authentik]", "update aws.iam.saml_provider[prod:authentik]"]);
    expect(plan.access).toEqual([]);

    const { code, report } = await verify();
    expect(code).toBe(1);
    expect(report.findings.map(line)).toEqual([
      `error saml-provider-certificate person:vera.admin admin@dev/${DEV}`,
      `error saml-provider-certificate person:vera.admin admin@prod/${PROD}`,
      `error saml-provider-certificate person:walt.engineer readonly@dev/${DEV}`,
      `error saml-provider-certificate person:walt.engineer readonly@prod/${PROD}`,
      `error saml-provider-certificate person:zoe.dataeng data-engineer@dev/${DEV}`,
      `error saml-provider-certificate person:zoe.dataeng readonly@dev/${DEV}`,
    ]);
    const fp = renewed.fingerprint_sha256!.replace(/:/g, "").slice(0, 16);
    expect(report.findings[0]!.reason).toContain(`not the certificate authentik signs with now (keypair '${KEYPAIR}', SHA-256 ${fp}…`);

    await apply();
    expect((await verify()).report.findings).toEqual([]);
  });

  it("a certificate about to expire: a warning per person, exit 0; --certificate-warning-days moves the horizon", async () => {
    await peers.authentik.control.renewKeypair({ name: KEYPAIR, days: 10 });
    await apply();
    const { code, report } = await verify();
    expect(code).toBe(0);
    expect(report.findings.map(line)).toEqual(["warning certificate-expiry person:vera.admin -@-", "warning certificate-expiry person:walt.engineer -@-", "warning certificate-expiry person:zoe.dataeng -@-"]);
    expect(report.findings[0]!.reason).toMatch(/expires on \d{4}-\d\d-\d\d, in (9|10) days \(warned 30 days ahead\)/);
    expect((await verify(["--certificate-warning-days", "5"])).report.findings).toEqual([]);
    // review.certificateWarningDays in the configuration moves it too; the option overrides it.
    const text = readFileSync(config, "utf8");
    peers.writeConfig("aws-access.yaml", `${text}\nreview:\n  certificateWarningDays: 5\n`);
    expect((await verify()).report.findings).toEqual([]);
    expect((await verify(["--certificate-warning-days", "20"])).report.findings).toHaveLength(3);
    peers.writeConfig("aws-access.yaml", `${text}\nreview:\n  certificateWarningDays: 0\n`);
    expect((await verify()).report.findings).toEqual([]);
    peers.writeConfig("aws-access.yaml", text);
    await peers.authentik.control.renewKeypair({ name: KEYPAIR });
    await apply();
  });

  it("a SessionDuration above a role's maximum (the mapping and a role's maximum changed by hand): found per person and role, exit 1", async () => {
    // authentik sends 2 h (the SessionDuration mapping edited in authentik); admin in prod now allows 1 h (edited in IAM).
    const mappings = (await peers.ak("GET", "/propertymappings/provider/saml/?page_size=100")).results as { pk: string; name: string; saml_name: string }[];
    const duration = mappings.find((m) => m.saml_name === SESSION_DURATION && m.name.startsWith("aws-gitops"))!;
    await peers.ak("PATCH", `/propertymappings/provider/saml/${duration.pk}/`, { expression: 'return "7200"\n' });
    await new IAMClient(peers.aws(PROD)).send(new UpdateRoleCommand({ RoleName: "admin", MaxSessionDuration: 3600 }));
    const before = await access();
    expect(before.summary.rolesNotUsable).toBe(0);

    const { code, report } = await verify();
    expect(code).toBe(1);
    expect(report.findings.map(line)).toEqual([
      `error session-duration person:vera.admin admin@prod/${PROD}`,
      `error session-duration person:walt.engineer readonly@dev/${DEV}`,
      `error session-duration person:walt.engineer readonly@prod/${PROD}`,
      `error session-duration person:zoe.dataeng data-engineer@dev/${DEV}`,
      `error session-duration person:zoe.dataeng readonly@dev/${DEV}`,
    ]);
    expect(report.findings[0]!.reason).toMatch(/SessionDuration 2h \(7200 s\) \(property mapping 'aws-gitops aws: AWS SessionDuration'\), longer than role arn:aws:iam::111111111111:role\/authentik\/admin's maximum session duration 1h \(3600 s\)/);
  });

  it("--person checks only the people named, someone without access too; an unknown name or a bad option is a usage error (exit 2)", async () => {
    const { code, report } = await verify(["--person", "walt.engineer", "--person", "olga.outsider"]);
    expect(code).toBe(1);
    expect(report.people).toEqual(["olga.outsider", "walt.engineer"]);
    expect(report.grantsChecked).toBe(2);
    expect(new Set(report.findings.map((f) => f.subject.name))).toEqual(new Set(["walt.engineer"]));
    const outsider = await verify(["--person", "olga.outsider"]);
    expect(outsider).toMatchObject({ code: 0, report: { people: ["olga.outsider"], grantsChecked: 0, findings: [] } });

    const unknown = await peers.cli(["verify", "-c", config, "--person", "nobody"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--person "nobody": authentik has no active user of that name');
    const bad = await peers.cli(["verify", "-c", config, "--format", "yaml"]);
    expect(bad.code).toBe(2);
    expect((await peers.cli(["verify", "-c", config, "--certificate-warning-days", "soon"])).code).toBe(2);

    await apply();
    expect((await verify()).code).toBe(0);
  });

  it("apply verifies by itself after a clean apply and says it passed, exit 0; --no-verify skips it; --verify is still accepted", async () => {
    // A trust policy edited by hand: apply mends the role, a link everyone's sign-in may go through.
    const handEdit = () =>
      new IAMClient(peers.aws(PROD)).send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: "readonly",
          PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::${PROD}:saml-provider/other` }, Action: "sts:AssumeRoleWithSAML" }] }),
        }),
      );
    await handEdit();
    const mended = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-color"]);
    expect(mended.code, mended.stdout + mended.stderr).toBe(0);
    expect(mended.stderr).toBe("");
    expect(mended.stdout).toContain("Apply complete");
    expect(mended.stdout).toContain("Verifying the sign-ins of everyone with access…");
    expect(mended.stdout).toContain("3 people checked, 6 sign-ins followed: every sign-in works as configured");
    expect(mended.stdout).toContain("verify passed: every sign-in of the people checked works as configured.");

    await handEdit();
    const skipped = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-color", "--no-verify"]);
    expect(skipped.code, skipped.stdout + skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain("Apply complete");
    expect(skipped.stdout).not.toContain("Verifying");

    await handEdit();
    const asked = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-color", "--verify"]);
    expect(asked.code, asked.stdout + asked.stderr).toBe(0);
    expect(asked.stdout).toContain("Verifying the sign-ins of everyone with access…");
  });

  it("apply exits 1 when the verify after it finds a sign-in that does not work, naming the person and the reason (the apply stays applied): the certificate renewed in authentik is mended by the apply, a hand-made entitlement naming a role IAM lacks is not", async () => {
    await peers.authentik.control.renewKeypair({ name: KEYPAIR });
    const groups = await peers.groupPks();
    const app = await peers.ak("GET", "/core/applications/aws/");
    const breakGlass = await peers.ak("POST", "/core/application_entitlements/", {
      name: "break-glass",
      app: app.pk,
      attributes: { aws_role_arn: `arn:aws:iam::${PROD}:role/break-glass`, aws_saml_provider_arn: `arn:aws:iam::${PROD}:saml-provider/authentik` },
    });
    const binding = await peers.ak("POST", "/policies/bindings/", { target: breakGlass.pbm_uuid, group: groups["engineers"], order: 0 });
    // Before the apply, verify finds both: the certificate for every sign-in (walt's break-glass too), the missing role for walt.
    const before = await verify();
    expect(before.report.findings.filter((f) => f.check === "saml-provider-certificate")).toHaveLength(7);
    expect(before.report.findings.filter((f) => f.check === "role-exists").map(line)).toEqual([`error role-exists person:walt.engineer break-glass@prod/${PROD}`]);

    const r = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-color"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain("Apply complete: 0 created, 2 updated, 0 deleted.");
    // The IAM SAML providers now hold the renewed certificate: only the entitlement is left.
    expect(r.stdout).toContain("Verifying the sign-ins of everyone with access…");
    expect(r.stdout).toMatch(/✗ person walt\.engineer\n {4}error role-exists — break-glass in prod \(111111111111\)\n/);
    expect(r.stdout).not.toContain("saml-provider-certificate");
    expect(r.stdout).toContain("3 people checked, 7 sign-ins followed: 1 error");
    expect(r.stderr).toContain("error: apply complete; verify found 1 sign-in that does not work: walt.engineer — break-glass in prod (111111111111): role-exists");
    expect(r.stderr).toContain("The apply itself is complete and stays applied");
    // What was applied stays applied: a new plan has nothing to do.
    expect((await planNow()).code).toBe(0);

    await peers.ak("DELETE", `/policies/bindings/${binding.pk}/`);
    await peers.ak("DELETE", `/core/application_entitlements/${breakGlass.pbm_uuid}/`);
    expect((await verify()).code).toBe(0);
  });

  it("after an apply, verifies the people the plan affected when it changed no shared link", async () => {
    // engineers gain data-engineer in dev, while a hand-made entitlement sends walt a role IAM lacks.
    const groups = await peers.groupPks();
    const app = await peers.ak("GET", "/core/applications/aws/");
    const breakGlass = await peers.ak("POST", "/core/application_entitlements/", {
      name: "break-glass",
      app: app.pk,
      attributes: { aws_role_arn: `arn:aws:iam::${PROD}:role/break-glass`, aws_saml_provider_arn: `arn:aws:iam::${PROD}:saml-provider/authentik` },
    });
    const binding = await peers.ak("POST", "/policies/bindings/", { target: breakGlass.pbm_uuid, group: groups["engineers"], order: 0 });
    const text = readFileSync(config, "utf8");
    peers.writeConfig("aws-access.yaml", text.replace("  - group: engineers\n    roles: [readonly]\n", "  - group: engineers\n    roles: [readonly]\n  - group: engineers\n    roles: [data-engineer]\n"));
    const r = await peers.cli(["apply", "-c", config, "--auto-approve", "--no-color"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain("Apply complete");
    expect(r.stdout).toContain("Verifying the sign-ins of the 1 person the plan affected…");
    expect(r.stdout).toMatch(/✗ person walt\.engineer\n {4}error role-exists — break-glass in prod \(111111111111\)\n/);
    expect(r.stdout).toContain("1 person checked, 4 sign-ins followed: 1 error");

    await peers.ak("DELETE", `/policies/bindings/${binding.pk}/`);
    await peers.ak("DELETE", `/core/application_entitlements/${breakGlass.pbm_uuid}/`);
    peers.writeConfig("aws-access.yaml", text);
    await apply();
    expect((await verify()).code).toBe(0);
  });
});
