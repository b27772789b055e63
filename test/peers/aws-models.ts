/**
 * AWS's own API models, as botocore ships them (`botocore/data/<service>/<version>/service-2.json.gz`),
 * for the shim to check requests against (see aws-validate.ts and MOTO-NOTES.md, "What the shim
 * refuses"). botocore comes with moto, so wherever moto_server runs the models are there:
 *
 *   const models = loadAwsModels();            // finds botocore like test/peers/moto.ts finds moto
 *   models.byService.get("iam")?.operations.CreateRole
 *
 * These are AWS's published shapes (min, max, pattern, enum, required), not the tool's rules:
 * nothing here may import from src/.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

/** A member reference inside a shape (structure member, list member, map key/value). */
export interface ShapeRef {
  shape: string;
  locationName?: string;
  queryName?: string;
}

/** The parts of a botocore shape that validation and the query protocol use. */
export interface Shape {
  type: "structure" | "list" | "map" | "string" | "integer" | "long" | "boolean" | "blob" | "timestamp" | "double" | "float";
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  flattened?: boolean;
  sensitive?: boolean;
  /** a structure holding any JSON document (Smithy `document`) */
  document?: boolean;
  /** a structure of which exactly one member is set (Smithy `union`) */
  union?: boolean;
  locationName?: string;
  error?: { code?: string; httpStatusCode?: number };
  exception?: boolean;
}

export interface Operation {
  name: string;
  input?: ShapeRef;
}

export interface ServiceModel {
  /** botocore's directory name: iam, sts, sso-admin, identitystore, organizations */
  service: string;
  apiVersion: string;
  protocol: "query" | "json";
  /** JSON protocol: the X-Amz-Target prefix (e.g. SWBExternalService) */
  targetPrefix?: string;
  /** query protocol: the XML namespace of answers (e.g. https://iam.amazonaws.com/doc/2010-05-08/) */
  xmlNamespace?: string;
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

export interface AwsModels {
  /** the botocore data directory the models came from */
  dataDir: string;
  /** botocore's version (from its __init__.py), when it could be read */
  botocoreVersion?: string;
  byService: Map<string, ServiceModel>;
  /** JSON protocol services by X-Amz-Target prefix */
  byTargetPrefix: Map<string, ServiceModel>;
}

/** The services the tool talks to (and so the shim sees). */
export const MODELLED_SERVICES = ["iam", "sts", "sso-admin", "identitystore", "organizations", "service-quotas"] as const;

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const VENV_PYTHON = join(PROJECT_ROOT, ".venv-moto", "bin", "python");

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/**
 * The Python that runs moto_server, read from its first line (`#!/…/python3`, as pip writes
 * console scripts; `#!/usr/bin/env python3`). A pyenv shim (`#!/usr/bin/env bash`) names none.
 */
function motoServerPython(): string | undefined {
  const bin = onPath("moto_server");
  if (!bin) return undefined;
  let first: string;
  try {
    first = readFileSync(bin, "utf8").slice(0, 300).split("\n")[0] ?? "";
  } catch {
    return undefined;
  }
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (!m) return undefined;
  const [, interpreter, arg] = m;
  if (/python[0-9.]*$/.test(interpreter!)) return interpreter;
  if (interpreter!.endsWith("/env") && arg && /python[0-9.]*$/.test(arg)) return arg;
  return undefined;
}

let found: string | undefined;

/**
 * botocore's data directory, found the way the tests find moto (test/peers/moto.ts):
 * `BOTOCORE_DATA` if set; else ask the Python of moto_server on PATH, the project's
 * `.venv-moto` (where the tests install moto when it is not on PATH, as on a fresh CI
 * runner without it), then `python3`. Throws, saying what was tried, when none has botocore.
 */
export function findBotocoreData(): string {
  if (found) return found;
  const explicit = process.env.BOTOCORE_DATA;
  if (explicit) {
    if (!existsSync(join(explicit, "iam"))) throw new Error(`BOTOCORE_DATA=${explicit} has no iam/ model`);
    return (found = explicit);
  }
  const tried: string[] = [];
  const candidates = [motoServerPython(), isExecutable(VENV_PYTHON) ? VENV_PYTHON : undefined, "python3"].filter(
    (p, i, all): p is string => p !== undefined && all.indexOf(p) === i,
  );
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"], { encoding: "utf8", timeout: 30_000 });
    const dir = r.status === 0 ? join(r.stdout.trim(), "data") : undefined;
    if (dir && existsSync(join(dir, "iam"))) return (found = dir);
    tried.push(`${python}: ${r.error?.message ?? (r.stderr.trim().split("\n").pop() || `exit ${r.status}`)}`);
  }
  throw new Error(
    "botocore (installed with moto) not found, so the AWS shim cannot check requests against AWS's API models.\n" +
      'Install moto (`pip install "moto[server]"`) or set BOTOCORE_DATA to botocore/data. Tried:\n  ' +
      tried.join("\n  "),
  );
}

/** The newest `<version>/service-2.json.gz` (or .json) of a service. */
function modelFile(dataDir: string, service: string): string {
  const dir = join(dataDir, service);
  const versions = readdirSync(dir).filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v)).sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error(`no API version of ${service} in ${dir}`);
  for (const name of ["service-2.json.gz", "service-2.json"]) {
    const file = join(dir, latest, name);
    if (existsSync(file)) return file;
  }
  throw new Error(`no service-2.json(.gz) in ${join(dir, latest)}`);
}

export function loadServiceModel(dataDir: string, service: string): ServiceModel {
  const file = modelFile(dataDir, service);
  const raw = readFileSync(file);
  const json = JSON.parse((file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8")) as {
    metadata: { apiVersion: string; protocol: string; targetPrefix?: string; xmlNamespace?: string };
    operations: Record<string, Operation>;
    shapes: Record<string, Shape>;
  };
  const protocol = json.metadata.protocol;
  if (protocol !== "query" && protocol !== "json") throw new Error(`${service}: protocol ${protocol} is not supported by the shim`);
  return {
    service,
    apiVersion: json.metadata.apiVersion,
    protocol,
    ...(json.metadata.targetPrefix ? { targetPrefix: json.metadata.targetPrefix } : {}),
    ...(json.metadata.xmlNamespace ? { xmlNamespace: json.metadata.xmlNamespace } : {}),
    operations: json.operations,
    shapes: json.shapes,
  };
}

/** Loads the models of `services` (default: the five the tool uses) from botocore. */
export function loadAwsModels(services: readonly string[] = MODELLED_SERVICES, dataDir = findBotocoreData()): AwsModels {
  const byService = new Map<string, ServiceModel>();
  const byTargetPrefix = new Map<string, ServiceModel>();
  for (const service of services) {
    const model = loadServiceModel(dataDir, service);
    byService.set(service, model);
    if (model.targetPrefix) byTargetPrefix.set(model.targetPrefix, model);
  }
  let botocoreVersion: string | undefined;
  try {
    botocoreVersion = /__version__\s*=\s*['"]([^'"]+)/.exec(readFileSync(join(dataDir, "..", "__init__.py"), "utf8"))?.[1];
  } catch {
    /* not a botocore checkout */
  }
  return { dataDir, ...(botocoreVersion ? { botocoreVersion } : {}), byService, byTargetPrefix };
}
