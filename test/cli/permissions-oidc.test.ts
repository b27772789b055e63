/**
 * `permissions --authentik-oidc OWNER/REPO`: the authentik objects that let the Action sign
 * in with GitHub's OIDC token, as a blueprint — valid against the blueprint JSON schema
 * authentik publishes with its source (test/fixtures/authentik-blueprint-schema.json, its
 * origin in its $comment), its tags (!KeyOf, !Find) where the schema expects a reference,
 * its roles those `permissions` prints, and its policy, run by python3, admitting exactly
 * the claims it should.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parseDocument, Scalar } from "yaml";
import type { PermissionsReport } from "../../src/permissions/model.js";
import { runCli } from "../support/run-cli.js";

const root = path.join(import.meta.dirname, "..", "..");
const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runCli(argv, env, root);
const example = (name: string) => path.join(root, "examples", name);
const REPO = "acme/aws-access";

async function report(phase: "plan" | "apply", extra: string[] = [], file = example("classic-iam.yaml")): Promise<PermissionsReport> {
  const r = await run(["permissions", "-c", file, "--for", phase, "--format", "json", ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PermissionsReport;
}

type Tagged = { tag: "KeyOf"; value: string } | { tag: "Find"; value: [string, [string, string]] };
interface Entry {
  model: string;
  id?: string;
  identifiers: Record<string, unknown>;
  attrs: Record<string, unknown>;
}

/** The blueprint as authentik's loader reads it: !KeyOf a scalar, !Find a sequence. */
function parseBlueprint(text: string): { version: number; metadata: { name: string }; entries: Entry[] } {
  const doc = parseDocument(text, {
    customTags: [
      { tag: "!KeyOf", resolve: (value: string) => ({ tag: "KeyOf", value }) },
      { tag: "!Find", collection: "seq", resolve: (seq) => new Scalar({ tag: "Find", value: seq.toJSON() as unknown }) },
    ],
  });
  expect(doc.errors).toEqual([]);
  expect(doc.warnings).toEqual([]);
  return doc.toJS() as ReturnType<typeof parseBlueprint>;
}

const isTag = (v: unknown): v is Tagged => typeof v === "object" && v !== null && "tag" in v && (v.tag === "KeyOf" || v.tag === "Find");

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);
const schema = JSON.parse(readFileSync(path.join(root, "test", "fixtures", "authentik-blueprint-schema.json"), "utf8")) as {
  $defs: Record<string, { properties?: Record<string, { type?: string | string[]; format?: string; items?: { type?: string; format?: string } }> }>;
};

/** What a resolved tag stands for where the schema expects `property`: a pk of the type it names. */
function placeholder(property: { type?: string | string[]; format?: string } | undefined): unknown {
  const type = Array.isArray(property?.type) ? property.type[0] : property?.type;
  if (type === "integer") return 1;
  if (type === "string" && property?.format === "uuid") return "00000000-0000-4000-8000-000000000000";
  throw new Error(`a tag where the schema expects ${JSON.stringify(property)}, not a reference`);
}

/**
 * The blueprint with each tag checked (a !KeyOf names an earlier entry's id, a !Find a model
 * of the schema) and replaced by a value of the type the schema expects there.
 */
function resolveTags(entries: Entry[]): Entry[] {
  const ids = new Set<string>();
  return entries.map((entry) => {
    const properties = schema.$defs[`model_${entry.model}`]?.properties ?? {};
    const resolve = (value: unknown, property: Parameters<typeof placeholder>[0]): unknown => {
      if (!isTag(value)) return value;
      if (value.tag === "KeyOf") expect(ids, `!KeyOf ${value.value} in ${entry.model}`).toContain(value.value);
      else expect(schema.$defs, `!Find ${value.value[0]}`).toHaveProperty([`model_${value.value[0]}`]);
      return placeholder(property);
    };
    const fields = (record: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(record).map(([k, v]) => [k, Array.isArray(v) ? v.map((item) => resolve(item, properties[k]?.items)) : resolve(v, properties[k])]),
      );
    const resolved = { ...entry, identifiers: fields(entry.identifiers), attrs: fields(entry.attrs) };
    if (entry.id) ids.add(entry.id);
    return resolved;
  });
}

/** Runs the policy's expression as authentik's expression policy does (the body of a function of `request`) for each context. */
function evaluatePolicy(expression: string, contexts: Record<string, unknown>[]): Promise<unknown[]> {
  const harness = `
import json, sys, textwrap
data = json.load(sys.stdin)
namespace = {}
exec(compile("def handler(request):\\n" + textwrap.indent(data["expression"], "    "), "policy", "exec"), namespace)
class Request:
    def __init__(self, context):
        self.context = context
print(json.dumps([namespace["handler"](Request(c)) for c in data["contexts"]]))
`;
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-I", "-c", harness], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as unknown[]) : reject(new Error(err))));
    child.stdin.end(JSON.stringify({ expression, contexts }));
  });
}

const claims = (over: Record<string, unknown>) => ({
  oauth_jwt: { iss: "https://token.actions.githubusercontent.com", aud: "authentik-aws-gitops-aws", repository: REPO, sub: `repo:${REPO}:pull_request`, ref: "refs/pull/7/merge", ...over },
});

describe("permissions --authentik-oidc", () => {
  it("declares GitHub's keys, the provider, its application and policy, and both phases' roles, groups and accounts", async () => {
    const plan = await report("plan", ["--authentik-oidc", REPO]);
    const oidc = plan.authentik.oidc!;
    expect(oidc).toMatchObject({
      repository: REPO,
      issuer: "https://token.actions.githubusercontent.com",
      jwksUrl: "https://token.actions.githubusercontent.com/.well-known/jwks",
      // The audience is the client id by default, as the Action's authentik-oidc-audience is.
      audience: "authentik-aws-gitops-aws",
      environment: "aws-apply",
      branch: "main",
      clientId: "authentik-aws-gitops-aws",
      accessTokenValidity: "minutes=10",
    });
    expect(oidc.accounts.map((a) => [a.phase, a.subject, a.username, a.group])).toEqual([
      ["plan", `repo:${REPO}:pull_request`, `authentik-aws-gitops-aws-repo:${REPO}:pull_request`, "authentik-aws-gitops plan aws"],
      ["plan", `repo:${REPO}:ref:refs/heads/main`, `authentik-aws-gitops-aws-repo:${REPO}:ref:refs/heads/main`, "authentik-aws-gitops plan aws"],
      ["apply", `repo:${REPO}:environment:aws-apply`, `authentik-aws-gitops-aws-repo:${REPO}:environment:aws-apply`, "authentik-aws-gitops apply aws"],
    ]);
    // No API token with GitHub OIDC: its note is gone.
    expect(plan.authentik.notes.join("\n")).not.toContain("The API token itself");

    const bp = parseBlueprint(oidc.blueprint);
    expect(bp.version).toBe(1);
    expect(bp.entries.map((e) => e.model)).toEqual([
      "authentik_sources_oauth.oauthsource",
      "authentik_providers_oauth2.oauth2provider",
      "authentik_core.application",
      "authentik_policies_expression.expressionpolicy",
      "authentik_policies.policybinding",
      "authentik_rbac.role",
      "authentik_core.group",
      "authentik_rbac.role",
      "authentik_core.group",
      "authentik_core.user",
      "authentik_core.user",
      "authentik_core.user",
    ]);
    const [source, provider, application, policy, binding] = bp.entries;
    expect(source!.attrs).toMatchObject({ provider_type: "openidconnect", oidc_jwks_url: "https://token.actions.githubusercontent.com/.well-known/jwks" });
    expect(provider!.attrs).toMatchObject({
      name: "authentik-aws-gitops-aws",
      client_id: "authentik-aws-gitops-aws",
      client_type: "confidential",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      access_token_validity: "minutes=10",
      jwt_federation_sources: [{ tag: "KeyOf", value: "github-actions" }],
      property_mappings: [{ tag: "Find", value: ["authentik_providers_oauth2.scopemapping", ["managed", "goauthentik.io/providers/oauth2/scope-authentik_api"]] }],
      authorization_flow: { tag: "Find", value: ["authentik_flows.flow", ["slug", "default-provider-authorization-implicit-consent"]] },
      invalidation_flow: { tag: "Find", value: ["authentik_flows.flow", ["slug", "default-provider-invalidation-flow"]] },
    });
    expect(application!.attrs).toMatchObject({ slug: "authentik-aws-gitops-aws", provider: { tag: "KeyOf", value: "provider" } });
    expect(binding!.identifiers).toEqual({ policy: { tag: "KeyOf", value: "claims" }, target: { tag: "KeyOf", value: "application" } });
    expect(typeof policy!.attrs.expression).toBe("string");
    // The accounts authentik signs in as (<provider name>-<sub>) exist beforehand, each in its phase's group.
    for (const [i, a] of oidc.accounts.entries()) {
      expect(bp.entries[9 + i]!.attrs).toMatchObject({ username: a.username, type: "service_account", groups: [{ tag: "KeyOf", value: `group-${a.phase}` }] });
    }
  });

  it("is a valid blueprint by authentik's published JSON schema", async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    for (const phase of ["plan", "apply"] as const) {
      for (const file of [example("classic-iam.yaml"), example("identity-center.yaml")]) {
        const bp = parseBlueprint((await report(phase, ["--authentik-oidc", REPO], file)).authentik.oidc!.blueprint);
        const resolved = { ...bp, entries: resolveTags(bp.entries) };
        expect(validate(resolved), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
        // The schema allows any other field, and authentik's serializers drop one they do not know without a word: every field must be the model's.
        for (const e of bp.entries) {
          const known = Object.keys(schema.$defs[`model_${e.model}`]!.properties ?? {});
          expect([...Object.keys(e.identifiers), ...Object.keys(e.attrs)].filter((k) => !known.includes(k)), e.model).toEqual([]);
        }
      }
    }
    // The schema is strict enough to catch a mistake: a field of another model, a wrong type.
    const bad = { version: 1, entries: [{ model: "authentik_providers_oauth2.oauth2provider", identifiers: { name: "x" }, attrs: { client_type: "secret" } }] };
    expect(validate(bad)).toBe(false);
  });

  it("gives each phase's account the role `permissions` prints for that phase (pruning included)", async () => {
    for (const prune of ["--prune", "--no-prune"]) {
      const bp = parseBlueprint((await report("plan", ["--authentik-oidc", REPO, prune])).authentik.oidc!.blueprint);
      const role = (phase: string) => bp.entries.find((e) => e.model === "authentik_rbac.role" && e.id === `role-${phase}`)!.attrs;
      for (const phase of ["plan", "apply"] as const) {
        const printed = await report(phase, [prune]);
        expect(role(phase)).toEqual({ name: printed.authentik.roleName, permissions: printed.authentik.permissions });
      }
    }
  });

  it("its policy admits the repository's pull requests and default branch, and its environment only on the default branch", async () => {
    const oidc = (await report("apply", ["--authentik-oidc", REPO])).authentik.oidc!;
    const expression = parseBlueprint(oidc.blueprint).entries[3]!.attrs.expression as string;
    const apply = { sub: `repo:${REPO}:environment:aws-apply`, environment: "aws-apply", ref: "refs/heads/main", event_name: "push" };
    const cases: [string, Record<string, unknown>, boolean][] = [
      ["a pull request", claims({}), true],
      ["the drift check on main", claims({ sub: `repo:${REPO}:ref:refs/heads/main`, ref: "refs/heads/main" }), true],
      ["apply in aws-apply on main", claims(apply), true],
      ["an audience list holding the client id", claims({ aud: ["x", "authentik-aws-gitops-aws"] }), true],
      ["the authentik URL as audience, not the one the policy names", claims({ aud: "https://authentik.company" }), false],
      ["another repository", claims({ repository: "acme/other", sub: "repo:acme/other:pull_request" }), false],
      ["another repository's apply", claims({ ...apply, repository: "acme/other", sub: "repo:acme/other:environment:aws-apply" }), false],
      ["the environment from another branch", claims({ ...apply, ref: "refs/heads/feature" }), false],
      ["another environment", claims({ sub: `repo:${REPO}:environment:staging`, environment: "staging", ref: "refs/heads/main" }), false],
      ["a push to another branch", claims({ sub: `repo:${REPO}:ref:refs/heads/feature`, ref: "refs/heads/feature" }), false],
      ["a merge queue's run", claims({ sub: `repo:${REPO}:ref:refs/heads/gh-readonly-queue/main/pr-7-abc` }), false],
      ["a token for AWS (audience sts.amazonaws.com)", claims({ aud: "sts.amazonaws.com" }), false],
      ["another issuer", claims({ iss: "https://gitlab.com" }), false],
      ["a person signing in (no JWT)", {}, false],
    ];
    expect(await evaluatePolicy(expression, cases.map(([, c]) => c))).toEqual(cases.map(([, , ok]) => ok));
  });

  it("with OWNER@ID/REPO@ID: GitHub's immutable subjects name the accounts, and the policy checks both ids", async () => {
    const IMMUTABLE = "acme@1001/aws-access@2002";
    const oidc = (await report("apply", ["--authentik-oidc", IMMUTABLE])).authentik.oidc!;
    expect(oidc).toMatchObject({ repository: REPO, repositoryId: "2002", ownerId: "1001", subjectFormat: "immutable" });
    const sub = (context: string) => `repo:${IMMUTABLE}:${context}`;
    expect(oidc.accounts.map((a) => [a.subject, a.username])).toEqual([
      [sub("pull_request"), `authentik-aws-gitops-aws-${sub("pull_request")}`],
      [sub("ref:refs/heads/main"), `authentik-aws-gitops-aws-${sub("ref:refs/heads/main")}`],
      [sub("environment:aws-apply"), `authentik-aws-gitops-aws-${sub("environment:aws-apply")}`],
    ]);
    const bp = parseBlueprint(oidc.blueprint);
    expect(bp.entries.filter((e) => e.model === "authentik_core.user").map((e) => e.identifiers.username)).toEqual(oidc.accounts.map((a) => a.username));
    const expression = bp.entries[3]!.attrs.expression as string;
    const ids = { repository_id: "2002", repository_owner_id: "1001" };
    const apply = { ...ids, sub: sub("environment:aws-apply"), environment: "aws-apply", ref: "refs/heads/main", event_name: "push" };
    expect(
      await evaluatePolicy(expression, [
        claims({ ...ids, sub: sub("pull_request") }),
        claims(apply),
        claims({ ...ids, sub: sub("ref:refs/heads/main"), ref: "refs/heads/main" }),
        // The legacy subject of the same repository names no account here.
        claims({ ...ids }),
        // A repository of the same name made again (another id), or an owner renamed and reused.
        claims({ ...ids, sub: sub("pull_request"), repository_id: "9999" }),
        claims({ ...apply, repository_owner_id: "9999" }),
        claims({ sub: sub("pull_request") }),
      ]),
    ).toEqual([true, true, true, false, false, false, false]);
    // The legacy form: the subject without ids, as before.
    expect((await report("plan", ["--authentik-oidc", REPO])).authentik.oidc!).toMatchObject({ subjectFormat: "legacy" });
    for (const bad of ["acme@x/aws-access@2", "acme@1/aws-access", "acme/aws-access@2"]) {
      const r = await run(["permissions", "-c", example("classic-iam.yaml"), "--for", "plan", "--authentik-oidc", bad]);
      expect(r.stderr, bad).toMatch(/OWNER\/REPO .*OWNER@OWNER_ID\/REPO@REPO_ID/);
    }
  });

  it("requires every policy of the application (policy_engine_mode all), not any one", async () => {
    const bp = parseBlueprint((await report("plan", ["--authentik-oidc", REPO])).authentik.oidc!.blueprint);
    expect(bp.entries.find((e) => e.model === "authentik_core.application")!.attrs.policy_engine_mode).toBe("all");
  });

  it("the apply account only for a push, workflow_dispatch or schedule run, and with --authentik-oidc-workflow only that workflow's", async () => {
    const apply = { sub: `repo:${REPO}:environment:aws-apply`, environment: "aws-apply", ref: "refs/heads/main", job_workflow_ref: `${REPO}/.github/workflows/aws-access.yml@refs/heads/main` };
    const events = ["push", "workflow_dispatch", "schedule", "pull_request_target", "workflow_run", "issue_comment"];
    const plain = parseBlueprint((await report("apply", ["--authentik-oidc", REPO])).authentik.oidc!.blueprint).entries[3]!.attrs.expression as string;
    expect(await evaluatePolicy(plain, events.map((event_name) => claims({ ...apply, event_name })))).toEqual([true, true, true, false, false, false]);
    // The plan accounts are read-only: any event may use them.
    expect(await evaluatePolicy(plain, [claims({ event_name: "pull_request_target" })])).toEqual([true]);
    const oidc = (await report("apply", ["--authentik-oidc", REPO, "--authentik-oidc-workflow", "aws-access.yml"])).authentik.oidc!;
    const pinned = parseBlueprint(oidc.blueprint).entries[3]!.attrs.expression as string;
    expect(
      await evaluatePolicy(pinned, [
        claims({ ...apply, event_name: "push" }),
        claims({ ...apply, event_name: "push", job_workflow_ref: `${REPO}/.github/workflows/other.yml@refs/heads/main` }),
        claims({ ...apply, event_name: "push", job_workflow_ref: `${REPO}/.github/workflows/aws-access.yml@refs/heads/feature` }),
        claims({ ...apply, event_name: "push", job_workflow_ref: `acme/other/.github/workflows/aws-access.yml@refs/heads/main` }),
      ]),
    ).toEqual([true, false, false, false]);
    const bad = await run(["permissions", "-c", example("classic-iam.yaml"), "--for", "plan", "--authentik-oidc", REPO, "--authentik-oidc-workflow", "../x.yml"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--authentik-oidc-workflow/);
  });

  it("keeps the application slug within authentik's 50 characters, and the three accounts distinct within its 150", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aag-oidc-"));
    const file = path.join(dir, "aws-access.yaml");
    const slug = "a".repeat(50);
    writeFileSync(file, readFileSync(example("classic-iam.yaml"), "utf8").replace(/slug: aws\b/, `slug: ${slug}`));
    const oidc = (await report("plan", ["--authentik-oidc", REPO], file)).authentik.oidc!;
    const application = parseBlueprint(oidc.blueprint).entries.find((e) => e.model === "authentik_core.application")!;
    const appSlug = application.attrs.slug as string;
    expect(appSlug.length).toBeLessThanOrEqual(50);
    expect(appSlug).toMatch(/^[-a-zA-Z0-9_]+$/);
    expect(application.identifiers).toEqual({ slug: appSlug });
    // The provider keeps its name, which is the client id.
    expect(oidc.clientId).toBe(`authentik-aws-gitops-${slug}`);

    // A long repository: authentik would cut the three names to one; refused, saying what to shorten.
    const longRepo = `acme/${"r".repeat(100)}`;
    const r = await run(["permissions", "-c", file, "--for", "plan", "--authentik-oidc", longRepo]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/150 characters/);
    expect(r.stderr).toMatch(/--authentik-oidc-client-id/);
    // A shorter client id (the provider's name) makes them distinct again.
    const short = (await report("plan", ["--authentik-oidc", longRepo, "--authentik-oidc-client-id", "aag"], file)).authentik.oidc!;
    expect(short.clientId).toBe("aag");
    const names = short.accounts.map((a) => a.username);
    expect(new Set(names).size).toBe(3);
    expect(names.every((n) => Array.from(n).length <= 150)).toBe(true);
    const users = parseBlueprint(short.blueprint).entries.filter((e) => e.model === "authentik_core.user").map((e) => e.identifiers.username);
    expect(users).toEqual(names);
    // Cut names work from authentik 2026.5 only: said in a note; names that fit say nothing.
    expect(short.notes.join("\n")).not.toMatch(/longer than authentik's 150/);
    const cut = (await report("plan", ["--authentik-oidc", longRepo, "--authentik-oidc-client-id", "c".repeat(30)], file)).authentik.oidc!;
    expect(new Set(cut.accounts.map((a) => a.username)).size).toBe(3);
    expect(cut.accounts.map((a) => Array.from(a.username).length)).toContain(150);
    expect(cut.notes.join("\n")).toMatch(/longer than authentik's 150 characters: authentik from 2026\.5 cuts them/);
  });

  it("takes the audience, environment and branch as options, safely quoted into the policy", async () => {
    const hostile = 'prod" or True or "';
    const oidc = (
      await report("apply", ["--authentik-oidc", REPO, "--authentik-oidc-audience", "https://sso.example/", "--authentik-oidc-environment", hostile, "--authentik-oidc-branch", "release/v2"])
    ).authentik.oidc!;
    // The audience as given: the Action requests exactly its input.
    expect(oidc).toMatchObject({ audience: "https://sso.example/", environment: hostile, branch: "release/v2" });
    const expression = parseBlueprint(oidc.blueprint).entries[3]!.attrs.expression as string;
    const base = { aud: "https://sso.example/", sub: `repo:${REPO}:environment:${hostile}`, environment: hostile, ref: "refs/heads/release/v2", event_name: "push" };
    expect(await evaluatePolicy(expression, [claims(base), claims({ ...base, environment: "prod" }), claims({ ...base, ref: "refs/heads/main" })])).toEqual([true, false, false]);
  });

  it("takes GitHub Enterprise Server's issuer, whose JWKS is under it", async () => {
    const oidc = (await report("plan", ["--authentik-oidc", REPO, "--authentik-oidc-issuer", "https://github.example.com/_services/token/"])).authentik.oidc!;
    expect(oidc).toMatchObject({ issuer: "https://github.example.com/_services/token", jwksUrl: "https://github.example.com/_services/token/.well-known/jwks" });
    const bp = parseBlueprint(oidc.blueprint);
    expect(bp.entries[0]!.attrs.oidc_jwks_url).toBe("https://github.example.com/_services/token/.well-known/jwks");
    const expression = bp.entries[3]!.attrs.expression as string;
    expect(await evaluatePolicy(expression, [claims({ iss: "https://github.example.com/_services/token" }), claims({})])).toEqual([true, false]);
    const bad = await run(["permissions", "-c", example("classic-iam.yaml"), "--for", "plan", "--authentik-oidc", REPO, "--authentik-oidc-issuer", "token.actions"]);
    expect(bad.stderr).toBe("error: --authentik-oidc-issuer must be the http(s) URL of GitHub's OIDC issuer (e.g. https://token.actions.githubusercontent.com), not 'token.actions'\n");
  });

  it("prints the set-up in the text output instead of the API token's blueprint", async () => {
    const r = await run(["permissions", "-c", example("classic-iam.yaml"), "--for", "apply", "--authentik-oidc", REPO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("== authentik: GitHub Actions of acme/aws-access sign in with their OIDC token (no API token) ==");
    expect(r.stdout).toContain(`  apply  repo:${REPO}:environment:aws-apply  (apply and expire, in the environment aws-apply on main)\n         → authentik-aws-gitops-aws-repo:${REPO}:environment:aws-apply, in the group "authentik-aws-gitops apply aws"`);
    expect(r.stdout).toContain("note: The workflow: authentik-auth: github-oidc, authentik-client-id: authentik-aws-gitops-aws");
    expect(r.stdout).not.toContain("As an authentik blueprint (role, a group holding it, a service account in the group)");
    expect(r.stdout).not.toContain("The API token itself");
  });

  it("refuses a repository that is not OWNER/REPO; without authentik.url the audience is still the client id", async () => {
    const bad = await run(["permissions", "-c", example("classic-iam.yaml"), "--for", "plan", "--authentik-oidc", "acme"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --authentik-oidc takes the repository whose workflows sign in as OWNER\/REPO \(e\.g\. acme\/aws-access; .*OWNER@OWNER_ID\/REPO@REPO_ID \(e\.g\. acme@1001\/aws-access@2002\), not 'acme'\n$/);
    const dir = mkdtempSync(path.join(tmpdir(), "aag-oidc-"));
    const file = path.join(dir, "aws-access.yaml");
    writeFileSync(file, readFileSync(example("classic-iam.yaml"), "utf8").replace(/^ {2}url: .*\n/m, ""));
    const noUrl = await run(["permissions", "-c", file, "--for", "plan", "--authentik-oidc", REPO]);
    expect(noUrl.code, noUrl.stderr).toBe(0);
    expect((await report("plan", ["--authentik-oidc", REPO], file)).authentik.oidc!.audience).toBe("authentik-aws-gitops-aws");
    // And a client id of one's own is the audience too.
    expect((await report("plan", ["--authentik-oidc", REPO, "--authentik-oidc-client-id", "aag"], file)).authentik.oidc!.audience).toBe("aag");
    expect((await report("plan", ["--authentik-oidc", REPO, "--authentik-oidc-audience", "https://authentik.internal"], file)).authentik.oidc!.audience).toBe("https://authentik.internal");
  });
});
