/**
 * A thin HTTP proxy in front of moto_server (see test/peers/MOTO-NOTES.md, "The shim").
 *
 * It supplies only what moto 5.2.1 lacks for IAM Identity Center (SSO Admin) and can
 * inject faults (latency, throttling, errors, failed async operations):
 *
 *   const moto = await startMoto();
 *   const shim = await startAwsShim({ motoEndpoint: moto.endpoint });
 *   const sso = new SSOAdminClient(awsClientConfig(shim.endpoint, "111111111111"));
 *   ...
 *   expect(shim.stats.maxInFlight.CreateAccountAssignment).toBeLessThanOrEqual(10);
 *   await shim.stop();
 *
 * Every request that is not handled here is forwarded to moto unchanged (method, path,
 * headers incl. Authorization and x-moto-account-id, body) and moto's answer is streamed
 * back. The service of a request is told by its X-Amz-Target prefix:
 * `SWBExternalService.` = sso-admin, `AWSIdentityStore.` = identitystore; only those two
 * ("Identity Center") get latency, throttling, faults and statistics. IAM, STS and
 * Organizations pass straight through.
 *
 * State (tags, permissions boundaries, async request statuses) is keyed by ARN / request
 * id, not by account: moto's instance ARNs (`…/ssoins-<16 random>`) differ per account, so
 * permission set ARNs are globally unique. Existence (and the caller's account) is checked
 * by asking moto itself: the shim re-sends the caller's headers (moto does not verify
 * signatures; it only reads the access key id and x-moto-account-id) with a
 * DescribePermissionSet / ListInstances body.
 *
 * Time (option `asyncDurationMs`, CLI `--async-ms`): ProvisionPermissionSet and
 * Create/DeleteAccountAssignment stay IN_PROGRESS for that long after they were accepted,
 * in Describe…Status and List…Status alike, and the shim refuses what AWS refuses while
 * they run: an 11th assignment operation in progress (ThrottlingException "There are too
 * many requests processing…"), a second provisioning of an account, and an assignment
 * operation racing a provisioning of the same (account, permission set) or another
 * operation on the same assignment (ConflictException "There is a conflicting operation in
 * process."). See MOTO-NOTES.md, "Time and AWS's limits on asynchronous work", for the sources.
 *
 * Role sessions (aws-sessions.ts; MOTO-NOTES.md, "Role sessions"): STS AssumeRoleWithSAML is
 * answered here (checked as AWS documents it, the role's trust policy evaluated; moto mints the
 * keys), the session recorded, and every later request signed with its key is authenticated
 * (session token, expiry on the shim's clock) and authorized against the role's policies read
 * from moto at that moment (aws-policy-eval.ts) before anything else happens to it. Requests
 * signed with any other key are not evaluated.
 */
import { randomUUID } from "node:crypto";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { loadAwsModels, type AwsModels, type ServiceModel } from "./aws-models.js";
import { DEFAULT_QUOTAS, iamWrites, LimitRefusal, nonWhitespaceBytes, parseIamAnswer, SSO_SERVICE_QUOTAS, type AwsQuotas, type CallIam, type IamWrite } from "./aws-limits.js";
import { askMotoGrammar, beyondMoto, GRAMMAR_SCRATCH_ACCOUNT, type PolicyKind } from "./aws-policy-grammar.js";
import { RoleSessions, type Protocol, type SamlSession, type SessionDecision, type SessionError } from "./aws-sessions.js";
import { ModelValidator, parseQueryInput, validationMessage } from "./aws-validate.js";
import { keepIdleConnectionsOpen } from "./emulator-http.js";

export type IdentityCenterService = "sso-admin" | "identitystore";

export interface ThrottleOptions {
  /** Token refill rate, shared by all Identity Center operations. */
  ratePerSecond: number;
  /** Bucket size (requests allowed back-to-back); default max(1, ratePerSecond). */
  burst?: number;
}

/** An AWS-style JSON error: HTTP `status` (default 400), `{"__type": type, "Message": message}`. */
export interface ShimError {
  type: string;
  message?: string;
  status?: number;
}

export interface FaultRule {
  /** Operation name (e.g. "CreateAccountAssignment", "CreateGroup"), or "*" for every Identity Center operation. */
  operation: string;
  /**
   * Only requests whose JSON input has every field of at least one of these objects
   * (plain data, so that a rule can travel to a shim in another process).
   */
  match?: Record<string, unknown>[];
  /** How many matching requests to affect; default: every one. */
  times?: number;
  /** Extra delay before the request is handled. */
  delayMs?: number;
  /** Answer with this error instead of handling/forwarding the request. */
  error?: ShimError;
  /**
   * Only for ProvisionPermissionSet, CreateAccountAssignment, DeleteAccountAssignment:
   * accept the request (IN_PROGRESS) without applying it in moto, and let the
   * Describe…Status end in FAILED with this FailureReason.
   */
  failAsync?: string;
}

export interface AwsShimOptions {
  /** moto_server base URL, e.g. http://127.0.0.1:40123 */
  motoEndpoint: string;
  /** Added to every Identity Center request (sso-admin and identitystore). Default 0. */
  latencyMs?: number;
  /**
   * Per-operation latency, added on top of latencyMs. Default
   * `{ CreateAccountAssignment: 20, DeleteAccountAssignment: 20 }` so that concurrency
   * (stats.maxInFlight) is observable; pass `{}` to disable.
   */
  operationLatencyMs?: Record<string, number>;
  /** Token bucket over all Identity Center operations; over the rate → 400 ThrottlingException. */
  throttle?: ThrottleOptions | undefined;
  faults?: FaultRule[];
  /**
   * How many Describe…Status calls answer IN_PROGRESS before the terminal status, for
   * ProvisionPermissionSet and Create/DeleteAccountAssignment (whose responses the shim
   * always rewrites to IN_PROGRESS). Default 1.
   */
  pendingPolls?: number;
  /**
   * Time model: ProvisionPermissionSet and Create/DeleteAccountAssignment stay IN_PROGRESS
   * for this many milliseconds of wall time after they were accepted (in Describe…Status and
   * List…Status alike), and AWS's limits on work in progress are enforced (see
   * maxOutstandingAssignments, and the conflicts in MOTO-NOTES.md). When set, pendingPolls is
   * not used. Default: unset (the poll-count model, no limits).
   */
  asyncDurationMs?: number;
  /**
   * With asyncDurationMs: how many account assignment operations (creations and deletions
   * together) may be IN_PROGRESS at once per instance; one more is refused with
   * outstandingError. Default 10 (AWS's).
   */
  maxOutstandingAssignments?: number;
  /**
   * The answer to an assignment operation over maxOutstandingAssignments. Default
   * 400 ThrottlingException "There are too many requests processing. Please try again later."
   */
  outstandingError?: ShimError;
  /**
   * The clock of the time model (asynchronous operations, work in progress) and of role
   * sessions (issue time, expiry), in epoch milliseconds. Default Date.now; a test drives its
   * own to make what is IN_PROGRESS independent of how loaded the machine is. advanceClock()
   * moves it on.
   */
  clock?: () => number;
  /** Page size of ListTagsForResource (the API has no MaxResults). Default 50. */
  tagsPageSize?: number;
  /** Port to listen on (127.0.0.1); default: a free one. */
  port?: number;
  /**
   * Check every request (IAM, STS, SSO Admin, Identity Store, Organizations) against AWS's API
   * models — botocore's service JSON, installed with moto — before moto or a handler sees it,
   * and answer what AWS refuses as AWS does (ValidationException; IAM/STS: ValidationError).
   * Default true. See MOTO-NOTES.md, "What the shim refuses".
   */
  validate?: boolean;
  /** botocore's data directory (…/botocore/data); default: found like moto is (aws-models.ts). */
  botocoreData?: string;
  /**
   * AWS's size and count limits the models do not express (defaults: AWS's default quotas;
   * e.g. `{ managedPoliciesPerRole: 20 }` for an account with a raised quota). Enforced
   * whether or not `validate` is on; set one to Infinity to lift it.
   */
  quotas?: Partial<AwsQuotas>;
}

export interface AwsShimStats {
  /** Every request received (any service, incl. throttled and pass-through ones). */
  requests: number;
  /** Identity Center requests received, by operation name (incl. throttled ones). */
  byOperation: Record<string, number>;
  /** Identity Center requests answered with ThrottlingException by the token bucket. */
  throttled: number;
  /** Requests answered with an injected FaultRule error. */
  faulted: number;
  /** Identity Center requests in flight right now, by operation. */
  inFlight: Record<string, number>;
  /** Maximum concurrent in-flight Identity Center requests, by operation. */
  maxInFlight: Record<string, number>;
  /**
   * Time model only: the most asynchronous operations IN_PROGRESS at once, by operation
   * (ProvisionPermissionSet, CreateAccountAssignment, DeleteAccountAssignment) and
   * "AccountAssignment" (creations and deletions together: what the limit counts).
   */
  maxOutstanding: Record<string, number>;
  /** Requests refused by a modelled AWS limit (work in progress, conflicts), by operation. */
  refused: Record<string, number>;
  /**
   * Requests passed through to moto (IAM, STS, Organizations, …), by "service:Operation"
   * (e.g. "iam:ListRoles", "sts:AssumeRole", "organizations:ListRoots").
   */
  passThrough: Record<string, number>;
  /**
   * Requests refused because AWS's API model does not allow them (ValidationException /
   * ValidationError, SerializationException), by "service:Operation" (e.g. "iam:CreateRole",
   * "sso-admin:CreatePermissionSet").
   */
  invalid: Record<string, number>;
}

/** What the shim checks requests against. */
export interface AwsShimValidation {
  /** false with `validate: false` (the limits still apply) */
  checking: boolean;
  /** botocore's data directory and version */
  botocoreData: string;
  botocoreVersion?: string;
  /** service → API version of its model */
  models: Record<string, string>;
  /** patterns JavaScript cannot compile, not checked (service → patterns) */
  skippedPatterns: Record<string, string[]>;
  quotas: AwsQuotas;
}

export interface AwsShim {
  /** e.g. http://127.0.0.1:40124 — use as the SDK endpoint instead of moto's. */
  endpoint: string;
  port: number;
  /** Live counters (mutated in place). */
  stats: AwsShimStats;
  /** The models and quotas requests are checked against. */
  validation: AwsShimValidation;
  /** Zero the counters (in place). */
  resetStats(): void;
  /** Forget tags, boundaries and async request statuses (also done when /moto-api/reset goes through the shim). */
  resetState(): void;
  /** Without operation: the general Identity Center latency; with it: that operation's extra latency. */
  setLatency(ms: number, operation?: string): void;
  setThrottle(throttle: ThrottleOptions | undefined): void;
  setPendingPolls(n: number): void;
  /** Switch the time model on (ms an operation stays IN_PROGRESS) or off (undefined: pendingPolls); applies to operations accepted from now on. */
  setAsyncDuration(ms: number | undefined): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /**
   * An IAM Identity Center quota raised (or lowered) for this account, as Service Quotas'
   * GetServiceQuota then answers it (undefined: never changed — GetServiceQuota answers
   * NoSuchResourceException, GetAWSDefaultServiceQuota the default). Cleared by resetState.
   */
  setServiceQuota(serviceCode: "sso", quotaCode: string, value: number | undefined): void;
  /**
   * Time passes (ms, added to the clock from now on): role sessions expire, asynchronous
   * operations finish. What a test uses instead of waiting for a session to expire.
   */
  advanceClock(ms: number): void;
  /** The role sessions AssumeRoleWithSAML issued through the shim (aws-sessions.ts), oldest first. */
  sessions(): SamlSession[];
  /** What the shim decided for each request signed with a session's key, in order. */
  sessionDecisions(): SessionDecision[];
  /** Closes the listener and all connections. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE_PREFIXES: ReadonlyArray<readonly [string, IdentityCenterService]> = [
  ["SWBExternalService.", "sso-admin"],
  ["AWSIdentityStore.", "identitystore"],
];
const JSON_CT = "application/x-amz-json-1.1";
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

type Json = Record<string, unknown>;
type AsyncKind = "provision" | "create" | "delete";

interface AsyncRecord {
  kind: AsyncKind;
  instanceArn: string;
  /** The full status object (PermissionSetProvisioningStatus / AccountAssignmentOperationStatus), terminal values. */
  status: Json;
  pendingLeft: number;
  /** Time model: when the operation stops being IN_PROGRESS (epoch ms). */
  doneAt?: number;
  /** Position in the shim's list of async records (List…Status cursors). */
  seq: number;
}

/**
 * Time model: an asynchronous operation holding AWS's capacity from the moment it is
 * checked (so that concurrent requests cannot both pass) until doneAt.
 */
interface Outstanding {
  kind: AsyncKind;
  instanceArn: string;
  permissionSetArn: string;
  /** provision: the accounts it provisions; create/delete: the target account. */
  accounts: string[];
  /** create/delete: "<PrincipalType>:<PrincipalId>". */
  principal?: string;
  /** Infinity until the operation was accepted (its answer sent). */
  doneAt: number;
}

const OPERATION_OF: Record<AsyncKind, string> = {
  provision: "ProvisionPermissionSet",
  create: "CreateAccountAssignment",
  delete: "DeleteAccountAssignment",
};
/** What AWS answers while an account or assignment is being changed (MOTO-NOTES.md). */
const CONFLICT_MESSAGE = "There is a conflicting operation in process.";
const TOO_MANY_IN_PROGRESS: ShimError = {
  type: "ThrottlingException",
  message: "There are too many requests processing. Please try again later.",
  status: 400,
};

interface MotoAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

class ShimFailure extends Error {
  constructor(readonly err: ShimError) {
    super(err.message ?? err.type);
  }
}
const fail = (type: string, message: string, status = 400): never => {
  throw new ShimFailure({ type, message, status });
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function str(input: Json, key: string): string | undefined {
  const v = input[key];
  return typeof v === "string" ? v : undefined;
}
function requireStr(input: Json, key: string): string {
  const v = str(input, key);
  if (v === undefined || v === "") fail("ValidationException", `${key} is required`);
  return v as string;
}
function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function identify(req: IncomingMessage): { service: IdentityCenterService; operation: string } | undefined {
  if (req.method !== "POST") return undefined;
  const target = req.headers["x-amz-target"];
  if (typeof target !== "string") return undefined;
  for (const [prefix, service] of SERVICE_PREFIXES) {
    if (target.startsWith(prefix)) return { service, operation: target.slice(prefix.length) };
  }
  return undefined;
}

function stripHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  }
  return out;
}

/**
 * The request's body, read once: a request whose body was read before it is dispatched (a role
 * session's request is authorized first; an unsigned query call is looked at for
 * AssumeRoleWithSAML) hands every later reader the same buffer.
 */
const bodies = new WeakMap<IncomingMessage, Promise<Buffer>>();
function readBody(req: IncomingMessage): Promise<Buffer> {
  let body = bodies.get(req);
  if (!body) {
    body = new Promise((res, rej) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => res(Buffer.concat(chunks)));
      req.on("error", rej);
    });
    bodies.set(req, body);
  }
  return body;
}

/** The SigV4 credential a request is signed with (Authorization header, or a presigned URL's X-Amz-Credential). */
function credentialOf(req: IncomingMessage): { accessKeyId: string; region: string; service: string } | undefined {
  const scope = /^([^/\s,]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/;
  const header = /Credential=([^,\s]+)/.exec(String(req.headers.authorization ?? ""))?.[1];
  const query = new URL(req.url ?? "/", "http://shim").searchParams.get("X-Amz-Credential") ?? undefined;
  const m = scope.exec(header ?? query ?? "");
  return m ? { accessKeyId: m[1]!, region: m[2]!, service: m[3]! } : undefined;
}

/** The session token a request carries (X-Amz-Security-Token header or query parameter). */
function sessionTokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers["x-amz-security-token"];
  if (typeof header === "string") return header;
  return new URL(req.url ?? "/", "http://shim").searchParams.get("X-Amz-Security-Token") ?? undefined;
}

/** A query-protocol request's parameters: the form body, then the URL's. */
function queryParams(req: IncomingMessage, body: Buffer): URLSearchParams {
  const params = new URLSearchParams(body.toString("utf8"));
  for (const [k, v] of new URL(req.url ?? "/", "http://shim").searchParams) if (!params.has(k)) params.set(k, v);
  return params;
}

function parseJson(buf: Buffer): Json | undefined {
  if (buf.length === 0) return {};
  try {
    const v: unknown = JSON.parse(buf.toString("utf8"));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "content-type": JSON_CT,
    "content-length": buf.length,
    "x-amzn-requestid": randomUUID(),
    ...extra,
  });
  res.end(buf);
}

function sendError(res: ServerResponse, err: ShimError): void {
  sendJson(
    res,
    err.status ?? 400,
    { __type: err.type, Message: err.message ?? err.type },
    { "x-amzn-errortype": err.type },
  );
}

function sendMoto(res: ServerResponse, answer: MotoAnswer): void {
  if (res.headersSent || res.destroyed) return;
  const headers = stripHopByHop(answer.headers);
  delete headers["content-length"];
  headers["content-length"] = answer.body.length;
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

const nowEpoch = () => Date.now() / 1000;

/** `…/ssoins-x/ps-y` (moto: `arn:aws:sso:::instance/ssoins-x/ps-y`; AWS: `…:permissionSet/ssoins-x/ps-y`). */
const PERMISSION_SET_ARN = /^arn:[^:]+:sso:::[A-Za-z]+\/(ssoins-[A-Za-z0-9]+)\/ps-[A-Za-z0-9]+$/;
const INSTANCE_ARN = /^arn:[^:]+:sso:::instance\/ssoins-[A-Za-z0-9]+$/;

function validateTags(tags: unknown): Array<{ Key: string; Value: string }> {
  if (!Array.isArray(tags)) return fail("ValidationException", "Tags must be a list");
  return tags.map((t) => {
    if (!isObject(t) || typeof t.Key !== "string") return fail("ValidationException", "Each tag needs a Key");
    const value = typeof t.Value === "string" ? t.Value : "";
    if (t.Key.length < 1 || t.Key.length > 128) fail("ValidationException", `Tag key length must be 1-128: ${t.Key}`);
    if (value.length > 256) fail("ValidationException", `Tag value length must be 0-256 (key ${t.Key})`);
    if (t.Key.toLowerCase().startsWith("aws:")) fail("ValidationException", `Tag keys starting with aws: are reserved: ${t.Key}`);
    return { Key: t.Key, Value: value };
  });
}

function validateBoundary(pb: unknown): Json {
  if (!isObject(pb)) return fail("ValidationException", "PermissionsBoundary is required");
  const managed = pb.ManagedPolicyArn;
  const ref = pb.CustomerManagedPolicyReference;
  if ((managed === undefined) === (ref === undefined)) {
    fail("ValidationException", "Specify exactly one of CustomerManagedPolicyReference and ManagedPolicyArn");
  }
  if (managed !== undefined) {
    if (typeof managed !== "string" || !/^arn:[^:]+:iam::(aws|\d{12}):policy\/.+/.test(managed)) {
      fail("ValidationException", `Invalid ManagedPolicyArn: ${String(managed)}`);
    }
    return { ManagedPolicyArn: managed };
  }
  if (!isObject(ref) || typeof ref.Name !== "string" || ref.Name === "") {
    return fail("ValidationException", "CustomerManagedPolicyReference.Name is required");
  }
  const path = typeof ref.Path === "string" && ref.Path !== "" ? ref.Path : "/";
  return { CustomerManagedPolicyReference: { Name: ref.Name, Path: path } };
}

/**
 * Identifiers moto makes in a form AWS does not, mapped to AWS's form of the same thing before a
 * pattern is checked (so that moto's own ids are not refused): permission set ARNs
 * `…:sso:::instance/ssoins-…/ps-…` (AWS: `…:permissionSet/ssoins-…/ps-…`) and Identity Store ids
 * `d-` + 10 letters or digits (AWS: 10 hex digits).
 */
const MOTO_PERMISSION_SET_ARN = /^(arn:[^:]+:sso:::)instance\/(ssoins-[a-z0-9]{16})\/(ps-[a-z0-9]{16})$/;
const MOTO_IDENTITY_STORE_ID = /^d-[a-z0-9]{10}$/;
export function awsFormOfMotoId(value: string): string {
  if (MOTO_PERMISSION_SET_ARN.test(value)) return value.replace(MOTO_PERMISSION_SET_ARN, "$1permissionSet/$2/$3");
  if (MOTO_IDENTITY_STORE_ID.test(value)) return "d-0123456789";
  return value;
}

/** Text content of an XML element (moto leaves quotes as they are, and so does AWS). */
const xmlEscape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * An error of a query-protocol service (IAM, STS) as AWS — and moto — answer it, which the
 * SDK parses into the named exception: `<ErrorResponse><Error><Type>Sender</Type><Code>…`.
 */
function sendQueryError(res: ServerResponse, model: ServiceModel, err: ShimError): void {
  if (res.headersSent || res.destroyed) return;
  const requestId = randomUUID();
  const ns = model.xmlNamespace ? ` xmlns="${model.xmlNamespace}"` : "";
  const body = Buffer.from(
    `<ErrorResponse${ns}><Error><Type>Sender</Type><Code>${xmlEscape(err.type)}</Code><Message>${xmlEscape(err.message ?? err.type)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
  res.writeHead(err.status ?? 400, { "content-type": "text/xml", "content-length": body.length, "x-amzn-requestid": requestId });
  res.end(body);
}

function pageOf<T>(items: T[], input: Json, defaultSize: number): { page: T[]; next?: string } {
  const token = str(input, "NextToken");
  let start = 0;
  if (token !== undefined) {
    const m = /^shim-(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"));
    if (!m) return fail("ValidationException", "Invalid NextToken");
    start = Number(m[1]);
  }
  const max = typeof input.MaxResults === "number" && input.MaxResults > 0 ? input.MaxResults : defaultSize;
  const page = items.slice(start, start + max);
  const end = start + page.length;
  return end < items.length ? { page, next: Buffer.from(`shim-${end}`).toString("base64") } : { page };
}

export async function startAwsShim(opts: AwsShimOptions): Promise<AwsShim> {
  const moto = new URL(opts.motoEndpoint);
  let latencyMs = opts.latencyMs ?? 0;
  const operationLatency: Record<string, number> = {
    ...(opts.operationLatencyMs ?? { CreateAccountAssignment: 20, DeleteAccountAssignment: 20 }),
  };
  let pendingPolls = opts.pendingPolls ?? 1;
  const checkDuration = (ms: number | undefined): number | undefined => {
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) throw new Error("asyncDurationMs must be a number >= 0");
    return ms;
  };
  let asyncDurationMs = checkDuration(opts.asyncDurationMs);
  const baseClock = opts.clock ?? Date.now;
  let clockOffset = 0;
  const clock = (): number => baseClock() + clockOffset;
  // Role sessions issued by AssumeRoleWithSAML, and what their credentials may do (aws-sessions.ts).
  const sessions = new RoleSessions({
    clock,
    iam: (account) => iamIn(account),
    async motoAssumeRoleWithSaml(account, params) {
      const body = Buffer.from(params.toString());
      const headers: OutgoingHttpHeaders = { "content-type": "application/x-www-form-urlencoded; charset=utf-8", "content-length": body.length, "x-moto-account-id": account };
      const answer = await motoRequest("POST", "/", headers, body);
      return { status: answer.status, body: answer.body.toString("utf8") };
    },
  });
  const maxOutstandingAssignments = opts.maxOutstandingAssignments ?? 10;
  const outstandingError = opts.outstandingError ?? TOO_MANY_IN_PROGRESS;
  const tagsPageSize = opts.tagsPageSize ?? 50;
  let faults: Array<FaultRule & { used: number }> = (opts.faults ?? []).map((f) => ({ ...f, used: 0 }));
  const quotas: AwsQuotas = { ...DEFAULT_QUOTAS, ...opts.quotas };

  // AWS's API models (botocore), loaded once per shim; a validator per service. The models
  // also say how a query-protocol request (IAM, STS) reads, which the limits need.
  const checkModels = opts.validate !== false;
  const models: AwsModels = loadAwsModels(undefined, opts.botocoreData);
  const validators = new Map<string, ModelValidator>();
  for (const [service, model] of models.byService) validators.set(service, new ModelValidator(model, { patternValue: awsFormOfMotoId }));
  const validation: AwsShimValidation = {
    checking: checkModels,
    botocoreData: models.dataDir,
    ...(models.botocoreVersion ? { botocoreVersion: models.botocoreVersion } : {}),
    models: Object.fromEntries([...models.byService].map(([service, m]) => [service, m.apiVersion])),
    skippedPatterns: Object.fromEntries([...validators].map(([service, v]) => [service, v.compileAll().skipped])),
    quotas,
  };
  const iamLimits: Record<string, IamWrite> = iamWrites(quotas);

  // Token bucket.
  let throttle: ThrottleOptions | undefined;
  let tokens = 0;
  let refilledAt = 0;
  const setThrottle = (t: ThrottleOptions | undefined): void => {
    if (t !== undefined && !(t.ratePerSecond > 0)) throw new Error("throttle.ratePerSecond must be > 0");
    throttle = t;
    tokens = t ? (t.burst ?? Math.max(1, t.ratePerSecond)) : 0;
    refilledAt = Date.now();
  };
  setThrottle(opts.throttle);
  const takeToken = (): boolean => {
    if (!throttle) return true;
    const now = Date.now();
    const cap = throttle.burst ?? Math.max(1, throttle.ratePerSecond);
    tokens = Math.min(cap, tokens + ((now - refilledAt) / 1000) * throttle.ratePerSecond);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  };

  const stats: AwsShimStats = {
    requests: 0,
    byOperation: {},
    throttled: 0,
    faulted: 0,
    inFlight: {},
    maxInFlight: {},
    maxOutstanding: {},
    refused: {},
    passThrough: {},
    invalid: {},
  };
  const resetStats = (): void => {
    stats.requests = 0;
    stats.throttled = 0;
    stats.faulted = 0;
    for (const map of [stats.byOperation, stats.maxInFlight, stats.maxOutstanding, stats.refused, stats.passThrough, stats.invalid]) {
      for (const k of Object.keys(map)) delete map[k];
    }
    // inFlight is left alone: requests may be running.
  };

  // Identity Center state the shim owns.
  const tags = new Map<string, Map<string, string>>(); // resource ARN → key → value
  const boundaries = new Map<string, Json>(); // permission set ARN → PermissionsBoundary
  const asyncOps = new Map<string, AsyncRecord>(); // RequestId → record
  const asyncList: AsyncRecord[] = []; // every record in acceptance order (record.seq = index)
  const outstanding = new Set<Outstanding>(); // time model: operations holding capacity now
  // Permission set ARN → account → the version of the set provisioned there (seen here: by
  // ProvisionPermissionSet or by an assignment). A change to what the set's role carries
  // (policies, boundary, session duration, relay state) makes a new version, which reaches an
  // account only when provisioned again (AWS: LATEST_PERMISSION_SET_NOT_PROVISIONED until then).
  const provisionedTo = new Map<string, Map<string, number>>();
  const versions = new Map<string, number>(); // permission set ARN → its current version (1 when never changed)
  const versionOf = (psArn: string): number => versions.get(psArn) ?? 1;
  /** A change the set's role carries: every account it is provisioned to now holds an older version. */
  const changed = (psArn: string): void => {
    versions.set(psArn, versionOf(psArn) + 1);
  };
  /** The set's current version is now in these accounts (ProvisionPermissionSet, or an assignment created there). */
  const provisioned = (psArn: string, accounts: readonly string[]): void => {
    const map = provisionedTo.get(psArn) ?? new Map<string, number>();
    for (const a of accounts) map.set(a, versionOf(psArn));
    provisionedTo.set(psArn, map);
  };
  // instance ARN → its attributes for access control (ABAC); moto has none of these operations.
  const abac = new Map<string, { attributes: Json[]; enabledAt: number }>();
  // "sso/L-…" → the value Service Quotas gives as applied; moto's Service Quotas has no sso.
  const appliedQuotas = new Map<string, number>();
  const resetState = (): void => {
    sessions.reset();
    appliedQuotas.clear();
    abac.clear();
    tags.clear();
    boundaries.clear();
    asyncOps.clear();
    asyncList.length = 0;
    outstanding.clear();
    provisionedTo.clear();
    versions.clear();
  };
  const forgetPermissionSet = (arn: string): void => {
    tags.delete(arn);
    boundaries.delete(arn);
    provisionedTo.delete(arn);
    versions.delete(arn);
  };
  /** Forwards a change of what a permission set's role carries to moto; once it succeeded, the set has a new version. */
  async function changing(req: IncomingMessage, body: Buffer, input: Json, answer?: MotoAnswer): Promise<MotoAnswer> {
    const a = answer ?? (await forwardBuffered(req, body));
    const psArn = str(input, "PermissionSetArn");
    if (a.status === 200 && psArn !== undefined) changed(psArn);
    return a;
  }

  // ---- talking to moto -------------------------------------------------------------

  function motoRequest(method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer): Promise<MotoAnswer> {
    return new Promise((res, rej) => {
      const up = httpRequest(
        { protocol: moto.protocol, hostname: moto.hostname, port: moto.port, method, path, headers },
        (ur) => {
          const chunks: Buffer[] = [];
          ur.on("data", (c: Buffer) => chunks.push(c));
          ur.on("end", () => res({ status: ur.statusCode ?? 502, headers: ur.headers, body: Buffer.concat(chunks) }));
          ur.on("error", rej);
        },
      );
      up.on("error", rej);
      up.end(body);
    });
  }

  /** Forward a buffered request as it came. */
  function forwardBuffered(req: IncomingMessage, body: Buffer): Promise<MotoAnswer> {
    const headers = stripHopByHop(req.headers);
    headers["content-length"] = body.length;
    return motoRequest(req.method ?? "POST", req.url ?? "/", headers, body);
  }

  /** Another SSO Admin call to moto on behalf of the caller (same account selection headers). */
  async function callMoto(req: IncomingMessage, operation: string, input: Json): Promise<MotoAnswer> {
    const headers = stripHopByHop(req.headers);
    for (const h of ["content-length", "x-amz-target", "x-amz-content-sha256", "expect", "amz-sdk-invocation-id", "amz-sdk-request"]) {
      delete headers[h];
    }
    const body = Buffer.from(JSON.stringify(input));
    headers["content-type"] = JSON_CT;
    headers["x-amz-target"] = `SWBExternalService.${operation}`;
    headers["content-length"] = body.length;
    return motoRequest("POST", "/", headers, body);
  }

  /** Throws (relaying moto's error) unless the resource exists in the caller's account. */
  async function ensureResource(req: IncomingMessage, resourceArn: string, instanceArn?: string): Promise<void> {
    const ps = PERMISSION_SET_ARN.exec(resourceArn);
    let answer: MotoAnswer;
    if (ps) {
      answer = await callMoto(req, "DescribePermissionSet", {
        InstanceArn: instanceArn ?? `arn:aws:sso:::instance/${ps[1]}`,
        PermissionSetArn: resourceArn,
      });
    } else if (INSTANCE_ARN.test(resourceArn)) {
      answer = await callMoto(req, "ListInstances", {});
      if (answer.status === 200) {
        const list = parseJson(answer.body)?.Instances;
        const found = Array.isArray(list) && list.some((i) => isObject(i) && i.InstanceArn === resourceArn);
        if (!found) fail("ResourceNotFoundException", `Could not find instance ${resourceArn}`);
        return;
      }
    } else {
      return fail("ValidationException", `The shim supports permission set and instance ARNs only: ${resourceArn}`);
    }
    if (answer.status !== 200) throw answer;
  }

  // ---- async operations ------------------------------------------------------------

  /**
   * Time model: checks that AWS would take this operation on now, and holds its place (so a
   * concurrent request sees it) until track() confirms it or the request ends without. Poll
   * model: no limits, undefined.
   */
  function reserve(kind: AsyncKind, instanceArn: string, scope: { permissionSetArn: string; accounts: string[]; principal?: string }): Outstanding | undefined {
    if (asyncDurationMs === undefined) return undefined;
    const now = clock();
    for (const o of outstanding) if (o.doneAt <= now) outstanding.delete(o);
    const here = [...outstanding].filter((o) => o.instanceArn === instanceArn);
    const refuse = (err: ShimError): never => {
      stats.refused[OPERATION_OF[kind]] = (stats.refused[OPERATION_OF[kind]] ?? 0) + 1;
      throw new ShimFailure(err);
    };
    const conflict = (): never => refuse({ type: "ConflictException", message: CONFLICT_MESSAGE, status: 400 });
    const sharesAccount = (o: Outstanding) => o.accounts.some((a) => scope.accounts.includes(a));
    if (kind === "provision") {
      // One permission-set provisioning per account at a time; nor while an assignment
      // of this set in that account is being created or deleted (which provisions it too).
      if (here.some((o) => sharesAccount(o) && (o.kind === "provision" || o.permissionSetArn === scope.permissionSetArn))) conflict();
    } else {
      if (here.filter((o) => o.kind !== "provision").length >= maxOutstandingAssignments) refuse(outstandingError);
      const sameSet = (o: Outstanding) => o.permissionSetArn === scope.permissionSetArn && sharesAccount(o);
      if (here.some((o) => sameSet(o) && (o.kind === "provision" || o.principal === scope.principal))) conflict();
    }
    const slot: Outstanding = { kind, instanceArn, ...scope, doneAt: Infinity };
    outstanding.add(slot);
    const count = (pred: (o: Outstanding) => boolean) => here.filter(pred).length + 1;
    const op = OPERATION_OF[kind];
    stats.maxOutstanding[op] = Math.max(stats.maxOutstanding[op] ?? 0, count((o) => o.kind === kind));
    if (kind !== "provision") {
      stats.maxOutstanding.AccountAssignment = Math.max(stats.maxOutstanding.AccountAssignment ?? 0, count((o) => o.kind !== "provision"));
    }
    return slot;
  }

  /** Gives a reserved place back (the request failed, or was not accepted). */
  function release(slot: Outstanding | undefined): void {
    if (slot && slot.doneAt === Infinity) outstanding.delete(slot);
  }

  function track(kind: AsyncKind, instanceArn: string, status: Json, slot?: Outstanding): Json {
    const requestId = randomUUID();
    const terminal = { ...status, RequestId: requestId };
    const rec: AsyncRecord = { kind, instanceArn, status: terminal, pendingLeft: pendingPolls, seq: asyncList.length };
    if (asyncDurationMs !== undefined) {
      rec.doneAt = clock() + asyncDurationMs;
      if (slot) slot.doneAt = rec.doneAt;
    }
    asyncOps.set(requestId, rec);
    asyncList.push(rec);
    return { ...terminal, Status: "IN_PROGRESS", FailureReason: undefined };
  }

  function inProgress(rec: AsyncRecord): boolean {
    return rec.doneAt !== undefined ? clock() < rec.doneAt : rec.pendingLeft > 0;
  }

  function current(rec: AsyncRecord): Json {
    if (inProgress(rec)) return { ...rec.status, Status: "IN_PROGRESS", FailureReason: undefined };
    return rec.status;
  }

  function describe(kind: AsyncKind, input: Json, idKey: string): Json | undefined {
    const instanceArn = requireStr(input, "InstanceArn");
    const rec = asyncOps.get(requireStr(input, idKey));
    if (!rec || rec.kind !== kind || rec.instanceArn !== instanceArn) return undefined;
    const answer = current(rec);
    if (rec.doneAt === undefined && rec.pendingLeft > 0) rec.pendingLeft -= 1;
    return answer;
  }

  /**
   * List…Status: pages of at most 100 (AWS's MaxResults range is 1–100), optionally only
   * one status. The NextToken is a cursor into the records in acceptance order, so that
   * records changing status between pages are neither skipped nor repeated.
   */
  function listStatuses(kind: AsyncKind, input: Json): { page: Json[]; next?: string } {
    const instanceArn = requireStr(input, "InstanceArn");
    const filter = isObject(input.Filter) ? str(input.Filter, "Status") : undefined;
    if (filter !== undefined && !["IN_PROGRESS", "FAILED", "SUCCEEDED"].includes(filter)) {
      fail("ValidationException", `1 validation error detected: Value '${filter}' at 'filter.status' failed to satisfy constraint: Member must satisfy enum value set: [IN_PROGRESS, FAILED, SUCCEEDED]`);
    }
    const max = input.MaxResults === undefined ? 100 : input.MaxResults;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > 100) {
      fail("ValidationException", `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`);
    }
    let start = 0;
    const token = str(input, "NextToken");
    if (token !== undefined) {
      const m = /^shim-status-(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"));
      if (!m) return fail("ValidationException", "Invalid NextToken");
      start = Number(m[1]);
    }
    const page: Json[] = [];
    for (let i = start; i < asyncList.length; i++) {
      const r = asyncList[i]!;
      if (r.kind !== kind || r.instanceArn !== instanceArn) continue;
      const s = current(r);
      if (filter !== undefined && s.Status !== filter) continue;
      if (page.length === max) return { page, next: Buffer.from(`shim-status-${i}`).toString("base64") };
      page.push({ Status: s.Status, RequestId: s.RequestId, CreatedDate: s.CreatedDate });
    }
    return { page };
  }

  // ---- SSO Admin operations handled (fully or partly) by the shim ------------------

  type Handler = (req: IncomingMessage, body: Buffer, input: Json, fault: FaultRule | undefined) => Promise<Json | MotoAnswer>;

  /** What AWS validates and moto does not: Description and RelayState are 1+ characters. */
  function checkPermissionSetFields(input: Json): void {
    for (const [key, member] of [["Description", "description"], ["RelayState", "relayState"]] as const) {
      if (input[key] === "") {
        fail("ValidationException", `1 validation error detected: Value '' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
      }
    }
  }

  /**
   * An ABAC configuration as AWS's API model takes it (botocore's sso-admin service JSON:
   * AccessControlAttributeList 0-50 items; Key 1-128 of [\p{L}\p{Z}\p{N}_.:\/=+\-@];
   * Value.Source exactly one string of 0-256 of that and [ ] { } $ \ "), keys unique.
   */
  function checkAbac(configuration: unknown): Json[] {
    if (!isObject(configuration) || !Array.isArray(configuration.AccessControlAttributes)) return fail("ValidationException", "InstanceAccessControlAttributeConfiguration.AccessControlAttributes is required");
    const list = configuration.AccessControlAttributes;
    if (list.length > 50) fail("ValidationException", "AccessControlAttributes must have at most 50 items");
    const seen = new Set<string>();
    for (const a of list) {
      const key = isObject(a) ? a.Key : undefined;
      const source = isObject(a) && isObject(a.Value) && Array.isArray(a.Value.Source) ? a.Value.Source : undefined;
      if (typeof key !== "string" || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(key)) fail("ValidationException", `Invalid attribute key ${JSON.stringify(key)}`);
      if (!source || source.length !== 1 || typeof source[0] !== "string" || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@[\]{}$\\"]{0,256}$/u.test(source[0])) fail("ValidationException", `Invalid source of attribute ${String(key)}`);
      if (seen.has(key as string)) fail("ValidationException", `Duplicate attribute key ${String(key)}`);
      seen.add(key as string);
    }
    return list as Json[];
  }

  const ssoAdmin: Record<string, Handler> = {
    // ---- attributes for access control (ABAC): moto 5.2.1 has none of these ----------
    async CreateInstanceAccessControlAttributeConfiguration(req, _body, input) {
      const instanceArn = String(input.InstanceArn ?? "");
      await ensureResource(req, instanceArn);
      if (abac.has(instanceArn)) fail("ConflictException", "Attributes for access control are already configured for this instance");
      abac.set(instanceArn, { attributes: checkAbac(input.InstanceAccessControlAttributeConfiguration), enabledAt: clock() + (asyncDurationMs ?? 0) });
      return {};
    },
    async UpdateInstanceAccessControlAttributeConfiguration(req, _body, input) {
      const instanceArn = String(input.InstanceArn ?? "");
      await ensureResource(req, instanceArn);
      if (!abac.has(instanceArn)) fail("ResourceNotFoundException", "Attributes for access control are not configured for this instance");
      abac.set(instanceArn, { attributes: checkAbac(input.InstanceAccessControlAttributeConfiguration), enabledAt: clock() + (asyncDurationMs ?? 0) });
      return {};
    },
    async DeleteInstanceAccessControlAttributeConfiguration(req, _body, input) {
      const instanceArn = String(input.InstanceArn ?? "");
      await ensureResource(req, instanceArn);
      if (!abac.delete(instanceArn)) fail("ResourceNotFoundException", "Attributes for access control are not configured for this instance");
      return {};
    },
    async DescribeInstanceAccessControlAttributeConfiguration(req, _body, input) {
      const instanceArn = String(input.InstanceArn ?? "");
      await ensureResource(req, instanceArn);
      const config = abac.get(instanceArn);
      if (!config) return fail("ResourceNotFoundException", "Attributes for access control are not configured for this instance");
      // Applied asynchronously (the time model's duration): CREATION_IN_PROGRESS until then.
      return { Status: clock() < config.enabledAt ? "CREATION_IN_PROGRESS" : "ENABLED", InstanceAccessControlAttributeConfiguration: { AccessControlAttributes: config.attributes } };
    },

    // ---- Identity Center's limits the model does not express (aws-limits.ts) ----------
    async PutInlinePolicyToPermissionSet(req, body, input) {
      const policy = str(input, "InlinePolicy");
      const size = policy === undefined ? 0 : nonWhitespaceBytes(policy);
      if (size > quotas.permissionSetInlinePolicyBytes) {
        refuseQuota(
          "PutInlinePolicyToPermissionSet",
          "ValidationException",
          `Current size of the non-whitespace characters present in the InlinePolicy Document is ${size} bytes which has exceeded the maximum limit of ${quotas.permissionSetInlinePolicyBytes} bytes`,
        );
      }
      // The IAM policy grammar, as moto's IAM validator has it (aws-policy-grammar.ts): moto's
      // SSO Admin takes any text.
      if (policy !== undefined) {
        const reason = beyondMoto("identity", policy) ?? (await askMotoGrammar(scratchIam, "identity", policy));
        if (reason !== undefined) refuseQuota("PutInlinePolicyToPermissionSet", "ValidationException", `Invalid PermissionsPolicy Document: ${reason}`);
      }
      return changing(req, body, input);
    },
    async AttachManagedPolicyToPermissionSet(req, body, input) {
      return changing(req, body, input, await attachPolicy("AttachManagedPolicyToPermissionSet", req, body, input));
    },
    async AttachCustomerManagedPolicyReferenceToPermissionSet(req, body, input) {
      return changing(req, body, input, await attachPolicy("AttachCustomerManagedPolicyReferenceToPermissionSet", req, body, input));
    },
    async DeleteInlinePolicyFromPermissionSet(req, body, input) {
      return changing(req, body, input);
    },
    async DetachManagedPolicyFromPermissionSet(req, body, input) {
      return changing(req, body, input);
    },
    async DetachCustomerManagedPolicyReferenceFromPermissionSet(req, body, input) {
      return changing(req, body, input);
    },

    async UpdatePermissionSet(req, body, input) {
      checkPermissionSetFields(input);
      return changing(req, body, input);
    },

    async CreatePermissionSet(req, body, input) {
      checkPermissionSetFields(input);
      const given = input.Tags === undefined ? [] : validateTags(input.Tags);
      if (given.length > quotas.tagsPerPermissionSet) fail("ValidationException", `At most ${quotas.tagsPerPermissionSet} tags`);
      const answer = await forwardBuffered(req, body);
      const arn = answer.status === 200 ? parseJson(answer.body) : undefined;
      const psArn = isObject(arn?.PermissionSet) ? str(arn.PermissionSet, "PermissionSetArn") : undefined;
      if (psArn !== undefined) {
        forgetPermissionSet(psArn);
        if (given.length > 0) tags.set(psArn, new Map(given.map((t) => [t.Key, t.Value])));
      }
      return answer;
    },

    async DeletePermissionSet(req, body, input) {
      const answer = await forwardBuffered(req, body);
      const psArn = str(input, "PermissionSetArn");
      if (answer.status === 200 && psArn !== undefined) forgetPermissionSet(psArn);
      return answer;
    },

    async TagResource(req, _body, input) {
      const arn = requireStr(input, "ResourceArn");
      const given = validateTags(input.Tags);
      await ensureResource(req, arn, str(input, "InstanceArn"));
      const next = new Map(tags.get(arn) ?? []);
      for (const t of given) next.set(t.Key, t.Value);
      if (next.size > quotas.tagsPerPermissionSet) refuseQuota("TagResource", "ServiceQuotaExceededException", `A resource can have at most ${quotas.tagsPerPermissionSet} tags`);
      tags.set(arn, next);
      return {};
    },

    async UntagResource(req, _body, input) {
      const arn = requireStr(input, "ResourceArn");
      const keys = input.TagKeys;
      if (!Array.isArray(keys) || keys.length === 0) fail("ValidationException", "TagKeys is required");
      await ensureResource(req, arn, str(input, "InstanceArn"));
      const map = tags.get(arn);
      for (const k of keys as unknown[]) if (typeof k === "string") map?.delete(k);
      return {};
    },

    async ListTagsForResource(req, _body, input) {
      const arn = requireStr(input, "ResourceArn");
      await ensureResource(req, arn, str(input, "InstanceArn"));
      const all = [...(tags.get(arn) ?? new Map<string, string>())].map(([Key, Value]) => ({ Key, Value }));
      const { page, next } = pageOf(all, { NextToken: input.NextToken }, tagsPageSize);
      return next === undefined ? { Tags: page } : { Tags: page, NextToken: next };
    },

    async PutPermissionsBoundaryToPermissionSet(req, _body, input) {
      const psArn = requireStr(input, "PermissionSetArn");
      const pb = validateBoundary(input.PermissionsBoundary);
      await ensureResource(req, psArn, requireStr(input, "InstanceArn"));
      boundaries.set(psArn, pb);
      changed(psArn);
      return {};
    },

    async GetPermissionsBoundaryForPermissionSet(req, _body, input) {
      const psArn = requireStr(input, "PermissionSetArn");
      await ensureResource(req, psArn, requireStr(input, "InstanceArn"));
      const pb = boundaries.get(psArn);
      if (!pb) fail("ResourceNotFoundException", `No permissions boundary is attached to ${psArn}`);
      return { PermissionsBoundary: pb };
    },

    async DeletePermissionsBoundaryFromPermissionSet(req, _body, input) {
      const psArn = requireStr(input, "PermissionSetArn");
      await ensureResource(req, psArn, requireStr(input, "InstanceArn"));
      if (!boundaries.delete(psArn)) fail("ResourceNotFoundException", `No permissions boundary is attached to ${psArn}`);
      changed(psArn);
      return {};
    },

    async ProvisionPermissionSet(req, body, input, fault) {
      const instanceArn = requireStr(input, "InstanceArn");
      const psArn = requireStr(input, "PermissionSetArn");
      const targetId = str(input, "TargetId");
      const accounts = input.TargetType === "AWS_ACCOUNT" && targetId !== undefined ? [targetId] : [...(provisionedTo.get(psArn)?.keys() ?? [])];
      const slot = reserve("provision", instanceArn, { permissionSetArn: psArn, accounts });
      try {
        if (fault?.failAsync !== undefined) {
          await ensureResource(req, psArn, instanceArn);
          return {
            PermissionSetProvisioningStatus: track(
              "provision",
              instanceArn,
              {
                Status: "FAILED",
                FailureReason: fault.failAsync,
                ...(targetId !== undefined ? { AccountId: targetId } : {}),
                PermissionSetArn: psArn,
                CreatedDate: nowEpoch(),
              },
              slot,
            ),
          };
        }
        const answer = await forwardBuffered(req, body);
        const parsed = answer.status === 200 ? parseJson(answer.body) : undefined;
        const status = parsed?.PermissionSetProvisioningStatus;
        if (!isObject(status)) return answer;
        // moto names the caller's account whatever the target; AWS names the target (none for ALL_PROVISIONED_ACCOUNTS).
        const { AccountId: _callers, ...rest } = status;
        // The set's current version reaches the accounts provisioned (ALL_PROVISIONED_ACCOUNTS: every one it is in).
        provisioned(psArn, accounts);
        return {
          PermissionSetProvisioningStatus: track("provision", instanceArn, { ...rest, ...(input.TargetType === "AWS_ACCOUNT" && targetId !== undefined ? { AccountId: targetId } : {}) }, slot),
        };
      } finally {
        release(slot);
      }
    },

    async DescribePermissionSetProvisioningStatus(_req, _body, input) {
      const s = describe("provision", input, "ProvisionPermissionSetRequestId");
      if (!s) return fail("ResourceNotFoundException", `Unknown request id ${String(input.ProvisionPermissionSetRequestId)}`);
      return { PermissionSetProvisioningStatus: s };
    },

    async ListPermissionSetProvisioningStatus(_req, _body, input) {
      const { page, next } = listStatuses("provision", input);
      return next === undefined ? { PermissionSetsProvisioningStatus: page } : { PermissionSetsProvisioningStatus: page, NextToken: next };
    },

    // moto answers these from its ProvisionPermissionSet calls only (the caller's account, duplicates,
    // AccountId ignored): the shim answers from what it saw provisioned, by assignment too, per version.
    async ListAccountsForProvisionedPermissionSet(req, _body, input) {
      const psArn = requireStr(input, "PermissionSetArn");
      await ensureResource(req, psArn, requireStr(input, "InstanceArn"));
      const current = versionOf(psArn);
      const wanted = str(input, "ProvisioningStatus");
      const accounts = [...(provisionedTo.get(psArn) ?? new Map<string, number>())]
        .filter(([, v]) => wanted === undefined || (wanted === "LATEST_PERMISSION_SET_PROVISIONED" ? v === current : v !== current))
        .map(([a]) => a)
        .sort();
      const { page, next } = pageOf(accounts, input, 100);
      return next === undefined ? { AccountIds: page } : { AccountIds: page, NextToken: next };
    },
    async ListPermissionSetsProvisionedToAccount(req, _body, input) {
      const instanceArn = requireStr(input, "InstanceArn");
      const accountId = requireStr(input, "AccountId");
      await ensureResource(req, instanceArn);
      const instanceId = instanceArn.split("/").pop() ?? "";
      const wanted = str(input, "ProvisioningStatus");
      const sets = [...provisionedTo]
        .filter(([psArn, accounts]) => psArn.includes(`/${instanceId}/`) && accounts.has(accountId))
        .filter(([psArn, accounts]) => wanted === undefined || (wanted === "LATEST_PERMISSION_SET_PROVISIONED") === (accounts.get(accountId) === versionOf(psArn)))
        .map(([psArn]) => psArn)
        .sort();
      const { page, next } = pageOf(sets, input, 100);
      return next === undefined ? { PermissionSets: page } : { PermissionSets: page, NextToken: next };
    },

    async CreateAccountAssignment(req, body, input, fault) {
      return assignment("create", "AccountAssignmentCreationStatus", req, body, input, fault);
    },
    async DeleteAccountAssignment(req, body, input, fault) {
      return assignment("delete", "AccountAssignmentDeletionStatus", req, body, input, fault);
    },

    async DescribeAccountAssignmentCreationStatus(req, body, input) {
      const s = describe("create", input, "AccountAssignmentCreationRequestId");
      return s ? { AccountAssignmentCreationStatus: s } : forwardBuffered(req, body);
    },
    async DescribeAccountAssignmentDeletionStatus(req, body, input) {
      const s = describe("delete", input, "AccountAssignmentDeletionRequestId");
      return s ? { AccountAssignmentDeletionStatus: s } : forwardBuffered(req, body);
    },
    async ListAccountAssignmentCreationStatus(_req, _body, input) {
      const { page, next } = listStatuses("create", input);
      return next === undefined ? { AccountAssignmentsCreationStatus: page } : { AccountAssignmentsCreationStatus: page, NextToken: next };
    },
    async ListAccountAssignmentDeletionStatus(_req, _body, input) {
      const { page, next } = listStatuses("delete", input);
      return next === undefined ? { AccountAssignmentsDeletionStatus: page } : { AccountAssignmentsDeletionStatus: page, NextToken: next };
    },
  };

  /** Counts a request refused by a modelled AWS limit and answers it with `type`. */
  function refuseQuota(operation: string, type: string, message: string, status = 400): never {
    stats.refused[operation] = (stats.refused[operation] ?? 0) + 1;
    throw new ShimFailure({ type, message, status });
  }

  /** Writes to one thing (a role, a permission set) are checked and applied one at a time. */
  const locks = new Map<string, Promise<unknown>>();
  async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = locks.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (locks.get(key) === tail) locks.delete(key);
    }
  }

  /** Every page of an SSO Admin list, asked of moto on the caller's behalf; undefined if moto refuses. */
  async function listSso(req: IncomingMessage, operation: string, input: Json, field: string): Promise<unknown[] | undefined> {
    const all: unknown[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const answer = await callMoto(req, operation, { ...input, MaxResults: 100, ...(token ? { NextToken: token } : {}) });
      const parsed = answer.status === 200 ? parseJson(answer.body) : undefined;
      if (!parsed) return undefined;
      if (Array.isArray(parsed[field])) all.push(...(parsed[field] as unknown[]));
      const next = str(parsed, "NextToken");
      if (!next || next === token) return all;
      token = next;
    }
    return all;
  }

  /**
   * Attach{Managed,CustomerManagedPolicyReference}…ToPermissionSet: at most 20 AWS managed and
   * customer managed policies together per permission set (Identity Center quotas). Attaching
   * one already attached is left to moto (ConflictException).
   */
  async function attachPolicy(operation: string, req: IncomingMessage, body: Buffer, input: Json): Promise<MotoAnswer> {
    const psArn = str(input, "PermissionSetArn") ?? "";
    return withLock(`ps:${psArn}`, async () => {
      const scope = { InstanceArn: input.InstanceArn, PermissionSetArn: input.PermissionSetArn };
      const managed = await listSso(req, "ListManagedPoliciesInPermissionSet", scope, "AttachedManagedPolicies");
      const customer = await listSso(req, "ListCustomerManagedPolicyReferencesInPermissionSet", scope, "CustomerManagedPolicyReferences");
      if (managed && customer && managed.length + customer.length >= quotas.policiesPerPermissionSet) {
        const ref = isObject(input.CustomerManagedPolicyReference) ? input.CustomerManagedPolicyReference : undefined;
        const already =
          managed.some((p) => isObject(p) && p.Arn === input.ManagedPolicyArn) ||
          (ref !== undefined && customer.some((c) => isObject(c) && c.Name === ref.Name && (c.Path ?? "/") === (ref.Path ?? "/")));
        if (!already) {
          refuseQuota(
            operation,
            "ServiceQuotaExceededException",
            // AWS's wording is not documented (the type is one the operation lists).
            `A permission set can have at most ${quotas.policiesPerPermissionSet} AWS managed and customer managed policies`,
          );
        }
      }
      return forwardBuffered(req, body);
    });
  }

  async function assignment(
    kind: "create" | "delete",
    key: string,
    req: IncomingMessage,
    body: Buffer,
    input: Json,
    fault: FaultRule | undefined,
  ): Promise<Json | MotoAnswer> {
    const instanceArn = requireStr(input, "InstanceArn");
    const psArn = str(input, "PermissionSetArn") ?? "";
    const targetId = str(input, "TargetId") ?? "";
    const slot = reserve(kind, instanceArn, {
      permissionSetArn: psArn,
      accounts: [targetId],
      principal: `${str(input, "PrincipalType") ?? ""}:${str(input, "PrincipalId") ?? ""}`,
    });
    try {
      if (fault?.failAsync !== undefined) {
        const fields = ["TargetId", "TargetType", "PermissionSetArn", "PrincipalType", "PrincipalId"];
        const echo = Object.fromEntries(fields.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]));
        return { [key]: track(kind, instanceArn, { Status: "FAILED", FailureReason: fault.failAsync, ...echo, CreatedDate: nowEpoch() }, slot) };
      }
      const answer = await forwardBuffered(req, body);
      const status = answer.status === 200 ? parseJson(answer.body)?.[key] : undefined;
      if (!isObject(status)) return answer;
      if (kind === "create" && psArn !== "" && targetId !== "") {
        // Creating an assignment provisions the permission set to the account (AWS API reference):
        // its current version, so an account that held an older one is up to date again.
        provisioned(psArn, [targetId]);
      }
      // moto's DeleteAccountAssignment echoes the creation's RequestId and CreatedDate.
      return { [key]: track(kind, instanceArn, kind === "delete" ? { ...status, CreatedDate: nowEpoch() } : status, slot) };
    } finally {
      release(slot);
    }
  }

  // ---- request pipeline ------------------------------------------------------------

  function pickFault(operation: string, input: Json): FaultRule | undefined {
    for (const f of faults) {
      if (f.operation !== "*" && f.operation !== operation) continue;
      if (f.times !== undefined && f.used >= f.times) continue;
      if (f.match && !f.match.some((want) => Object.entries(want).every(([k, v]) => JSON.stringify(input[k]) === JSON.stringify(v)))) continue;
      f.used += 1;
      return f;
    }
    return undefined;
  }

  let stopped = false;

  /** Counts a pass-through request as "service:Operation" (JSON target, or the query protocol's Action=). */
  function countPassThrough(req: IncomingMessage): void {
    const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1] ?? "unknown";
    const add = (operation: string): void => {
      stats.passThrough[`${scope}:${operation}`] = (stats.passThrough[`${scope}:${operation}`] ?? 0) + 1;
    };
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") return add(target.slice(target.lastIndexOf(".") + 1));
    const fromUrl = /[?&]Action=([A-Za-z0-9]+)/.exec(req.url ?? "")?.[1];
    if (fromUrl) return add(fromUrl);
    if (req.method !== "POST") return add(`${req.method} ${(req.url ?? "").split("?")[0]}`);
    let head = "";
    const onData = (chunk: Buffer) => {
      if (head.length < 512) head += chunk.toString("latin1");
    };
    req.on("data", onData);
    req.once("end", () => {
      req.off("data", onData);
      add(/(?:^|&)Action=([A-Za-z0-9]+)/.exec(head)?.[1] ?? "POST");
    });
  }

  function passThrough(req: IncomingMessage, res: ServerResponse): void {
    const read = bodies.get(req);
    if (read) {
      // Read already (a session's request, an unsigned query call): forward the buffer.
      void read
        .then((body) => {
          const action = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body.toString("latin1"))?.[1] ?? /[?&]Action=([A-Za-z0-9]+)/.exec(req.url ?? "")?.[1];
          const scope = credentialOf(req)?.service ?? "unknown";
          const key = `${scope}:${action ?? `${req.method} ${(req.url ?? "").split("?")[0]}`}`;
          stats.passThrough[key] = (stats.passThrough[key] ?? 0) + 1;
          return forwardBuffered(req, body);
        })
        .then(
          (answer) => sendMoto(res, answer),
          (e: unknown) => sendError(res, { type: "ShimUpstreamError", message: `moto: ${String(e)}`, status: 502 }),
        );
      return;
    }
    countPassThrough(req);
    const up = httpRequest(
      {
        protocol: moto.protocol,
        hostname: moto.hostname,
        port: moto.port,
        method: req.method,
        path: req.url,
        headers: stripHopByHop(req.headers),
      },
      (ur) => {
        if (res.destroyed) {
          ur.resume();
          return;
        }
        res.writeHead(ur.statusCode ?? 502, stripHopByHop(ur.headers));
        ur.pipe(res);
      },
    );
    up.on("error", (e) => {
      if (!res.headersSent) sendError(res, { type: "ShimUpstreamError", message: `moto: ${e.message}`, status: 502 });
      else res.destroy();
    });
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  // ---- AWS's API models ---------------------------------------------------------------

  function countInvalid(service: string, operation: string): void {
    const key = `${service}:${operation}`;
    stats.invalid[key] = (stats.invalid[key] ?? 0) + 1;
  }

  /** A JSON-protocol request the model refuses, as AWS answers it; undefined when it may pass. */
  function checkJson(service: string, operation: string, input: Json | undefined): ShimError | undefined {
    const validator = validators.get(service);
    if (!checkModels || !validator?.hasOperation(operation)) return undefined;
    if (input === undefined) {
      countInvalid(service, operation);
      return { type: "SerializationException", message: "Request body is not a JSON object", status: 400 };
    }
    const { violations, serialization } = validator.validate(operation, input);
    if (serialization.length > 0) {
      countInvalid(service, operation);
      return { type: "SerializationException", message: serialization.join("; "), status: 400 };
    }
    if (violations.length === 0) return undefined;
    countInvalid(service, operation);
    return { type: "ValidationException", message: validationMessage(violations), status: 400 };
  }

  /** The caller's account as moto tells it: the x-moto-account-id header, else the access key id. */
  function callerKey(req: IncomingMessage): string {
    const header = req.headers["x-moto-account-id"];
    if (typeof header === "string") return header;
    return /Credential=([^/,\s]+)/.exec(String(req.headers.authorization ?? ""))?.[1] ?? "anonymous";
  }

  /** An IAM call to moto on the caller's behalf (same headers, so the same account). */
  function iamCaller(req: IncomingMessage, model: ServiceModel): CallIam {
    return async (action, params) => {
      const headers = stripHopByHop(req.headers);
      for (const h of ["content-length", "x-amz-target", "x-amz-content-sha256", "expect", "amz-sdk-invocation-id", "amz-sdk-request"]) delete headers[h];
      const body = Buffer.from(new URLSearchParams({ Action: action, Version: model.apiVersion, ...params }).toString());
      headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
      headers["content-length"] = body.length;
      const answer = await motoRequest("POST", "/", headers, body);
      return parseIamAnswer(action, answer.status, answer.body.toString("utf8"));
    };
  }

  /**
   * An IAM call to moto in `account`, with the shim's own credentials (the policy grammar's
   * questions in its scratch account; a role session's policies in the role's account).
   */
  const iamIn =
    (account: string): CallIam =>
    async (action, params) => {
      const body = Buffer.from(new URLSearchParams({ Action: action, Version: models.byService.get("iam")!.apiVersion, ...params }).toString());
      const headers: OutgoingHttpHeaders = {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "content-length": body.length,
        "x-moto-account-id": account,
        authorization: "AWS4-HMAC-SHA256 Credential=AKIAMOTOTESTING00000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
      };
      const answer = await motoRequest("POST", "/", headers, body);
      return parseIamAnswer(action, answer.status, answer.body.toString("utf8"));
    };
  const scratchIam: CallIam = iamIn(GRAMMAR_SCRATCH_ACCOUNT);

  /**
   * The policies of IAM writes, by operation: which member, which grammar, and whether moto
   * checks it itself (then the shim adds only what moto misses, `beyondMoto`).
   */
  const IAM_POLICIES: Record<string, { member: string; kind: PolicyKind; motoChecks: boolean }> = {
    CreatePolicy: { member: "PolicyDocument", kind: "identity", motoChecks: true },
    CreatePolicyVersion: { member: "PolicyDocument", kind: "identity", motoChecks: true },
    PutRolePolicy: { member: "PolicyDocument", kind: "identity", motoChecks: true },
    UpdateAssumeRolePolicy: { member: "PolicyDocument", kind: "trust", motoChecks: true },
    CreateRole: { member: "AssumeRolePolicyDocument", kind: "trust", motoChecks: false },
  };

  /** MalformedPolicyDocument's reason for an IAM write's policy, or undefined. */
  async function iamPolicyRefusal(action: string, input: Json): Promise<string | undefined> {
    const which = IAM_POLICIES[action];
    const document = which ? input[which.member] : undefined;
    if (!which || typeof document !== "string") return undefined;
    return beyondMoto(which.kind, document) ?? (which.motoChecks ? undefined : await askMotoGrammar(scratchIam, which.kind, document));
  }

  /**
   * A query-protocol request (IAM, STS): read by the model, checked against it, then — IAM —
   * against the limits the model does not express (aws-limits.ts), and forwarded to moto.
   */
  async function handleQuery(req: IncomingMessage, res: ServerResponse, model: ServiceModel): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://shim");
    const params = new URLSearchParams(body.toString("utf8"));
    for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
    const action = params.get("Action") ?? "";
    const validator = validators.get(model.service)!;
    const known = validator.hasOperation(action);
    try {
      const { input, serialization } = known ? parseQueryInput(model, action, params) : { input: {}, serialization: [] };
      if (checkModels && known) {
        const { violations } = validator.validate(action, input);
        if (violations.length > 0 || serialization.length > 0) {
          countInvalid(model.service, action);
          const message = violations.length > 0 ? validationMessage(violations) : serialization.join("; ");
          sendQueryError(res, model, { type: "ValidationError", message, status: 400 });
          return;
        }
      }
      if (model.service === "iam") {
        const malformed = await iamPolicyRefusal(action, input);
        if (malformed !== undefined) throw new LimitRefusal({ type: "MalformedPolicyDocument", message: malformed, status: 400 });
      }
      const limits = model.service === "iam" ? iamLimits[action] : undefined;
      const forward = async (replacement?: URLSearchParams): Promise<MotoAnswer> => {
        stats.passThrough[`${model.service}:${action}`] = (stats.passThrough[`${model.service}:${action}`] ?? 0) + 1;
        if (!replacement) return forwardBuffered(req, body);
        // The rewritten request goes as a form body (moto reads either).
        const headers = stripHopByHop(req.headers);
        const next = Buffer.from(replacement.toString());
        headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
        headers["content-length"] = next.length;
        return motoRequest("POST", url.pathname, headers, next);
      };
      if (!limits) {
        sendMoto(res, await forward());
        return;
      }
      const role = limits.role(input);
      const key = `iam:${callerKey(req)}:${(role ?? "").toLowerCase()}`;
      const answer = await withLock(key, async () => forward((await limits.check(input, params, iamCaller(req, model))) ?? undefined));
      sendMoto(res, answer);
    } catch (e) {
      if (e instanceof LimitRefusal) {
        stats.refused[action] = (stats.refused[action] ?? 0) + 1;
        sendQueryError(res, model, e.error);
      } else {
        sendQueryError(res, model, { type: "ServiceFailure", message: `shim: ${String(e)}`, status: 500 });
      }
    }
  }

  /** A JSON-protocol request of a service the shim otherwise passes through (Organizations). */
  async function handleJsonPassThrough(req: IncomingMessage, res: ServerResponse, model: ServiceModel, operation: string): Promise<void> {
    const body = await readBody(req);
    const refusal = checkJson(model.service, operation, parseJson(body));
    if (refusal) {
      sendError(res, refusal);
      return;
    }
    stats.passThrough[`${model.service}:${operation}`] = (stats.passThrough[`${model.service}:${operation}`] ?? 0) + 1;
    try {
      sendMoto(res, await forwardBuffered(req, body));
    } catch (e) {
      sendError(res, { type: "ShimUpstreamError", message: `moto: ${String(e)}`, status: 502 });
    }
  }

  /**
   * Service Quotas for IAM Identity Center (service code sso), which moto does not know: the
   * applied value when one was set (setServiceQuota), else NoSuchResourceException as AWS
   * answers for a quota never changed; the default from GetAWSDefaultServiceQuota. Other
   * services' quotas go to moto. See MOTO-NOTES.md, "Service Quotas".
   */
  async function handleServiceQuotas(req: IncomingMessage, res: ServerResponse, model: ServiceModel, operation: string): Promise<void> {
    const body = await readBody(req);
    const input = parseJson(body) as { ServiceCode?: string; QuotaCode?: string } | undefined;
    const refusal = checkJson(model.service, operation, input);
    if (refusal) return sendError(res, refusal);
    if (input?.ServiceCode !== "sso" || (operation !== "GetServiceQuota" && operation !== "GetAWSDefaultServiceQuota")) {
      stats.passThrough[`${model.service}:${operation}`] = (stats.passThrough[`${model.service}:${operation}`] ?? 0) + 1;
      try {
        sendMoto(res, await forwardBuffered(req, body));
      } catch (e) {
        sendError(res, { type: "ShimUpstreamError", message: `moto: ${String(e)}`, status: 502 });
      }
      return;
    }
    const code = String(input.QuotaCode);
    const known = SSO_SERVICE_QUOTAS[code];
    if (!known) return sendError(res, { type: "NoSuchResourceException", message: `The request failed because the specified service quota does not exist: sso ${code}`, status: 400 });
    const applied = appliedQuotas.get(`sso/${code}`);
    if (operation === "GetServiceQuota" && applied === undefined) {
      return sendError(res, { type: "NoSuchResourceException", message: `The request failed because no applied value exists for the quota sso ${code}`, status: 400 });
    }
    const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1] ?? "us-east-1";
    const account = /^\d{12}$/.test(callerKey(req)) ? callerKey(req) : "123456789012";
    sendJson(res, 200, {
      Quota: {
        ServiceCode: "sso",
        ServiceName: "AWS IAM Identity Center",
        QuotaArn: `arn:aws:servicequotas:${region}:${operation === "GetServiceQuota" ? account : ""}:sso/${code}`,
        QuotaCode: code,
        QuotaName: known.name,
        Value: operation === "GetServiceQuota" ? applied : known.value,
        Unit: "None",
        Adjustable: true,
        GlobalQuota: false,
      },
    });
  }

  /** Which modelled service a non-Identity-Center request is for, if any. */
  function modelled(req: IncomingMessage): { kind: "query"; model: ServiceModel } | { kind: "json"; model: ServiceModel; operation: string } | undefined {
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") {
      const dot = target.lastIndexOf(".");
      const model = models.byTargetPrefix.get(target.slice(0, dot));
      return model ? { kind: "json", model, operation: target.slice(dot + 1) } : undefined;
    }
    const url = req.url ?? "/";
    const form = String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    if (!(req.method === "POST" && form) && !(req.method === "GET" && /[?&]Action=/.test(url))) return undefined;
    if (url.startsWith("/moto-api")) return undefined;
    const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
    const model = scope ? models.byService.get(scope) : undefined;
    if (model?.protocol === "query") return { kind: "query", model };
    // Unsigned or unknown scope: the first query model that has the operation (read from the URL only).
    const action = /[?&]Action=([A-Za-z0-9]+)/.exec(url)?.[1];
    for (const m of models.byService.values()) if (m.protocol === "query" && action && m.operations[action]) return { kind: "query", model: m };
    return undefined;
  }

  async function handleIdentityCenter(
    req: IncomingMessage,
    res: ServerResponse,
    service: IdentityCenterService,
    operation: string,
  ): Promise<void> {
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    const body = await readBody(req);
    if (!takeToken()) {
      stats.throttled += 1;
      sendError(res, { type: "ThrottlingException", message: "Rate exceeded" });
      return;
    }
    const input = parseJson(body);
    const fault = pickFault(operation, input ?? {});

    const n = (stats.inFlight[operation] ?? 0) + 1;
    stats.inFlight[operation] = n;
    stats.maxInFlight[operation] = Math.max(stats.maxInFlight[operation] ?? 0, n);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      stats.inFlight[operation] = (stats.inFlight[operation] ?? 1) - 1;
    };
    res.once("close", finish);
    try {
      const delay = latencyMs + (operationLatency[operation] ?? 0) + (fault?.delayMs ?? 0);
      if (delay > 0) await sleep(delay);
      if (stopped) return;
      if (fault?.error) {
        stats.faulted += 1;
        sendError(res, fault.error);
        return;
      }
      const refusal = checkJson(service, operation, input);
      if (refusal) {
        sendError(res, refusal);
        return;
      }
      const handler = service === "sso-admin" ? ssoAdmin[operation] : undefined;
      if (!handler) {
        sendMoto(res, await forwardBuffered(req, body));
        return;
      }
      if (input === undefined) fail("SerializationException", "Request body is not a JSON object");
      const out = await handler(req, body, input as Json, fault);
      if ("body" in out && Buffer.isBuffer(out.body)) sendMoto(res, out as MotoAnswer);
      else sendJson(res, 200, out);
    } catch (e) {
      if (e instanceof ShimFailure) sendError(res, e.err);
      else if (isObject(e) && Buffer.isBuffer(e.body)) sendMoto(res, e as unknown as MotoAnswer);
      else sendError(res, { type: "InternalServerException", message: `shim: ${String(e)}`, status: 500 });
    } finally {
      finish();
    }
  }

  // ---- role sessions -------------------------------------------------------------------

  /** An error in the protocol of the service the request went to. */
  function sendSessionError(res: ServerResponse, protocol: Protocol, service: string, err: SessionError): void {
    if (protocol === "json") return sendError(res, err);
    const model = models.byService.get(service) ?? models.byService.get("sts")!;
    sendQueryError(res, model, err);
  }

  /**
   * STS AssumeRoleWithSAML (no credentials needed): checked against STS's API model, then
   * answered by the sessions model (aws-sessions.ts), which has moto mint the keys.
   */
  async function handleAssumeRoleWithSaml(res: ServerResponse, params: URLSearchParams): Promise<void> {
    const model = models.byService.get("sts")!;
    const validator = validators.get("sts")!;
    if (checkModels) {
      const { input, serialization } = parseQueryInput(model, "AssumeRoleWithSAML", params);
      const { violations } = validator.validate("AssumeRoleWithSAML", input);
      if (violations.length > 0 || serialization.length > 0) {
        countInvalid("sts", "AssumeRoleWithSAML");
        sendQueryError(res, model, { type: "ValidationError", message: violations.length > 0 ? validationMessage(violations) : serialization.join("; "), status: 400 });
        return;
      }
    }
    const answer = await sessions.assumeRoleWithSaml(params);
    if (!answer.ok) {
      stats.refused.AssumeRoleWithSAML = (stats.refused.AssumeRoleWithSAML ?? 0) + 1;
      sendQueryError(res, model, answer.error);
      return;
    }
    const body = Buffer.from(answer.body);
    res.writeHead(200, { "content-type": "text/xml", "content-length": body.length, "x-amzn-requestid": randomUUID() });
    res.end(body);
  }

  /**
   * Before a request is dispatched: AssumeRoleWithSAML is answered here, and a request signed
   * with a role session's key is authenticated and authorized (aws-sessions.ts). True when the
   * request was answered; false lets it go on as before. Requests signed with any other key are
   * only looked at, never changed.
   */
  async function gate(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const credential = credentialOf(req);
    const form = req.method === "POST" && String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const fromUrl = /[?&]Action=AssumeRoleWithSAML(?:&|$)/.test(req.url ?? "");
    if (fromUrl || (form && (credential === undefined || credential.service === "sts"))) {
      const params = queryParams(req, await readBody(req));
      if (params.get("Action") === "AssumeRoleWithSAML") {
        await handleAssumeRoleWithSaml(res, params);
        return true;
      }
    }
    if (credential === undefined || !sessions.sessions.has(credential.accessKeyId)) return false;
    const target = req.headers["x-amz-target"];
    const protocol: Protocol = typeof target === "string" ? "json" : "query";
    const operation = typeof target === "string" ? target.slice(target.lastIndexOf(".") + 1) : (queryParams(req, await readBody(req)).get("Action") ?? "");
    if (operation === "") {
      sendSessionError(res, protocol, credential.service, { type: "ShimNotModelled", message: `aws shim: cannot tell the operation of a role session's ${req.method} ${req.url} (neither X-Amz-Target nor Action)`, status: 500 });
      return true;
    }
    const refusal = await sessions.authorize({
      accessKeyId: credential.accessKeyId,
      sessionToken: sessionTokenOf(req),
      signingName: credential.service,
      region: credential.region,
      operation,
      protocol,
    });
    if (!refusal) return false;
    stats.refused[operation] = (stats.refused[operation] ?? 0) + 1;
    sendSessionError(res, protocol, credential.service, refusal);
    return true;
  }

  function dispatch(req: IncomingMessage, res: ServerResponse): void {
    const ic = identify(req);
    if (ic) {
      void handleIdentityCenter(req, res, ic.service, ic.operation);
      return;
    }
    const known = modelled(req);
    if (known?.kind === "query") {
      void handleQuery(req, res, known.model);
      return;
    }
    if (known?.kind === "json" && known.model.service === "service-quotas") {
      void handleServiceQuotas(req, res, known.model, known.operation);
      return;
    }
    if (known?.kind === "json") {
      void handleJsonPassThrough(req, res, known.model, known.operation);
      return;
    }
    if (req.method === "POST" && (req.url ?? "").split("?")[0] === "/moto-api/reset") {
      res.once("finish", () => {
        if (res.statusCode === 200) resetState();
      });
    }
    passThrough(req, res);
  }

  const server = createServer((req, res) => {
    stats.requests += 1;
    gate(req, res).then(
      (answered) => {
        if (!answered) dispatch(req, res);
      },
      (e: unknown) => {
        // A sessions-model limit (aws-policy-eval.ts PolicyModelError) or a bug: loud, never a decision.
        const message = `aws shim: ${e instanceof Error ? e.message : String(e)}`;
        if (typeof req.headers["x-amz-target"] === "string") sendError(res, { type: "ShimNotModelled", message, status: 500 });
        else sendQueryError(res, models.byService.get(credentialOf(req)?.service ?? "sts") ?? models.byService.get("sts")!, { type: "ShimNotModelled", message, status: 500 });
      },
    );
  });
  keepIdleConnectionsOpen(server);

  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", rej);
      res();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>((res) => {
      stopped = true;
      server.close(() => res());
      server.closeAllConnections();
    }));

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats,
    validation,
    resetStats,
    resetState,
    setLatency(ms, operation) {
      if (operation === undefined) latencyMs = ms;
      else operationLatency[operation] = ms;
    },
    setThrottle,
    setPendingPolls(n) {
      pendingPolls = n;
    },
    setAsyncDuration(ms) {
      asyncDurationMs = checkDuration(ms);
    },
    addFault(rule) {
      faults.push({ ...rule, used: 0 });
    },
    clearFaults() {
      faults = [];
    },
    advanceClock(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new Error("advanceClock: ms must be a number >= 0");
      clockOffset += ms;
    },
    sessions: () => [...sessions.sessions.values()],
    sessionDecisions: () => [...sessions.decisions],
    setServiceQuota(serviceCode, quotaCode, value) {
      if (value === undefined) appliedQuotas.delete(`${serviceCode}/${quotaCode}`);
      else appliedQuotas.set(`${serviceCode}/${quotaCode}`, value);
    },
    stop,
  };
}
