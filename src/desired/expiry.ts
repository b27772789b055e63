import type { ResolvedConfig, ResolvedMapping } from "../config/model.js";
import { DEFAULT_EXPIRY_WARNING_DAYS } from "../config/review.js";
import type { PlanExpiry } from "../plan/plan-input.js";
import { MANAGED_BY_VALUE, type DesiredResource, type Expiry } from "../domain/plan-types.js";
import { LIFETIME_ATTRIBUTE, LIFETIME_RECORD, lifetimeKey } from "../domain/lifetimes.js";
import { address } from "../domain/addresses.js";

export interface ExpirySplit {
  /** What is desired now: everything except grants whose every mapping has expired. */
  desired: DesiredResource[];
  /** Address → why it is no longer desired: the latest expiry among its mappings, every one of them past. */
  expired: Map<string, Expiry>;
  /** Address → when a desired grant ends: the latest expiry among its mappings, when every one of them has one. */
  expiring: Map<string, Expiry>;
}

/**
 * Applies mappings[].expires to the desired state. A grant (binding, assignment,
 * the application binding of a group) lasts as long as the longest-lived mapping
 * that calls for it: a mapping without `expires` keeps it for good, and once every
 * one of them is past it is no longer desired. Pure: `now` is the caller's clock.
 */
export function splitExpired(desired: readonly DesiredResource[], mappings: readonly ResolvedMapping[], now: Date): ExpirySplit {
  const out: ExpirySplit = { desired: [], expired: new Map(), expiring: new Map() };
  for (const r of desired) {
    const expiries = (r.grantedBy ?? []).map((i) => mappings[i]?.expires);
    if (expiries.length === 0 || expiries.some((e) => e === undefined)) {
      out.desired.push(r);
      continue;
    }
    const latest = expiries.reduce((a, b) => (Date.parse(b!.endsAt) > Date.parse(a!.endsAt) ? b : a))!;
    const expiry: Expiry = { value: latest.value, endsAt: latest.endsAt, field: latest.field, location: latest.location };
    if (Date.parse(latest.endsAt) <= now.getTime()) out.expired.set(r.address, expiry);
    else {
      out.expiring.set(r.address, expiry);
      out.desired.push(r);
    }
  }
  return out;
}

/** The mappings still in force at `now`: an expired one grants nothing (its group need not exist any more). */
export function activeMappings(mappings: readonly ResolvedMapping[], now: Date): ResolvedMapping[] {
  return mappings.filter((m) => !m.expires || Date.parse(m.expires.endsAt) > now.getTime());
}

/** The groups the mappings in force name (an expired mapping's group may be gone). */
export function groupsNeeded(config: ResolvedConfig, now: Date): { name: string; location: string }[] {
  return activeMappings(config.mappings, now).map((m) => ({ name: m.group, location: m.location }));
}

/** The expiry part of the plan's input: which grants expired and which end later, as of `now`. */
export function planExpiry(config: ResolvedConfig, split: ExpirySplit, now: Date): PlanExpiry {
  return { now, warningDays: config.review?.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS, expired: split.expired, expiring: split.expiring };
}

export { LIFETIME_ATTRIBUTE, LIFETIME_RECORD, lifetimeKey, parseLifetimeKey } from "../domain/lifetimes.js";

const sortedRecord = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Records each expiring grant's end next to it, in the live state the tool owns, so that
 * setting, moving or removing an `expires:` is a change of the plan (hashed, applied, and
 * clean on re-plan) rather than only of the configuration. classic-iam: a binding of a
 * group to an entitlement ends when the entitlement's attributes.access_expires[group]
 * says (absent: permanent). An entitlement none of whose bindings expires gets no such
 * attribute, so configurations without `expires:` are unchanged. identity-center: the
 * record entitlement (LIFETIME_RECORD), only while some assignment expires. A grant that
 * expired is no longer desired, and its record goes with it. Pure: returns new resources.
 */
export function recordLifetimes(desired: readonly DesiredResource[], expiring: ReadonlyMap<string, Expiry>): DesiredResource[] {
  const ends = new Map<string, Record<string, string>>();
  const assignmentEnds: Record<string, string> = {};
  const aliases: Record<string, string> = {};
  for (const r of desired) {
    const expiry = expiring.get(r.address);
    if (!expiry) continue;
    if (r.type === "aws.sso.account_assignment") {
      const { group, permission_set, account_id } = r.props as { group: string; permission_set: { $ref: string }; account_id: string };
      const permissionSet = /^aws\.sso\.permission_set\[(.*)\]$/.exec(permission_set.$ref)?.[1] ?? permission_set.$ref;
      assignmentEnds[lifetimeKey(group, permissionSet, account_id)] = expiry.value;
      aliases[account_id] = r.account ?? account_id;
      continue;
    }
    if (r.type !== "authentik.policy_binding") continue;
    const target = (r.props.target as { $ref?: string } | undefined)?.$ref;
    const group = (r.props.group as { key?: string } | undefined)?.key;
    if (!target?.startsWith("authentik.entitlement[") || !group) continue;
    ends.set(target, { ...(ends.get(target) ?? {}), [group]: expiry.value });
  }
  const out = ends.size === 0
    ? [...desired]
    : desired.map((r) => {
        const record = ends.get(r.address);
        if (!record || r.type !== "authentik.entitlement") return r;
        return { ...r, props: { ...r.props, attributes: { ...(r.props.attributes as Record<string, unknown>), [LIFETIME_ATTRIBUTE]: sortedRecord(record) } } };
      });
  const app = desired.find((r) => r.type === "authentik.application");
  if (Object.keys(assignmentEnds).length > 0 && app) out.push(lifetimeRecord(String(app.props.slug), assignmentEnds, aliases));
  return out;
}

/** The identity-center record entitlement holding `ends` (key → date as written). */
export function lifetimeRecord(slug: string, ends: Record<string, string>, aliases: Record<string, string>): DesiredResource {
  return {
    address: address.entitlement(slug, LIFETIME_RECORD.name),
    type: "authentik.entitlement",
    system: "authentik",
    title: `entitlement "${LIFETIME_RECORD.name}" of application ${slug}`,
    props: {
      name: LIFETIME_RECORD.name,
      app: { $ref: address.application(slug) },
      attributes: {
        managed_by: MANAGED_BY_VALUE,
        aws_gitops_record: LIFETIME_RECORD.marker,
        purpose: LIFETIME_RECORD.purpose,
        [LIFETIME_ATTRIBUTE]: sortedRecord(ends),
        [LIFETIME_RECORD.aliases]: sortedRecord(aliases),
      },
    },
  };
}
