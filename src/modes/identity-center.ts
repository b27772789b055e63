/**
 * identity-center: authentik is IAM Identity Center's SAML identity provider (and,
 * with SCIM, provisions its groups); access is permission sets assigned to groups.
 */
import type { ProgressEvent } from "../apply/executor.js";
import type { ResolvedConfig } from "../config/model.js";
import { readSpMetadataFile } from "../config/sp-metadata-file.js";
import { activeMappings, groupsNeeded } from "../desired/expiry.js";
import { desiredIdentityCenter } from "../desired/identity-center.js";
import { address } from "../domain/addresses.js";
import type { SpMetadata } from "../domain/saml-metadata.js";
import type { DesiredResource, Plan, PlanProblem } from "../domain/plan-types.js";
import { UserError } from "../errors.js";
import { accessControlFindings, consoleSteps, identityStoreFindings, keepWhatAwsCannotClear, needsFullScimSync, scimScopeFindings, writesScimProvider } from "../plan/identity-center-checks.js";
import { identityCenterPolicyLookups, preflightFindings, type PolicyLookup } from "../plan/policy-preflight.js";
import { partitionIdOfRegion, type ManagedPolicyDocument, type PolicyLookupResult } from "../domain/aws-iam.js";
import { documentKey } from "../plan/action-expansion.js";
import { ScimSync } from "../providers/authentik/scim-sync.js";
import { accountClients, callerAccountId, callerIamClient, type AccountClients } from "../providers/aws/clients.js";
import { policyDocument, policyExists } from "../providers/aws/iam-policies.js";
import { AWS_QUOTAS } from "../domain/aws-quotas.js";
import { identityCenterQuotaFindings, identityCenterQuotaNeeds } from "../plan/quota-checks.js";
import { provisionedPermissionSets, serviceQuota } from "../providers/aws/quotas.js";
import pLimit from "p-limit";
import { awsFailure } from "../providers/aws/errors.js";
import { waitForIdentityStoreGroup } from "../providers/aws/identity-store-wait.js";
import { identityCenterClients, type IdentityCenterClients } from "../providers/aws/sso-clients.js";
import { readIdentityCenter, type IdentityCenterLive } from "../providers/aws/sso-read.js";
import { asyncOperations, type IdentityCenterApplyContext } from "../providers/aws/sso-writes.js";
import type { Live, Mode, RunContext } from "./mode.js";

interface Setup {
  sp: SpMetadata;
  /** Only a write of the SCIM provider needs it (see beforeApply). */
  scimToken: string | undefined;
  clients: IdentityCenterClients;
  /** Set by applyContext: the SCIM sync of this apply, if SCIM is configured. */
  sync?: ScimSync;
}

async function readSpMetadata(config: ResolvedConfig): Promise<SpMetadata> {
  const ic = config.aws.identityCenter!;
  return readSpMetadataFile(ic.spMetadataPath, ic.spMetadataRoot).catch((error: Error) => {
    throw new UserError(`${ic.spMetadataLocation}: ${error.message}`);
  });
}

function missingScimToken(config: ResolvedConfig): UserError {
  return new UserError(
    `${config.scim!.tokenEnvLocation}: the environment variable ${config.scim!.tokenEnv} (scim.tokenEnv) is not set; it must hold the SCIM access token created in the IAM Identity Center console (a plan does without it; an apply that writes the SCIM provider needs it)`,
  );
}

/**
 * A group SCIM has not provisioned yet: start authentik's SCIM sync once (or sync
 * just that group where authentik offers no full sync to this token), then wait for
 * the group to appear in the Identity Store.
 */
function groupResolver(ctx: RunContext, live: Live<IdentityCenterLive>, clients: IdentityCenterClients, sync: ScimSync | undefined, onProgress?: (event: ProgressEvent) => void) {
  const known = new Map(live.aws.groups);
  const waiting = new Map<string, Promise<string>>();
  const info = (message: string) => onProgress?.({ kind: "info", message });
  const timeoutMs = (ctx.options.scimWaitSeconds ?? 300) * 1000;
  const pollMs = ctx.options.pollMs ?? 500;
  return (name: string): Promise<string> => {
    const id = known.get(name);
    if (id) return Promise.resolve(id);
    let pending = waiting.get(name);
    if (!pending) {
      pending = (async () => {
        if (!sync) throw new UserError(`group '${name}' is not in the Identity Store`);
        if (!(await sync.startFullSync())) await sync.syncGroup(name, live.authentik.lookups.groups.get(name));
        const groupId = await waitForIdentityStoreGroup(clients, live.aws.identityStoreId, name, { timeoutMs, pollMs, info });
        known.set(name, groupId);
        return groupId;
      })();
      waiting.set(name, pending);
    }
    return pending;
  };
}

export const identityCenter: Mode<Setup, IdentityCenterLive> = {
  async setup(ctx) {
    const sp = await readSpMetadata(ctx.config);
    const token = ctx.config.scim ? ctx.env[ctx.config.scim.tokenEnv] || undefined : undefined;
    if (ctx.config.scim && !token && ctx.options.rotateScimToken) throw missingScimToken(ctx.config);
    return { sp, scimToken: token, clients: identityCenterClients(ctx.config.aws.identityCenter!.region, { env: ctx.env, policy: ctx.awsRetry }) };
  },

  groupsNeeded: (ctx) => [...groupsNeeded(ctx.config, ctx.now), ...(ctx.config.scim?.groups ?? []).map((name) => ({ name, location: `${ctx.config.file} (scim.groups)` }))],

  async readAws(ctx, setup) {
    const aws = await readIdentityCenter(setup.clients, ctx.config, ctx.concurrency * 2).catch((error: unknown) => {
      throw awsFailure(error, `reading IAM Identity Center in ${ctx.config.aws.identityCenter!.region}`);
    });
    return { aws, resources: aws.resources };
  },

  // SCIM's groups (scim.groups, by default every mapped group) are not affected by
  // expiry: an expired mapping's group stays in scope until the mapping is deleted from
  // the file, so the scheduled removal of expired grants never rewrites the provider.
  desire: (ctx, setup, live) =>
    desiredIdentityCenter(ctx.config, {
      authentikUrl: ctx.authentikUrl,
      api: ctx.release,
      sp: setup.sp,
      ouAccounts: live.aws.ouAccounts,
      notProvisioned: new Set(live.resources.filter((r) => r.type === "aws.sso.permission_set" && r.owned && typeof r.props.provisioning === "string").map((r) => r.address)),
      ...(setup.scimToken ? { scimToken: setup.scimToken } : {}),
      ...(ctx.options.rotateScimToken ? { rotateScimToken: true } : {}),
    }),

  check(ctx, setup, live, desired) {
    const scope = scimScopeFindings(ctx.config, ctx.release);
    const store = identityStoreFindings(ctx.config, activeMappings(ctx.config.mappings, ctx.now), live.aws.groups, live.aws.identityStoreId);
    return {
      problems: [...scope.problems, ...store.problems],
      warnings: [...scope.warnings, ...store.warnings, ...accessControlFindings(ctx.config), ...keepWhatAwsCannotClear(desired, live.resources)],
      manualSteps: consoleSteps(ctx.config, ctx.authentikUrl, setup.sp, live.resources),
    };
  },

  async preflight(ctx, setup, live, plan, desired) {
    const [policies, quotas] = await Promise.all([policyPreflight(ctx, setup, plan, desired), quotaPreflight(ctx, setup, live, plan, desired)]);
    return { problems: [...policies.problems, ...quotas.problems], warnings: [...policies.warnings, ...quotas.warnings] };
  },

  // A permission set's managed policies are AWS's own, the same in every account: read with the tool's credentials.
  async readManagedPolicies(ctx, setup, wanted) {
    const iam = callerIamClient(ctx.env, ctx.awsRetry, setup.clients.requests);
    const limit = pLimit(Math.max(1, ctx.concurrency));
    const out = new Map<string, ManagedPolicyDocument>();
    await Promise.all(wanted.map(async ({ account, arn }) => out.set(documentKey(account, arn), await limit(() => policyDocument(iam, arn, "the account of the tool's credentials")))));
    return out;
  },

  beforeApply(ctx, setup, plan) {
    // Refused before anything is written, not half-way at the SCIM provider.
    if (!setup.scimToken && writesScimProvider(plan)) throw missingScimToken(ctx.config);
  },

  applyContext(ctx, setup, live, onProgress) {
    const scim = ctx.config.scim;
    setup.sync = scim
      ? new ScimSync(ctx.authentik, scim.providerName, () => live.authentik.ids.pk.get(address.scimProvider(scim.providerName)), (message) => onProgress?.({ kind: "info", message }))
      : undefined;
    const pollMs = ctx.options.pollMs ?? 500;
    const identityCenter: IdentityCenterApplyContext = {
      clients: setup.clients,
      instanceArn: live.aws.instanceArn,
      permissionSetArns: live.aws.permissionSetArns,
      groupId: groupResolver(ctx, live, setup.clients, setup.sync, onProgress),
      poll: { initialMs: pollMs },
      operations: asyncOperations(setup.clients, live.aws.instanceArn, { initialMs: pollMs }),
    };
    return {
      // Each system at `concurrency`; Identity Center's own lanes (10 assignments in flight,
      // one provisioning at a time) bound those kinds further.
      concurrency: ctx.concurrency,
      inFlight: Math.max(10, ctx.concurrency),
      authentik: { client: ctx.authentik, lookups: live.authentik.lookups, ids: live.authentik.ids, ...(setup.scimToken ? { scimToken: setup.scimToken } : {}) },
      identityCenter,
    };
  },

  async afterApply(ctx, setup, _live, plan, result, applyContext) {
    // Operations that finished while the apply went on: did any of them fail?
    for (const tracker of Object.values(applyContext.identityCenter!.operations)) await tracker.check();
    // Once the provider is attached and the bindings are in place, one full sync
    // brings Identity Center in line, unless this apply already started one after them.
    if (setup.sync && result.failed.length === 0 && !setup.sync.fullSyncStarted && needsFullScimSync(plan, ctx.config)) await setup.sync.startFullSync();
  },

  awsRequests: (setup) => setup.clients.requests.count,
};

type Findings = { problems: PlanProblem[]; warnings: string[] };

/** The customer-managed policies and boundaries a permission set needs in each account it is provisioned to (src/plan/policy-preflight.ts). */
async function policyPreflight(ctx: RunContext, setup: Setup, plan: Plan, desired: readonly DesiredResource[]): Promise<Findings> {
  const lookups = identityCenterPolicyLookups(plan.changes, desired, partitionIdOfRegion(ctx.config.aws.identityCenter!.region));
  if (lookups.length === 0) return { problems: [], warnings: [] };
  // Customer-managed policies live in the member accounts: looked up there through the
  // account's assumeRole, or with the tool's own credentials in their own account.
  const byId = new Map(ctx.config.aws.accounts.map((a) => [a.id, a]));
  const caller = [...new Set(lookups.map((l) => l.accountId))].some((id) => !byId.get(id)?.assumeRoleArn) ? await callerAccountId(ctx.env, ctx.awsRetry, setup.clients.requests) : undefined;
  const clients = new Map<string, Promise<AccountClients | string>>();
  const clientsFor = (id: string, label: string): Promise<AccountClients | string> => {
    let c = clients.get(id);
    if (!c) {
      const declared = byId.get(id);
      c =
        declared?.assumeRoleArn || id === caller
          ? accountClients(declared ?? { alias: label, id }, ctx.env, ctx.awsRetry).catch((error: unknown) => (error as Error).message)
          : Promise.resolve(
              declared
                ? `the tool has no credentials in account ${declared.alias}: give aws.accounts.${declared.alias}.assumeRole a role there that may iam:GetPolicy`
                : `the tool has no credentials in account ${id}, an account of an organizational unit: declare it under aws.accounts with an assumeRole that may iam:GetPolicy`,
            );
      clients.set(id, c);
    }
    return c;
  };
  const results = new Map<PolicyLookup, PolicyLookupResult>();
  await pLimit(Math.max(1, ctx.concurrency)).map(lookups, async (l) => {
    const c = await clientsFor(l.accountId, l.accountLabel);
    results.set(l, typeof c === "string" ? { unknown: c } : await policyExists(c.iam, l.arn, `account ${l.accountLabel}`));
  });
  // Their requests count with the run's.
  for (const c of await Promise.all(clients.values())) if (typeof c !== "string") setup.clients.requests.count += c.requests.count;
  return preflightFindings(lookups, results, () => "IAM Identity Center would fail to provision the permission set there, after the permission set and its assignments were written; create the policy in that account first, or remove the reference");
}

/**
 * Identity Center's adjustable quotas (src/plan/quota-checks.ts): permission sets in the
 * instance, where this plan creates some; permission sets provisioned to each account it
 * assigns a new one in. The values in force come from Service Quotas, else the default.
 */
async function quotaPreflight(ctx: RunContext, setup: Setup, live: Live<IdentityCenterLive>, plan: Plan, desired: readonly DesiredResource[]): Promise<Findings> {
  const needs = identityCenterQuotaNeeds(plan.changes, desired, live.resources);
  if (needs.permissionSetsCreated === 0 && needs.accounts.length === 0) return { problems: [], warnings: [] };
  const { ssoAdmin, serviceQuotas } = setup.clients;
  const unread: string[] = [];
  const provisioned = new Map<string, ReadonlySet<string>>();
  const [perInstanceQuota, perAccountQuota] = await Promise.all([
    needs.permissionSetsCreated > 0 ? serviceQuota(serviceQuotas, AWS_QUOTAS.permissionSetsPerInstance) : undefined,
    needs.accounts.length > 0 ? serviceQuota(serviceQuotas, AWS_QUOTAS.provisionedPermissionSetsPerAccount) : undefined,
    pLimit(Math.max(1, ctx.concurrency)).map(needs.accounts, async (a) => {
      try {
        provisioned.set(a.accountId, await provisionedPermissionSets(ssoAdmin, live.aws.instanceArn, a.accountId));
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        unread.push(`not checked whether account ${a.accountLabel} has room for the permission sets this plan provisions there: ${error.message}`);
      }
    }),
  ]);
  const found = identityCenterQuotaFindings(needs, {
    permissionSets: live.aws.permissionSetCount,
    perInstanceQuota: perInstanceQuota ?? { value: AWS_QUOTAS.permissionSetsPerInstance.default, source: "AWS's default" },
    perAccountQuota: perAccountQuota ?? { value: AWS_QUOTAS.provisionedPermissionSetsPerAccount.default, source: "AWS's default" },
    provisioned,
    arns: live.aws.permissionSetArns,
  });
  return { problems: found.problems, warnings: [...unread, ...found.warnings] };
}
