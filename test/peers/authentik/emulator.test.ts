// Behaviour tests for the authentik /api/v3 emulator: the authentik facts the
// tool relies on (DESIGN.md) must hold here, and every response the emulator
// sends must pass its own schema validation (emulatorErrors stays empty).
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authentikControls } from "./controls.js";
import { KNOWN_PERMISSIONS } from "./permissions.js";
import { type AuthentikEmulator, startAuthentikEmulator } from "./server.js";

const TOKEN = "emulator-test-token";
let emu: AuthentikEmulator;

interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

async function api<T = any>(method: string, path: string, body?: unknown, opts: { token?: string | null } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${emu.url}/api/v3${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, headers: res.headers, body: (type.includes("json") && text ? JSON.parse(text) : text) as T };
}

const get = <T = any>(path: string, opts?: { token?: string | null }) => api<T>("GET", path, undefined, opts);
const post = <T = any>(path: string, body: unknown) => api<T>("POST", path, body);

async function one(path: string): Promise<any> {
  const r = await get(path);
  expect(r.status).toBe(200);
  expect(r.body.results).toHaveLength(1);
  return r.body.results[0];
}

async function flowPk(slug: string): Promise<string> {
  return (await one(`/flows/instances/?slug=${slug}`)).pk;
}

async function samlProvider(name: string, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await post("/providers/saml/", {
    name,
    authorization_flow: await flowPk("default-provider-authorization-implicit-consent"),
    invalidation_flow: await flowPk("default-provider-invalidation-flow"),
    acs_url: "https://signin.aws.amazon.com/saml",
    audience: "urn:amazon:webservices",
    ...extra,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

beforeAll(async () => {
  emu = await startAuthentikEmulator({ token: TOKEN });
});

afterAll(async () => {
  await emu?.stop();
});

describe("authentication", () => {
  it("answers 403 with a detail for a missing or wrong token", async () => {
    const missing = await get("/core/groups/", { token: null });
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ detail: expect.any(String) });
    const wrong = await get("/core/groups/", { token: "nope" });
    expect(wrong.status).toBe(403);
    expect(wrong.body.detail).toMatch(/invalid/i);
    expect((await get("/core/groups/")).status).toBe(200);
  });

  it("reports the configured version", async () => {
    expect((await get("/admin/version/")).body.version_current).toBe("2026.8.3");
    const other = await startAuthentikEmulator({ token: "t", version: "2025.10.2" });
    try {
      const r = await fetch(`${other.url}/api/v3/admin/version/`, { headers: { authorization: "Bearer t" } });
      expect(((await r.json()) as { version_current: string }).version_current).toBe("2025.10.2");
    } finally {
      await other.stop();
    }
  });
});

describe("fresh install seed", () => {
  it("has the default flows, keypair, mappings and admin", async () => {
    const implicit = await one("/flows/instances/?slug=default-provider-authorization-implicit-consent");
    expect(implicit.designation).toBe("authorization");
    expect((await one("/flows/instances/?slug=default-provider-invalidation-flow")).designation).toBe("invalidation");
    expect((await one("/flows/instances/?slug=default-authentication-flow")).designation).toBe("authentication");
    const kp = await one("/crypto/certificatekeypairs/?name=authentik%20Self-signed%20Certificate");
    expect(kp.private_key_available).toBe(true);
    const email = await one("/propertymappings/provider/saml/?managed=goauthentik.io/providers/saml/email");
    expect(email.name).toBe("authentik default SAML Mapping: Email");
    expect((await one("/propertymappings/provider/scim/?name=authentik%20default%20SCIM%20Mapping%3A%20User")).managed).toBe("goauthentik.io/providers/scim/user");
    const admin = await one("/core/users/?username=akadmin");
    expect(admin.is_superuser).toBe(true);
    expect(admin.groups_obj.map((g: { name: string }) => g.name)).toEqual(["authentik Admins"]);
  });
});

describe("pagination", () => {
  it("pages with next/previous = 0 at the ends", async () => {
    for (let i = 0; i < 25; i++) expect((await post("/core/groups/", { name: `page-group-${String(i).padStart(2, "0")}` })).status).toBe(201);
    const total = (await get("/core/groups/?page_size=1")).body.pagination.count as number;
    expect(total).toBeGreaterThanOrEqual(26);

    const first = await get("/core/groups/");
    expect(first.body.results).toHaveLength(20);
    expect(first.body.pagination).toEqual({ next: 2, previous: 0, count: total, current: 1, total_pages: Math.ceil(total / 20), start_index: 1, end_index: 20 });

    const last = await get(`/core/groups/?page=${Math.ceil(total / 20)}`);
    expect(last.body.pagination.next).toBe(0);
    expect(last.body.pagination.previous).toBe(Math.ceil(total / 20) - 1);
    expect(last.body.pagination.end_index).toBe(total);

    const all = await get("/core/groups/?page_size=100");
    expect(all.body.results).toHaveLength(total);
    expect(all.body.pagination).toMatchObject({ next: 0, previous: 0, total_pages: 1 });

    const clamped = await get("/core/groups/?page_size=1000");
    expect(clamped.body.results).toHaveLength(Math.min(total, 100));

    expect((await get("/core/groups/?page=999")).status).toBe(404);

    const byName = await get("/core/groups/?name=page-group-07");
    expect(byName.body.results.map((g: { name: string }) => g.name)).toEqual(["page-group-07"]);
  });
});

describe("request validation", () => {
  it("rejects a body that breaks the schema in authentik's 400 shape and records it", async () => {
    const before = emu.invalidRequests().length;
    const r = await post("/core/groups/", { name: 5, is_superuser: "yes" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ name: ["Not a valid string."], is_superuser: ["Must be a valid boolean."] });
    const missing = await post("/core/application_entitlements/", { attributes: {} });
    expect(missing.body).toEqual({ name: ["This field is required."], app: ["This field is required."] });
    expect(emu.invalidRequests().length).toBe(before + 2);
    expect(emu.invalidRequests().at(-1)!.operationId).toBe("core_application_entitlements_create");
  });

  it("ignores unknown fields but records a warning", async () => {
    const r = await post("/core/groups/", { name: "with-unknown-field", colour: "blue" });
    expect(r.status).toBe(201);
    expect(r.body).not.toHaveProperty("colour");
    expect(emu.requests.at(-1)!.warnings).toContain("unknown body field ignored: colour");
    expect(emu.requests.at(-1)!.invalid).toEqual([]);
  });

  it("rejects paths and methods authentik does not have", async () => {
    expect((await get("/core/nonexistent/")).status).toBe(404);
    expect((await api("POST", "/providers/all/", {})).status).toBe(405);
    expect((await get("/providers/saml/not-a-number/")).status).toBe(404);
  });
});

describe("property mappings", () => {
  it("keeps names unique across all mapping types", async () => {
    const clash = await post("/propertymappings/provider/saml/", { name: "authentik default SCIM Mapping: User", saml_name: "x", expression: "return 1" });
    expect(clash.status).toBe(400);
    expect(clash.body).toEqual({ name: ["Property Mapping with this name already exists."] });

    expect((await post("/propertymappings/provider/scim/", { name: "shared-name", expression: "return {}" })).status).toBe(201);
    const again = await post("/propertymappings/provider/saml/", { name: "shared-name", saml_name: "x", expression: "return 1" });
    expect(again.body.name).toEqual(["Property Mapping with this name already exists."]);
  });

  it("compiles expressions on save: top-level return is fine, syntax errors are 400", async () => {
    const good = await post("/propertymappings/provider/saml/", { name: "compiles", saml_name: "x", expression: "if True:\n    return 'a'\nreturn 'b'" });
    expect(good.status).toBe(201);
    const bad = await post("/propertymappings/provider/saml/", { name: "broken", saml_name: "x", expression: "return (" });
    expect(bad.status).toBe(400);
    expect(bad.body.expression).toHaveLength(1);
    expect(bad.body.expression[0]).toMatch(/^Expression Syntax Error: .*line 2\)$/);

    const patched = await api("PATCH", `/propertymappings/provider/saml/${good.body.pk}/`, { expression: "return )" });
    expect(patched.status).toBe(400);
    expect(patched.body.expression[0]).toContain("(compiles, line 2)"); // the mapping's name is the filename
  });
});

describe("SAML provider and metadata", () => {
  it("validates required fields, flow references and the signing rule", async () => {
    const missing = await post("/providers/saml/", { name: "incomplete" });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body).sort()).toEqual(["acs_url", "authorization_flow", "invalidation_flow"]);

    const badFlow = await post("/providers/saml/", {
      name: "bad-flow",
      authorization_flow: "00000000-0000-4000-8000-000000000000",
      invalidation_flow: await flowPk("default-provider-invalidation-flow"),
      acs_url: "https://signin.aws.amazon.com/saml",
    });
    expect(badFlow.body).toEqual({ authorization_flow: ['Invalid pk "00000000-0000-4000-8000-000000000000" - object does not exist.'] });

    const kp = await one("/crypto/certificatekeypairs/?name=authentik%20Self-signed%20Certificate");
    const unsigned = await post("/providers/saml/", {
      name: "signing-without-flags",
      authorization_flow: await flowPk("default-provider-authorization-implicit-consent"),
      invalidation_flow: await flowPk("default-provider-invalidation-flow"),
      acs_url: "https://signin.aws.amazon.com/saml",
      signing_kp: kp.pk,
    });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.non_field_errors[0]).toMatch(/signing keypair/);
  });

  it("serves no metadata until an application links the provider, then XML with the certificate", async () => {
    const kp = await one("/crypto/certificatekeypairs/?name=authentik%20Self-signed%20Certificate");
    const provider = await samlProvider("aws", { signing_kp: kp.pk, sign_assertion: true });
    expect(provider.url_sso_redirect).toBe("-");

    // 2026.8 (the default release) answers 404; releases up to 2026.2 {"metadata": ""} (see below).
    const none = await get(`/providers/saml/${provider.pk}/metadata/`, { token: null });
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ detail: "Not found." });

    expect((await post("/core/applications/", { name: "AWS", slug: "aws", provider: provider.pk })).status).toBe(201);
    const linked = await get(`/providers/saml/${provider.pk}/metadata/`, { token: null });
    const xml: string = linked.body.metadata;
    expect(xml).toContain("<md:EntityDescriptor");
    expect(xml).toContain(`Location="${emu.url}/application/saml/aws/sso/binding/redirect/"`);
    const b64 = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(xml)![1]!;
    const cert = new X509Certificate(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
    expect(cert.fingerprint256.toLowerCase()).toBe(kp.fingerprint_sha256);

    const download = await get(`/providers/saml/${provider.pk}/metadata/?download`, { token: null });
    expect(download.headers.get("content-type")).toBe("application/xml");
    expect(download.headers.get("content-disposition")).toBe('attachment; filename="aws_authentik_meta.xml"');
    expect(download.body).toContain("<md:IDPSSODescriptor");

    const read = await get(`/providers/saml/${provider.pk}/`);
    expect(read.body.assigned_application_slug).toBe("aws");
    expect(read.body.url_sso_redirect).toBe(`${emu.url}/application/saml/aws/sso/binding/redirect/`);
  });

  it("unlinks the application when the provider is deleted", async () => {
    const provider = await samlProvider("short-lived");
    expect((await post("/core/applications/", { name: "Short", slug: "short", provider: provider.pk })).status).toBe(201);
    const taken = await post("/core/applications/", { name: "Other", slug: "other-app", provider: provider.pk });
    expect(taken.body).toEqual({ provider: ["Application with this provider already exists."] });
    expect((await api("DELETE", `/providers/saml/${provider.pk}/`)).status).toBe(204);
    expect((await get("/core/applications/short/")).body.provider).toBeNull();
  });
});

describe("entitlements and policy bindings", () => {
  it("enforces the binding rules", async () => {
    const app = (await post("/core/applications/", { name: "Bindings", slug: "bindings" })).body;
    const ent = (await post("/core/application_entitlements/", { name: "admin@prod", app: app.pk, attributes: { role: "x" } })).body;
    expect(ent.pbm_uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await post("/core/application_entitlements/", { name: "admin@prod", app: app.pk })).body).toEqual({
      non_field_errors: ["The fields app, name must make a unique set."],
    });
    const group = (await post("/core/groups/", { name: "binding-group" })).body;
    const admin = await one("/core/users/?username=akadmin");

    const both = await post("/policies/bindings/", { target: ent.pbm_uuid, group: group.pk, user: admin.pk, order: 0 });
    expect(both.body).toEqual({ non_field_errors: ["Only one of 'group', 'user' can be set."] });
    const neither = await post("/policies/bindings/", { target: ent.pbm_uuid, order: 0 });
    expect(neither.body).toEqual({ non_field_errors: ["One of 'group', 'user' must be set."] });
    const noOrder = await post("/policies/bindings/", { target: ent.pbm_uuid, group: group.pk });
    expect(noOrder.body).toEqual({ order: ["This field is required."] });
    const badTarget = await post("/policies/bindings/", { target: group.pk, group: group.pk, order: 0 });
    expect(badTarget.body).toEqual({ target: [`Invalid pk "${group.pk}" - object does not exist.`] });

    const ok = await post("/policies/bindings/", { target: ent.pbm_uuid, group: group.pk, order: 0 });
    expect(ok.status).toBe(201);
    expect(ok.body.group_obj.name).toBe("binding-group");
    // authentik does not deduplicate group bindings: the tool must.
    expect((await post("/policies/bindings/", { target: ent.pbm_uuid, group: group.pk, order: 0 })).status).toBe(201);
    expect((await get(`/policies/bindings/?target=${ent.pbm_uuid}`)).body.pagination.count).toBe(2);

    // validate() only sees the submitted fields: PATCH without target crashes authentik.
    const patch = await api("PATCH", `/policies/bindings/${ok.body.pk}/`, { order: 5 });
    expect(patch.status).toBe(500);
    expect(emu.requests.at(-1)!.warnings.join()).toMatch(/without `target`/);
    emu.emulatorErrors.length = 0; // that 500 is intended, not an emulator bug
  });

  it("cascades application deletion to entitlements and their bindings", async () => {
    const app = (await post("/core/applications/", { name: "Cascade", slug: "cascade" })).body;
    const ent = (await post("/core/application_entitlements/", { name: "e", app: app.pk })).body;
    const group = (await post("/core/groups/", { name: "cascade-group" })).body;
    expect((await post("/policies/bindings/", { target: ent.pbm_uuid, group: group.pk, order: 0 })).status).toBe(201);
    expect((await api("DELETE", "/core/applications/cascade/")).status).toBe(204);
    expect((await get(`/core/application_entitlements/${ent.pbm_uuid}/`)).status).toBe(404);
    expect((await get(`/policies/bindings/?target=${ent.pbm_uuid}`)).body.pagination.count).toBe(0);
  });
});

describe("property mapping test endpoint", () => {
  const HOSTILE = [
    `quote ' and " and ''' and """`,
    "new\nline and \r\n crlf",
    "back\\slash \\n \\x00 \\u0041",
    "ünïcødé ✓ 🚀 \u202e rtl",
    "'); import os; os._exit(1) #",
    "{0} %s ${x}",
  ];

  it("evaluates entitlement expressions for a user, hostile names included", async () => {
    const provider = await samlProvider("entitlement-test");
    const app = (await post("/core/applications/", { name: "Ent", slug: "ent-test", provider: provider.pk })).body;
    const group = (await post("/core/groups/", { name: `grp ${HOSTILE[0]} ${HOSTILE[1]}` })).body;
    const parent = (await post("/core/groups/", { name: `parent ${HOSTILE[3]}` })).body;
    expect((await api("PATCH", `/core/groups/${group.pk}/`, { parents: [parent.pk] })).status).toBe(200);
    const user = (await post("/core/users/", { username: "hostile-user", name: `Name ${HOSTILE[2]}`, email: "h@example.com", groups: [group.pk] })).body;
    for (const name of HOSTILE) {
      const ent = (await post("/core/application_entitlements/", { name, app: app.pk, attributes: { arn: `arn:${name}` } })).body;
      // bind half directly, half through the parent group (all_groups() includes ancestors)
      const bindTo = HOSTILE.indexOf(name) % 2 === 0 ? group.pk : parent.pk;
      expect((await post("/policies/bindings/", { target: ent.pbm_uuid, group: bindTo, order: 0 })).status).toBe(201);
    }
    const unbound = (await post("/core/application_entitlements/", { name: "not bound", app: app.pk })).body;
    expect(unbound.pbm_uuid).toBeDefined();

    const mapping = (
      await post("/propertymappings/provider/saml/", {
        name: "AWS Role (test)",
        saml_name: "https://aws.amazon.com/SAML/Attributes/Role",
        expression: [
          "ents = request.user.app_entitlements(provider.application)",
          "groups = sorted(g.name for g in user.all_groups())",
          "ak_logger.info('evaluated', count=len(ents))",
          "return {'roles': [e.attributes['arn'] for e in ents], 'names': [e.name for e in ents], 'groups': groups, 'name': request.user.name}",
        ].join("\n"),
      })
    ).body;
    expect((await api("PATCH", `/providers/saml/${provider.pk}/`, { property_mappings: [mapping.pk] })).status).toBe(200);

    // authentik's test endpoint passes no `provider` (only the SAML assertion does)…
    const r = await post(`/propertymappings/all/${mapping.pk}/test/`, { user: user.pk });
    expect(r.status).toBe(200);
    expect(r.body.successful).toBe(false);
    expect(r.body.result).toContain("NameError");
    // …and a `context.provider` reaches the expression as the JSON value it is, not a model.
    const asPk = await post(`/propertymappings/all/${mapping.pk}/test/`, { user: user.pk, context: { provider: provider.pk } });
    expect(asPk.body.successful).toBe(false);
    expect(asPk.body.result).toContain("AttributeError");
    // The emulator's own control evaluates it as the assertion does.
    const assertion = await authentikControls(emu).evaluateInAssertion({ mapping: mapping.pk, user: user.pk });
    expect(assertion.successful, assertion.result).toBe(true);
    const result = JSON.parse(assertion.result);
    expect([...result.names].sort()).toEqual([...HOSTILE].sort());
    expect([...result.roles].sort()).toEqual(HOSTILE.map((n) => `arn:${n}`).sort());
    expect(result.groups).toEqual([group.name, parent.name].sort());
    expect(result.name).toBe(`Name ${HOSTILE[2]}`);
    // authentik json.dumps with ensure_ascii: non-ASCII travels escaped
    expect(r.body.result).not.toMatch(/[^\x00-\x7f]/);

    // format_result indents the JSON (the test endpoint's own option; an expression without `provider`).
    const plain = (await post("/propertymappings/provider/saml/", { name: "AWS Role (format)", saml_name: "x", expression: "return {'roles': [request.user.name]}" })).body;
    const formatted = await post(`/propertymappings/all/${plain.pk}/test/?format_result=true`, { user: user.pk });
    expect(formatted.body.result).toContain('\n    "roles"');
  });

  it("needs view_ and add_propertymapping, and view_user / view_group for the user or group it names", async () => {
    const m = (await post("/propertymappings/provider/scim/", { name: "permissions of test", expression: "return 1" })).body;
    const admin = await one("/core/users/?username=akadmin");
    const group = await one("/core/groups/?name=authentik%20Admins");
    const control = authentikControls(emu);
    const test = (body: Record<string, unknown>) => post(`/propertymappings/all/${m.pk}/test/`, body);
    const mapping = ["authentik_core.view_propertymapping", "authentik_core.add_propertymapping"];
    try {
      control.tokenUser({ superuser: false, permissions: ["authentik_core.view_propertymapping"] });
      expect((await test({})).status).toBe(403);
      control.tokenUser({ superuser: false, permissions: mapping });
      expect((await test({})).body).toEqual({ result: "1", successful: true });
      expect((await test({ user: admin.pk })).status).toBe(403);
      control.tokenUser({ superuser: false, permissions: [...mapping, "authentik_core.view_user"] });
      expect((await test({ user: admin.pk })).status).toBe(200);
      expect((await test({ group: group.pk })).status).toBe(403);
      control.tokenUser({ superuser: false, permissions: [...mapping, "authentik_core.view_group"] });
      expect((await test({ group: group.pk })).status).toBe(200);
      const used = control.permissionsUsed(emu.requests.length - 1);
      expect(used).toEqual([expect.objectContaining({ operationId: "propertymappings_all_test_create", status: 200, permissions: [...mapping, "authentik_core.view_group"], missing: [] })]);
    } finally {
      control.tokenUser({ superuser: true });
    }
  });

  it("reports expression failures as unsuccessful results with a traceback", async () => {
    const m = (await post("/propertymappings/provider/scim/", { name: "raises", expression: "return user.does_not_exist" })).body;
    const admin = await one("/core/users/?username=akadmin");
    const r = await post(`/propertymappings/all/${m.pk}/test/`, { user: admin.pk });
    expect(r.body.successful).toBe(false);
    expect(r.body.result).toMatch(/^Traceback \(most recent call last\):/);
    expect(r.body.result).toContain("builtins.AttributeError");

    const killer = (await post("/propertymappings/provider/scim/", { name: "exits", expression: "import os\nos._exit(3)" })).body;
    const died = await post(`/propertymappings/all/${killer.pk}/test/`, { user: admin.pk });
    expect(died.body.successful).toBe(false);

    const group = await one("/core/groups/?name=authentik%20Admins");
    const scimGroup = await one("/propertymappings/provider/scim/?managed=goauthentik.io/providers/scim/group");
    const g = await post(`/propertymappings/all/${scimGroup.pk}/test/`, { group: group.pk });
    expect(JSON.parse(g.body.result)).toEqual({ displayName: "authentik Admins" });
  });
});

describe("application list", () => {
  it("hides applications the token user cannot access unless superuser_full_list=true", async () => {
    const app = (await post("/core/applications/", { name: "Restricted", slug: "restricted" })).body;
    const outsiders = (await post("/core/groups/", { name: "outsiders" })).body;
    expect((await post("/policies/bindings/", { target: app.pk, group: outsiders.pk, order: 0 })).status).toBe(201);
    const plain = await get("/core/applications/?slug=restricted");
    expect(plain.body.results).toEqual([]);
    expect(plain.body.pagination.count).toBe(1); // authentik paginates before filtering
    expect((await get("/core/applications/?slug=restricted&superuser_full_list=true")).body.results).toHaveLength(1);
    expect((await get("/core/applications/restricted/")).status).toBe(200);
  });
});

describe("SCIM provider", () => {
  it("syncs on every save and exposes sync status and triggers", async () => {
    const scim = await post("/providers/scim/", { name: "aws-scim", url: "https://scim.example.com/scim/v2", token: "secret", compatibility_mode: "aws" });
    expect(scim.status).toBe(201);
    expect(scim.body).not.toHaveProperty("token");
    const pk = scim.body.pk as number;
    expect((await get(`/providers/scim/${pk}/sync/status/`)).body).toMatchObject({ is_running: false, last_sync_status: "done" });
    const rec = emu.store.providers.get(pk);
    expect(rec?.kind === "scim" && rec.syncTriggers).toBe(1);

    await api("PATCH", `/providers/scim/${pk}/`, { url: "https://scim.example.com/scim/v2" });
    expect(emu.requests.at(-1)!.warnings.join()).toMatch(/no-op write/);

    const schedule = await one(`/tasks/schedules/?rel_obj_id=${pk}&rel_obj_content_type__model=scimprovider`);
    // authentik answers Response({}) although its schema documents 204.
    const sent = await post(`/tasks/schedules/${schedule.id}/send/`, undefined);
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({});
    expect(rec?.kind === "scim" && rec.syncTriggers).toBe(3);

    const admin = await one("/core/users/?username=akadmin");
    const obj = await post(`/providers/scim/${pk}/sync/object/`, { sync_object_model: "authentik.core.models.User", sync_object_id: String(admin.pk) });
    expect(obj.status).toBe(200);
    expect(obj.body.messages[0].event).toContain("akadmin");

    // The application's backchannel providers are deleted with it (FK CASCADE).
    expect((await post("/core/applications/", { name: "SCIM app", slug: "scim-app", backchannel_providers: [pk] })).status).toBe(201);
    expect((await get(`/providers/scim/${pk}/`)).body.assigned_backchannel_application_slug).toBe("scim-app");
    await api("DELETE", "/core/applications/scim-app/");
    expect((await get(`/providers/scim/${pk}/`)).status).toBe(404);
  });
});

// ---- per release -----------------------------------------------------------------

/** A small client for one emulator (the tests above share the default one). */
function clientOf(target: () => AuthentikEmulator) {
  const call = async <T = any>(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Reply<T>> => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${target().url}/api/v3${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const type = res.headers.get("content-type") ?? "";
    return { status: res.status, headers: res.headers, body: (type.includes("json") && text ? JSON.parse(text) : text) as T };
  };
  const c = {
    call,
    get: <T = any>(path: string, token?: string | null) => call<T>("GET", path, undefined, token),
    post: <T = any>(path: string, body: unknown) => call<T>("POST", path, body),
    patch: <T = any>(path: string, body: unknown) => call<T>("PATCH", path, body),
    put: <T = any>(path: string, body: unknown) => call<T>("PUT", path, body),
    async one(path: string): Promise<any> {
      const r = await call("GET", path);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.results).toHaveLength(1);
      return r.body.results[0];
    },
    async created(path: string, body: unknown): Promise<any> {
      const r = await call("POST", path, body);
      expect(r.status, `${path} ${JSON.stringify(r.body)}`).toBe(201);
      return r.body;
    },
    async samlProvider(name: string, extra: Record<string, unknown> = {}): Promise<any> {
      return c.created("/providers/saml/", {
        name,
        authorization_flow: (await c.one("/flows/instances/?slug=default-provider-authorization-implicit-consent")).pk,
        invalidation_flow: (await c.one("/flows/instances/?slug=default-provider-invalidation-flow")).pk,
        acs_url: "https://signin.aws.amazon.com/saml",
        ...extra,
      });
    },
    lastRequest: () => target().requests.at(-1)!,
  };
  return c;
}

const RELEASES = ["2025.10.4", "2025.12.6", "2026.2.0", "2026.5.6", "2026.8.3"] as const;
const at = (version: string, minor: string) => {
  const [a, b] = [version.split(".").map(Number), minor.split(".").map(Number)];
  return a[0]! > b[0]! || (a[0] === b[0] && a[1]! >= b[1]!);
};

describe.each(RELEASES)("authentik %s", (version) => {
  let ak: AuthentikEmulator;
  const c = clientOf(() => ak);
  const control = () => authentikControls(ak);
  beforeAll(async () => {
    ak = await startAuthentikEmulator({ token: TOKEN, version });
  });
  afterAll(async () => {
    expect(ak.emulatorErrors).toEqual([]);
    await ak?.stop();
  });

  it("reports the version and validates against that release's schema", async () => {
    expect((await c.get("/admin/version/")).body.version_current).toBe(version);
    expect(control().release()).toEqual({ version, minor: version.split(".").slice(0, 2).join(".") });
    const app = await c.created("/core/applications/", { name: "Shape", slug: "shape" });
    // Application.pbm_uuid only in the 2026.8 schema; meta_hide from 2026.5; meta_icon_url from 2025.12.
    expect("pbm_uuid" in app).toBe(at(version, "2026.8"));
    expect("meta_hide" in app).toBe(at(version, "2026.5"));
    expect("meta_icon_url" in app).toBe(at(version, "2025.12"));
    const admin = await c.one("/core/users/?username=akadmin");
    expect("roles" in admin).toBe(at(version, "2025.12"));
    const kp = await c.one("/crypto/certificatekeypairs/?name=authentik%20Self-signed%20Certificate");
    expect(at(version, "2025.12") ? kp.key_type : kp.private_key_type).toBe("rsa");
  });

  it("drops request fields the release does not have, before any handler sees them", async () => {
    const newField = at(version, "2026.5") ? "meta_hide" : undefined;
    const app = await c.created("/core/applications/", { name: "Drop", slug: "drop-fields", meta_hide: true, colour: "blue" });
    const warnings = c.lastRequest().warnings;
    expect(warnings).toContain("unknown body field ignored: colour");
    if (newField) expect(app.meta_hide).toBe(true);
    else expect(warnings).toContain("unknown body field ignored: meta_hide");
    // the dropped value never reached the store either
    expect(ak.store.applicationBySlug("drop-fields")!.meta_hide).toBe(Boolean(newField));
  });

  it("SAML issuer: `issuer` (default \"authentik\") before 2026.5, `issuer_override` from 2026.5, and the metadata's entityID", async () => {
    const p = await c.samlProvider(`issuer-${version}`, { issuer: "https://old.example/issuer", issuer_override: "https://new.example/issuer" });
    const fallback = await c.samlProvider(`issuer-default-${version}`);
    const url = `/providers/saml/${p.pk}/metadata/`;
    await c.created("/core/applications/", { name: "Iss", slug: `iss-${version.replace(/\./g, "-")}`, provider: p.pk });
    await c.created("/core/applications/", { name: "Iss2", slug: `iss2-${version.replace(/\./g, "-")}`, provider: fallback.pk });
    const entityId = async (pk: number) => /entityID="([^"]+)"/.exec((await c.get(`/providers/saml/${pk}/metadata/`, null)).body.metadata)![1];
    if (at(version, "2026.5")) {
      expect(p).not.toHaveProperty("issuer");
      expect(p.issuer_override).toBe("https://new.example/issuer");
      expect(fallback.issuer_override).toBe("");
      const fresh = (await c.get(`/providers/saml/${fallback.pk}/`)).body;
      expect(fresh.url_issuer).toBe(`${ak.url}/application/saml/iss2-${version.replace(/\./g, "-")}/`);
      expect(await entityId(p.pk)).toBe("https://new.example/issuer");
      expect(await entityId(fallback.pk)).toBe(fresh.url_issuer);
    } else {
      expect(p).not.toHaveProperty("issuer_override");
      expect(p).not.toHaveProperty("url_issuer");
      expect(p.issuer).toBe("https://old.example/issuer");
      expect(fallback.issuer).toBe("authentik");
      expect(await entityId(p.pk)).toBe("https://old.example/issuer");
      expect(await entityId(fallback.pk)).toBe("authentik");
    }
    void url;
  });

  it("metadata of a provider without an application: {\"metadata\": \"\"} up to 2026.2, 404 from 2026.5", async () => {
    const p = await c.samlProvider(`no-app-${version}`);
    const r = await c.get(`/providers/saml/${p.pk}/metadata/`, null);
    if (at(version, "2026.5")) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ detail: "Not found." });
    } else {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ metadata: "" }); // no download_url, although the schema requires one
    }
  });

  it("SCIM provider: filter_group before 2026.2, group_filters from 2026.2, sync_page_size from 2025.12, the token readable before 2026.8", async () => {
    const group = await c.created("/core/groups/", { name: `scim-shape-${version}` });
    const filter = at(version, "2026.2") ? { group_filters: [group.pk] } : { filter_group: group.pk };
    const p = await c.created("/providers/scim/", { name: `scim-shape-${version}`, url: "https://scim.example/v2", token: "s3cret", sync_page_size: 50, ...filter });
    if (at(version, "2026.2")) {
      expect(p.group_filters).toEqual([group.pk]);
      expect(p).not.toHaveProperty("filter_group");
      // filter_group is not a field any more: dropped, and the filter stays
      expect((await c.patch(`/providers/scim/${p.pk}/`, { filter_group: null })).body.group_filters).toEqual([group.pk]);
      expect(c.lastRequest().warnings).toContain("unknown body field ignored: filter_group");
      expect((await c.get(`/providers/scim/?group_filters=${group.pk}`)).body.pagination.count).toBe(1);
    } else {
      expect(p.filter_group).toBe(group.pk);
      expect(p).not.toHaveProperty("group_filters");
      expect((await c.patch(`/providers/scim/${p.pk}/`, { group_filters: [] })).body.filter_group).toBe(group.pk);
      expect(c.lastRequest().warnings).toContain("unknown body field ignored: group_filters");
      expect((await c.get(`/providers/scim/?filter_group=${group.pk}`)).body.pagination.count).toBe(1);
      expect((await c.patch(`/providers/scim/${p.pk}/`, { filter_group: null })).body.filter_group).toBeNull();
    }
    if (at(version, "2025.12")) expect(p.sync_page_size).toBe(50);
    else {
      expect(p).not.toHaveProperty("sync_page_size");
      expect(ak.requests.find((r) => r.method === "POST" && r.path === "/api/v3/providers/scim/")!.warnings).toContain("unknown body field ignored: sync_page_size");
    }
    if (at(version, "2026.8")) expect(p).not.toHaveProperty("token");
    else expect(p.token).toBe("s3cret");
  });

  it("group hierarchy: one `parent` in 2025.10, `parents` from 2025.12", async () => {
    const parent = await c.created("/core/groups/", { name: `parent-${version}` });
    if (at(version, "2025.12")) {
      const child = await c.created("/core/groups/", { name: `child-${version}`, parents: [parent.pk] });
      expect(child.parents).toEqual([parent.pk]);
      expect(child).not.toHaveProperty("parent");
    } else {
      const child = await c.created("/core/groups/", { name: `child-${version}`, parent: parent.pk, parents: [parent.pk] });
      expect(child).toMatchObject({ parent: parent.pk, parent_name: parent.name });
      expect(child).not.toHaveProperty("parents");
      expect((await c.patch(`/core/groups/${child.pk}/`, { parent: child.pk })).body).toEqual({ parent: ["Cannot set group as parent of itself."] });
      // children is writable in 2025.10, and a PUT without it detaches them (default=list)
      expect((await c.get(`/core/groups/${parent.pk}/`)).body.children).toEqual([child.pk]);
      expect((await c.put(`/core/groups/${parent.pk}/`, { name: parent.name })).status).toBe(200);
      expect((await c.get(`/core/groups/${child.pk}/`)).body.parent).toBeNull();
    }
  });

  it("group names are unique through the API; duplicates made outside it exist only in 2025.10", async () => {
    const name = `dup-${version}`;
    await c.created("/core/groups/", { name });
    const again = await c.post("/core/groups/", { name });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ name: [at(version, "2025.12") ? "group with this name already exists." : "This field must be unique."] });
    if (at(version, "2025.12")) {
      expect(() => control().addGroup({ name })).toThrow(/unique/);
    } else {
      control().addGroup({ name });
      expect((await c.get(`/core/groups/?name=${name}`)).body.results.map((g: { name: string }) => g.name)).toEqual([name, name]);
    }
  });

  it("policy engine mode \"all\" over group bindings: any passing binding sufficed up to 2025.12.4, every one from 2025.12.5/2026.2", async () => {
    const a = await c.created("/core/groups/", { name: `mode-a-${version}` });
    const b = await c.created("/core/groups/", { name: `mode-b-${version}` });
    const user = await c.created("/core/users/", { username: `mode-user-${version}`, name: "Mode", groups: [a.pk] });
    const app = await c.created("/core/applications/", { name: "Mode", slug: `mode-${version.replace(/\./g, "-")}`, policy_engine_mode: "all" });
    for (const g of [a, b]) await c.created("/policies/bindings/", { target: app.pk, group: g.pk, order: 0 });
    const visible = (await c.get(`/core/applications/?slug=${app.slug}&for_user=${user.pk}`)).body.results.length;
    expect(visible).toBe(version === "2025.10.4" ? 1 : 0);
  });

  it("core/applications/{slug}/check_access/?for_user=: the application's policy engine for that user (superusers only), descendants of a bound group included", async () => {
    const tag = version.replace(/\./g, "-");
    const parent = await c.created("/core/groups/", { name: `access-parent-${version}` });
    const child = await c.created("/core/groups/", at(version, "2025.12") ? { name: `access-child-${version}`, parents: [parent.pk] } : { name: `access-child-${version}`, parent: parent.pk });
    const other = await c.created("/core/groups/", { name: `access-other-${version}` });
    const inParent = await c.created("/core/users/", { username: `access-p-${version}`, name: "P", groups: [parent.pk] });
    const inChild = await c.created("/core/users/", { username: `access-c-${version}`, name: "C", groups: [child.pk] });
    const inOther = await c.created("/core/users/", { username: `access-o-${version}`, name: "O", groups: [other.pk] });
    const nobody = await c.created("/core/users/", { username: `access-n-${version}`, name: "N" });
    const app = await c.created("/core/applications/", { name: "Access", slug: `access-${tag}` });
    const check = async (user: { pk: number }) => {
      const r = await c.get(`/core/applications/${app.slug}/check_access/?for_user=${user.pk}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ passing: expect.any(Boolean), messages: [], log_messages: [] });
      return r.body.passing as boolean;
    };
    const all = async () => [await check(inParent), await check(inChild), await check(inOther), await check(nobody)];
    // No bindings: everyone passes.
    expect(await all()).toEqual([true, true, true, true]);
    const binding = await c.created("/policies/bindings/", { target: app.pk, group: parent.pk, order: 0 });
    expect(await all()).toEqual([true, true, false, false]);
    // A disabled binding does not count (and with none left enabled, everyone passes again).
    expect((await c.put(`/policies/bindings/${binding.pk}/`, { target: app.pk, group: parent.pk, order: 0, enabled: false })).status).toBe(200);
    expect(await all()).toEqual([true, true, true, true]);
    // Negated: everyone outside the group (and its descendants).
    expect((await c.put(`/policies/bindings/${binding.pk}/`, { target: app.pk, group: parent.pk, order: 0, negate: true, enabled: true })).status).toBe(200);
    expect(await all()).toEqual([false, false, true, true]);
    expect((await c.put(`/policies/bindings/${binding.pk}/`, { target: app.pk, group: parent.pk, order: 0, negate: false })).status).toBe(200);
    // A user binding; mode any: either passes.
    await c.created("/policies/bindings/", { target: app.pk, user: nobody.pk, order: 1 });
    expect(await all()).toEqual([true, true, false, true]);
    // Mode all: up to 2025.12.4 any passing static binding sufficed, from 2025.12.5 every one must pass.
    expect((await c.patch(`/core/applications/${app.slug}/`, { policy_engine_mode: "all" })).status).toBe(200);
    expect(await all()).toEqual(version === "2025.10.4" ? [true, true, false, true] : [false, false, false, false]);
    expect((await c.patch(`/core/applications/${app.slug}/`, { policy_engine_mode: "any" })).status).toBe(200);

    expect((await c.get(`/core/applications/${app.slug}/check_access/?for_user=999999`)).body).toEqual({ for_user: ["User not found"] });
    expect((await c.get(`/core/applications/no-such-app/check_access/?for_user=${nobody.pk}`)).status).toBe(404);
    // Without for_user the token's own user (akadmin, in no bound group) is checked.
    expect((await c.get(`/core/applications/${app.slug}/check_access/`)).body.passing).toBe(false);
    // A token user who is no superuser cannot ask for someone else: for_user is ignored, and no permission is needed.
    control().denyPermission("authentik_core.view_application");
    const asSelf = await c.get(`/core/applications/${app.slug}/check_access/?for_user=${inParent.pk}`);
    expect(asSelf.status).toBe(200);
    expect(asSelf.body.passing).toBe(false);
    expect(c.lastRequest().warnings.join()).toMatch(/for_user is ignored/);
    ak.store.deniedPermissions.clear();
    expect(await check(inParent)).toBe(true);
    expect(control().invalidRequests()).toEqual([]);
  });

  it("tasks/schedules/{id}/send/ exists for superusers only (no permission opens it); model permissions guard the CRUD views", async () => {
    const p = await c.created("/providers/scim/", { name: `perm-${version}`, url: "https://scim.example/v2", token: "t" });
    const schedule = await c.one(`/tasks/schedules/?rel_obj_id=${p.pk}&rel_obj_content_type__model=scimprovider`);
    expect((await c.post(`/tasks/schedules/${schedule.id}/send/`, {})).status).toBe(200);
    expect(() => control().denyPermission("authentik_tasks.send_schedule")).toThrow(/authentik_tasks_schedules\.send_schedule/);
    // DRF answers a failed object permission with 403 to whoever may view the schedule, else 404;
    // a global view_schedule counts for the object from 2025.12 (ak-guardian), not in 2025.10.
    const refusal = at(version, "2025.12") ? { status: 403, body: { detail: "You do not have permission to perform this action." } } : { status: 404, body: { detail: "Not found." } };
    control().denyPermission("authentik_tasks_schedules.send_schedule");
    const denied = await c.post(`/tasks/schedules/${schedule.id}/send/`, {});
    expect({ status: denied.status, body: denied.body }).toEqual(refusal);
    expect(c.lastRequest().superuserOnly).toBe(true);
    // …and so is a user who holds every permission a role can hold, send_schedule included:
    // get_object() on a POST asks for add_schedule, which the Schedule model does not define.
    control().tokenUser({ superuser: false, permissions: [...KNOWN_PERMISSIONS] });
    const everything = await c.post(`/tasks/schedules/${schedule.id}/send/`, {});
    expect({ status: everything.status, body: everything.body }).toEqual(refusal);
    expect((await c.get(`/tasks/schedules/${schedule.id}/`)).status).toBe(200);
    control().tokenUser({ superuser: true });
    expect((await c.post(`/tasks/schedules/${schedule.id}/send/`, {})).status).toBe(200);
    control().denyPermission("authentik_tasks_schedules.send_schedule");
    expect((await c.get(`/tasks/schedules/${schedule.id}/`)).status).toBe(200);
    control().denyPermission("authentik_providers_scim.change_scimprovider");
    expect((await c.patch(`/providers/scim/${p.pk}/`, { url: "https://other.example/v2" })).status).toBe(403);
    expect((await c.get(`/providers/scim/${p.pk}/`)).status).toBe(200);
    expect(ak.store.providers.get(p.pk)).toMatchObject({ url: "https://scim.example/v2" });
    ak.store.deniedPermissions.clear();
  });

  it("provider names are unique across all provider types", async () => {
    const { pk } = control().addProvider({ kind: "oauth2", name: `taken-${version}` });
    control().addProvider({ kind: "ldap", name: `ldap-${version}` });
    const all = (await c.get("/providers/all/?page_size=100")).body.results;
    expect(all.find((p: { pk: number }) => p.pk === pk)).toMatchObject({ name: `taken-${version}`, component: "ak-provider-oauth2-form", meta_model_name: "authentik_providers_oauth2.oauth2provider" });
    // LDAP providers are backchannel providers
    expect((await c.get("/providers/all/?backchannel=true&page_size=100")).body.results.map((p: { name: string }) => p.name)).toContain(`ldap-${version}`);
    const taken = { name: ["provider with this name already exists."] };
    expect((await c.post("/providers/scim/", { name: `taken-${version}`, url: "https://scim.example/v2", token: "t" })).body).toEqual(taken);
    const saml = await c.samlProvider(`free-${version}`);
    expect((await c.patch(`/providers/saml/${saml.pk}/`, { name: `ldap-${version}` })).body).toEqual(taken);
    const scim = await c.created("/providers/scim/", { name: `scim-free-${version}`, url: "https://scim.example/v2", token: "t" });
    expect((await c.patch(`/providers/scim/${scim.pk}/`, { name: `free-${version}` })).body).toEqual(taken);
    expect(() => control().addProvider({ kind: "proxy", name: `free-${version}` })).toThrow(/already exists/);
  });

  it("SCIM sync: users by the backchannel application's bindings from 2026.2 (by filter_group's direct members before), groups by group_filters from 2026.2 (all before)", async () => {
    const eng = await c.created("/core/groups/", { name: `eng-${version}` });
    const sub = await c.created("/core/groups/", { name: `sub-${version}`, ...(at(version, "2025.12") ? { parents: [eng.pk] } : { parent: eng.pk }) });
    await c.created("/core/groups/", { name: `other-${version}` });
    await c.created("/core/users/", { username: `alice-${version}`, name: "Alice", groups: [eng.pk] });
    await c.created("/core/users/", { username: `bob-${version}`, name: "Bob", groups: [sub.pk] });
    await c.created("/core/users/", { username: `carol-${version}`, name: "Carol" });
    await c.created("/core/users/", { username: `svc-${version}`, name: "Svc", type: "service_account" });

    const name = `sync-${version}`;
    const filter = at(version, "2026.2") ? { group_filters: [eng.pk] } : { filter_group: eng.pk };
    const p = await c.created("/providers/scim/", { name, url: "https://scim.example/v2", token: "t", exclude_users_service_account: true, ...filter });
    // saving started a sync, which pushed nothing: the provider is attached to no application yet
    expect(control().scimSyncs(name)).toEqual([{ users: [], groups: [] }]);
    expect(control().scimWouldProvision(name)).toEqual({ users: [], groups: [] });

    const app = await c.created("/core/applications/", { name: "Sync", slug: `sync-${version.replace(/\./g, "-")}`, backchannel_providers: [p.pk] });
    await c.created("/policies/bindings/", { target: app.pk, group: eng.pk, order: 0 });
    const allGroups = (await c.get("/core/groups/?page_size=100")).body.results.map((g: { name: string }) => g.name).sort();
    const allUsers = (await c.get("/core/users/?page_size=100")).body.results
      .filter((u: { type: string }) => u.type !== "service_account")
      .map((u: { username: string }) => u.username)
      .sort();
    const would = control().scimWouldProvision(name);
    if (at(version, "2026.2")) {
      // bound through eng: alice directly, bob through sub (a child of eng)
      expect(would).toEqual({ users: [`alice-${version}`, `bob-${version}`], groups: [`eng-${version}`] });
    } else {
      // filter_group keeps its direct members only, and every group syncs
      expect(would).toEqual({ users: [`alice-${version}`], groups: allGroups });
    }
    // attaching did not sync; running the schedule does
    expect(control().scimSyncs(name)).toHaveLength(1);
    const schedule = await c.one(`/tasks/schedules/?rel_obj_id=${p.pk}&rel_obj_content_type__model=scimprovider`);
    await c.post(`/tasks/schedules/${schedule.id}/send/`, {});
    expect(control().scimSyncs(name)).toEqual([{ users: [], groups: [] }, would]);

    // without bindings and filters every user but the service account (excluded) goes
    for (const b of (await c.get(`/policies/bindings/?target=${app.pk}`)).body.results) await c.call("DELETE", `/policies/bindings/${b.pk}/`);
    await c.patch(`/providers/scim/${p.pk}/`, at(version, "2026.2") ? { group_filters: [] } : { filter_group: null });
    expect(control().scimSyncs(name).at(-1)).toEqual({ users: allUsers, groups: allGroups });
    expect(allUsers).toContain("akadmin");
    await c.patch(`/providers/scim/${p.pk}/`, { exclude_users_service_account: false });
    expect(control().scimSyncs(name).at(-1)!.users).toContain(`svc-${version}`);
  });

  it("SCIM sync: the target's memberships are each pushed group's direct members, less a member dropped, plus one kept (issue 21)", async () => {
    const group = `mem-${version}`;
    const eng = await c.created("/core/groups/", { name: group });
    await c.created("/core/users/", { username: `ma-${version}`, name: "A", groups: [eng.pk] });
    const b = await c.created("/core/users/", { username: `mb-${version}`, name: "B", groups: [eng.pk] });
    const name = `mem-sync-${version}`;
    const p = await c.created("/providers/scim/", { name, url: "https://scim.example/v2", token: "t" });
    const app = await c.created("/core/applications/", { name: "Mem", slug: `mem-${version.replace(/\./g, "-")}`, backchannel_providers: [p.pk] });
    await c.created("/policies/bindings/", { target: app.pk, group: eng.pk, order: 0 });
    const members = () => control().scimMembers(name)[group];
    expect(control().scimSync(name).groups).toContain(group);
    expect(members()).toEqual([`ma-${version}`, `mb-${version}`]);
    // dropped: left out (and taken out at the target) by every later sync
    control().scimDropMember({ group, user: `ma-${version}` });
    control().scimSync(name);
    expect(members()).toEqual([`mb-${version}`]);
    // kept: never removed once sent, although authentik removed them
    control().scimClearQuirks();
    control().scimKeepMember({ group, user: `mb-${version}` });
    await c.post(`/core/groups/${eng.pk}/remove_user/`, { pk: b.pk });
    control().scimSync(name);
    expect(members()).toEqual([`ma-${version}`, `mb-${version}`]);
    control().scimClearQuirks();
    control().scimSync(name);
    expect(members()).toEqual([`ma-${version}`]);
  });

  it("user.app_entitlements(app) returns an entitlement once per matching binding, ordered by name", async () => {
    const parent = await c.created("/core/groups/", { name: `ent-parent-${version}` });
    const child = await c.created("/core/groups/", { name: `ent-child-${version}`, ...(at(version, "2025.12") ? { parents: [parent.pk] } : { parent: parent.pk }) });
    const user = await c.created("/core/users/", { username: `ent-user-${version}`, name: "Ent", groups: [child.pk] });
    const provider = await c.samlProvider(`ent-${version}`);
    const app = await c.created("/core/applications/", { name: "Ent", slug: `ent-${version.replace(/\./g, "-")}`, provider: provider.pk });
    const zeta = await c.created("/core/application_entitlements/", { name: "zeta", app: app.pk });
    const alpha = await c.created("/core/application_entitlements/", { name: "Alpha", app: app.pk });
    for (const g of [child, parent]) await c.created("/policies/bindings/", { target: zeta.pbm_uuid, group: g.pk, order: 0 });
    await c.created("/policies/bindings/", { target: alpha.pbm_uuid, user: user.pk, order: 0 });
    const mapping = await c.created("/propertymappings/provider/saml/", {
      name: `ents-${version}`,
      saml_name: "x",
      expression: "return [e.name for e in request.user.app_entitlements(provider.application)]",
    });
    await c.patch(`/providers/saml/${provider.pk}/`, { property_mappings: [mapping.pk] });
    const r = await control().evaluateInAssertion({ mapping: mapping.pk, user: user.pk });
    expect(r.successful, r.result).toBe(true);
    expect(JSON.parse(r.result)).toEqual(["Alpha", "zeta", "zeta"]);
  });

  it("user.groups holds authentik's groups from 2026.2; before, user.ak_groups does (groups is Django's, empty)", async () => {
    const g = await c.created("/core/groups/", { name: `field-${version}` });
    const user = await c.created("/core/users/", { username: `field-user-${version}`, name: "Field", groups: [g.pk] });
    const mapping = await c.created("/propertymappings/provider/scim/", {
      name: `groups-field-${version}`,
      expression: "return [[x.name for x in request.user.groups.all()], [x.name for x in request.user.ak_groups.all()], [x.name for x in request.user.all_groups()]]",
    });
    const r = await c.post(`/propertymappings/all/${mapping.pk}/test/`, { user: user.pk });
    expect(r.body.successful, r.body.result).toBe(true);
    const name = `field-${version}`;
    expect(JSON.parse(r.body.result)).toEqual([at(version, "2026.2") ? [name] : [], [name], [name]]);
  });
});

describe("collation", () => {
  const NAMES = ["beta", "Alpha", "alpha", "Zulu", "_tools", "aws-gitops: User", "authentik default SCIM Mapping: User"];

  it.each([
    ["ci", ["_tools", "alpha", "Alpha", "authentik Admins", "authentik default SCIM Mapping: User", "aws-gitops: User", "beta", "Zulu"]],
    ["c", ["Alpha", "Zulu", "_tools", "alpha", "authentik Admins", "authentik default SCIM Mapping: User", "aws-gitops: User", "beta"]],
  ] as const)("orders name lists and SCIM mapping merges under %s", async (collation, expected) => {
    const ak = await startAuthentikEmulator({ token: TOKEN, collation });
    try {
      const c = clientOf(() => ak);
      for (const name of NAMES) await c.created("/core/groups/", { name });
      const listed = (await c.get("/core/groups/?page_size=100")).body.results.map((g: { name: string }) => g.name);
      expect(listed).toEqual(expected);

      const pks: string[] = [];
      for (const name of ["aws-gitops: User", "Zeta mapping", "authentik-x"]) pks.push((await c.created("/propertymappings/provider/scim/", { name, expression: "return {}" })).pk);
      const def = await c.one("/propertymappings/provider/scim/?managed=goauthentik.io/providers/scim/user");
      await c.created("/providers/scim/", { name: "order", url: "https://scim.example/v2", token: "t", property_mappings: [...pks, def.pk] });
      expect(authentikControls(ak).scimMappingOrder("order")).toEqual(
        collation === "ci"
          ? ["authentik default SCIM Mapping: User", "authentik-x", "aws-gitops: User", "Zeta mapping"]
          : ["Zeta mapping", "authentik default SCIM Mapping: User", "authentik-x", "aws-gitops: User"],
      );
      expect(ak.emulatorErrors).toEqual([]);
    } finally {
      await ak.stop();
    }
  });

  it.each([
    ["ci", "zeta"],
    ["c", "alpha"],
  ] as const)("user.group_attributes() merges groups ordered by name under %s: the last one's attribute wins", async (collation, winner) => {
    const ak = await startAuthentikEmulator({ token: TOKEN, collation });
    try {
      const c = clientOf(() => ak);
      const zeta = await c.created("/core/groups/", { name: "Zeta", attributes: { aws_role: "zeta" } });
      const alpha = await c.created("/core/groups/", { name: "alpha", attributes: { aws_role: "alpha" } });
      const user = await c.created("/core/users/", { username: "both", name: "Both", groups: [zeta.pk, alpha.pk] });
      const m = await c.created("/propertymappings/provider/saml/", { name: "attr", saml_name: "x", expression: 'return user.group_attributes().get("aws_role")' });
      const r = await c.post(`/propertymappings/all/${m.pk}/test/`, { user: user.pk });
      expect(JSON.parse(r.body.result)).toBe(winner);
      expect(ak.emulatorErrors).toEqual([]);
    } finally {
      await ak.stop();
    }
  });
});

describe("metadata without application, overridden", () => {
  it("follows --metadata-without-application over the release's default", async () => {
    const ak = await startAuthentikEmulator({ token: TOKEN, version: "2026.8.3", metadataWithoutApplication: "empty" });
    try {
      const c = clientOf(() => ak);
      const p = await c.samlProvider("override");
      expect((await c.get(`/providers/saml/${p.pk}/metadata/`, null)).body).toEqual({ metadata: "" });
    } finally {
      await ak.stop();
    }
  });
});

describe("a version older than 2025.10", () => {
  it("reports itself and speaks 2025.10's schema", async () => {
    const ak = await startAuthentikEmulator({ token: TOKEN, version: "2024.10.5" });
    try {
      expect(ak.release.minor).toBe("2025.10");
      const c = clientOf(() => ak);
      expect((await c.get("/admin/version/")).body.version_current).toBe("2024.10.5");
      const p = await c.samlProvider("old");
      expect(p.issuer).toBe("authentik");
    } finally {
      await ak.stop();
    }
  });
});

describe("emulator self-check", () => {
  it("produced only schema-valid responses", () => {
    expect(emu.emulatorErrors).toEqual([]);
  });
});
