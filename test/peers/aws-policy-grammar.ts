/**
 * The IAM policy grammar at the stand-in (see MOTO-NOTES.md, "Policy grammar"). IAM refuses a
 * malformed policy with MalformedPolicyDocument (CreatePolicy, CreatePolicyVersion,
 * PutRolePolicy, CreateRole's and UpdateAssumeRolePolicy's trust policy); IAM Identity Center
 * refuses a malformed inline policy (PutInlinePolicyToPermissionSet) with ValidationException.
 *
 * The grammar is moto's own IAM policy validator (moto/iam/policy_validation.py), an
 * implementation independent of the tool: where moto does not check a document itself
 * (CreateRole's trust policy, Identity Center's inline policy) the shim asks it, with the same
 * document, in a scratch account of its own — CreatePolicy (identity policy) or
 * UpdateAssumeRolePolicy of a scratch role (trust policy), deleted afterwards — and answers
 * with moto's reason. Two rules AWS enforces and moto does not are the shim's, each with its
 * source in MOTO-NOTES.md (`beyondMoto`).
 *
 * Nothing here comes from the tool (src/): a mistake in the tool's rules must not become the
 * stand-in's idea of AWS.
 */
import { randomBytes } from "node:crypto";
import type { CallIam } from "./aws-limits.js";

/** An identity policy (attached to a role, or a permission set's inline policy) or a role's trust policy. */
export type PolicyKind = "identity" | "trust";

/** The account the shim asks moto's validator in; no test uses it. */
export const GRAMMAR_SCRATCH_ACCOUNT = "987698769876";

/** The trust policy a scratch role is created with (moto's CreateRole checks none). */
const SCRATCH_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** IAM's Sid characters: ASCII letters and digits. */
const SID = /^[0-9A-Za-z]*$/;

/**
 * What IAM refuses of a policy that moto's validator lets through, as IAM words it; undefined
 * when none applies (a document that is not JSON is left to moto). Sources: MOTO-NOTES.md.
 */
export function beyondMoto(kind: PolicyKind, document: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const statement = (parsed as { Statement?: unknown }).Statement;
  const statements = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  for (const s of statements) {
    if (typeof s !== "object" || s === null) continue;
    const sid = (s as { Sid?: unknown }).Sid;
    if (typeof sid === "string" && !SID.test(sid)) {
      return "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    }
    if (kind === "identity" && ("Principal" in s || "NotPrincipal" in s)) return "Policy document should not specify a principal.";
  }
  return undefined;
}

/**
 * Asks moto's IAM policy validator about `document`, in the scratch account (`callScratch`
 * calls IAM there). Returns moto's reason when moto refuses it (MalformedPolicyDocument),
 * undefined when moto takes it; nothing is left behind.
 */
export async function askMotoGrammar(callScratch: CallIam, kind: PolicyKind, document: string): Promise<string | undefined> {
  const name = `aws-shim-grammar-${randomBytes(6).toString("hex")}`;
  if (kind === "identity") {
    const created = await callScratch("CreatePolicy", { PolicyName: name, Path: "/aws-shim-grammar/", PolicyDocument: document });
    if (!created.ok) return refusedBy(created, "CreatePolicy");
    const arn = (created.result.Policy as { Arn?: unknown } | undefined)?.Arn;
    if (typeof arn === "string") await callScratch("DeletePolicy", { PolicyArn: arn });
    return undefined;
  }
  // Moto's CreateRole does not check a trust policy; its UpdateAssumeRolePolicy does.
  const created = await callScratch("CreateRole", { RoleName: name, Path: "/aws-shim-grammar/", AssumeRolePolicyDocument: SCRATCH_TRUST });
  if (!created.ok) throw new Error(`shim: the scratch role for the trust-policy check was not created (${created.code ?? created.status})`);
  try {
    const updated = await callScratch("UpdateAssumeRolePolicy", { RoleName: name, PolicyDocument: document });
    return updated.ok ? undefined : refusedBy(updated, "UpdateAssumeRolePolicy");
  } finally {
    await callScratch("DeleteRole", { RoleName: name });
  }
}

function refusedBy(answer: { ok: false; status: number; code?: string; message?: string }, operation: string): string {
  if (answer.code === "MalformedPolicyDocument") return answer.message ?? "Syntax errors in policy.";
  throw new Error(`shim: moto's ${operation} in the scratch account failed with ${answer.code ?? answer.status}: ${answer.message ?? ""}`);
}
