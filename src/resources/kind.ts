/**
 * What a resource kind is, in one typed object: the core (plan, risks, apply order)
 * asks the registry (registry.ts) by type name and never branches on one, the way
 * terraform's core calls a provider's resources. Each kind lives in a file of its own
 * under src/resources/, with its typed props; the registry is one exhaustive map, so a
 * new kind that lacks a piece is a compile error, not a run-time "no handler".
 *
 * Writes go through the clients the engine hands in (ApplyContext): a kind file holds
 * the logic of one change and uses its system's write helpers (src/providers/…), never
 * a connection of its own.
 */
import type { Change, Props, ResourceType, System } from "../domain/plan-types.js";
import type { AuthentikApplyContext } from "../providers/authentik/writes.js";
import type { IamApplyContext } from "../providers/aws/iam-writes.js";
import type { IdentityCenterApplyContext } from "../providers/aws/sso-writes.js";

/** A change whose before and after are this kind's props. */
export type KindChange<P> = Omit<Change, "before" | "after"> & { before: P | null; after: P | null };

/** Which of the engine's bulk readers produces the live objects of a kind (one read per system, never per object). */
export type Reader = "authentik" | "iam" | "identity-center";

/** A bound on how many changes of a lane run at once (AWS allows 10 assignment creations in flight, …). */
export interface Lane {
  key: string;
  limit: number;
}

/** The clients one apply writes through; each kind takes the one of its system. */
export interface ApplyContext {
  authentik?: AuthentikApplyContext;
  /** classic-iam: the IAM of one account (by alias). */
  iam?: (account: string) => IamApplyContext;
  identityCenter?: IdentityCenterApplyContext;
  /** The default bound per system, when a kind names no lane of its own. */
  concurrency: number;
  /** At most this many changes in flight in all (each lane bounds its own further). */
  inFlight: number;
}

/** A grant-carrying resource's row of the access diff (group × grant × account), before the plan says gained or lost. */
export interface AccessFacts {
  group: string;
  grant: string;
  account: string;
  accountId: string;
  kind?: "application";
}

/** Resolves a `$ref` to the props of the resource it names, on the side of the plan being read (desired, or live). */
export type RefResolver = (address: string) => Props | undefined;

/** A role or permission set: what people are granted, with the policies it carries (read by the permission and risk reviews). */
export interface GrantFacts<P> {
  /** "account": one object per account (an IAM role); "assignments": one object, assigned in accounts (a permission set). */
  scope: "account" | "assignments";
  name(props: P): string;
  /** How long a session lasts, in seconds. */
  sessionSeconds(props: P): number | undefined;
}

export interface ResourceKind<P> {
  readonly type: ResourceType;
  readonly system: System;
  /** Where its changes go in a plan and in apply's order of kinds (lower first). */
  readonly order: number;
  /** Which bulk reader produces its live objects. */
  readonly reader: Reader;
  /** Why a declared object is created: "does not exist in IAM Identity Center". */
  missing(resource: { account?: string }): string;
  /** The name the target system keeps unique, when it does (an IAM role per account, case-insensitively); two addresses with one identity collide. */
  identity?(resource: { account?: string; props: P }): string | undefined;
  /** The access it gives, for resources that grant (bindings, assignments). */
  access?(resource: { account?: string; props: P }, resolve: RefResolver): AccessFacts | undefined;
  /** The ends of grants it records (entitlements: attributes.access_expires), one per grant; see src/desired/expiry.ts recordLifetimes. */
  lifetimes?(props: P): (Omit<AccessFacts, "kind"> & { value: string })[];
  /**
   * It only records (the identity-center record of when access ends): it grants nothing, and
   * is deleted once no longer desired whether pruning is on or not (src/plan/changes.ts).
   */
  recordOnly?(props: P): boolean;
  /** Why a record-only object goes (default: the lifetime record's words). */
  goneReason?(props: P): string;
  /** Set for roles and permission sets. */
  grant?: GrantFacts<P>;
  /** Deleting it removes a way to sign in (a risk of its own). */
  readonly identityProvider?: true;
  /** When a change alters the session tags people get (attributes for access control): what changes, in words (risk session-tags-changed). */
  sessionTags?(change: KindChange<P>): string | undefined;
  /** Why an update is needed, when the kind says it better than "live X differs from the configuration" (the top-level fields that differ). */
  updateReason?(fields: readonly string[]): string | undefined;
  /** Its own bound in apply, when the system sets one (default: one lane per system). */
  lane?(change: KindChange<P>, ctx: ApplyContext): Lane;
  /** Applies one change (create, update, adopt, delete) through the context's clients. */
  apply(change: KindChange<P>, ctx: ApplyContext): Promise<void>;
}

/** The context's client of one system, or a clear internal error when the engine did not give it. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal: this apply has no ${what} client`);
  return value;
}

/** "does not exist in authentik", "does not exist in account prod". */
export function missingIn(system: System) {
  return (resource: { account?: string }) => (system === "aws" && resource.account ? `does not exist in account ${resource.account}` : `does not exist in ${system}`);
}
