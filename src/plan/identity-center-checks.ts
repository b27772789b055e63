/**
 * What identity-center mode knows that the generic planner does not: the rules that
 * turn live state into problems, warnings, console steps and adjustments of the
 * desired state. Pure: the mode (src/modes/identity-center.ts) only wires them in.
 */
import { publicAuthentikUrl, type ResolvedConfig } from "../config/model.js";
import { address } from "../domain/addresses.js";
import type { DesiredResource, LiveResource, Plan, PlanProblem } from "../domain/plan-types.js";
import type { AuthentikRelease } from "../domain/releases.js";
import type { SpMetadata } from "../domain/saml-metadata.js";
import type { ResolvedMapping } from "../config/model.js";

export interface Findings {
  problems: PlanProblem[];
  warnings: string[];
}

/**
 * Before 2026.2 a SCIM sync pushes every user, or only the direct members of the one
 * filter_group, and every group: the application's bindings play no part.
 */
export function scimScopeFindings(config: ResolvedConfig, release: Pick<AuthentikRelease, "version" | "scimGroupFilter">): Findings {
  const out: Findings = { problems: [], warnings: [] };
  if (!config.scim || release.scimGroupFilter !== "filter_group") return out;
  const scimGroups = [...new Set(config.scim.groups)];
  if (scimGroups.length > 1) {
    out.problems.push({
      message: `${config.scim.groupsLocation}: authentik ${release.version} can limit SCIM to the members of one group only (filter_group; group_filters and user selection by the application's bindings arrived in 2026.2): with ${scimGroups.length} groups (${scimGroups.join(", ")}) SCIM would provision every user into IAM Identity Center. Set scim.groups to one group whose direct members are everyone who needs AWS, or upgrade authentik to 2026.2 or newer`,
    });
  } else {
    out.warnings.push(
      `authentik ${release.version}: SCIM provisions the direct members of group '${scimGroups[0]}' (filter_group; members of its child groups are not included) and syncs every group to IAM Identity Center; from authentik 2026.2 the tool limits both to the mapped groups`,
    );
  }
  return out;
}

/** Mapped groups the Identity Store does not have yet: SCIM will bring them (apply waits), or, without SCIM, nothing can be assigned. */
export function identityStoreFindings(config: ResolvedConfig, inForce: readonly ResolvedMapping[], storeGroups: ReadonlyMap<string, string>, identityStoreId: string): Findings {
  const out: Findings = { problems: [], warnings: [] };
  for (const group of [...new Set(inForce.map((m) => m.group))].filter((g) => !storeGroups.has(g))) {
    const mapping = inForce.find((m) => m.group === group)!;
    if (config.scim) {
      out.warnings.push(
        `group '${group}' (${mapping.location}) is not in the IAM Identity Center identity store yet: SCIM has not provisioned it. apply will start authentik's SCIM sync and wait for it before assigning.`,
      );
    } else {
      out.problems.push({
        message: `${mapping.location}: group '${group}' does not exist in the IAM Identity Center identity store (${identityStoreId}); create it there, or configure scim: so authentik provisions it`,
      });
    }
  }
  return out;
}

/**
 * IAM Identity Center's API cannot empty a permission set's description or relay state
 * once set: the desired state keeps what AWS will keep (no update that can never
 * settle), and a warning says so.
 */
export function keepWhatAwsCannotClear(desired: readonly DesiredResource[], live: readonly LiveResource[]): string[] {
  const warnings: string[] = [];
  for (const d of desired.filter((r) => r.type === "aws.sso.permission_set")) {
    const l = live.find((r) => r.address === d.address);
    for (const field of ["description", "relay_state"] as const) {
      if (l && l.props[field] && !d.props[field]) {
        warnings.push(`${d.title}: AWS cannot clear its ${field.replace("_", " ")} through the API, so the current value stays; set a new value, or delete and recreate the permission set`);
        d.props[field] = l.props[field];
      }
    }
  }
  return warnings;
}

/** What only the AWS console can do, with the values to paste (printed once: when the federation is first set up). */
export function consoleSteps(config: ResolvedConfig, authentikUrl: string, sp: SpMetadata, live: readonly LiveResource[]): string[] {
  const has = (addr: string) => live.some((r) => r.address === addr);
  const firstSetup = !has(address.samlProvider(config.authentik.provider.name)) || !has(address.application(config.authentik.application.slug));
  const scimNew = config.scim !== undefined && !has(address.scimProvider(config.scim.providerName));
  const ic = config.aws.identityCenter!;
  const slug = config.authentik.application.slug;
  const base = publicAuthentikUrl(config, authentikUrl);
  const steps: string[] = [];
  if (firstSetup) {
    steps.push(
      `In the IAM Identity Center console (${ic.region}) → Settings → Identity source → Actions → Change identity source → External identity provider: ` +
        `upload the IdP metadata from ${base}/application/saml/${slug}/metadata/ (or enter IdP sign-in URL ${base}/application/saml/${slug}/sso/binding/post/ and issuer ${base}/application/saml/${slug}/metadata/, ` +
        `with the certificate of keypair "${config.authentik.provider.signingKeypair}"). The service provider values authentik uses are ACS ${sp.acsUrl} and audience ${sp.entityId}.`,
    );
  }
  if (config.scim && (firstSetup || scimNew)) {
    steps.push(
      `In IAM Identity Center → Settings → Automatic provisioning → Enable: confirm the SCIM endpoint is ${config.scim.url}, create an access token, ` +
        `and store it as the secret ${config.scim.tokenEnv} of the environment that runs authentik-aws-gitops (it is never written in the configuration).`,
    );
  }
  if (firstSetup) steps.push(`Users then sign in from the AWS access portal ${ic.accessPortalUrl} or from the "${config.authentik.application.name}" tile in authentik.`);
  return steps;
}

/**
 * Whether this plan changes who or what SCIM provisions in a way authentik's own
 * save-triggered sync does not cover: a new provider or new filters (saved, and so
 * synced, possibly before the provider was attached), a changed attachment, or
 * changed application bindings (which pick the users; no provider save follows).
 */
export function needsFullScimSync(plan: Plan, config: ResolvedConfig): boolean {
  const app = address.application(config.authentik.application.slug);
  return plan.changes.some(
    (c) =>
      (c.type === "authentik.scim_provider" && (c.action === "create" || c.fields.some((f) => f.field === "group_filters" || f.field === "filter_group"))) ||
      (c.address === app && (c.action === "create" || c.fields.some((f) => f.field === "backchannel_providers"))) ||
      (c.type === "authentik.policy_binding" && (c.before ?? c.after)?.target !== undefined && ((c.before ?? c.after)!.target as { $ref?: string }).$ref === app),
  );
}

/** Whether applying this plan writes the SCIM provider (and so sends the SCIM token). */
export function writesScimProvider(plan: Plan): boolean {
  return plan.changes.some((c) => c.type === "authentik.scim_provider" && c.action !== "delete" && !(c.action === "adopt" && c.fields.length === 0));
}

/**
 * What the SCIM provider this tool sets up writes to the Identity Store: authentik's
 * default user mapping (userName, name, displayName, emails, locale, active) under the
 * tool's own (userName from the email, no photos). An attribute for access control read
 * from any other path stays empty unless something else fills it.
 */
const SCIM_FILLED = /^\$\{path:(userName|displayName|locale|name\.(formatted|givenName|familyName)|emails(\[[^\]]*\])?(\.(value|type))?)\}$/;

export function accessControlFindings(config: ResolvedConfig): string[] {
  const abac = config.aws.identityCenter?.accessControlAttributes ?? [];
  if (!config.scim) return [];
  return abac
    .filter((a) => a.source !== undefined && !SCIM_FILLED.test(a.source))
    .map(
      (a) =>
        `attribute for access control '${a.key}' reads ${a.source} from the Identity Store, where the SCIM provider this configuration sets up writes only userName, name, displayName, emails and locale: it stays empty (no session tag) unless another SCIM mapping or the console fills it; to send it from a user attribute in authentik, write ${a.key}: { fromAuthentik: ATTRIBUTE }`,
    );
}
