/**
 * The access report's entry (CLI `access`, the Action's `mode: report`): read live
 * state through the mode's reader, reduce it to grants (pure), build the report (pure).
 * Reads only; writes nothing anywhere.
 */
import type { ResolvedConfig } from "../config/model.js";
import { authentikClient, toolInfo } from "../modes/shared.js";
import type { AuthentikAuth } from "../providers/authentik/auth.js";
import { readAuthentikRelease } from "../providers/authentik/read-state.js";
import { readClassicAccess } from "./read-authentik-access.js";
import { accountClients } from "../providers/aws/clients.js";
import { AwsRetryPolicy } from "../providers/aws/retry-policy.js";
import { awsFailure } from "../providers/aws/errors.js";
import { checkRoles } from "./read-iam-access.js";
import pLimit from "p-limit";
import { readIdentityCenterAccess } from "./read-identity-center-access.js";
import { identityCenterClients } from "../providers/aws/sso-clients.js";
import { VERSION } from "../version.js";
import { buildAccessReport } from "./build.js";
import { classicAccess } from "./classic.js";
import { identityCenterAccess } from "./identity-center.js";
import type { AccessReport, AccessSnapshot, GroupGrant } from "./types.js";

export interface AccessReportOptions {
  env?: NodeJS.ProcessEnv;
  concurrency?: number;
  /** The report's time (tests fix it). */
  now?: Date;
  /** How to sign in to authentik (default: from env, see authentikConnection). */
  authentikAuth?: AuthentikAuth;
}

export async function readAccessSnapshot(config: ResolvedConfig, options: AccessReportOptions = {}): Promise<AccessSnapshot> {
  const env = options.env ?? process.env;
  const concurrency = options.concurrency ?? 4;
  const accountAliases: Record<string, string> = Object.fromEntries(config.aws.accounts.map((a) => [a.id, a.alias]));
  const base = { mode: config.mode, configFile: config.file, application: config.authentik.application.slug, accountAliases };
  if (config.mode === "classic-iam") {
    const { client } = authentikClient(config, env, options.authentikAuth);
    await readAuthentikRelease(client); // an authentik too old for the tool stops here, as for plan
    const live = await readClassicAccess(client, config);
    const access = classicAccess(live, config);
    await markRoles(config, access.grants, access.notes, env, concurrency);
    return {
      ...base,
      ...access,
      peopleSource:
        "active authentik users, members of a group including members of its descendant groups, who may sign in to the application (its group and user bindings; none at all: everyone)",
    };
  }
  const region = config.aws.identityCenter!.region;
  const clients = identityCenterClients(region, { env });
  const live = await readIdentityCenterAccess(clients, config, concurrency * 2).catch((error: unknown) => {
    throw awsFailure(error, `reading IAM Identity Center in ${region} for the access report`);
  });
  for (const list of live.ouAccounts.values()) for (const a of list) accountAliases[a.id] ??= a.label;
  const access = identityCenterAccess(live, config);
  return {
    ...base,
    accountAliases,
    grants: access.grants,
    unlisted: [],
    notes: access.notes,
    peopleSource: "IAM Identity Center Identity Store users and group memberships (what AWS enforces), not authentik's groups",
  };
}

/**
 * classic-iam: whether each granted role exists and trusts its SAML provider, in the
 * configuration's accounts. An account whose credentials fail is a note, and its
 * grants stay not-checked: the report is still made.
 */
async function markRoles(config: ResolvedConfig, grants: GroupGrant[], notes: string[], env: NodeJS.ProcessEnv, concurrency: number): Promise<void> {
  const pairs = grants.filter((g) => g.roleArn && g.samlProviderArn).map((g) => ({ roleArn: g.roleArn!, samlProviderArn: g.samlProviderArn! }));
  const wanted = new Set(grants.map((g) => g.accountId));
  const accounts = config.aws.accounts.filter((a) => wanted.has(a.id));
  const policy = AwsRetryPolicy.fromEnv(env);
  const clients = (
    await pLimit(Math.max(1, concurrency)).map(accounts, (a) =>
      accountClients(a, env, policy).catch((error: unknown) => {
        notes.push(`the IAM roles in account ${a.alias} (${a.id}) were not checked: ${awsFailure(error, `connecting to account ${a.alias}`).message}`);
        return undefined;
      }),
    )
  ).filter((c) => c !== undefined);
  const checks = await checkRoles(clients, pairs, concurrency).catch((error: unknown) => {
    notes.push(`the IAM roles were not checked: ${awsFailure(error, "reading IAM roles").message}`);
    return new Map<string, never>();
  });
  for (const g of grants) {
    const check = g.roleArn && g.samlProviderArn ? checks.get(`${g.roleArn} ${g.samlProviderArn}`) : undefined;
    if (check) g.awsRole = check;
  }
}

export async function createAccessReport(config: ResolvedConfig, options: AccessReportOptions = {}): Promise<AccessReport> {
  const snapshot = await readAccessSnapshot(config, options);
  return buildAccessReport(snapshot, {
    people: config.review?.people ?? "names",
    tool: toolInfo(VERSION),
    generatedAt: (options.now ?? new Date()).toISOString(),
  });
}
