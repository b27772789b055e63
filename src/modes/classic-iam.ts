import type { ResolvedConfig } from "../config/model.js";
import { address } from "../domain/addresses.js";
import { classicAccessOf, desiredClassicIam } from "../desired/classic-iam.js";
import { groupsNeeded, planExpiry, splitExpired } from "../desired/expiry.js";
import { executeChanges, type ApplyResult, type ProgressEvent } from "../apply/executor.js";
import { UserError } from "../errors.js";
import { deepEqual } from "../domain/canonical.js";
import { computePlan } from "../plan/compute-plan.js";
import { assessRisks } from "../plan/risks.js";
import type { Change, Plan, Props, ResourceType } from "../domain/plan-types.js";
import { applyAuthentikChange } from "../providers/authentik/apply-changes.js";
import type { AuthentikClient } from "../providers/authentik/client.js";
import { readAuthentikRelease, readAuthentikState, type AuthentikLiveState } from "../providers/authentik/read-state.js";
import { groupMembers } from "../domain/people.js";
import { readUsers } from "../providers/authentik/read-people.js";
import { releaseWarning } from "../domain/releases.js";
import { handMadeLiveAccess } from "../domain/role-expression.js";
import { accountClients, type AccountClients } from "../providers/aws/clients.js";
import { applyRoleChange, applySamlProviderChange } from "../providers/aws/iam-apply.js";
import { readIamAccount, roleIdentity } from "../providers/aws/iam-read.js";
import { awsFailure } from "../providers/aws/errors.js";
import { mapLimit } from "../util/map-limit.js";
import { VERSION } from "../version.js";
import { authentikClient, runWarnings, toolInfo, type EngineOptions, type PlanSession } from "./shared.js";

function identityOf(resource: { type: ResourceType; account?: string; props: Props }): string | undefined {
  if (resource.type === "aws.iam.role" && resource.account) return roleIdentity(resource.account, String(resource.props.name));
  return undefined;
}

/** classic-iam: reads live authentik and every account's IAM, and plans the difference. */
export async function planClassicIam(config: ResolvedConfig, options: EngineOptions = {}): Promise<PlanSession> {
  const env = options.env ?? process.env;
  const concurrency = options.concurrency ?? 4;
  // The one clock reading of this plan: which mappings have expired is decided here.
  const now = options.now ?? new Date();
  const { client: authentik, url: authentikUrl } = authentikClient(config, env);
  const connection = { url: authentikUrl };

  // An authentik too old for the tool stops the run before AWS is touched.
  const release = await readAuthentikRelease(authentik);
  // Read both systems at once: they are independent until the diff.
  const peopleMode = config.review?.people ?? "names";
  const [authentikState, awsAccounts, users] = await Promise.all([
    readAuthentikState(authentik, config, { groupsNeeded: groupsNeeded(config, now), release }),
    mapLimit(config.aws.accounts, concurrency, (a) => accountClients(a, env)),
    peopleMode === "off" ? undefined : readUsers(authentik),
  ]);
  const aws = new Map(awsAccounts.map((c) => [c.account.alias, c]));
  const desiredRoleNames = new Set(config.roles.map((r) => r.name));
  const awsLive = (
    await mapLimit(awsAccounts, concurrency, (c) =>
      readIamAccount(c, config, desiredRoleNames).catch((error: unknown) => {
        throw awsFailure(error, `reading IAM roles and the SAML provider in account ${c.account.alias} (${c.account.id})`);
      }),
    )
  ).flat();
  const live = [...authentikState.resources, ...awsLive];

  // The metadata AWS should hold is what authentik will serve *after* this apply:
  // known now only if the provider exists, is linked, and keeps its signing keypair.
  const preliminary = desiredClassicIam(config, { authentikUrl: connection.url, api: release });
  const providerAddress = address.samlProvider(config.authentik.provider.name);
  const liveProvider = authentikState.resources.find((r) => r.address === providerAddress);
  const desiredProvider = preliminary.find((r) => r.address === providerAddress)!;
  // The issuer is the metadata's entityID: pinning it (a provider made by hand, or one
  // upgraded to 2026.5 with issuer_override "authentik") changes what AWS must hold.
  const metadataStable =
    authentikState.idpMetadata !== undefined &&
    liveProvider !== undefined &&
    deepEqual(liveProvider.props.signing_kp, desiredProvider.props.signing_kp) &&
    deepEqual(liveProvider.props[release.samlIssuerField], desiredProvider.props[release.samlIssuerField]);
  const split = splitExpired(
    desiredClassicIam(config, {
      authentikUrl: connection.url,
      api: release,
      ...(metadataStable ? { idpMetadata: authentikState.idpMetadata! } : {}),
    }),
    config.mappings,
    now,
  );
  const desired = split.desired;

  const prune = options.prune ?? config.options.prune;
  const accessOf = classicAccessOf(config, desired, live);
  // A setup made by hand grants roles through its own Role mapping, which this plan
  // replaces with the tool's: what it grants now is read from its expression.
  // Per person, too (one role from merged group attributes): the users are needed for
  // that even when the plan names nobody (review.people: off).
  const handMadeMappings = authentikState.handMadeRoleMappings;
  const people = handMadeMappings.length > 0 ? (users ?? (await readUsers(authentik))) : users;
  const handMade = handMadeLiveAccess({
    mappings: handMadeMappings,
    groups: authentikState.groups,
    users: people ?? [],
    signIn: authentikState.signIn,
    signInUsers: authentikState.signInUsers,
    accounts: config.aws.accounts,
    rolePath: config.aws.rolePath,
    samlProviderName: config.aws.samlProviderName,
  });
  const plan = computePlan({
    mode: config.mode,
    configFile: config.file,
    tool: toolInfo(VERSION),
    desired,
    live,
    prune,
    allowDeleteAll: options.allowDeleteAll ?? config.options.allowDeleteAll,
    accessOf,
    identityOf,
    accountIds: Object.fromEntries(config.aws.accounts.map((a) => [a.alias, a.id])),
    ...(users ? { members: groupMembers(authentikState.groups, users), people: peopleMode } : {}),
    problems: authentikState.problems,
    expiry: planExpiry(config, split, now),
    warnings: [...runWarnings(config, options), ...[releaseWarning(release)].filter((w): w is string => w !== undefined)],
    liveAccess: handMade.rows,
    accessCaveats: handMade.warnings,
    ...(handMadeMappings.length > 0 ? { personAccess: { now: handMade.byPerson, members: groupMembers(authentikState.groups, people ?? []), names: peopleMode === "names" } } : {}),
  });

  plan.risks = assessRisks({ plan, config, desired, accessOfChange: (c) => accessOf({ type: c.type, props: (c.after ?? c.before)! }, c.after ? "desired" : "live") });

  return {
    config,
    plan,
    requestCounts: () => ({ authentik: authentik.requestCount, aws: awsAccounts.reduce((n, c) => n + c.requests.count, 0) }),
    apply: (applyOptions = {}) => applyClassic(plan, { authentik, authentikState, aws, concurrency, providerAddress, ...applyOptions }),
  };
}

async function applyClassic(
  plan: Plan,
  ctx: {
    authentik: AuthentikClient;
    authentikState: AuthentikLiveState;
    aws: Map<string, AccountClients>;
    concurrency: number;
    providerAddress: string;
    onProgress?: (event: ProgressEvent) => void;
  },
): Promise<ApplyResult> {
  const authentikCtx = { client: ctx.authentik, lookups: ctx.authentikState.lookups, ids: ctx.authentikState.ids };
  let metadata: Promise<string> | undefined;
  // Fetched once, after the authentik provider and application are in place.
  const metadataXml = () => {
    metadata ??= (async () => {
      // Read from the ids at call time: the provider may have been created earlier in this apply.
      const pk = ctx.authentikState.ids.pk.get(ctx.providerAddress);
      if (!pk) throw new Error("internal: the authentik SAML provider's id is unknown");
      const { metadata: xml } = await ctx.authentik.getRaw<{ metadata: string }>(`/providers/saml/${pk}/metadata/`);
      if (!xml) throw new UserError("authentik serves no SAML metadata for the provider: is it linked to the application?");
      return xml;
    })();
    return metadata;
  };
  return executeChanges(
    plan.changes,
    async (change: Change) => {
      if (change.system === "authentik") return applyAuthentikChange(authentikCtx, change);
      const clients = ctx.aws.get(change.account!);
      if (!clients) throw new Error(`internal: no AWS clients for account ${change.account}`);
      if (change.type === "aws.iam.saml_provider") return applySamlProviderChange(clients, change, metadataXml);
      if (change.type === "aws.iam.role") return applyRoleChange(clients, change);
      throw new Error(`internal: no handler for ${change.type}`);
    },
    { concurrency: ctx.concurrency, ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}) },
  );
}
