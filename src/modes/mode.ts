/**
 * A mode (classic-iam, identity-center) is a small object the engine's one pipeline
 * calls — read → desire → adjust → plan → risks → execute → verify (src/engine.ts) —
 * never a second engine. It says what it reads from AWS, what it desires, what its
 * domain rules find (the rules themselves are pure, in src/plan/*-checks.ts), and which
 * clients apply writes through.
 */
import type { ApplyResult, ProgressEvent } from "../apply/executor.js";
import type { ResolvedConfig } from "../config/model.js";
import type { DesiredResource, LiveResource, Plan, PlanProblem } from "../domain/plan-types.js";
import type { ManagedPolicyDocument } from "../domain/aws-iam.js";
import type { PlanInput } from "../plan/plan-input.js";
import type { AuthentikRelease } from "../domain/releases.js";
import type { AuthentikClient } from "../providers/authentik/client.js";
import type { AuthentikLiveState } from "../providers/authentik/read-state.js";
import type { AwsRetryPolicy } from "../providers/aws/retry-policy.js";
import type { UserRow } from "../domain/people.js";
import type { ApplyContext } from "../resources/kind.js";
import type { EngineOptions } from "./shared.js";

/** What every step of one run knows. */
export interface RunContext {
  config: ResolvedConfig;
  options: EngineOptions;
  env: NodeJS.ProcessEnv;
  /** The one clock reading of this plan: which mappings have expired is decided by it. */
  now: Date;
  concurrency: number;
  /** The one retry policy of every AWS call of this run (the plan, its apply and the read after it). */
  awsRetry: AwsRetryPolicy;
  authentik: AuthentikClient;
  /** The URL this run reached authentik by. */
  authentikUrl: string;
  release: AuthentikRelease;
}

/** The live state, as read: authentik's (read by the engine) and the mode's AWS side. */
export interface Live<Aws> {
  authentik: AuthentikLiveState;
  aws: Aws;
  /** Every live resource of both systems. */
  resources: LiveResource[];
  /** Active users with their groups; undefined when the plan names nobody and the mode needs none (review.people: off). */
  users: UserRow[] | undefined;
}

/** What a mode's rules say about this run beyond the diff (the parts of the plan's input they feed, see src/plan/plan-input.ts). */
export type Findings = Pick<PlanInput, "problems" | "warnings" | "manualSteps" | "liveAccess" | "personAccess" | "accessCaveats">;

export interface Mode<Setup, Aws> {
  /** What is needed before anything is read (files, secrets from the environment, clients), checked first. */
  setup(ctx: Omit<RunContext, "authentik" | "authentikUrl" | "release">): Promise<Setup>;
  /** The groups authentik must have (the mappings in force, and SCIM's). */
  groupsNeeded(ctx: RunContext, setup: Setup): { name: string; location: string }[];
  /** This mode's AWS side, read in bulk (at the same time as authentik). */
  readAws(ctx: RunContext, setup: Setup): Promise<{ aws: Aws; resources: LiveResource[] }>;
  /** Whether the mode's rules need the users even when the plan names nobody. */
  needsUsers?(live: Omit<Live<Aws>, "users">): boolean;
  /** Config → the desired resources (before mappings[].expires is applied). */
  desire(ctx: RunContext, setup: Setup, live: Live<Aws>): DesiredResource[];
  /** Adjusts the desired state to what the live state allows, and says what the plan cannot show by itself. */
  check(ctx: RunContext, setup: Setup, live: Live<Aws>, desired: DesiredResource[]): Findings;
  /**
   * After the plan is computed: looks up in AWS what this plan needs to exist there and
   * that no diff shows (the managed policies it attaches or provisions); problems fail
   * the plan, warnings say what could not be looked up.
   */
  preflight?(ctx: RunContext, setup: Setup, live: Live<Aws>, plan: Plan, desired: readonly DesiredResource[]): Promise<{ problems: PlanProblem[]; warnings: string[] }>;
  /**
   * Reads the documents of the managed policies the plan's changes attach or detach
   * (src/plan/action-expansion.ts: per account alias, "" for a permission set), keyed by
   * documentKey(account, arn). Absent: none is read, and the expansion says so.
   */
  readManagedPolicies?(ctx: RunContext, setup: Setup, wanted: readonly { account: string; arn: string }[]): Promise<Map<string, ManagedPolicyDocument>>;
  /** The clients this apply writes through. */
  applyContext(ctx: RunContext, setup: Setup, live: Live<Aws>, onProgress?: (event: ProgressEvent) => void): ApplyContext;
  /** Refuses before anything is written what would fail half-way. */
  beforeApply?(ctx: RunContext, setup: Setup, plan: Plan): void;
  /** What follows the changes (waiting for Identity Center's operations, a SCIM sync). */
  afterApply?(ctx: RunContext, setup: Setup, live: Live<Aws>, plan: Plan, result: ApplyResult, applyContext: ApplyContext): Promise<void>;
  /** AWS requests made so far. */
  awsRequests(setup: Setup, live: Live<Aws> | undefined): number;
}
