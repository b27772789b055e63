/**
 * `npm run bench [-- --scale small|org|core] [--only ic|classic] [--async-ms 1000] [--json FILE]`
 *
 * What plan and apply cost, measured the way users run them: the shipped CLI as a child
 * process (through scripts/bench-cli.mjs, which adds its CPU time and peak RSS) against
 * the local peers, each in a process of its own — moto_server, the Identity Center shim in
 * front of it (20 requests/second shared by Identity Center, 20 ms latency, asynchronous
 * operations IN_PROGRESS for --async-ms of wall time, at most 10 assignment operations
 * outstanding, one provisioning per account) and the authentik emulator.
 *
 * Per scenario: plan of the empty state → apply → plan with nothing to change → plan and
 * apply of 10 more assignments (classic: 10 more group → role bindings). Each step prints
 * the requests by operation (the shim's and the emulator's counts), the lower bound and how
 * it is derived (scripts/bench-bounds.ts), the wall time against the bound's time, and the
 * CLI's CPU time and peak RSS. It asserts nothing: speed is measured, not unit-tested.
 *
 * Scales: small (default; a minute or two), org (the organization of issue 11: 200
 * accounts, 60 permission sets, 500 groups, 10,000 assignments; classic 50 accounts × 20
 * roles; 20–30 minutes), core (scripts/bench-core.ts: planner and executor alone at
 * 1k/10k/50k).
 */
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { CreateGroupCommand, IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { createOrganization, MANAGEMENT } from "../test/support/identity-center.js";
import { startAuthentikPeer, startAwsShimPeer, TOKEN, type AuthentikPeer, type AwsShimPeer } from "../test/support/peers.js";
import { awsClientConfig, startMoto, type MotoServer } from "../test/peers/moto.js";
import type { AwsShimStats } from "../test/peers/aws-shim.js";
import {
  classicApplyBound,
  classicPlanBound,
  icApplyBound,
  icPlanBound,
  IC_TPS,
  OUTSTANDING_LIMIT,
  type Bound,
  type ClassicState,
  type IcState,
  type OpCounts,
} from "./bench-bounds.js";
import { coreBenchmark } from "./bench-core.js";

// As bin/: the AWS SDK's notice about future Node versions is not about this run.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning instanceof Error ? warning.message : warning).startsWith("NodeVersionSupportWarning")) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const ROOT = path.join(import.meta.dirname, "..");
const CLI = path.join(import.meta.dirname, "bench-cli.mjs");
const LATENCY_MS = 20;
/** A copy of lib/ taken at the start (under .tmp/, so node_modules resolves): what every step runs. */
let libSnapshot: string | undefined;

interface IcScale {
  accounts: number;
  permissionSets: number;
  groups: number;
  setsPerGroup: number;
  accountsPerGroup: number;
}
interface ClassicScale {
  accounts: number;
  roles: number;
  groups: number;
}
const SCALES: Record<"small" | "org", { ic: IcScale; classic: ClassicScale }> = {
  small: { ic: { accounts: 20, permissionSets: 10, groups: 30, setsPerGroup: 2, accountsPerGroup: 5 }, classic: { accounts: 5, roles: 10, groups: 10 } },
  org: { ic: { accounts: 200, permissionSets: 60, groups: 500, setsPerGroup: 2, accountsPerGroup: 10 }, classic: { accounts: 50, roles: 20, groups: 10 } },
};
const ADDED = 10;

export interface StepResult {
  scenario: string;
  step: string;
  exitCode: number;
  expectedExit: number;
  wallS: number;
  cpuS: number;
  peakRssMB: number;
  /** Identity Center requests by operation (the shim's count, throttled ones included) */
  identityCenter: OpCounts;
  /** other AWS requests (STS, IAM, Organizations) by service:operation */
  otherAws: OpCounts;
  authentik: OpCounts;
  throttled: number;
  refused: OpCounts;
  maxOutstanding: OpCounts;
  maxInFlight: OpCounts;
  bound: Bound;
  /** which count the bound is about */
  boundOf: "identity-center" | "iam";
  outputTail?: string;
}

const sum = (o: OpCounts) => Object.values(o).reduce((a, b) => a + b, 0);
const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a: number, b: number) => (b > 0 ? fmt(a / b, 2) : "—");
const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function mapLimit<T>(items: T[], limit: number, f: (t: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await f(t);
  }));
}

// ---- the CLI as a child process ---------------------------------------------------------

interface CliRun {
  code: number;
  wallS: number;
  cpuS: number;
  peakRssMB: number;
  tail: string;
}

function runCli(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliRun> {
  const usageFile = path.join(cwd, `usage-${process.hrtime.bigint()}.json`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...argv], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, AAG_BENCH_USAGE_FILE: usageFile, ...(libSnapshot ? { AAG_BENCH_LIB: libSnapshot } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let tail = "";
    const keep = (d: Buffer) => (tail = (tail + d.toString("utf8")).slice(-4000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => {
      const wallS = (performance.now() - started) / 1000;
      let usage = { userCPUTime: 0, systemCPUTime: 0, maxRSS: 0 };
      try {
        usage = JSON.parse(readFileSync(usageFile, "utf8"));
      } catch {
        /* killed before it could write */
      }
      resolve({ code: code ?? 1, wallS, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssMB: usage.maxRSS / 1024, tail });
    });
  });
}

// ---- peers --------------------------------------------------------------------------------

interface Peers {
  moto: MotoServer;
  shim: AwsShimPeer;
  authentik: AuthentikPeer;
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): Promise<void>;
}

async function startBenchPeers(asyncMs: number): Promise<Peers> {
  const moto = await startMoto();
  const started: { stop(): Promise<void> }[] = [moto];
  try {
    const shim = await startAwsShimPeer(moto.endpoint, ["--latency-ms", String(LATENCY_MS), "--async-ms", String(asyncMs), "--max-outstanding", String(OUTSTANDING_LIMIT)]);
    started.push(shim);
    // 20 ms for every Identity Center call, assignments included (the shim adds 20 more to those by default).
    await shim.control.setLatency(0, "CreateAccountAssignment");
    await shim.control.setLatency(0, "DeleteAccountAssignment");
    const authentik = await startAuthentikPeer([], TOKEN);
    started.push(authentik);
    const dir = mkdtempSync(path.join(tmpdir(), "aag-bench-"));
    const env: NodeJS.ProcessEnv = {
      AWS_ENDPOINT_URL: shim.url,
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "bench-secret-key",
      AWS_REGION: "us-east-1",
      AUTHENTIK_URL: authentik.url,
      AUTHENTIK_TOKEN: TOKEN,
    };
    return {
      moto,
      shim,
      authentik,
      env,
      dir,
      stop: async () => {
        await Promise.all(started.map((s) => s.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
}

async function createAuthentikGroups(p: Peers, names: string[]): Promise<void> {
  await mapLimit(names, 8, async (name) => {
    const r = await fetch(`${p.authentik.url}/api/v3/core/groups/`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (!r.ok) throw new Error(`creating group ${name} in the authentik emulator: HTTP ${r.status} ${await r.text()}`);
  });
}

/** Runs one CLI step and collects what it cost. */
async function step(
  p: Peers,
  scenario: string,
  name: string,
  argv: string[],
  expectedExit: number,
  bound: Bound,
  boundOf: StepResult["boundOf"],
): Promise<StepResult> {
  log(`${scenario}: ${name} (${argv.join(" ")}) …`);
  await p.shim.control.resetStats();
  const akBefore = (await p.authentik.control.requests()).length;
  const run = await runCli(argv, p.env, p.dir);
  const stats = (await p.shim.control.stats()) as AwsShimStats;
  const akRequests = (await p.authentik.control.requests()).slice(akBefore);
  const authentik: OpCounts = {};
  for (const r of akRequests) {
    const key = r.operationId ?? `${r.method} ${r.path}`;
    authentik[key] = (authentik[key] ?? 0) + 1;
  }
  const result: StepResult = {
    scenario,
    step: name,
    exitCode: run.code,
    expectedExit,
    wallS: run.wallS,
    cpuS: run.cpuS,
    peakRssMB: run.peakRssMB,
    identityCenter: { ...stats.byOperation },
    otherAws: { ...stats.passThrough },
    authentik,
    throttled: stats.throttled,
    refused: { ...stats.refused },
    maxOutstanding: { ...stats.maxOutstanding },
    maxInFlight: { ...stats.maxInFlight },
    bound,
    boundOf,
    ...(run.code !== expectedExit ? { outputTail: run.tail } : {}),
  };
  const measured = boundOf === "iam" ? sum(result.otherAws) : sum(result.identityCenter);
  log(
    `${scenario}: ${name}: exit ${run.code}, ${fmt(run.wallS, 1)} s wall (bound ${bound.seconds === undefined ? "—" : `${fmt(bound.seconds, 1)} s`}), ` +
      `${fmt(measured)} requests (bound ${fmt(bound.requests)}), CPU ${fmt(run.cpuS, 1)} s, RSS ${fmt(run.peakRssMB)} MB, ${stats.throttled} throttled`,
  );
  if (run.code !== expectedExit) log(`${scenario}: ${name}: expected exit ${expectedExit}; output ends:\n${run.tail}`);
  return result;
}

// ---- identity-center ------------------------------------------------------------------------

function icAssignments(s: IcScale, extra: boolean): { group: number; sets: number[]; accounts: number[] }[] {
  const out = Array.from({ length: s.groups }, (_, g) => ({
    group: g,
    sets: Array.from({ length: s.setsPerGroup }, (_, j) => (g * s.setsPerGroup + j) % s.permissionSets),
    accounts: Array.from({ length: s.accountsPerGroup }, (_, j) => (g * s.accountsPerGroup + j) % s.accounts),
  }));
  if (extra) {
    for (let g = 0; g < ADDED; g++) out.push({ group: g, sets: [out[g]!.sets[0]!], accounts: [(g * s.accountsPerGroup + s.accountsPerGroup) % s.accounts] });
  }
  return out;
}

function icConfig(s: IcScale, extra: boolean): string {
  const acct = (i: number) => String(200_000_000_001 + i);
  return `version: 1
mode: identity-center
authentik: { application: { slug: aws, name: AWS }, provider: { name: aws } }
aws:
  accounts:
${Array.from({ length: s.accounts }, (_, i) => `    acct${i}: { id: "${acct(i)}" }`).join("\n")}
  identityCenter: { region: us-east-1, accessPortalUrl: "https://d-1234567890.awsapps.com/start", spMetadata: sp.xml }
permissionSets:
${Array.from({ length: s.permissionSets }, (_, i) => `  PS${i}: { managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }`).join("\n")}
mappings:
${icAssignments(s, extra)
  .map((m) => `  - { group: group-${m.group}, permissionSets: [${m.sets.map((i) => `PS${i}`).join(", ")}], accounts: [${m.accounts.map((i) => `acct${i}`).join(", ")}] }`)
  .join("\n")}
`;
}

function icState(s: IcScale, applied: "none" | "base" | "extra"): IcState {
  const perGroup = Array.from({ length: s.groups }, (_, g) => (applied === "none" ? 0 : s.setsPerGroup * s.accountsPerGroup + (applied === "extra" && g < ADDED ? 1 : 0)));
  return { permissionSets: applied === "none" ? 0 : s.permissionSets, groups: s.groups, assignmentsPerGroup: perGroup };
}

async function identityCenterScenario(s: IcScale, asyncMs: number, results: StepResult[], save: () => void): Promise<void> {
  const total = s.groups * s.setsPerGroup * s.accountsPerGroup;
  const scenario = `identity-center: ${s.accounts} accounts, ${s.permissionSets} permission sets, ${s.groups} groups, ${fmt(total)} assignments`;
  const p = await startBenchPeers(asyncMs);
  try {
    log(`${scenario}: seeding (organization, ${s.groups} groups in authentik and in the Identity Store) …`);
    const org = await createOrganization(p.shim.url);
    const names = Array.from({ length: s.groups }, (_, g) => `group-${g}`);
    await createAuthentikGroups(p, names);
    const ids = new IdentitystoreClient(awsClientConfig(p.shim.url, MANAGEMENT));
    await mapLimit(names, 8, (DisplayName) => ids.send(new CreateGroupCommand({ IdentityStoreId: org.identityStoreId, DisplayName })));
    // From now on, AWS's shared quota (the seeding above is not what is measured).
    await p.shim.control.setThrottle({ ratePerSecond: IC_TPS, burst: IC_TPS });
    copyFileSync(path.join(ROOT, "examples", "identity-center-sp-metadata.xml"), path.join(p.dir, "sp.xml"));
    writeFileSync(path.join(p.dir, "ic.yaml"), icConfig(s, false));
    writeFileSync(path.join(p.dir, "ic-plus.yaml"), icConfig(s, true));

    const none = icState(s, "none");
    const base = icState(s, "base");
    const extra = icState(s, "extra");
    const steps: [string, string[], number, Bound][] = [
      ["plan (empty)", ["plan", "-c", "ic.yaml", "--detailed-exitcode"], 2, icPlanBound(none)],
      [
        "apply",
        ["apply", "-c", "ic.yaml", "--auto-approve"],
        0,
        icApplyBound(none, { newPermissionSets: s.permissionSets, managedPoliciesPerSet: 1, createdAssignments: total, deletedAssignments: 0 }, base, asyncMs),
      ],
      ["plan (no changes)", ["plan", "-c", "ic.yaml", "--detailed-exitcode"], 0, icPlanBound(base)],
      [`plan (+${ADDED} assignments)`, ["plan", "-c", "ic-plus.yaml", "--detailed-exitcode"], 2, icPlanBound(base)],
      [
        `apply (+${ADDED} assignments)`,
        ["apply", "-c", "ic-plus.yaml", "--auto-approve"],
        0,
        icApplyBound(base, { newPermissionSets: 0, managedPoliciesPerSet: 1, createdAssignments: ADDED, deletedAssignments: 0 }, extra, asyncMs),
      ],
    ];
    for (const [name, argv, expected, bound] of steps) {
      const r = await step(p, scenario, name, argv, expected, bound, "identity-center");
      results.push(r);
      save();
      if (r.exitCode !== expected) break;
    }
  } finally {
    await p.stop();
  }
}

// ---- classic-iam -----------------------------------------------------------------------------

function classicConfig(s: ClassicScale, extra: boolean): string {
  const id = (i: number) => String(100_000_000_001 + i);
  const mappings = Array.from({ length: s.roles }, (_, i) => `  - { group: team-${i % s.groups}, roles: [role-${i}] }`);
  if (extra) for (let i = 0; i < ADDED; i++) mappings.push(`  - { group: team-${(i + 1) % s.groups}, roles: [role-${i % s.roles}], accounts: [acct0] }`);
  return `version: 1
mode: classic-iam
authentik: { application: { slug: aws, name: AWS }, provider: { name: aws } }
aws:
  accounts:
${Array.from({ length: s.accounts }, (_, i) => `    acct${i}: { id: "${id(i)}", assumeRole: "arn:aws:iam::${id(i)}:role/gitops" }`).join("\n")}
roles:
${Array.from({ length: s.roles }, (_, i) => `  role-${i}: { accounts: "*", managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess] }`).join("\n")}
mappings:
${mappings.join("\n")}
`;
}

async function classicScenario(s: ClassicScale, asyncMs: number, results: StepResult[], save: () => void): Promise<void> {
  const scenario = `classic-iam: ${s.accounts} accounts × ${s.roles} roles`;
  const p = await startBenchPeers(asyncMs);
  try {
    log(`${scenario}: seeding (${s.groups} groups in authentik) …`);
    await createAuthentikGroups(p, Array.from({ length: s.groups }, (_, g) => `team-${g}`));
    // People in the groups, so that reading who holds what (review.people) has pages to read.
    const groups = (await (await fetch(`${p.authentik.url}/api/v3/core/groups/?page_size=100&include_users=false`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as { results: { pk: string; name: string }[] };
    const users = s.groups * 20;
    log(`${scenario}: seeding ${users} users …`);
    await mapLimit(Array.from({ length: users }, (_, i) => i), 8, async (i) => {
      const group = groups.results.find((g) => g.name === `team-${i % s.groups}`)!;
      const r = await fetch(`${p.authentik.url}/api/v3/core/users/`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ username: `user-${i}`, name: `User ${i}`, email: `user-${i}@example.com`, groups: [group.pk] }),
      });
      if (!r.ok) throw new Error(`creating user-${i}: HTTP ${r.status} ${await r.text()}`);
    });
    writeFileSync(path.join(p.dir, "classic.yaml"), classicConfig(s, false));
    writeFileSync(path.join(p.dir, "classic-people-off.yaml"), `${classicConfig(s, false)}review: { people: off }\n`);
    writeFileSync(path.join(p.dir, "classic-plus.yaml"), classicConfig(s, true));
    const empty: ClassicState = { accounts: s.accounts, rolesPerAccount: 0 };
    const full: ClassicState = { accounts: s.accounts, rolesPerAccount: s.roles };
    const steps: [string, string[], number, Bound][] = [
      ["plan (empty)", ["plan", "-c", "classic.yaml", "--detailed-exitcode"], 2, classicPlanBound(empty)],
      ["apply", ["apply", "-c", "classic.yaml", "--auto-approve"], 0, classicApplyBound(empty, { newSamlProviders: s.accounts, newRoles: s.accounts * s.roles, managedPoliciesPerRole: 1 }, full)],
      ["plan (no changes)", ["plan", "-c", "classic.yaml", "--detailed-exitcode"], 0, classicPlanBound(full)],
      // The same plan without reading people: the authentik requests show what people cost.
      ["plan (no changes, review.people: off)", ["plan", "-c", "classic-people-off.yaml", "--detailed-exitcode"], 0, classicPlanBound(full)],
      [`plan (+${ADDED} bindings)`, ["plan", "-c", "classic-plus.yaml", "--detailed-exitcode"], 2, classicPlanBound(full)],
      [`apply (+${ADDED} bindings)`, ["apply", "-c", "classic-plus.yaml", "--auto-approve"], 0, classicApplyBound(full, { newSamlProviders: 0, newRoles: 0, managedPoliciesPerRole: 1 }, full)],
    ];
    for (const [name, argv, expected, bound] of steps) {
      const r = await step(p, scenario, name, argv, expected, bound, "iam");
      results.push(r);
      save();
      if (r.exitCode !== expected) break;
    }
  } finally {
    await p.stop();
  }
}

// ---- report ---------------------------------------------------------------------------------

const STATUS_OPS = /^(Describe|List)(AccountAssignment(Creation|Deletion)|PermissionSetProvisioning)Status$/;
const STATUS_ROW = "status reads (Describe…/List…Status)";

function stepMarkdown(r: StepResult, accounts?: number): string {
  const measuredOps = r.boundOf === "iam" ? r.otherAws : r.identityCenter;
  const measured = sum(measuredOps);
  const what = r.boundOf === "iam" ? "AWS requests (STS + IAM)" : "Identity Center requests";
  const lines = [
    `#### ${r.scenario} — ${r.step}${r.exitCode !== r.expectedExit ? ` (exit ${r.exitCode}, expected ${r.expectedExit})` : ""}`,
    "",
    "| | measured | lower bound | measured / bound |",
    "| --- | ---: | ---: | ---: |",
    `| ${what} | ${fmt(measured)}${accounts ? ` (${fmt(measured / accounts, 2)} per account)` : ""} | ${fmt(r.bound.requests)}${accounts ? ` (${fmt(r.bound.requests / accounts, 2)} per account)` : ""} | ${ratio(measured, r.bound.requests)} |`,
    `| wall time | ${fmt(r.wallS, 1)} s | ${r.bound.seconds === undefined ? "— (no quota modelled)" : `${fmt(r.bound.seconds, 1)} s`} | ${r.bound.seconds === undefined ? "—" : ratio(r.wallS, r.bound.seconds)} |`,
    `| CPU time of the CLI (user + system) | ${fmt(r.cpuS, 1)} s | | |`,
    `| peak RSS of the CLI | ${fmt(r.peakRssMB)} MB | | |`,
    `| throttled (429-style refusals by the 20/s bucket) | ${fmt(r.throttled)} | 0 | |`,
    `| refused (work-in-progress limits, conflicts) | ${fmt(sum(r.refused))}${sum(r.refused) ? ` (${Object.entries(r.refused).map(([k, v]) => `${k} ${v}`).join(", ")})` : ""} | 0 | |`,
    ...(r.boundOf === "identity-center"
      ? [`| most assignment operations outstanding | ${fmt(r.maxOutstanding.AccountAssignment ?? 0)} | ≤ ${OUTSTANDING_LIMIT} | |`]
      : []),
    ...(r.boundOf === "identity-center" ? [`| other AWS requests (STS, IAM, Organizations) | ${fmt(sum(r.otherAws))} | | |`] : []),
    `| authentik requests | ${fmt(sum(r.authentik))} | | |`,
    "",
    "Lower bound:",
    ...r.bound.derivation.map((d) => `- ${d}`),
    ...(r.bound.timeDerivation ? [`- time: ${r.bound.timeDerivation}`] : []),
    "",
    "| operation | requests | minimum |",
    "| --- | ---: | ---: |",
  ];
  const min = r.bound.byOperation;
  const ops = [...new Set([...Object.keys(measuredOps), ...Object.keys(min)])].filter((op) => op !== STATUS_ROW).sort();
  for (const op of ops) lines.push(`| ${op} | ${fmt(measuredOps[op] ?? 0)} | ${STATUS_OPS.test(op) ? "(below)" : fmt(min[op] ?? 0)} |`);
  const statusMeasured = Object.entries(measuredOps).filter(([op]) => STATUS_OPS.test(op)).reduce((n, [, v]) => n + v, 0);
  if (statusMeasured || min[STATUS_ROW]) lines.push(`| ${STATUS_ROW}, together | ${fmt(statusMeasured)} | ${fmt(min[STATUS_ROW] ?? 0)} |`);
  if (r.boundOf === "identity-center" && sum(r.otherAws)) for (const [op, n] of Object.entries(r.otherAws).sort()) lines.push(`| ${op} (not Identity Center) | ${fmt(n)} | |`);
  const ak = Object.entries(r.authentik).sort(([a], [b]) => a.localeCompare(b));
  if (ak.length) lines.push("", `authentik requests by operation: ${ak.map(([op, n]) => `${op} ${n}`).join(", ")}`);
  if (r.outputTail) lines.push("", "CLI output (end):", "", "```", r.outputTail.trim(), "```");
  return lines.join("\n");
}

function summaryMarkdown(results: StepResult[]): string {
  const lines = [
    "| scenario | step | requests (measured / bound) | wall (measured / bound) | CPU | peak RSS | throttled | refused | max outstanding |",
    "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const measured = r.boundOf === "iam" ? sum(r.otherAws) : sum(r.identityCenter);
    lines.push(
      `| ${r.scenario} | ${r.step}${r.exitCode !== r.expectedExit ? ` (exit ${r.exitCode}!)` : ""} | ${fmt(measured)} / ${fmt(r.bound.requests)} = ${ratio(measured, r.bound.requests)} | ` +
        `${fmt(r.wallS, 1)} s / ${r.bound.seconds === undefined ? "—" : `${fmt(r.bound.seconds, 1)} s = ${ratio(r.wallS, r.bound.seconds)}`} | ${fmt(r.cpuS, 1)} s | ${fmt(r.peakRssMB)} MB | ${r.throttled} | ${sum(r.refused)} | ${r.boundOf === "iam" ? "—" : (r.maxOutstanding.AccountAssignment ?? 0)} |`,
    );
  }
  return lines.join("\n");
}

function machine(): string {
  let commit = "unknown";
  let dirty = "";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const changed = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" }).trim();
    if (changed) dirty = " + uncommitted changes in src/";
  } catch {
    /* not a git checkout */
  }
  const c = cpus();
  return `commit ${commit}${dirty}; Node ${process.version}; ${c.length} × ${c[0]?.model ?? "CPU"}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "small" },
      only: { type: "string" },
      "async-ms": { type: "string", default: "1000" },
      json: { type: "string" },
      "src-commit": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm run bench [-- --scale small|org|core] [--only ic|classic] [--async-ms MS] [--json FILE] [--src-commit REV (core: measure that commit's src/)]");
    return;
  }
  const started = Date.now();
  if (values.scale === "core") {
    const srcCommit = values["src-commit"];
    const { results, markdown } = await coreBenchmark(log, srcCommit);
    const where = srcCommit ? `src/ of ${srcCommit}; ${machine().replace(/^commit \S+( \+ uncommitted changes in src\/)?; /, "")}` : machine();
    if (values.json) writeFileSync(values.json, JSON.stringify({ machine: where, results }, null, 2));
    console.log(`### Planner and executor alone (${where})\n\n${markdown}`);
    return;
  }
  if (values.scale !== "small" && values.scale !== "org") throw new Error("--scale must be small, org or core");
  const asyncMs = Number(values["async-ms"]);
  if (!(asyncMs >= 0)) throw new Error("--async-ms must be a number >= 0");
  const scale = SCALES[values.scale];
  if (!existsSync(path.join(ROOT, "lib", "src", "cli", "main.js"))) throw new Error("lib/ is not built: run npm run build (npm run bench does)");
  mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
  libSnapshot = mkdtempSync(path.join(ROOT, ".tmp", "bench-lib-"));
  cpSync(path.join(ROOT, "lib"), libSnapshot, { recursive: true });
  const results: StepResult[] = [];
  const save = () => {
    if (values.json) writeFileSync(values.json, JSON.stringify({ scale: values.scale, asyncMs, machine: machine(), results }, null, 2));
  };
  try {
    if (values.only !== "classic") await identityCenterScenario(scale.ic, asyncMs, results, save);
    if (values.only !== "ic") await classicScenario(scale.classic, asyncMs, results, save);
  } finally {
    rmSync(libSnapshot, { recursive: true, force: true });
  }
  const accountsOf = (r: StepResult) => (r.boundOf === "iam" ? scale.classic.accounts : undefined);
  console.log(
    [
      `### npm run bench -- --scale ${values.scale}`,
      "",
      `${machine()}. Peers in processes of their own: moto_server behind the Identity Center shim (${IC_TPS} requests/s shared, burst ${IC_TPS}, ${LATENCY_MS} ms per Identity Center call, asynchronous operations IN_PROGRESS for ${asyncMs} ms, at most ${OUTSTANDING_LIMIT} assignment operations outstanding), the authentik emulator. ${Math.round((Date.now() - started) / 1000)} s in all.`,
      "",
      summaryMarkdown(results),
      "",
      ...results.map((r) => `${stepMarkdown(r, accountsOf(r))}\n`),
    ].join("\n"),
  );
}

await main();
