// Which authentik release the emulator plays, and what differs between releases.
//
// Each supported minor has its published schema.yml pinned in package.json as an
// npm alias of @goauthentik/api (the newest, 2026.8, is the unaliased package the
// tool imports its model types from). The reported version picks the schema: the
// newest supported minor not newer than it (a version older than 2025.10 uses the
// oldest schema but still reports itself, for tests of the tool's version gate).
//
// Behaviour that the schema cannot show (defaults, what a sync pushes, uniqueness)
// is gated on the *reported* version through `atLeast`, so a patch-level change is
// modelled too. Each rule names the authentik source it was read from
// (github.com/goauthentik/authentik, file@tag). The fork used to read the source
// carries tags up to 2026.2.2 (plus the version-2025.12 branch after 2025.12.4);
// 2026.5 rules are read from main at 2026.5.0-rc1 and, for issuer_override, from
// the branch that introduced it (`generate-issuer-api`); nothing newer than
// 2026.5.0-rc1 could be read, so 2026.8 behaves like 2026.5 where its schema
// does not say otherwise.
import { createRequire } from "node:module";

export const SUPPORTED_MINORS = ["2025.10", "2025.12", "2026.2", "2026.5", "2026.8"] as const;
export type Minor = (typeof SUPPORTED_MINORS)[number];

/** The npm package (alias) whose schema.yml describes each minor. */
const SCHEMA_PACKAGES: Record<Minor, string> = {
  "2025.10": "@goauthentik/api-2025.10", // 2025.10.4
  "2025.12": "@goauthentik/api-2025.12", // 2025.12.6
  "2026.2": "@goauthentik/api-2026.2", // 2026.2.0
  "2026.5": "@goauthentik/api-2026.5", // 2026.5.6
  "2026.8": "@goauthentik/api", // 2026.8.3
};

const require = createRequire(import.meta.url);
export function schemaPath(minor: Minor): string {
  return require.resolve(`${SCHEMA_PACKAGES[minor]}/schema.yml`);
}

/** Compares dotted versions numerically ("2025.10.4" > "2025.2"); "-rc1" suffixes count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface Release {
  /** what GET /admin/version/ reports */
  version: string;
  /** whose schema.yml validates requests and responses */
  minor: Minor;
  /** the reported version is at least `v` (e.g. "2026.2" or "2025.12.5") */
  atLeast(v: string): boolean;
  /** SAMLProvider: `issuer` (default "authentik") before 2026.5, `issuer_override` from 2026.5 */
  samlIssuerField: "issuer" | "issuer_override";
  /** SCIMProvider: one `filter_group` before 2026.2, a list `group_filters` from 2026.2 */
  scimGroupFilter: "filter_group" | "group_filters";
  /** Group hierarchy: one `parent` in 2025.10, a list `parents` from 2025.12 */
  groupParents: "parent" | "parents";
}

export function resolveRelease(version: string): Release {
  if (!/^\d{4}\.\d+/.test(version)) throw new Error(`authentik emulator: '${version}' is not an authentik release version (e.g. 2026.8.3)`);
  const atLeast = (v: string) => compareVersions(version, v) >= 0;
  const minor = [...SUPPORTED_MINORS].reverse().find((m) => atLeast(m)) ?? SUPPORTED_MINORS[0];
  return {
    version,
    minor,
    atLeast,
    // authentik/providers/saml/models.py@version/2026.2.2: issuer = TextField(default="authentik");
    // migrations/0022_remove_samlprovider_issuer_and_more.py@generate-issuer-api renames it to
    // issuer_override (blank, default ""); the 2026.5.6 schema has issuer_override.
    samlIssuerField: atLeast("2026.5") ? "issuer_override" : "issuer",
    // authentik/providers/scim/api/providers.py: "filter_group"@version/2025.12.4, "group_filters"@version/2026.2.0
    scimGroupFilter: atLeast("2026.2") ? "group_filters" : "filter_group",
    // authentik/core/api/groups.py@version/2025.10.4: fields "parent", "parent_name", writable "children";
    // @version/2025.12.0 (digraph group hierarchy, #17050): "parents", "parents_obj"
    groupParents: atLeast("2025.12") ? "parents" : "parent",
  };
}

/** `fields` when the release is at least `v`, else nothing: for spreading into a wire object. */
export function since<T extends object>(release: Release, v: string, fields: T): T | Record<string, never> {
  return release.atLeast(v) ? fields : {};
}
