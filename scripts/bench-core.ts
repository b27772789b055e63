/**
 * `npm run bench -- --scale core`: the pure core at organization sizes, without peers —
 * the planner (src/plan/compute-plan.ts computePlan) and the executor
 * (src/apply/executor.ts executeChanges, with a handler that does nothing) on synthetic
 * Identity Center states of 1k, 10k and 50k assignments (60 permission sets), and how
 * their time grows against the size: a linear part grows ×10 from 1k to 10k, a
 * quadratic one ×100.
 *
 * Each case runs in a child process of its own (a clean heap, a true peak RSS, and a
 * time limit that a quadratic case cannot overstay):
 *   node --import tsx scripts/bench-core.ts --case plan-delete --n 10000   → one JSON line
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { address } from "../src/domain/addresses.js";
import type { PlanInput } from "../src/plan/compute-plan.js";
import type { Change, DesiredResource, LiveResource, Props, ResourceType } from "../src/domain/plan-types.js";

const ROOT = path.join(import.meta.dirname, "..");
/**
 * Where the measured src/ is: this checkout's, or (AAG_BENCH_SRC, set by --src-commit)
 * an extract of another commit's, to compare before and after a change.
 */
const SRC_ROOT = process.env.AAG_BENCH_SRC ?? ROOT;
const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(SRC_ROOT, "src", file)).href) as Promise<T>;
const { computePlan } = await load<typeof import("../src/plan/compute-plan.js")>("plan/compute-plan.ts");
const { executeChanges } = await load<typeof import("../src/apply/executor.js")>("apply/executor.ts");

export const CORE_SIZES = [1_000, 10_000, 50_000];
export const CORE_CASES = ["plan-noop", "plan-create", "plan-delete", "execute", "execute-deps"] as const;
export type CoreCase = (typeof CORE_CASES)[number];
const CASE_TEXT: Record<CoreCase, string> = {
  "plan-noop": "computePlan, nothing to change (desired = live)",
  "plan-create": "computePlan, every assignment to create",
  "plan-delete": "computePlan, every assignment to delete (prune, allow-delete-all)",
  execute: "executeChanges, independent creates, no-op handler (concurrency 10, assignment lane 10)",
  "execute-deps": "executeChanges, each assignment after its permission set's create",
};
const PERMISSION_SETS = 60;
const TIME_LIMIT_MS = 240_000;

export interface CoreResult {
  case: CoreCase;
  n: number;
  changes?: number;
  wallMs?: number;
  cpuMs?: number;
  rssBeforeMB?: number;
  peakRssMB?: number;
  error?: string;
}

// ---- synthetic Identity Center state ------------------------------------------------

function permissionSet(i: number): DesiredResource {
  const name = `PS${i}`;
  return {
    address: address.permissionSet(name),
    type: "aws.sso.permission_set",
    system: "aws",
    title: `permission set ${name}`,
    props: {
      name,
      description: `permission set ${i}`,
      session_duration: "PT1H",
      relay_state: "",
      managed_policies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      customer_managed_policies: [],
      inline_policy: null,
      permissions_boundary: null,
      tags: { "managed-by": "authentik-aws-gitops", "managed-by-config": "aws" },
    },
  };
}

/** n assignments: group k holds 20 (2 sets × 10 accounts), like the organization scale. */
function assignment(i: number): DesiredResource {
  const group = `group-${Math.floor(i / 20)}`;
  const ps = `PS${(Math.floor(i / 10) % 2 + 2 * Math.floor(i / 20)) % PERMISSION_SETS}`;
  const accountId = String(200_000_000_000 + (i % 10) + 10 * (Math.floor(i / 20) % 20) + 1);
  return {
    address: address.assignment(group, ps, accountId),
    type: "aws.sso.account_assignment",
    system: "aws",
    account: accountId,
    title: `group "${group}" → ${ps} in ${accountId}`,
    props: { group, permission_set: { $ref: address.permissionSet(ps) }, account_id: accountId },
  };
}

const asLive = (d: DesiredResource, i: number): LiveResource => ({ ...d, id: `id-${i}-${d.address}`, owned: true });

function planInput(kind: "plan-noop" | "plan-create" | "plan-delete", n: number): PlanInput {
  const sets = Array.from({ length: PERMISSION_SETS }, (_, i) => permissionSet(i));
  const assignments = Array.from({ length: n }, (_, i) => assignment(i));
  const desired = kind === "plan-delete" ? sets : [...sets, ...assignments];
  const live = kind === "plan-create" ? sets.map(asLive) : [...sets, ...assignments].map(asLive);
  return {
    mode: "identity-center",
    configFile: "bench.yaml",
    tool: { name: "authentik-aws-gitops", version: "bench" },
    desired,
    live,
    prune: true,
    allowDeleteAll: true,
    accessOf: (r: { type: ResourceType; props: Props }) => {
      if (r.type !== "aws.sso.account_assignment") return undefined;
      const ref = (r.props.permission_set as { $ref: string }).$ref;
      return { group: String(r.props.group), grant: ref, account: String(r.props.account_id), accountId: String(r.props.account_id) };
    },
    identityOf: (r: { type: ResourceType; props: Props }) => (r.type === "aws.sso.permission_set" ? `ps:${String(r.props.name).toLowerCase()}` : undefined),
  };
}

function changesFor(n: number, withDeps: boolean): Change[] {
  const change = (d: DesiredResource, dependsOn: string[]): Change => ({
    address: d.address,
    type: d.type,
    system: d.system,
    title: d.title,
    action: "create",
    reason: "bench",
    before: null,
    after: d.props,
    fields: [],
    dependsOn,
  });
  const sets = withDeps ? Array.from({ length: PERMISSION_SETS }, (_, i) => change(permissionSet(i), [])) : [];
  const assignments = Array.from({ length: n }, (_, i) => {
    const d = assignment(i);
    return change(d, withDeps ? [(d.props.permission_set as { $ref: string }).$ref] : []);
  });
  return [...sets, ...assignments];
}

/** The work of one case, inputs built (not measured). */
function prepare(kind: CoreCase, n: number): () => Promise<number> {
  let work: () => Promise<number>;
  if (kind === "execute" || kind === "execute-deps") {
    const changes = changesFor(n, kind === "execute-deps");
    work = async () => {
      const result = await executeChanges(changes, async () => {}, {
        concurrency: 10,
        lanes: (c) => (c.type === "aws.sso.account_assignment" ? { key: "assignments", limit: 10 } : { key: c.system, limit: 4 }),
      });
      return result.applied.length;
    };
  } else {
    const input = planInput(kind, n);
    work = async () => computePlan(input).changes.length;
  }
  return work;
}

async function runCase(kind: CoreCase, n: number): Promise<CoreResult> {
  // A warm-up at 1,000 first, so that the measured run is compiled code, whatever n.
  await prepare(kind, 1_000)();
  const work = prepare(kind, n);
  const rssBefore = process.memoryUsage().rss;
  // Three runs of the same work; the median of each measure (the machine is shared).
  const walls: number[] = [];
  const cpus: number[] = [];
  let changes = 0;
  let peakRss = 0;
  for (let i = 0; i < 3; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    changes = await work();
    walls.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / 1000);
    if (i === 0) peakRss = process.resourceUsage().maxRSS / 1024; // of one run: later runs add garbage not yet collected
    if (walls[0]! > 5_000) break; // slow enough to be measured once
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    case: kind,
    n,
    changes,
    wallMs: median(walls),
    cpuMs: median(cpus),
    rssBeforeMB: rssBefore / 2 ** 20,
    peakRssMB: peakRss,
  };
}

// ---- parent: every case in a child, then a table ------------------------------------

const TSX = import.meta.resolve("tsx");

function inChild(kind: CoreCase, n: number, srcRoot?: string): Promise<CoreResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", TSX, import.meta.filename, "--case", kind, "--n", String(n)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...(srcRoot ? { AAG_BENCH_SRC: srcRoot } : {}) },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIME_LIMIT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") return resolve({ case: kind, n, error: `stopped after ${TIME_LIMIT_MS / 1000} s` });
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as CoreResult);
      } catch {
        resolve({ case: kind, n, error: `exit ${code}: ${err.trim().split("\n").slice(-3).join(" ")}` });
      }
    });
  });
}

const fmt = (x: number | undefined, digits = 0) => (x === undefined ? "—" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));

/**
 * Runs every case at every size. With `srcCommit`, against that commit's src/ (extracted
 * with git archive under .tmp/, where node_modules still resolves) instead of this checkout's.
 */
export async function coreBenchmark(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  srcCommit?: string,
): Promise<{ results: CoreResult[]; markdown: string }> {
  let srcRoot: string | undefined;
  if (srcCommit) {
    mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
    srcRoot = mkdtempSync(path.join(ROOT, ".tmp", "bench-src-"));
    const tar = execFileSync("git", ["archive", "--format=tar", srcCommit, "src", "package.json", "schema"], { cwd: ROOT, maxBuffer: 1 << 28 });
    execFileSync("tar", ["-x", "-C", srcRoot], { input: tar });
  }
  try {
    return await runAll(log, srcRoot);
  } finally {
    if (srcRoot) rmSync(srcRoot, { recursive: true, force: true });
  }
}

async function runAll(log: (line: string) => void, srcRoot: string | undefined): Promise<{ results: CoreResult[]; markdown: string }> {
  const results: CoreResult[] = [];
  for (const kind of CORE_CASES) {
    for (const n of CORE_SIZES) {
      log(`core: ${kind} n=${n} …`);
      const r = await inChild(kind, n, srcRoot);
      results.push(r);
      log(`core: ${kind} n=${n}: ${r.error ?? `${fmt(r.cpuMs)} ms CPU, peak RSS ${fmt(r.peakRssMB)} MB`}`);
    }
  }
  const lines = [
    "| case | n (assignments) | changes | wall | CPU | growth of CPU vs size | RSS before → peak |",
    "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
  ];
  for (const kind of CORE_CASES) {
    const rows = results.filter((r) => r.case === kind);
    rows.forEach((r, i) => {
      const prev = rows[i - 1];
      const growth =
        prev && prev.cpuMs !== undefined && r.cpuMs !== undefined
          ? `×${fmt(r.cpuMs / prev.cpuMs, 1)} for ×${fmt(r.n / prev.n)} (exponent ${fmt(Math.log(r.cpuMs / prev.cpuMs) / Math.log(r.n / prev.n), 2)})`
          : "";
      lines.push(
        `| ${i === 0 ? CASE_TEXT[kind] : ""} | ${fmt(r.n)} | ${fmt(r.changes)} | ${r.error ? r.error : `${fmt(r.wallMs)} ms`} | ${r.error ? "—" : `${fmt(r.cpuMs)} ms`} | ${growth} | ${r.error ? "—" : `${fmt(r.rssBeforeMB)} → ${fmt(r.peakRssMB)} MB`} |`,
      );
    });
  }
  lines.push("", "Each case in a fresh process: a warm-up run at 1,000, then three runs (one if it takes over 5 s); the median is shown (peak RSS: the process's, up to the end of the first of them). Exponent: log(time ratio) / log(size ratio) — 1 is linear, 2 quadratic. CPU is the process's user + system time during the call; RSS before is after the inputs were built (the process alone, with tsx, is about 75 MB).");
  return { results, markdown: lines.join("\n") };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: { case: { type: "string" }, n: { type: "string" } } });
  if (values.case) {
    const kind = values.case as CoreCase;
    if (!CORE_CASES.includes(kind)) throw new Error(`--case must be one of ${CORE_CASES.join(", ")}`);
    console.log(JSON.stringify(await runCase(kind, Number(values.n ?? 1000))));
  } else {
    console.log((await coreBenchmark()).markdown);
  }
}
