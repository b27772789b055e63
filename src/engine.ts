/**
 * The engine's one pipeline, for every mode: read (authentik and the mode's AWS side,
 * at once) → desire (the mode's desired state, mappings[].expires applied) → adjust
 * (the mode's rules against live state) → plan (pure, src/plan/compute-plan.ts) → risks
 * → execute (each change through its kind, src/resources/) → verify (read again). The
 * CLI and the GitHub Action both call createPlan and then, when asked, session.apply().
 * A mode (src/modes/) is a small object this pipeline calls.
 */
import { executeChanges, writtenLines, type ApplyResult } from "./apply/executor.js";
import type { ResolvedConfig } from "./config/model.js";
import { planExpiry, recordLifetimes, splitExpired } from "./desired/expiry.js";
import { groupMembers, type UserRow } from "./domain/people.js";
import { roleSessionNameOf } from "./domain/expressions.js";
import { releaseWarning } from "./domain/releases.js";
import { UserError } from "./errors.js";
import { classicIam } from "./modes/classic-iam.js";
import { identityCenter } from "./modes/identity-center.js";
import type { Live, Mode, RunContext } from "./modes/mode.js";
import { authentikClient, runWarnings, toolInfo, type EngineOptions, type PlanSession } from "./modes/shared.js";
import { accessByKind } from "./plan/access-diff.js";
import { computePlan, PlanError } from "./plan/compute-plan.js";
import { assessRisks } from "./plan/risks.js";
import { expandPermissionChanges, managedPoliciesToRead } from "./plan/action-expansion.js";
import { readAuthentikRelease, readAuthentikState } from "./providers/authentik/read-state.js";
import { readUsers } from "./providers/authentik/read-people.js";
import { AwsRetryPolicy } from "./providers/aws/retry-policy.js";
import { applyChange, laneOf } from "./resources/registry.js";
import { VERSION } from "./version.js";

export type { EngineOptions, PlanSession };
export { PlanError } from "./plan/compute-plan.js";
export type { PlanProblem } from "./domain/plan-types.js";

/** The RoleSessionName authentik sends each user (the tool's mapping: authentik.provider.sessionName), for those who have the attribute. */
function sessionNames(config: ResolvedConfig, users: readonly UserRow[]): Record<string, string> {
  const source = config.mode === "classic-iam" ? config.authentik.provider.sessionName : "email";
  const out: Record<string, string> = {};
  for (const u of users) {
    const value = source === "email" ? (u.email ?? "") : u.username;
    if (value) out[u.username] = roleSessionNameOf(value);
  }
  return out;
}

const MODES: { readonly [M in ResolvedConfig["mode"]]: Mode<any, any> } = {
  "classic-iam": classicIam,
  "identity-center": identityCenter,
};

async function planWith<S, A>(mode: Mode<S, A>, config: ResolvedConfig, options: EngineOptions): Promise<PlanSession> {
  const env = options.env ?? process.env;
  const base = { config, options, env, now: options.now ?? new Date(), concurrency: options.concurrency ?? 4, awsRetry: options.awsRetry ?? AwsRetryPolicy.fromEnv(env) };
  // What the mode needs before anything is read (a metadata file, a secret) is checked first.
  const setup = await mode.setup(base);
  const { client: authentik, url: authentikUrl } = authentikClient(config, env, options.authentikAuth);
  // An authentik too old for the tool stops the run before AWS is touched.
  const release = await readAuthentikRelease(authentik);
  const ctx: RunContext = { ...base, authentik, authentikUrl, release };

  // --- read: both systems at once (they are independent until the diff) ---------------------
  const peopleMode = config.review?.people ?? "names";
  // Ending sessions names people (their session names), whatever the plan shows of them.
  const revokeSessions = config.mode === "classic-iam" && config.options.revokeSessions;
  const [authentikState, awsSide, someUsers] = await Promise.all([
    readAuthentikState(authentik, config, { groupsNeeded: mode.groupsNeeded(ctx, setup), release }),
    mode.readAws(ctx, setup),
    peopleMode === "off" && !revokeSessions ? undefined : readUsers(authentik),
  ]);
  const read = { authentik: authentikState, aws: awsSide.aws, resources: [...authentikState.resources, ...awsSide.resources] };
  const users = someUsers ?? (mode.needsUsers?.(read) ? await readUsers(authentik) : undefined);
  const live: Live<A> = { ...read, users };

  // --- desire, then adjust to what the live state allows ------------------------------------
  const split = splitExpired(mode.desire(ctx, setup, live), config.mappings, ctx.now);
  const desired = recordLifetimes(split.desired, split.expiring);
  const findings = mode.check(ctx, setup, live, desired);

  // --- plan (pure) and risks ------------------------------------------------------------------
  const accessOf = accessByKind(desired, live.resources);
  const plan = computePlan({
    mode: config.mode,
    configFile: config.file,
    tool: toolInfo(VERSION),
    desired,
    live: live.resources,
    prune: options.prune ?? config.options.prune,
    allowDeleteAll: options.allowDeleteAll ?? config.options.allowDeleteAll,
    accountIds: Object.fromEntries(config.aws.accounts.map((a) => [a.alias, a.id])),
    ...(someUsers && peopleMode !== "off" ? { members: groupMembers(authentikState.groups, someUsers), people: peopleMode } : {}),
    ...(someUsers && revokeSessions ? { revokeSessions: { members: groupMembers(authentikState.groups, someUsers), sessionNames: sessionNames(config, someUsers), now: ctx.now, showNames: peopleMode === "names" } } : {}),
    problems: [...authentikState.problems, ...(findings.problems ?? [])],
    warnings: [...runWarnings(config, options), ...[releaseWarning(release)].filter((w): w is string => w !== undefined), ...(findings.warnings ?? [])],
    manualSteps: findings.manualSteps ?? [],
    expiry: planExpiry(config, split, ctx.now),
    ...(findings.liveAccess ? { liveAccess: findings.liveAccess } : {}),
    ...(findings.accessCaveats ? { accessCaveats: findings.accessCaveats } : {}),
    ...(findings.personAccess ? { personAccess: findings.personAccess } : {}),
  });
  // --- what the permission changes mean in actions: the managed policies they attach or detach, read
  const wanted = managedPoliciesToRead(plan);
  const documents = wanted.length > 0 && mode.readManagedPolicies ? await mode.readManagedPolicies(ctx, setup, wanted) : new Map();
  expandPermissionChanges(plan, documents);
  plan.risks = assessRisks({ plan, config, desired, accessOfChange: (c) => accessOf({ type: c.type, ...(c.account ? { account: c.account } : {}), props: (c.after ?? c.before)! }, c.after ? "desired" : "live") });
  // --- preflight: what the plan needs AWS to have, looked up before anything is written -----
  const preflight = await mode.preflight?.(ctx, setup, live, plan, desired);
  if (preflight?.problems.length) throw new PlanError(preflight.problems);
  if (preflight?.warnings.length) plan.warnings.push(...preflight.warnings);

  // --- execute --------------------------------------------------------------------------------
  const apply: PlanSession["apply"] = async (applyOptions = {}): Promise<ApplyResult> => {
    mode.beforeApply?.(ctx, setup, plan);
    const applyContext = mode.applyContext(ctx, setup, live, applyOptions.onProgress);
    const result = await executeChanges(plan.changes, (change) => applyChange(change, applyContext), {
      concurrency: applyContext.inFlight,
      lanes: (change) => laneOf(change, applyContext),
      ...(applyOptions.onProgress ? { onProgress: applyOptions.onProgress } : {}),
    });
    try {
      await mode.afterApply?.(ctx, setup, live, plan, result, applyContext);
    } catch (error) {
      // Every change was sent; what followed (Identity Center's operations, the SCIM sync) failed.
      if (!(error instanceof UserError)) throw error;
      throw new UserError(`${error.message}\n${result.applied.length} change(s) were applied before that; ${writtenLines(result.applied)}`);
    }
    return result;
  };

  return {
    config,
    plan,
    requestCounts: () => ({ authentik: authentik.requestCount, aws: mode.awsRequests(setup, live) }),
    apply,
  };
}

export async function createPlan(config: ResolvedConfig, options: EngineOptions = {}): Promise<PlanSession> {
  // One clock for the plan and the check after apply: a mapping that expires in between
  // is the next plan's change, not a reason to call this apply unconverged.
  // One retry policy, too: an AWS call given up while applying is not tried afresh by the check.
  options = { ...options, now: options.now ?? new Date(), awsRetry: options.awsRetry ?? AwsRetryPolicy.fromEnv(options.env ?? process.env) };
  const mode = MODES[config.mode];
  const session = await planWith(mode, config, options);
  if (options.verify === false) return session;
  const apply = session.apply;
  return {
    ...session,
    // --- verify: an apply reports success only when a fresh read agrees: another apply of
    // the same configuration running at the same time (both creating the same bindings or
    // assignments) would otherwise leave copies behind two "Apply complete" messages.
    async apply(applyOptions) {
      const result = await apply(applyOptions);
      if (result.applied.length === 0) return result;
      applyOptions?.onProgress?.({ kind: "info", message: "reading authentik and AWS again to check the result" });
      // The token rotation was this apply's; asked again, it would show as a change.
      const fresh = await planWith(mode, config, { ...options, rotateScimToken: false });
      if (fresh.plan.changes.length > 0) throw new NotConvergedError(fresh.plan.changes.map((c) => `${c.action} ${c.address}`));
      return result;
    },
  };
}

/** Applied, but a fresh read still differs from the configuration. */
export class NotConvergedError extends UserError {
  override readonly name = "NotConvergedError";
  constructor(readonly remaining: string[]) {
    super(
      `apply finished, but reading authentik and AWS again still shows ${remaining.length} change(s):\n${remaining.map((r) => `  ${r}`).join("\n")}\n` +
        "Something else changed them at the same time — most often another apply of this configuration (the Action's concurrency group prevents that). Run plan, then apply again: copies made twice show as …#2 and are removed.",
    );
  }
}
