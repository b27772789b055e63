import { executeChanges, type ApplyResult, type ProgressEvent } from "../apply/executor.js";
import type { ResolvedConfig } from "../config/model.js";
import { address } from "../domain/addresses.js";
import { applicationAccess, publicAuthentikUrl } from "../desired/authentik-common.js";
import { desiredIdentityCenter } from "../desired/identity-center.js";
import { readSpMetadataFile } from "../config/sp-metadata-file.js";
import type { SpMetadata } from "../domain/saml-metadata.js";
import { UserError } from "../errors.js";
import { computePlan, type PlanProblem } from "../plan/compute-plan.js";
import { assessRisks } from "../plan/risks.js";
import type { AccessRow, Change, Plan, Props, ResourceType } from "../domain/plan-types.js";
import { applyAuthentikChange } from "../providers/authentik/apply-changes.js";
import type { AuthentikClient } from "../providers/authentik/client.js";
import { readAuthentikRelease, readAuthentikState, type AuthentikLiveState } from "../providers/authentik/read-state.js";
import { groupMembers } from "../domain/people.js";
import { readUsers } from "../providers/authentik/read-people.js";
import { releaseWarning } from "../domain/releases.js";
import { ScimSync } from "../providers/authentik/scim-sync.js";
import { waitForIdentityStoreGroup } from "../providers/aws/identity-store-wait.js";
import { applyAssignmentChange, applyPermissionSetChange, asyncOperations } from "../providers/aws/sso-apply.js";
import { awsFailure } from "../providers/aws/errors.js";
import { identityCenterClients, type IdentityCenterClients } from "../providers/aws/sso-clients.js";
import { permissionSetIdentity, readIdentityCenter, type IdentityCenterLive } from "../providers/aws/sso-read.js";
import { VERSION } from "../version.js";
import { groupsNeeded, planExpiry } from "../desired/expiry.js";
import { activeMappings, splitExpired } from "../desired/expiry.js";
import { authentikClient, runWarnings, toolInfo, type EngineOptions, type PlanSession } from "./shared.js";

async function readSpMetadata(config: ResolvedConfig): Promise<SpMetadata> {
  const ic = config.aws.identityCenter!;
  return readSpMetadataFile(ic.spMetadataPath, ic.spMetadataRoot).catch((error: Error) => {
    throw new UserError(`${ic.spMetadataLocation}: ${error.message}`);
  });
}

/**
 * The SCIM token from the environment. Only a write of the SCIM provider sends it, so a
 * plan does without (a pull request's plan job never needs the secret); an apply that
 * writes the provider, and --rotate-scim-token, need it (see missingScimToken).
 */
function scimToken(config: ResolvedConfig, env: NodeJS.ProcessEnv, required: boolean): string | undefined {
  if (!config.scim) return undefined;
  const token = env[config.scim.tokenEnv];
  if (!token && required) throw missingScimToken(config);
  return token || undefined;
}

function missingScimToken(config: ResolvedConfig): UserError {
  return new UserError(
    `${config.scim!.tokenEnvLocation}: the environment variable ${config.scim!.tokenEnv} (scim.tokenEnv) is not set; it must hold the SCIM access token created in the IAM Identity Center console (a plan does without it; an apply that writes the SCIM provider needs it)`,
  );
}

function accessOf(config: ResolvedConfig) {
  return (resource: { type: ResourceType; account?: string; props: Props }) => applicationAccess(resource, config.authentik.application.slug) ?? assignmentAccess(resource);
}

function assignmentAccess(resource: { type: ResourceType; account?: string; props: Props }): Omit<AccessRow, "change"> | undefined {
  if (resource.type !== "aws.sso.account_assignment") return undefined;
  const ref = (resource.props.permission_set as { $ref?: string } | undefined)?.$ref ?? "";
  const grant = /^aws\.sso\.permission_set\[(.*)\]$/.exec(ref)?.[1] ?? ref;
  const accountId = String(resource.props.account_id);
  return { group: String(resource.props.group), grant, account: resource.account ?? accountId, accountId };
}

function identityOf(resource: { type: ResourceType; props: Props }): string | undefined {
  return resource.type === "aws.sso.permission_set" ? permissionSetIdentity(String(resource.props.name)) : undefined;
}

/** What only the AWS console can do, with the values to paste (printed once: when the federation is first set up). */
function manualSteps(config: ResolvedConfig, authentikUrl: string, sp: SpMetadata, firstSetup: boolean, scimNew: boolean): string[] {
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

/** identity-center: authentik SAML (+ SCIM) and IAM Identity Center permission sets and assignments. */
export async function planIdentityCenter(config: ResolvedConfig, options: EngineOptions = {}): Promise<PlanSession> {
  const env = options.env ?? process.env;
  const concurrency = options.concurrency ?? 4;
  // The one clock reading of this plan: which mappings have expired is decided here.
  const now = options.now ?? new Date();
  const sp = await readSpMetadata(config);
  const token = scimToken(config, env, options.rotateScimToken === true);
  const { client: authentik, url: authentikUrl } = authentikClient(config, env);
  const clients = identityCenterClients(config.aws.identityCenter!.region, { env });

  const groups = [...groupsNeeded(config, now), ...(config.scim?.groups ?? []).map((name) => ({ name, location: `${config.file} (scim.groups)` }))];
  const release = await readAuthentikRelease(authentik);
  const peopleMode = config.review?.people ?? "names";
  const [authentikState, icLive, users] = await Promise.all([
    readAuthentikState(authentik, config, { groupsNeeded: groups, release }),
    readIdentityCenter(clients, config, concurrency * 2).catch((error: unknown) => {
      throw awsFailure(error, `reading IAM Identity Center in ${config.aws.identityCenter!.region}`);
    }),
    peopleMode === "off" ? undefined : readUsers(authentik),
  ]);

  const problems: PlanProblem[] = [...authentikState.problems];
  const warnings: string[] = [...runWarnings(config, options)];
  const untested = releaseWarning(release);
  if (untested) warnings.push(untested);
  if (config.scim && release.scimGroupFilter === "filter_group") {
    // Before 2026.2 a sync pushes every user, or only the direct members of the one
    // filter_group, and every group: the application's bindings play no part.
    const scimGroups = [...new Set(config.scim.groups)];
    if (scimGroups.length > 1) {
      problems.push({
        message: `${config.scim.groupsLocation}: authentik ${release.version} can limit SCIM to the members of one group only (filter_group; group_filters and user selection by the application's bindings arrived in 2026.2): with ${scimGroups.length} groups (${scimGroups.join(", ")}) SCIM would provision every user into IAM Identity Center. Set scim.groups to one group whose direct members are everyone who needs AWS, or upgrade authentik to 2026.2 or newer`,
      });
    } else {
      warnings.push(
        `authentik ${release.version}: SCIM provisions the direct members of group '${scimGroups[0]}' (filter_group; members of its child groups are not included) and syncs every group to IAM Identity Center; from authentik 2026.2 the tool limits both to the mapped groups`,
      );
    }
  }
  const inForce = activeMappings(config.mappings, now);
  const missingInIdentityStore = [...new Set(inForce.map((m) => m.group))].filter((g) => !icLive.groups.has(g));
  for (const group of missingInIdentityStore) {
    const mapping = inForce.find((m) => m.group === group)!;
    if (config.scim) {
      warnings.push(
        `group '${group}' (${mapping.location}) is not in the IAM Identity Center identity store yet: SCIM has not provisioned it. apply will start authentik's SCIM sync and wait for it before assigning.`,
      );
    } else {
      problems.push({
        message: `${mapping.location}: group '${group}' does not exist in the IAM Identity Center identity store (${icLive.identityStoreId}); create it there, or configure scim: so authentik provisions it`,
      });
    }
  }

  // SCIM's groups (scim.groups, by default every mapped group) are not affected by
  // expiry: an expired mapping's group stays in scope until the mapping is deleted from
  // the file, so the scheduled removal of expired grants never rewrites the provider.
  const split = splitExpired(
    desiredIdentityCenter(config, {
      authentikUrl,
      api: release,
      sp,
      ouAccounts: icLive.ouAccounts,
      ...(token ? { scimToken: token } : {}),
      ...(options.rotateScimToken ? { rotateScimToken: true } : {}),
    }),
    config.mappings,
    now,
  );
  const desired = split.desired;
  const live = [...authentikState.resources, ...icLive.resources];
  const has = (addr: string) => live.some((r) => r.address === addr);
  const firstSetup = !has(address.samlProvider(config.authentik.provider.name)) || !has(address.application(config.authentik.application.slug));
  const scimNew = config.scim !== undefined && !has(address.scimProvider(config.scim.providerName));

  // IAM Identity Center's API cannot empty a permission set's description or relay
  // state once set; say so rather than showing the same update on every plan.
  for (const d of desired.filter((r) => r.type === "aws.sso.permission_set")) {
    const l = live.find((r) => r.address === d.address);
    for (const field of ["description", "relay_state"] as const) {
      if (l && l.props[field] && !d.props[field]) {
        warnings.push(`${d.title}: AWS cannot clear its ${field.replace("_", " ")} through the API, so the current value stays; set a new value, or delete and recreate the permission set`);
        d.props[field] = l.props[field]; // what AWS will keep: no update that can never settle
      }
    }
  }

  const plan: Plan = computePlan({
    mode: config.mode,
    configFile: config.file,
    tool: toolInfo(VERSION),
    desired,
    live,
    prune: options.prune ?? config.options.prune,
    allowDeleteAll: options.allowDeleteAll ?? config.options.allowDeleteAll,
    accessOf: accessOf(config),
    identityOf,
    problems,
    warnings,
    expiry: planExpiry(config, split, now),
    ...(users ? { members: groupMembers(authentikState.groups, users), people: peopleMode } : {}),
    manualSteps: manualSteps(config, authentikUrl, sp, firstSetup, scimNew),
  });

  const access = accessOf(config);
  plan.risks = assessRisks({ plan, config, desired, accessOfChange: (c) => access({ type: c.type, ...(c.account ? { account: c.account } : {}), props: (c.after ?? c.before)! }) });

  return {
    config,
    plan,
    requestCounts: () => ({ authentik: authentik.requestCount, aws: clients.requests.count }),
    apply: (applyOptions = {}) =>
      applyIdentityCenter(plan, {
        config,
        authentik,
        authentikState,
        clients,
        icLive,
        concurrency,
        scimWaitMs: (options.scimWaitSeconds ?? 300) * 1000,
        pollMs: options.pollMs ?? 500,
        ...(token ? { scimToken: token } : {}),
        ...applyOptions,
      }),
  };
}

interface IdentityCenterApplyInput {
  config: ResolvedConfig;
  authentik: AuthentikClient;
  authentikState: AuthentikLiveState;
  clients: IdentityCenterClients;
  icLive: IdentityCenterLive;
  concurrency: number;
  scimToken?: string;
  scimWaitMs: number;
  pollMs: number;
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * A group SCIM has not provisioned yet: start authentik's SCIM sync once (or sync
 * just that group where authentik offers no full sync to this token), then wait for
 * the group to appear in the Identity Store.
 */
function groupResolver(input: IdentityCenterApplyInput, sync: ScimSync | undefined): (name: string) => Promise<string> {
  const known = new Map(input.icLive.groups);
  const waiting = new Map<string, Promise<string>>();
  const info = (message: string) => input.onProgress?.({ kind: "info", message });
  return (name) => {
    const id = known.get(name);
    if (id) return Promise.resolve(id);
    let pending = waiting.get(name);
    if (!pending) {
      pending = (async () => {
        if (!sync) throw new UserError(`group '${name}' is not in the Identity Store`);
        if (!(await sync.startFullSync())) await sync.syncGroup(name, input.authentikState.lookups.groups.get(name));
        const groupId = await waitForIdentityStoreGroup(input.clients, input.icLive.identityStoreId, name, { timeoutMs: input.scimWaitMs, pollMs: input.pollMs, info });
        known.set(name, groupId);
        return groupId;
      })();
      waiting.set(name, pending);
    }
    return pending;
  };
}

/**
 * Whether this plan changes who or what SCIM provisions in a way authentik's own
 * save-triggered sync does not cover: a new provider or new filters (saved, and so
 * synced, possibly before the provider was attached), a changed attachment, or
 * changed application bindings (which pick the users; no provider save follows).
 */
function needsFullScimSync(plan: Plan, config: ResolvedConfig): boolean {
  const app = address.application(config.authentik.application.slug);
  return plan.changes.some(
    (c) =>
      (c.type === "authentik.scim_provider" && (c.action === "create" || c.fields.some((f) => f.field === "group_filters" || f.field === "filter_group"))) ||
      (c.address === app && (c.action === "create" || c.fields.some((f) => f.field === "backchannel_providers"))) ||
      (c.type === "authentik.policy_binding" && (c.before ?? c.after)?.target !== undefined && ((c.before ?? c.after)!.target as { $ref?: string }).$ref === app),
  );
}

async function applyIdentityCenter(plan: Plan, input: IdentityCenterApplyInput): Promise<ApplyResult> {
  // Refused before anything is written, not half-way at the SCIM provider.
  if (!input.scimToken && plan.changes.some((c) => c.type === "authentik.scim_provider" && c.action !== "delete" && !(c.action === "adopt" && c.fields.length === 0))) {
    throw missingScimToken(input.config);
  }
  const authentikCtx = {
    client: input.authentik,
    lookups: input.authentikState.lookups,
    ids: input.authentikState.ids,
    ...(input.scimToken ? { scimToken: input.scimToken } : {}),
  };
  const scim = input.config.scim;
  const sync = scim
    ? new ScimSync(input.authentik, scim.providerName, () => input.authentikState.ids.pk.get(address.scimProvider(scim.providerName)), (message) =>
        input.onProgress?.({ kind: "info", message }),
      )
    : undefined;
  const icCtx = {
    clients: input.clients,
    instanceArn: input.icLive.instanceArn,
    permissionSetArns: input.icLive.permissionSetArns,
    groupId: groupResolver(input, sync),
    poll: { initialMs: input.pollMs },
    operations: asyncOperations(input.clients, input.icLive.instanceArn, { initialMs: input.pollMs }),
  };
  const result = await executeChanges(
    plan.changes,
    async (change: Change) => {
      if (change.system === "authentik") return applyAuthentikChange(authentikCtx, change);
      if (change.type === "aws.sso.permission_set") return applyPermissionSetChange(icCtx, change);
      if (change.type === "aws.sso.account_assignment") return applyAssignmentChange(icCtx, change);
      throw new Error(`internal: no handler for ${change.type}`);
    },
    {
      concurrency: Math.max(10, input.concurrency),
      // AWS allows at most 10 CreateAccountAssignment in flight; authentik gets a smaller lane.
      // AWS allows one permission-set provisioning per account at a time: updates (which
      // re-provision) go one by one.
      lanes: (c) =>
        c.type === "aws.sso.account_assignment"
          ? { key: "assignments", limit: 10 }
          : c.type === "aws.sso.permission_set" && (c.action === "update" || c.action === "adopt")
            ? { key: "provisioning", limit: 1 }
            : { key: c.system, limit: input.concurrency },
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    },
  );
  // Operations that finished while the apply went on: did any of them fail?
  for (const tracker of Object.values(icCtx.operations)) await tracker.check();
  // Once the provider is attached and the bindings are in place, one full sync
  // brings Identity Center in line, unless this apply already started one after them.
  if (sync && result.failed.length === 0 && !sync.fullSyncStarted && needsFullScimSync(plan, input.config)) await sync.startFullSync();
  return result;
}
