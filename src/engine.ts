import type { ResolvedConfig } from "./config/model.js";
import { address } from "./desired/addresses.js";
import { desiredClassicIam } from "./desired/classic-iam.js";
import { executeChanges, type ApplyResult, type ProgressEvent } from "./apply/executor.js";
import { UserError } from "./errors.js";
import { deepEqual } from "./plan/canonical.js";
import { computePlan, PlanError } from "./plan/compute-plan.js";
import type { AccessRow, Change, DesiredResource, LiveResource, Plan, Props, ResourceType } from "./plan/types.js";
import { applyAuthentikChange } from "./providers/authentik/apply-changes.js";
import { AuthentikClient } from "./providers/authentik/client.js";
import { readAuthentikState, type AuthentikLiveState } from "./providers/authentik/read-state.js";
import { accountClients, type AccountClients } from "./providers/aws/clients.js";
import { applyRoleChange, applySamlProviderChange } from "./providers/aws/iam-apply.js";
import { readIamAccount, roleIdentity } from "./providers/aws/iam-read.js";
import { VERSION } from "./version.js";

export interface EngineOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides options.prune of the config. */
  prune?: boolean;
  /** Overrides options.allowDeleteAll of the config. */
  allowDeleteAll?: boolean;
  /** Bound on concurrent reads and writes. */
  concurrency?: number;
}

/** A plan together with the connections and ids needed to apply it. */
export interface PlanSession {
  config: ResolvedConfig;
  plan: Plan;
  apply(options?: { onProgress?: (event: ProgressEvent) => void }): Promise<ApplyResult>;
  /** Requests made so far, per system (for benchmarks and the summary). */
  requestCounts(): { authentik: number; aws: number };
}

/** Values that must never be printed: collected so output can be scrubbed as a last line of defence. */
export function secretValues(config: ResolvedConfig | undefined, env: NodeJS.ProcessEnv): string[] {
  const names = ["AUTHENTIK_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", ...(config?.scim ? [config.scim.tokenEnv] : [])];
  return names.map((n) => env[n]).filter((v): v is string => typeof v === "string" && v.length >= 4);
}

export function authentikConnection(config: ResolvedConfig, env: NodeJS.ProcessEnv): { url: string; token: string } {
  const url = env.AUTHENTIK_URL || config.authentik.url;
  if (!url) throw new UserError("no authentik URL: set authentik.url in the configuration or the AUTHENTIK_URL environment variable");
  const token = env.AUTHENTIK_TOKEN;
  if (!token) throw new UserError("AUTHENTIK_TOKEN is not set: the authentik API token is read only from this environment variable");
  return { url, token };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

function groupsNeeded(config: ResolvedConfig): { name: string; location: string }[] {
  return config.mappings.map((m) => ({ name: m.group, location: m.location }));
}

/** Classic-iam: a binding grants the (role, account) its entitlement names. */
function classicAccessOf(desired: readonly DesiredResource[], live: readonly LiveResource[]) {
  const desiredByAddress = new Map(desired.map((r) => [r.address, r]));
  const liveByAddress = new Map(live.map((r) => [r.address, r]));
  return (resource: { type: ResourceType; props: Props }, side: "desired" | "live"): Omit<AccessRow, "change"> | undefined => {
    if (resource.type !== "authentik.policy_binding") return undefined;
    const target = (resource.props.target as { $ref?: string } | undefined)?.$ref;
    const group = (resource.props.group as { key?: string } | undefined)?.key;
    if (!target || !group) return undefined;
    const entitlement = (side === "desired" ? desiredByAddress.get(target) : liveByAddress.get(target)) ?? liveByAddress.get(target) ?? desiredByAddress.get(target);
    const attrs = (entitlement?.props.attributes ?? {}) as Record<string, unknown>;
    if (typeof attrs.aws_role_name !== "string") return undefined;
    return {
      group,
      grant: attrs.aws_role_name,
      account: String(attrs.aws_account_alias ?? attrs.aws_account_id ?? "?"),
      accountId: String(attrs.aws_account_id ?? ""),
    };
  };
}

function identityOf(resource: { type: ResourceType; account?: string; props: Props }): string | undefined {
  if (resource.type === "aws.iam.role" && resource.account) return roleIdentity(resource.account, String(resource.props.name));
  return undefined;
}

/** Reads live authentik and AWS, builds the desired state and returns the plan with what apply needs. */
export async function createPlan(config: ResolvedConfig, options: EngineOptions = {}): Promise<PlanSession> {
  if (config.mode !== "classic-iam") {
    throw new UserError(`mode ${config.mode} cannot be planned yet by this version`);
  }
  const env = options.env ?? process.env;
  const concurrency = options.concurrency ?? 4;
  const connection = authentikConnection(config, env);
  const authentik = new AuthentikClient({ url: connection.url, token: connection.token });

  // Read both systems at once: they are independent until the diff.
  const [authentikState, awsAccounts] = await Promise.all([
    readAuthentikState(authentik, config, { groupsNeeded: groupsNeeded(config) }),
    mapLimit(config.aws.accounts, concurrency, (a) => accountClients(a, env)),
  ]);
  const aws = new Map(awsAccounts.map((c) => [c.account.alias, c]));
  const desiredRoleNames = new Set(config.roles.map((r) => r.name));
  const awsLive = (await mapLimit(awsAccounts, concurrency, (c) => readIamAccount(c, config, desiredRoleNames))).flat();
  const live = [...authentikState.resources, ...awsLive];

  // The metadata AWS should hold is what authentik will serve *after* this apply:
  // known now only if the provider exists, is linked, and keeps its signing keypair.
  const preliminary = desiredClassicIam(config, { authentikUrl: connection.url });
  const providerAddress = address.samlProvider(config.authentik.provider.name);
  const liveProvider = authentikState.resources.find((r) => r.address === providerAddress);
  const desiredProvider = preliminary.find((r) => r.address === providerAddress)!;
  const metadataStable =
    authentikState.idpMetadata !== undefined && liveProvider !== undefined && deepEqual(liveProvider.props.signing_kp, desiredProvider.props.signing_kp);
  const desired = desiredClassicIam(config, {
    authentikUrl: connection.url,
    ...(metadataStable ? { idpMetadata: authentikState.idpMetadata! } : {}),
  });

  const prune = options.prune ?? config.options.prune;
  const plan = computePlan({
    mode: config.mode,
    configFile: config.file,
    tool: { name: "authentik-aws-gitops", version: VERSION },
    desired,
    live,
    prune,
    allowDeleteAll: options.allowDeleteAll ?? config.options.allowDeleteAll,
    accessOf: classicAccessOf(desired, live),
    identityOf,
    problems: authentikState.problems,
  });

  return {
    config,
    plan,
    requestCounts: () => ({ authentik: authentik.requestCount, aws: awsAccounts.reduce((n, c) => n + c.requests.count, 0) }),
    apply: (applyOptions = {}) => applyClassic(plan, { authentik, authentikState, aws, concurrency, ...applyOptions }),
  };
}

async function applyClassic(
  plan: Plan,
  ctx: {
    authentik: AuthentikClient;
    authentikState: AuthentikLiveState;
    aws: Map<string, AccountClients>;
    concurrency: number;
    onProgress?: (event: ProgressEvent) => void;
  },
): Promise<ApplyResult> {
  const authentikCtx = { client: ctx.authentik, lookups: ctx.authentikState.lookups, ids: ctx.authentikState.ids };
  let metadata: Promise<string> | undefined;
  // Fetched once, after the authentik provider and application are in place.
  const metadataXml = () => {
    metadata ??= (async () => {
      const providerAddress = plan.changes.find((c) => c.type === "authentik.saml_provider")?.address;
      const pk = [...ctx.authentikState.ids.pk.entries()].find(([addr]) => addr.startsWith("authentik.saml_provider["))?.[1] ??
        (providerAddress ? ctx.authentikState.ids.pk.get(providerAddress) : undefined);
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

export { PlanError };
