/**
 * `npm run bench`: what plan and apply cost against the local peers, as requests
 * made (the number that matters against real rate limits) and time under an
 * emulated Identity Center quota of 20 requests per second. Prints a table; it
 * asserts nothing (speed is measured, not unit-tested).
 */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { validateConfigFile } from "../src/config/load-config.js";
import { createPlan } from "../src/engine.js";
import { createOrganization, provisionGroup } from "../test/integration/identity-center-setup.js";
import { startAuthentikEmulator } from "../test/peers/authentik/server.js";
import { startAwsShim } from "../test/peers/aws-shim.js";
import { startMoto } from "../test/peers/moto.js";

const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
  if (!String(w instanceof Error ? w.message : w).startsWith("NodeVersionSupportWarning")) (emitWarning as (...a: unknown[]) => void)(w, ...rest);
}) as typeof process.emitWarning;

const root = path.join(import.meta.dirname, "..");
const TOKEN = "bench-token";
const rows: string[][] = [];

async function measure(label: string, f: () => Promise<{ authentik: number; aws: number; extra?: string }>) {
  const started = performance.now();
  const r = await f();
  rows.push([label, String(r.authentik), String(r.aws), `${((performance.now() - started) / 1000).toFixed(1)}s`, r.extra ?? ""]);
}

async function classic(accounts: number, roles: number) {
  const moto = await startMoto();
  const ak = await startAuthentikEmulator({ token: TOKEN });
  try {
    const groups = Array.from({ length: 10 }, (_, i) => `team-${i}`);
    for (const name of groups) await fetch(`${ak.url}/api/v3/core/groups/`, { method: "POST", headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" }, body: JSON.stringify({ name }) });
    const ids = Array.from({ length: accounts }, (_, i) => String(100000000000 + i + 1));
    const config = `version: 1
mode: classic-iam
authentik: { application: { slug: aws, name: AWS }, provider: { name: aws } }
aws:
  accounts:
${ids.map((id, i) => `    acct${i}: { id: "${id}", assumeRole: "arn:aws:iam::${id}:role/gitops" }`).join("\n")}
roles:
${Array.from({ length: roles }, (_, i) => `  role-${i}: { accounts: "*", managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }`).join("\n")}
mappings:
${Array.from({ length: roles }, (_, i) => `  - { group: ${groups[i % groups.length]}, roles: [role-${i}] }`).join("\n")}
`;
    const dir = mkdtempSync(path.join(tmpdir(), "aag-bench-"));
    writeFileSync(path.join(dir, "c.yaml"), config);
    const { config: resolved } = await validateConfigFile(path.join(dir, "c.yaml"));
    const env = { ...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: "b", AWS_SECRET_ACCESS_KEY: "b", AWS_REGION: "us-east-1", AUTHENTIK_URL: ak.url, AUTHENTIK_TOKEN: TOKEN };
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: "b", AWS_SECRET_ACCESS_KEY: "b" });
    const label = `classic-iam ${accounts} accounts × ${roles} roles`;
    let session = await createPlan(resolved!, { env });
    rows.push([`${label}: plan (empty)`, String(session.requestCounts().authentik), String(session.requestCounts().aws), "", `${session.plan.changes.length} changes`]);
    await measure(`${label}: apply`, async () => {
      const before = session.requestCounts();
      await session.apply();
      const after = session.requestCounts();
      return { authentik: after.authentik - before.authentik, aws: after.aws - before.aws };
    });
    await measure(`${label}: plan (in sync)`, async () => {
      session = await createPlan(resolved!, { env });
      return { ...session.requestCounts(), extra: `${session.plan.changes.length} changes` };
    });
  } finally {
    await Promise.all([moto.stop(), ak.stop()]);
  }
}

async function identityCenter(permissionSets: number, groups: number, accounts: number) {
  const moto = await startMoto();
  // The shim enforces AWS's shared 20 requests/second on Identity Center calls and
  // adds latency, so the tool's client-side limiter and concurrency are exercised.
  const shim = await startAwsShim({ motoEndpoint: moto.endpoint, latencyMs: 15, throttle: { ratePerSecond: 20, burst: 20 } });
  const ak = await startAuthentikEmulator({ token: TOKEN });
  try {
    const org = await createOrganization(shim.endpoint);
    shim.resetStats();
    const names = Array.from({ length: groups }, (_, i) => `group-${i}`);
    for (const name of names) {
      await fetch(`${ak.url}/api/v3/core/groups/`, { method: "POST", headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" }, body: JSON.stringify({ name }) });
      await provisionGroup(shim.endpoint, org.identityStoreId, name);
    }
    shim.resetStats();
    const ids = Array.from({ length: accounts }, (_, i) => String(200000000000 + i + 1));
    const dir = mkdtempSync(path.join(tmpdir(), "aag-bench-"));
    copyFileSync(path.join(root, "examples", "identity-center-sp-metadata.xml"), path.join(dir, "sp.xml"));
    const config = `version: 1
mode: identity-center
authentik: { application: { slug: aws, name: AWS }, provider: { name: aws } }
aws:
  accounts:
${ids.map((id, i) => `    acct${i}: { id: "${id}" }`).join("\n")}
  identityCenter: { region: us-east-1, accessPortalUrl: "https://d-1234567890.awsapps.com/start", spMetadata: sp.xml }
permissionSets:
${Array.from({ length: permissionSets }, (_, i) => `  PS${i}: { managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }`).join("\n")}
mappings:
${names.map((g, i) => `  - { group: ${g}, permissionSets: [PS${i % permissionSets}], accounts: "*" }`).join("\n")}
`;
    writeFileSync(path.join(dir, "ic.yaml"), config);
    const { config: resolved } = await validateConfigFile(path.join(dir, "ic.yaml"));
    Object.assign(process.env, { AWS_ENDPOINT_URL: shim.endpoint, AWS_ACCESS_KEY_ID: "b", AWS_SECRET_ACCESS_KEY: "b" });
    const env = { ...process.env, AUTHENTIK_URL: ak.url, AUTHENTIK_TOKEN: TOKEN };
    const label = `identity-center ${permissionSets} sets × ${groups} groups × ${accounts} accounts (20 TPS)`;
    let session = await createPlan(resolved!, { env, pollMs: 100 });
    rows.push([`${label}: plan (empty)`, String(session.requestCounts().authentik), String(session.requestCounts().aws), "", `${session.plan.changes.length} changes`]);
    await measure(`${label}: apply`, async () => {
      const before = session.requestCounts();
      shim.resetStats();
      await session.apply();
      const after = session.requestCounts();
      return {
        authentik: after.authentik - before.authentik,
        aws: after.aws - before.aws,
        extra: `max ${shim.stats.maxInFlight.CreateAccountAssignment ?? 0} assignments in flight, ${shim.stats.throttled} throttled`,
      };
    });
    await measure(`${label}: plan (in sync)`, async () => {
      shim.resetStats();
      session = await createPlan(resolved!, { env, pollMs: 100 });
      return { ...session.requestCounts(), extra: `${session.plan.changes.length} changes, ${shim.stats.throttled} throttled` };
    });
  } finally {
    await Promise.all([ak.stop(), shim.stop()]);
    await moto.stop();
  }
}

await classic(3, 30);
await identityCenter(10, 30, 5);
const header = ["scenario", "authentik requests", "AWS requests", "time", "notes"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));

