/**
 * AWS's size and count limits that its API models do not express and moto does not enforce,
 * for the shim (see MOTO-NOTES.md, "What the shim refuses", for each limit's source and the
 * wording of each answer). A limit that depends on what a role or permission set already has
 * is checked against moto's own state, read on the caller's behalf (same account headers).
 *
 * Nothing here comes from the tool (src/): a mistake in the tool's rules must not become the
 * stand-in's idea of AWS.
 */
import { XMLParser } from "fast-xml-parser";

export interface AwsQuotas {
  /** IAM "Managed policies attached to an IAM role": default 10 (adjustable up to 20). */
  managedPoliciesPerRole: number;
  /** IAM "Role trust policy length", in non-white-space characters: default 2,048 (adjustable up to 4,096). */
  roleTrustPolicyChars: number;
  /** IAM "Role policy size": all inline policies of a role together, non-white-space characters: 10,240. */
  roleInlinePolicyChars: number;
  /** IAM tags per role: 50. */
  tagsPerRole: number;
  /** Identity Center inline policy per permission set, non-white-space characters (counted in bytes): 10,240. */
  permissionSetInlinePolicyBytes: number;
  /** Identity Center AWS managed + customer managed policies per permission set: 20. */
  policiesPerPermissionSet: number;
  /** Identity Center tags per permission set: 75 (the API's most per request; see MOTO-NOTES.md). */
  tagsPerPermissionSet: number;
}

export const DEFAULT_QUOTAS: AwsQuotas = {
  managedPoliciesPerRole: 10,
  roleTrustPolicyChars: 2048,
  roleInlinePolicyChars: 10_240,
  tagsPerRole: 50,
  permissionSetInlinePolicyBytes: 10_240,
  policiesPerPermissionSet: 20,
  tagsPerPermissionSet: 75,
};

/** An error as AWS answers it: `type` is the error code (IAM: `LimitExceeded`, JSON services: `ServiceQuotaExceededException`). */
export interface LimitError {
  type: string;
  message: string;
  status: number;
}

export class LimitRefusal extends Error {
  constructor(readonly error: LimitError) {
    super(error.message);
  }
}
const refuse = (type: string, message: string, status: number): never => {
  throw new LimitRefusal({ type, message, status });
};

/** IAM does not count white space in a policy's size (IAM and STS quotas). */
export const nonWhitespaceChars = (document: string): number => document.replace(/\s/g, "").length;
/** Identity Center counts the non-white-space characters of an inline policy in bytes. */
export const nonWhitespaceBytes = (document: string): number => Buffer.byteLength(document.replace(/\s/g, ""), "utf8");

// ---- IAM --------------------------------------------------------------------------------

/** What an IAM read through moto answers (parsed XML), or its error code. */
export type IamAnswer = { ok: true; result: Record<string, unknown> } | { ok: false; status: number; code?: string; message?: string };

/** Calls an IAM operation at moto on the caller's behalf (the shim supplies it). */
export type CallIam = (action: string, params: Record<string, string>) => Promise<IamAnswer>;

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === "member" });

/** Parses moto's IAM answer body: `<XResponse><XResult>…</XResult></XResponse>` → the result element. */
export function parseIamAnswer(action: string, status: number, body: string): IamAnswer {
  const doc = xml.parse(body) as Record<string, Record<string, unknown> | undefined>;
  if (status !== 200) {
    const error = (doc.ErrorResponse?.Error ?? {}) as { Code?: string; Message?: string };
    return { ok: false, status, ...(error.Code ? { code: error.Code } : {}), ...(typeof error.Message === "string" ? { message: error.Message } : {}) };
  }
  const result = doc[`${action}Response`]?.[`${action}Result`];
  return { ok: true, result: typeof result === "object" && result !== null ? (result as Record<string, unknown>) : {} };
}

const members = (node: unknown): unknown[] => {
  const m = (node as { member?: unknown[] } | undefined)?.member;
  return Array.isArray(m) ? m : [];
};

/** Reads every page of an IAM list (Marker / IsTruncated); undefined when the role is not there (moto will say so). */
async function listAll(callIam: CallIam, action: string, params: Record<string, string>, field: string): Promise<unknown[] | undefined> {
  const all: unknown[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 100; page++) {
    const answer = await callIam(action, { ...params, MaxItems: "1000", ...(marker ? { Marker: marker } : {}) });
    if (!answer.ok) return undefined;
    all.push(...members(answer.result[field]));
    if (answer.result.IsTruncated !== "true" || typeof answer.result.Marker !== "string") return all;
    marker = answer.result.Marker;
  }
  return all;
}

interface Tag {
  Key: string;
  Value: string;
}

function tagsOf(input: Record<string, unknown>): Tag[] {
  const tags = input.Tags;
  if (!Array.isArray(tags)) return [];
  return tags.map((t) => ({ Key: String((t as Tag | null)?.Key ?? ""), Value: String((t as Tag | null)?.Value ?? "") }));
}

/**
 * Tag keys of IAM roles are case-insensitive (case is kept): the same key twice in one request
 * is refused; keys starting with `aws:` are AWS's.
 */
function checkIamTagKeys(keys: string[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (key.toLowerCase().startsWith("aws:")) refuse("InvalidInput", `Tag keys starting with 'aws:' are reserved for AWS use: ${key}`, 400);
    const folded = key.toLowerCase();
    if (seen.has(folded)) refuse("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400);
    seen.add(folded);
  }
}

export interface IamWrite {
  /** the role the write concerns: writes to one role are checked and applied one at a time */
  role(input: Record<string, unknown>): string | undefined;
  /**
   * Refuses (LimitRefusal) what AWS would refuse; may return replacement form parameters
   * (the request as moto must see it to behave like AWS). Runs before the request is forwarded.
   */
  check(input: Record<string, unknown>, params: URLSearchParams, callIam: CallIam): Promise<URLSearchParams | void>;
}

/** The IAM writes the shim checks beyond the model, by operation. */
export function iamWrites(quotas: AwsQuotas): Record<string, IamWrite> {
  const roleName = (input: Record<string, unknown>) => (typeof input.RoleName === "string" ? input.RoleName : undefined);
  const checkTrust = (document: unknown): void => {
    if (typeof document === "string" && nonWhitespaceChars(document) > quotas.roleTrustPolicyChars) {
      refuse("LimitExceeded", `Cannot exceed quota for ACLSizePerRole: ${quotas.roleTrustPolicyChars}`, 409);
    }
  };
  return {
    CreateRole: {
      role: roleName,
      async check(input) {
        checkTrust(input.AssumeRolePolicyDocument);
        const tags = tagsOf(input);
        checkIamTagKeys(tags.map((t) => t.Key));
        if (tags.length > quotas.tagsPerRole) refuse("LimitExceeded", `Cannot exceed quota for TagsPerRole: ${quotas.tagsPerRole}`, 409);
      },
    },
    UpdateAssumeRolePolicy: {
      role: roleName,
      async check(input) {
        checkTrust(input.PolicyDocument);
      },
    },
    PutRolePolicy: {
      role: roleName,
      async check(input, _params, callIam) {
        const name = String(input.RoleName);
        const document = typeof input.PolicyDocument === "string" ? input.PolicyDocument : "";
        const others = await listAll(callIam, "ListRolePolicies", { RoleName: name }, "PolicyNames");
        if (others === undefined) return; // no such role: moto answers NoSuchEntity
        let total = nonWhitespaceChars(document);
        for (const other of others) {
          if (other === input.PolicyName) continue; // replaced by this one
          const got = await callIam("GetRolePolicy", { RoleName: name, PolicyName: String(other) });
          if (got.ok && typeof got.result.PolicyDocument === "string") total += nonWhitespaceChars(decodeURIComponent(got.result.PolicyDocument));
        }
        if (total > quotas.roleInlinePolicyChars) refuse("LimitExceeded", `Maximum policy size of ${quotas.roleInlinePolicyChars} bytes exceeded for role ${name}`, 409);
      },
    },
    AttachRolePolicy: {
      role: roleName,
      async check(input, _params, callIam) {
        const attached = await listAll(callIam, "ListAttachedRolePolicies", { RoleName: String(input.RoleName) }, "AttachedPolicies");
        if (attached === undefined) return;
        const arns = attached.map((p) => (p as { PolicyArn?: string }).PolicyArn);
        if (!arns.includes(String(input.PolicyArn)) && arns.length >= quotas.managedPoliciesPerRole) {
          refuse("LimitExceeded", `Cannot exceed quota for PoliciesPerRole: ${quotas.managedPoliciesPerRole}`, 409);
        }
      },
    },
    TagRole: {
      role: roleName,
      async check(input, params, callIam) {
        const given = tagsOf(input);
        checkIamTagKeys(given.map((t) => t.Key));
        const existing = await listAll(callIam, "ListRoleTags", { RoleName: String(input.RoleName) }, "Tags");
        if (existing === undefined) return;
        const byFolded = new Map<string, string>();
        for (const t of existing) byFolded.set(String((t as Tag).Key).toLowerCase(), String((t as Tag).Key));
        const stale: string[] = [];
        for (const t of given) {
          const old = byFolded.get(t.Key.toLowerCase());
          if (old !== undefined && old !== t.Key) stale.push(old);
          byFolded.set(t.Key.toLowerCase(), t.Key);
        }
        if (byFolded.size > quotas.tagsPerRole) refuse("LimitExceeded", `Cannot exceed quota for TagsPerRole: ${quotas.tagsPerRole}`, 409);
        // AWS: a key differing only in case replaces the tag (moto would keep both).
        if (stale.length > 0) {
          const untag: Record<string, string> = { RoleName: String(input.RoleName) };
          stale.forEach((k, i) => (untag[`TagKeys.member.${i + 1}`] = k));
          await callIam("UntagRole", untag);
        }
        return params;
      },
    },
    UntagRole: {
      role: roleName,
      async check(input, params, callIam) {
        const keys = Array.isArray(input.TagKeys) ? input.TagKeys.map(String) : [];
        const existing = await listAll(callIam, "ListRoleTags", { RoleName: String(input.RoleName) }, "Tags");
        if (existing === undefined) return;
        const byFolded = new Map(existing.map((t) => [String((t as Tag).Key).toLowerCase(), String((t as Tag).Key)]));
        // AWS: keys are case-insensitive; moto removes exact matches only. Name moto's keys.
        const rewritten = new URLSearchParams(params);
        for (const k of [...rewritten.keys()]) if (k.startsWith("TagKeys.")) rewritten.delete(k);
        keys.forEach((k, i) => rewritten.set(`TagKeys.member.${i + 1}`, byFolded.get(k.toLowerCase()) ?? k));
        return rewritten;
      },
    },
  };
}

// ---- Service Quotas for IAM Identity Center ---------------------------------------------

/**
 * IAM Identity Center's adjustable quotas as Service Quotas lists them (service code `sso`),
 * which moto's Service Quotas does not know (it answers 500). Codes and defaults: the IAM
 * Identity Center quotas page ("Permission sets allowed per IAM Identity Center instance":
 * 2,000; "Permission sets provisioned per account": 250) and Service Quotas' console listing
 * of `sso` (L-B44C7A29, L-89954265). See MOTO-NOTES.md, "Service Quotas".
 */
export const SSO_SERVICE_QUOTAS: Readonly<Record<string, { name: string; value: number }>> = {
  "L-B44C7A29": { name: "Permission sets allowed per IAM Identity Center instance", value: 2000 },
  "L-89954265": { name: "Permission sets provisioned per account", value: 250 },
};

