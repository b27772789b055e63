import { UserError } from "../errors.js";

/**
 * What differs between the authentik releases the tool supports, as far as the
 * tool's objects are concerned. Read once per run from `GET /admin/version/`; the
 * desired state, the reader and the writer all speak the release's API from it.
 *
 * authentik (Django REST Framework) silently drops request fields a release does
 * not have, so a field written to the wrong release never fails: it shows up as a
 * difference on every plan. Hence one table, checked against each release's
 * published schema (`@goauthentik/api`) and source.
 */
export interface AuthentikRelease {
  /** as reported, e.g. "2025.10.4" */
  version: string;
  /** e.g. "2025.10" */
  minor: string;
  /**
   * The SAML provider field that holds the issuer (entityID): `issuer` (default
   * "authentik") before 2026.5, `issuer_override` (empty = derived from the URL) from 2026.5.
   */
  samlIssuerField: "issuer" | "issuer_override";
  /** SCIM groups to sync: one `filter_group` before 2026.2, a list `group_filters` from 2026.2. */
  scimGroupFilter: "filter_group" | "group_filters";
  /** `sync_page_size` on SCIM providers, from 2025.12. */
  scimSyncPageSize: boolean;
  /** Newer than every release this version of the tool was tested against. */
  untested: boolean;
}

/** Every minor release the tool is tested against (the emulator models each). */
export const SUPPORTED_RELEASES = ["2025.10", "2025.12", "2026.2", "2026.5", "2026.8"] as const;
export const OLDEST_SUPPORTED = SUPPORTED_RELEASES[0];
export const NEWEST_TESTED = SUPPORTED_RELEASES[SUPPORTED_RELEASES.length - 1]!;

/** Compares dotted versions numerically ("2025.10.4" > "2025.2"); suffixes like "-rc1" count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const atLeast = (version: string, minor: string) => compareVersions(version, minor) >= 0;

/** The release's capabilities; refuses one older than the oldest supported. */
export function authentikRelease(version: string, where: string): AuthentikRelease {
  if (!/^\d{4}\.\d+/.test(version)) throw new UserError(`authentik at ${where} reports version '${version}', which is not a release version this tool understands`);
  if (!atLeast(version, OLDEST_SUPPORTED)) {
    throw new UserError(
      `authentik ${version} at ${where} is too old: authentik-aws-gitops supports authentik ${OLDEST_SUPPORTED} to ${NEWEST_TESTED} (${SUPPORTED_RELEASES.join(", ")}); upgrade authentik`,
    );
  }
  const [year, month] = version.split(".");
  const minor = `${year}.${Number.parseInt(month!, 10)}`;
  return {
    version,
    minor,
    samlIssuerField: atLeast(version, "2026.5") ? "issuer_override" : "issuer",
    scimGroupFilter: atLeast(version, "2026.2") ? "group_filters" : "filter_group",
    scimSyncPageSize: atLeast(version, "2025.12"),
    untested: compareVersions(minor, NEWEST_TESTED) > 0,
  };
}

/** The plan warning for a release newer than the tool knows, or none. */
export function releaseWarning(release: AuthentikRelease): string | undefined {
  if (!release.untested) return undefined;
  return `authentik ${release.version} is newer than the newest release authentik-aws-gitops is tested against (${NEWEST_TESTED}); it speaks ${NEWEST_TESTED}'s API to it — read the plan with care and upgrade the tool when a version supporting ${release.minor} is out`;
}
