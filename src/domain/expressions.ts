/**
 * The Python that authentik runs for the SAML attributes AWS reads.
 *
 * Safety against hostile names: no group, role, account or user name is ever
 * written into these expressions. The Role expression is the same constant for
 * every config — role and provider ARNs are *data*, read from the attributes of
 * the application entitlements the user holds — and the only values
 * interpolated elsewhere are integers and choices from a closed set, rendered
 * through pyLiteral().
 */
export const SAML_ATTRIBUTE = {
  /** Followed by the attribute's key: an attribute for access control (ABAC) of IAM Identity Center. */
  accessControlPrefix: "https://aws.amazon.com/SAML/Attributes/AccessControl:",
  role: "https://aws.amazon.com/SAML/Attributes/Role",
  roleSessionName: "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
  sessionDuration: "https://aws.amazon.com/SAML/Attributes/SessionDuration",
} as const;

/** A Python string literal for any JavaScript string (JSON escapes are valid Python escapes). */
export function pyLiteral(value: string | number): string {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`refusing to render non-integer ${value} into Python`);
    return String(value);
  }
  // JSON string escapes (\", \\, \n, \uXXXX) mean the same in Python; escape the
  // rest of non-ASCII too so the source stays plain ASCII.
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export const ROLE_EXPRESSION = `# Managed by authentik-aws-gitops: edits are overwritten.
# AWS expects "role_arn,saml_provider_arn" per role the user may assume. Each
# application entitlement the user holds (through a group binding) carries one
# pair in its attributes, so this expression never changes when roles do.
# authentik lists an entitlement once per binding that grants it (a user in two
# mapped groups gets it twice): each pair is sent once.
roles = []
for entitlement in request.user.app_entitlements(provider.application):
    attributes = entitlement.attributes or {}
    role_arn = attributes.get("aws_role_arn")
    provider_arn = attributes.get("aws_saml_provider_arn")
    if isinstance(role_arn, str) and isinstance(provider_arn, str):
        value = role_arn + "," + provider_arn
        if value not in roles:
            roles.append(value)
return roles
`;

export function roleSessionNameExpression(source: "email" | "username"): string {
  const attribute = source === "email" ? "email" : "username";
  return `# Managed by authentik-aws-gitops: edits are overwritten.
# AWS accepts 2-64 characters of [A-Za-z0-9_+=,.@-] as RoleSessionName.
import re
value = re.sub(r"[^A-Za-z0-9_+=,.@-]", "_", str(getattr(user, ${pyLiteral(attribute)}, "") or ""))[:64]
return value.ljust(2, "_")
`;
}

/**
 * What roleSessionNameExpression returns for a user's attribute value, in TypeScript: the
 * session name AWS gives their sessions (aws:userid is "<role id>:<this>"). Python's re.sub
 * and slicing work on code points, as the u flag and Array.from do here.
 */
export function roleSessionNameOf(value: string): string {
  return Array.from(value.replace(/[^A-Za-z0-9_+=,.@-]/gu, "_")).slice(0, 64).join("").padEnd(2, "_");
}

export function sessionDurationExpression(seconds: number): string {
  return `# Managed by authentik-aws-gitops: edits are overwritten.
return ${pyLiteral(String(seconds))}
`;
}

/**
 * An attribute for access control (ABAC) from the user's attribute at `path` (a dotted
 * path into user.attributes). The path is validated by the schema and written only as a
 * Python literal; a missing value sends nothing (authentik leaves the attribute out).
 */
export function accessControlExpression(path: string): string {
  return `# Managed by authentik-aws-gitops: edits are overwritten.
# IAM Identity Center reads this as an attribute for access control (a session tag).
value = request.user.attributes
for part in ${pyLiteral(path)}.split("."):
    value = value.get(part) if isinstance(value, dict) else None
if value is None or isinstance(value, (dict, list)):
    return None
return str(value)
`;
}
