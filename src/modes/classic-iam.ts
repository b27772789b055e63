/**
 * classic-iam: authentik sends each person the roles of their groups' entitlements;
 * every account trusts authentik through an IAM SAML identity provider and roles.
 */
import { groupsNeeded } from "../desired/expiry.js";
import { desiredClassicIam } from "../desired/classic-iam.js";
import { address } from "../domain/addresses.js";
import { groupMembers } from "../domain/people.js";
import { handMadeLiveAccess } from "../domain/role-expression.js";
import { UserError } from "../errors.js";
import { fillIdpMetadata } from "../plan/classic-iam-checks.js";
import { classicPolicyLookups, policyArnAccount, preflightFindings, type PolicyLookup } from "../plan/policy-preflight.js";
import type { ManagedPolicyDocument, PolicyLookupResult } from "../domain/aws-iam.js";
import { policyDocument, policyExists } from "../providers/aws/iam-policies.js";
import { documentKey } from "../plan/action-expansion.js";
import { classicQuotaFindings, classicQuotaNeeds } from "../plan/quota-checks.js";
import type { IamSummary } from "../domain/aws-quotas.js";
import { iamSummary } from "../providers/aws/quotas.js";
import { accountClients, type AccountClients } from "../providers/aws/clients.js";
import { awsFailure } from "../providers/aws/errors.js";
import { readIamAccount } from "../providers/aws/iam-read.js";
import pLimit from "p-limit";
import type { Mode } from "./mode.js";

interface Setup {
  /** Filled by readAws: authentik's release is checked before AWS is touched. */
  accounts: AccountClients[];
}

export const classicIam: Mode<Setup, Map<string, AccountClients>> = {
  setup: async () => ({ accounts: [] }),

  groupsNeeded: (ctx) => groupsNeeded(ctx.config, ctx.now),

  async readAws(ctx, setup) {
    setup.accounts = await pLimit(Math.max(1, ctx.concurrency)).map(ctx.config.aws.accounts, (a) => accountClients(a, ctx.env, ctx.awsRetry));
    const desiredRoleNames = new Set(ctx.config.roles.map((r) => r.name));
    const resources = (
      await pLimit(Math.max(1, ctx.concurrency)).map(setup.accounts, (c) =>
        readIamAccount(c, ctx.config, desiredRoleNames).catch((error: unknown) => {
          throw awsFailure(error, `reading IAM roles and the SAML provider in account ${c.account.alias} (${c.account.id})`);
        }),
      )
    ).flat();
    return { aws: new Map(setup.accounts.map((c) => [c.account.alias, c])), resources };
  },

  // The people a hand-made Role mapping gives roles are compared person by person.
  needsUsers: (live) => live.authentik.handMadeRoleMappings.length > 0,

  desire: (ctx) => desiredClassicIam(ctx.config, { authentikUrl: ctx.authentikUrl, api: ctx.release }),

  check(ctx, _setup, live, desired) {
    const { config, release } = ctx;
    fillIdpMetadata(desired, live.resources, address.samlProvider(config.authentik.provider.name), live.authentik.idpMetadata, release.samlIssuerField);
    // A setup made by hand grants roles through its own Role mapping, which this plan
    // replaces with the tool's: what it grants now is read from its expression, per
    // group and per person (one role from merged group attributes).
    const handMadeMappings = live.authentik.handMadeRoleMappings;
    if (handMadeMappings.length === 0) return {};
    const handMade = handMadeLiveAccess({
      mappings: handMadeMappings,
      groups: live.authentik.groups,
      users: live.users ?? [],
      signIn: live.authentik.signIn,
      signInUsers: live.authentik.signInUsers,
      accounts: config.aws.accounts,
      rolePath: config.aws.rolePath,
      samlProviderName: config.aws.samlProviderName,
    });
    return {
      liveAccess: handMade.rows,
      accessCaveats: handMade.warnings,
      personAccess: { now: handMade.byPerson, members: groupMembers(live.authentik.groups, live.users ?? []), names: (config.review?.people ?? "names") === "names" },
    };
  },

  async preflight(ctx, setup, _live, plan) {
    const lookups = classicPolicyLookups(ctx.config, plan.changes);
    const results = new Map<PolicyLookup, PolicyLookupResult>();
    await pLimit(Math.max(1, ctx.concurrency)).map(lookups, async (l) => {
      const clients = setup.accounts.find((c) => c.account.id === l.accountId);
      if (clients) results.set(l, await policyExists(clients.iam, l.arn, `account ${l.accountLabel}`));
    });
    const found = preflightFindings(lookups, results, () => "IAM would refuse to attach it, after the role (and the SAML provider and authentik's side before it) was written; create it there first, or fix the ARN");
    // Quotas: what each account holds and allows (IAM's summary), where this plan creates roles or attaches many policies.
    const needs = classicQuotaNeeds(ctx.config, plan.changes);
    const summaries = new Map<string, IamSummary>();
    const unread: string[] = [];
    await pLimit(Math.max(1, ctx.concurrency)).map(needs, async (n) => {
      const clients = setup.accounts.find((c) => c.account.id === n.accountId);
      if (!clients) return;
      try {
        summaries.set(n.accountId, await iamSummary(clients.iam, `account ${n.accountLabel}`));
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        unread.push(`not checked whether account ${n.accountLabel} has room for what this plan writes there (IAM's quotas on roles and attached policies): ${error.message}`);
      }
    });
    const quotas = classicQuotaFindings(needs, summaries);
    return { problems: [...found.problems, ...quotas.problems], warnings: [...found.warnings, ...unread, ...quotas.warnings] };
  },

  async readManagedPolicies(ctx, setup, wanted) {
    // An AWS-managed policy is the same in every account: read once, through the first account that needs it.
    const reads = new Map<string, Promise<ManagedPolicyDocument>>();
    const limit = pLimit(Math.max(1, ctx.concurrency));
    const out = new Map<string, ManagedPolicyDocument>();
    await Promise.all(
      wanted.map(async ({ account, arn }) => {
        const clients = setup.accounts.find((c) => c.account.alias === account);
        if (!clients) return;
        const once = policyArnAccount(arn)?.account === "aws" ? arn : `${account} ${arn}`;
        let read = reads.get(once);
        if (!read) {
          read = limit(() => policyDocument(clients.iam, arn, `account ${clients.account.alias} (${clients.account.id})`));
          reads.set(once, read);
        }
        out.set(documentKey(account, arn), await read);
      }),
    );
    return out;
  },

  applyContext(ctx, _setup, live) {
    const providerAddress = address.samlProvider(ctx.config.authentik.provider.name);
    let metadata: Promise<string> | undefined;
    // Fetched once, after the authentik provider and application are in place.
    const metadataXml = () => {
      metadata ??= (async () => {
        // Read from the ids at call time: the provider may have been created earlier in this apply.
        const pk = live.authentik.ids.pk.get(providerAddress);
        if (!pk) throw new Error("internal: the authentik SAML provider's id is unknown");
        const { metadata: xml } = await ctx.authentik.getRaw<{ metadata: string }>(`/providers/saml/${pk}/metadata/`);
        if (!xml) throw new UserError("authentik serves no SAML metadata for the provider: is it linked to the application?");
        return xml;
      })();
      return metadata;
    };
    return {
      // Both systems together: at most `concurrency` writes in flight (IAM's write rate is tight).
      concurrency: ctx.concurrency,
      inFlight: ctx.concurrency,
      authentik: { client: ctx.authentik, lookups: live.authentik.lookups, ids: live.authentik.ids },
      iam: (account) => {
        const clients = live.aws.get(account);
        if (!clients) throw new Error(`internal: no AWS clients for account ${account}`);
        return { clients, metadataXml };
      },
    };
  },

  awsRequests: (setup) => setup.accounts.reduce((n, c) => n + c.requests.count, 0),
};
