// verify's pure core (src/verify/): the trust policy evaluator, the classic-iam checks
// and the report, from facts given in — no peers.
import { describe, expect, it } from "vitest";
import { trustPolicy } from "../../src/domain/aws-iam.js";
import type { VerifyFinding } from "../../src/domain/verify.js";
import { renderVerifyMarkdown, renderVerifyOutcomeMarkdown } from "../../src/render/verify-markdown.js";
import { brokenSignInsLine, countedFindings, renderVerifyText } from "../../src/render/verify-text.js";
import { styler } from "../../src/render/terminal-style.js";
import {
  normalizeFingerprint,
  sessionSecondsOfExpression,
  unsentDeclaredRoles,
  verifyClassicIam,
  type ClassicVerifyInput,
  type IamAccountView,
  type SentRole,
} from "../../src/verify/classic-iam.js";
import { buildVerifyReport, peopleAffected, selectPeople, sortFindings, verifyExitCode } from "../../src/verify/core.js";
import { afterApplyTarget } from "../../src/verify/after-apply.js";
import { evaluateTrust } from "../../src/verify/trust.js";

const PROD = "111111111111";
const DEV = "222222222222";
const GLOBAL = "https://signin.aws.amazon.com/saml";
const FRANKFURT = "https://eu-central-1.signin.aws.amazon.com/saml";
const provider = (account: string) => `arn:aws:iam::${account}:saml-provider/authentik`;
const arn = (account: string, name: string) => `arn:aws:iam::${account}:role/authentik/${name}`;
const FP = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";
const OLD_FP = "11".repeat(32);
const NOW = new Date("2026-06-01T00:00:00Z");

const sent = (account: string, name: string, via = ["engineers"]): SentRole => ({ roleArn: arn(account, name), samlProviderArn: provider(account), accountId: account, roleName: name, via });

function iamView(account: string, roles: { name: string; trust?: Record<string, unknown> | null; max?: number }[], certs: string[] | null = [FP]): IamAccountView {
  return {
    roles: roles.map((r) => ({
      arn: arn(account, r.name),
      name: r.name,
      path: "/authentik/",
      trust: r.trust === undefined ? trustPolicy(account, "authentik", [GLOBAL]) : r.trust,
      maxSessionDuration: r.max ?? 3600,
    })),
    samlProviders: new Map([[provider(account), certs === null ? null : { certificates: certs.map((fp) => ({ fingerprintSha256: normalizeFingerprint(fp), notAfter: "2027-01-01T00:00:00.000Z" })) }]]),
  };
}

function input(overrides: Partial<ClassicVerifyInput> = {}): ClassicVerifyInput {
  return {
    accounts: [
      { alias: "prod", id: PROD },
      { alias: "dev", id: DEV },
    ],
    authentik: {
      provider: {
        name: "aws",
        acsUrl: GLOBAL,
        signing: { keypair: "authentik Self-signed Certificate", certificate: { fingerprintSha256: FP, notAfter: "2027-01-01T00:00:00.000Z" } },
        sessionDuration: { mapping: "aws-gitops aws: AWS SessionDuration", seconds: 3600 },
      },
    },
    people: [{ username: "walt", roles: [sent(PROD, "readonly"), sent(DEV, "readonly")] }],
    iam: new Map([
      [PROD, iamView(PROD, [{ name: "readonly" }])],
      [DEV, iamView(DEV, [{ name: "readonly" }])],
    ]),
    now: NOW,
    certificateWarningDays: 30,
    ...overrides,
  };
}

const lines = (findings: VerifyFinding[]) => findings.map((f) => `${f.severity} ${f.check} ${f.subject.name} ${f.grant ?? "-"}@${f.account?.alias ?? "-"}`);

describe("evaluateTrust", () => {
  const request = { samlProviderArn: provider(PROD), audience: GLOBAL };
  it("allows the tool's trust policy, for every endpoint it lists", () => {
    expect(evaluateTrust(trustPolicy(PROD, "authentik", [GLOBAL, FRANKFURT]), request)).toEqual({ allowed: true });
    expect(evaluateTrust(trustPolicy(PROD, "authentik", [GLOBAL, FRANKFURT]), { ...request, audience: FRANKFURT })).toEqual({ allowed: true });
  });
  it("refuses an assertion posted to an endpoint SAML:aud does not list, and says which it lists", () => {
    const v = evaluateTrust(trustPolicy(PROD, "authentik", [FRANKFURT]), request);
    expect(v).toMatchObject({ allowed: false, reason: expect.stringContaining(`allows SAML:aud ${FRANKFURT} only, and authentik posts the assertion to ${GLOBAL}`) });
  });
  it("refuses another provider, naming the one trusted", () => {
    const v = evaluateTrust(trustPolicy(PROD, "other", [GLOBAL]), request);
    expect(v).toMatchObject({ allowed: false, reason: expect.stringContaining(`from ${provider(PROD).replace("authentik", "other")} only, not from ${provider(PROD)}`) });
  });
  it("honours wildcards, StringLike, case of the key and the action, and a Deny", () => {
    const doc = (statements: unknown[]) => ({ Version: "2012-10-17", Statement: statements });
    expect(evaluateTrust(doc([{ Effect: "Allow", Principal: { Federated: provider(PROD) }, Action: "sts:*", Condition: { StringLike: { "saml:AUD": "https://*signin.aws.amazon.com/saml" } } }]), request)).toEqual({ allowed: true });
    expect(evaluateTrust(doc([{ Effect: "Allow", Principal: { Federated: [provider(PROD)] }, Action: ["STS:AssumeRoleWithSAML"] }]), request)).toEqual({ allowed: true });
    expect(
      evaluateTrust(
        doc([
          { Effect: "Allow", Principal: { Federated: provider(PROD) }, Action: "sts:AssumeRoleWithSAML" },
          { Sid: "NoSaml", Effect: "Deny", Principal: "*", Action: "sts:AssumeRoleWithSAML" },
        ]),
        request,
      ),
    ).toMatchObject({ allowed: false, reason: expect.stringContaining("Deny statement (NoSaml)") });
    expect(evaluateTrust(doc([{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "sts:AssumeRole" }]), request)).toMatchObject({ allowed: false, reason: "its trust policy allows no sts:AssumeRoleWithSAML" });
    expect(evaluateTrust(null, request)).toMatchObject({ allowed: false });
  });
  it("says it cannot tell when a statement depends on another condition key", () => {
    const v = evaluateTrust({ Statement: [{ Effect: "Allow", Principal: { Federated: provider(PROD) }, Action: "sts:AssumeRoleWithSAML", Condition: { StringEquals: { "SAML:sub": "x" } } }] }, request);
    expect(v).toMatchObject({ unknown: expect.stringContaining("SAML:sub") });
  });
});

describe("verifyClassicIam", () => {
  it("finds nothing when every link holds, and counts each sign-in followed", () => {
    const r = verifyClassicIam(input());
    expect(r.findings).toEqual([]);
    expect(r.grantsChecked).toBe(2);
  });

  it("a missing role, a trust edited by hand, a short maximum session: each named with person, grant, account and reason", () => {
    const r = verifyClassicIam(
      input({
        authentik: { provider: { ...input().authentik.provider!, sessionDuration: { mapping: "m", seconds: 7200 } } },
        people: [{ username: "walt", roles: [sent(PROD, "readonly"), sent(PROD, "admin", ["aws-admins"]), sent(DEV, "readonly")] }],
        iam: new Map([
          [PROD, iamView(PROD, [{ name: "readonly", trust: trustPolicy(PROD, "authentik", [FRANKFURT]), max: 7200 }])],
          [DEV, iamView(DEV, [{ name: "readonly", max: 3600 }])],
        ]),
      }),
    );
    expect(lines(r.findings).sort()).toEqual([
      "error role-exists walt admin@prod",
      "error session-duration walt readonly@dev",
      "error trust-policy walt readonly@prod",
    ]);
    const trust = r.findings.find((f) => f.check === "trust-policy")!;
    expect(trust.account).toEqual({ alias: "prod", id: PROD });
    expect(trust.reason).toContain(`authentik posts the assertion to ${GLOBAL}`);
    expect(trust.reason).toContain("through group 'engineers'");
    expect(r.findings.find((f) => f.check === "session-duration")!.reason).toMatch(/SessionDuration 2h \(7200 s\).*maximum session duration 1h \(3600 s\)/);
    expect(r.findings.find((f) => f.check === "role-exists")!.reason).toContain(`${arn(PROD, "admin")} (through group 'aws-admins'), but account prod (${PROD}) has no such role`);
  });

  it("an IAM SAML provider holding another certificate than authentik signs with, or none at all", () => {
    const r = verifyClassicIam(
      input({
        iam: new Map([
          [PROD, iamView(PROD, [{ name: "readonly" }], [OLD_FP])],
          [DEV, iamView(DEV, [{ name: "readonly" }], null)],
        ]),
      }),
    );
    expect(lines(r.findings).sort()).toEqual(["error saml-provider-certificate walt readonly@dev", "error saml-provider-certificate walt readonly@prod"]);
    expect(r.findings.find((f) => f.account?.id === PROD)!.reason).toMatch(/holds SHA-256 1111111111111111… \(valid until 2027-01-01\), not the certificate authentik signs with now \(keypair 'authentik Self-signed Certificate', SHA-256 aabbccddeeff0011…/);
    expect(r.findings.find((f) => f.account?.id === DEV)!.reason).toContain("has no such provider");
  });

  it("warns once per person before authentik's certificate expires (configurable), and when it has", () => {
    const soon = (notAfter: string, days = 30) =>
      verifyClassicIam(
        input({
          certificateWarningDays: days,
          authentik: { provider: { ...input().authentik.provider!, signing: { keypair: "kp", certificate: { fingerprintSha256: FP, notAfter } } } },
        }),
      ).findings;
    expect(soon("2026-06-11T00:00:00.000Z")).toMatchObject([{ severity: "warning", check: "certificate-expiry", subject: { kind: "person", name: "walt" }, reason: expect.stringContaining("expires on 2026-06-11, in 10 days") }]);
    expect(soon("2026-06-11T00:00:00.000Z", 5)).toEqual([]);
    expect(soon("2026-05-01T00:00:00.000Z")).toMatchObject([{ severity: "warning", reason: expect.stringContaining("expired on 2026-05-01") }]);
  });

  it("an unsigned provider, an unreadable SessionDuration, an account outside the configuration", () => {
    const r = verifyClassicIam(
      input({
        authentik: { provider: { name: "aws", acsUrl: GLOBAL, signing: "authentik's SAML provider 'aws' signs with no keypair", sessionDuration: { mapping: "odd", unreadable: "its expression is not a single `return <seconds>`" } } },
        people: [{ username: "walt", roles: [sent(PROD, "readonly"), sent("333333333333", "readonly")] }],
      }),
    );
    expect(lines(r.findings).sort()).toEqual(["error saml-provider-certificate walt readonly@prod", "warning session-duration walt readonly@prod"]);
    expect(r.notes).toEqual([expect.stringContaining("account 333333333333 is not in the configuration")]);
    expect(r.grantsChecked).toBe(1);
  });
});

describe("unsentDeclaredRoles", () => {
  const declared = (username: string, group: string, account: string, name: string) => ({ username, group, roleArn: arn(account, name), roleName: name, accountId: account });
  it("names each person the configuration grants a role that authentik does not send, once per role, with the groups and why", () => {
    const findings = unsentDeclaredRoles(
      [declared("walt", "engineers", PROD, "readonly"), declared("walt", "contractors", PROD, "readonly"), declared("walt", "engineers", DEV, "readonly"), declared("olga", "engineers", DEV, "readonly")],
      new Map([["walt", [sent(DEV, "readonly")]]]),
      { accounts: input().accounts, application: "aws", maySignIn: (u) => u !== "olga" },
    );
    expect(lines(findings)).toEqual(["error role-values walt readonly@prod", "error role-values olga readonly@dev"]);
    expect(findings[0]!.reason).toContain("through group 'contractors', 'engineers', and authentik does not send it: no entitlement of application 'aws' carrying");
    expect(findings[1]!.reason).toContain("they may not sign in to application 'aws'");
  });
});

describe("sessionSecondsOfExpression", () => {
  it("reads the tool's expression and the hand-written forms, and nothing else", () => {
    expect(sessionSecondsOfExpression('# Managed by authentik-aws-gitops: edits are overwritten.\nreturn "3600"\n')).toEqual({ seconds: 3600 });
    expect(sessionSecondsOfExpression("return 7200")).toEqual({ seconds: 7200 });
    expect(sessionSecondsOfExpression("return '900'\n")).toEqual({ seconds: 900 });
    expect(sessionSecondsOfExpression("if user.is_superuser:\n    return 7200\nreturn 3600")).toHaveProperty("unreadable");
  });
});

describe("the report", () => {
  const finding = (name: string, severity: VerifyFinding["severity"], check: VerifyFinding["check"] = "trust-policy"): VerifyFinding => ({
    severity,
    check,
    subject: { kind: "person", name },
    grant: "readonly",
    account: { alias: "prod", id: PROD },
    reason: `reason for ${name}`,
  });

  it("selects everyone with access, or the people named (unknown names apart)", () => {
    expect(selectPeople(["b", "a", "b"], new Set(["a", "b", "c"]), undefined)).toEqual({ people: ["a", "b"], unknown: [] });
    expect(selectPeople(["a"], new Set(["a", "c"]), ["c", "zed", "c"])).toEqual({ people: ["c"], unknown: ["zed"] });
  });

  it("sorts and de-duplicates findings, counts them, and exits 1 only on an error", () => {
    const report = buildVerifyReport({
      config: "aws-access.yaml",
      mode: "classic-iam",
      checkedAt: NOW,
      people: ["zoe", "amy"],
      grantsChecked: 3,
      findings: [finding("zoe", "warning", "certificate-expiry"), finding("amy", "error"), finding("zoe", "error"), finding("amy", "error")],
    });
    expect(report).toMatchObject({ version: 1, mode: "classic-iam", checkedAt: "2026-06-01T00:00:00.000Z", people: ["amy", "zoe"], summary: { errors: 2, warnings: 1 }, notes: [] });
    expect(report.findings.map((f) => `${f.subject.name} ${f.severity}`)).toEqual(["amy error", "zoe error", "zoe warning"]);
    expect(verifyExitCode(report)).toBe(1);
    expect(verifyExitCode({ findings: [finding("a", "warning")] })).toBe(0);
    expect(sortFindings([])).toEqual([]);
  });

  it("after an apply, verifies the people its access rows name, or everyone when a shared link changed or names are not shown", () => {
    const row = (names?: string[]) => ({ people: { count: names?.length ?? 2, ...(names ? { names } : {}) } });
    const binding = { type: "authentik.policy_binding" };
    expect(peopleAffected({ access: [row(["zoe", "amy"]), row(["amy"])], changes: [binding] })).toEqual(["amy", "zoe"]);
    expect(peopleAffected({ access: [], changes: [binding] })).toEqual([]);
    expect(peopleAffected({ access: [row(["amy"])], changes: [binding, { type: "aws.iam.role" }] })).toBeUndefined();
    expect(peopleAffected({ access: [row()], changes: [binding] })).toBeUndefined();
    // identity-center: a permission set (its policies, its provisioning), ABAC or SCIM reach everyone who holds it.
    for (const type of ["aws.sso.permission_set", "aws.sso.access_control_attributes", "authentik.scim_provider", "authentik.scim_mapping"]) {
      expect(peopleAffected({ access: [], changes: [{ type }] }), type).toBeUndefined();
    }
    expect(peopleAffected({ access: [row(["amy"])], changes: [{ type: "aws.sso.account_assignment" }] })).toEqual(["amy"]);
    expect(afterApplyTarget({ access: [], changes: [] } as never)).toEqual({ kind: "nobody" });
    expect(afterApplyTarget({ access: [row(["amy"])], changes: [binding] } as never)).toEqual({ kind: "people", people: ["amy"] });
    expect(afterApplyTarget({ access: [row(["amy"])], changes: [{ type: "aws.iam.role" }] } as never)).toEqual({ kind: "everyone", scope: "shared-link" });
    expect(afterApplyTarget({ access: [row()], changes: [binding] } as never)).toEqual({ kind: "everyone", scope: "unnamed" });
  });

  it("after an apply: one line naming each broken sign-in, for a failure message; a markdown block under a line saying whom verify checked, cut to its room", () => {
    const report = buildVerifyReport({
      config: "c.yaml",
      mode: "classic-iam",
      checkedAt: NOW,
      people: ["amy", "zoe"],
      grantsChecked: 4,
      findings: [finding("zoe", "error"), finding("amy", "error"), finding("amy", "warning", "certificate-expiry")],
    });
    expect(brokenSignInsLine(report)).toBe("verify found 2 sign-ins that do not work: amy — readonly in prod (111111111111): trust-policy; zoe — readonly in prod (111111111111): trust-policy");
    expect(brokenSignInsLine(report, 1)).toBe("verify found 2 sign-ins that do not work: amy — readonly in prod (111111111111): trust-policy; and 1 more");
    expect(brokenSignInsLine({ people: [], findings: [{ ...finding("engineers", "error", "provisioning"), subject: { kind: "group", name: "engineers" } }] })).toBe(
      "verify found 1 sign-in that does not work: group engineers — readonly in prod (111111111111): provisioning",
    );

    const md = renderVerifyOutcomeMarkdown({ kind: "checked", report, scope: "affected", people: "names" });
    expect(md.split("\n")[0]).toBe("**Sign-ins that do not work** (the 2 people the plan affected): 2 people checked, 4 sign-ins followed: 2 errors, 1 warning.");
    expect(md).toContain("| ❌ error | person amy | readonly in prod \\(111111111111\\) | `trust-policy` |");
    const clean = buildVerifyReport({ config: "c.yaml", mode: "classic-iam", checkedAt: NOW, people: ["amy"], grantsChecked: 1, findings: [] });
    expect(renderVerifyOutcomeMarkdown({ kind: "checked", report: clean, scope: "shared-link", people: "names" }).split("\n")[0]).toBe(
      "**Sign-ins verified** (everyone with access: the plan changed a link every sign-in goes through): 1 person checked, 1 sign-in followed: every sign-in works as configured.",
    );
    expect(renderVerifyOutcomeMarkdown({ kind: "nobody" })).toBe("**Sign-ins**: the plan changed nobody's access, so verify had nobody to check.\n");
    // A reason from an API error is escaped like every other text.
    expect(renderVerifyOutcomeMarkdown({ kind: "not-run", reason: "authentik said <!-- x --> @admins" })).toBe(
      "**Sign-ins not verified**: verify could not run: authentik said &lt;\\!-- x --&gt; <code>@admins</code>\n",
    );

    // Many findings in little room: as many rows as fit, and where the rest is.
    const many = buildVerifyReport({ config: "c.yaml", mode: "classic-iam", checkedAt: NOW, people: ["amy"], grantsChecked: 1, findings: Array.from({ length: 400 }, (_, i) => finding(`person-${String(i).padStart(3, "0")}`, "error")) });
    const cut = renderVerifyOutcomeMarkdown({ kind: "checked", report: many, scope: "everyone", people: "names" }, { maxLength: 8_000, fullReportHint: "the `verify-json` output" });
    expect(cut.length).toBeLessThanOrEqual(8_000);
    expect(cut).toMatch(/> Too long to show here: \d+ of 400 findings; every one is in the `verify-json` output\./);
    expect(cut).toContain("| ❌ error | person person-000 |");
    expect(renderVerifyMarkdown(many, { maxLength: 5_000 }).length).toBeLessThanOrEqual(5_000);
  });

  it("with review.people count or off, what verify finds unasked names nobody: counted per link, grant and account; a reason naming a person withheld", () => {
    const reason = "its trust policy allows SAML:aud https://eu-central-1.signin.aws.amazon.com/saml only";
    const plain = (name: string, check: VerifyFinding["check"] = "trust-policy"): VerifyFinding => ({ ...finding(name, "error", check), reason });
    const named = { ...finding("zoe", "error", "role-values"), reason: "the configuration grants zoe role readonly here through group 'engineers', and authentik does not send it" };
    const report = buildVerifyReport({
      config: "c.yaml",
      mode: "classic-iam",
      checkedAt: NOW,
      people: ["amy", "zoe"],
      grantsChecked: 4,
      findings: [plain("zoe"), plain("amy"), named, { ...plain("engineers", "provisioning"), subject: { kind: "group", name: "engineers" } }],
      notes: ["amy is in no group", "a binding to a policy cannot be evaluated"],
    });
    expect(countedFindings(report, "count").map((f) => [f.who, f.check, f.reason])).toEqual([
      ["2 people", "trust-policy", reason],
      ["group engineers", "provisioning", reason],
      ["1 person", "role-values", "(not shown: the reason names the person, and review.people is count)"],
    ]);
    expect(brokenSignInsLine(report, 5, "count")).toBe(
      "verify found 4 sign-ins that do not work: 2 people — readonly in prod (111111111111): trust-policy; group engineers — readonly in prod (111111111111): provisioning; 1 person — readonly in prod (111111111111): role-values",
    );
    for (const people of ["count", "off"] as const) {
      const md = renderVerifyOutcomeMarkdown({ kind: "checked", report, scope: "affected", people });
      const text = renderVerifyText(report, styler(false), people);
      for (const out of [md, text, brokenSignInsLine(report, 5, people)]) {
        expect(out).not.toMatch(/\bamy\b|\bzoe\b/);
      }
      expect(md).toContain("a binding to a policy cannot be evaluated");
    }
    expect(renderVerifyOutcomeMarkdown({ kind: "checked", report, scope: "affected", people: "count" })).toContain("(the 2 people the plan affected): 2 people checked, 4 sign-ins followed: 4 errors.");
    expect(renderVerifyOutcomeMarkdown({ kind: "checked", report, scope: "affected", people: "off" })).toContain("(the people the plan affected): 4 sign-ins followed: 4 errors.");
    expect(renderVerifyText(report, styler(false), "off")).toContain("✗ people: error trust-policy — readonly in prod (111111111111)");
  });

  it("renders hostile names escaped in text and markdown", () => {
    const hostile = "evil\u001b[31m<img src=x>|`@admins\u202e";
    const report = buildVerifyReport({ config: "c.yaml", mode: "classic-iam", checkedAt: NOW, people: [hostile, "ok"], grantsChecked: 2, findings: [finding(hostile, "error")], notes: [`note ${hostile}`] });
    const text = renderVerifyText(report, styler(false));
    expect(text).not.toMatch(/\u001b|\u202e/);
    expect(text).toContain("\\u001b[31m");
    expect(text).toContain("1 person without findings: ok");
    expect(text).toContain("2 people checked, 2 sign-ins followed: 1 error");
    const md = renderVerifyMarkdown(report);
    expect(md).not.toMatch(/\u001b|\u202e|<img/);
    expect(md).not.toMatch(/[^\\]\|`@admins/);
    expect(md).toContain("❌ error");
  });
});
