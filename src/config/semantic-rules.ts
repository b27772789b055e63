import type { Diagnostic } from "./diagnostics.js";
import { accounts } from "./rules/accounts.js";
import { propertyMappingPrefix } from "./rules/authentik.js";
import { createContext, isRec, type Rule } from "./rules/context.js";
import { limits } from "./rules/limits.js";
import { mappings } from "./rules/mappings.js";
import { modeSections } from "./rules/mode.js";
import { policyNames } from "./rules/names.js";
import { partitions } from "./rules/partitions.js";
import { permissionSets } from "./rules/permission-sets.js";
import { policies } from "./rules/policies.js";
import { references } from "./rules/references.js";
import { roles } from "./rules/roles.js";
import { scim } from "./rules/scim.js";
import { secrets } from "./rules/secrets.js";
import { samlSessionDuration } from "./rules/session-duration.js";
import { tags } from "./rules/tags.js";
import { unused } from "./rules/unused.js";
import type { DocPath, YamlSource } from "./yaml-source.js";

export { LIMITS } from "./rules/shared.js";
export { reservedVariable } from "./rules/scim.js";

/**
 * Rules the JSON Schema cannot express: cross references, the mode's sections,
 * AWS limits that depend on several values, and secrets pasted inline. One file
 * per concern under rules/, each a function of one shared context; they run in
 * this order, since later ones read what earlier ones found (see RuleContext.found).
 */
const RULES: readonly Rule[] = [
  modeSections,
  accounts,
  tags,
  roles,
  samlSessionDuration,
  permissionSets,
  policyNames,
  partitions,
  policies,
  mappings,
  limits,
  references,
  unused,
  propertyMappingPrefix,
  scim,
  secrets,
];

/**
 * `now` decides which expiries are already past (warned); without it, none is.
 * `typeFailures`: where the schema found a value of a type it does not allow
 * (SchemaCheck.typeFailures); no rule reads those as if they were valid.
 */
export function semanticDiagnostics(source: YamlSource, data: unknown, now?: Date, typeFailures: readonly DocPath[] = []): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!isRec(data)) {
    const message = data === null ? "the configuration file is empty" : "the configuration must be a mapping (key: value) at the top level";
    out.push(source.diagnostic("error", [], message));
    return out;
  }
  const ctx = createContext(source, data, now, typeFailures, (d) => out.push(d));
  for (const rule of RULES) rule(ctx);
  return out;
}
