/**
 * How authentik objects are named between the read and the writes of one run: ids of
 * managed objects by address, and the named objects ($lookup) the configuration refers to.
 */
import type { Lookup } from "../../domain/plan-types.js";

/** Ids of authentik objects by address, filled from the live read and by creates during apply. */
export interface AuthentikIds {
  /** Primary key for API paths (uuid, integer pk as string, or application slug). */
  id: Map<string, string>;
  /** Integer pk of providers; uuid pk of applications (what references carry). */
  pk: Map<string, string>;
  /** pbm_uuid of applications and entitlements (what policy bindings target). */
  pbm: Map<string, string>;
}

export interface AuthentikLookups {
  flows: Map<string, string>;
  keypairs: Map<string, string>;
  groups: Map<string, string>;
  managedMappings: Map<string, string>;
}

/** Turns a $lookup into the id authentik wants, or says what is missing. */
export function resolveLookup(lookups: AuthentikLookups, l: Lookup): string | undefined {
  const table = { flow: lookups.flows, keypair: lookups.keypairs, group: lookups.groups, managed_mapping: lookups.managedMappings }[l.$lookup];
  return table.get(l.key);
}
