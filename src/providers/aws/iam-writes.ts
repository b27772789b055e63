/**
 * What IAM writes need: the clients of one account (and, for the SAML provider, the
 * metadata authentik serves), creating a role exactly once, deleting what may be gone.
 * The writes of each kind are in its file under src/resources/.
 */
import { EntityAlreadyExistsException, GetRoleCommand, NoSuchEntityException } from "@aws-sdk/client-iam";
import type { AccountClients } from "./clients.js";
import { CONFIG_TAG, MANAGED_BY_TAG } from "../../domain/plan-types.js";

export interface IamApplyContext {
  clients: AccountClients;
  /** The SAML metadata authentik serves for the provider, fetched once, after the provider and application are in place. */
  metadataXml: () => Promise<string>;
}

/** Swallows "already gone" so a re-run after a failure part-way converges. */
export async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
  }
}

export function tagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * CreateRole, where "already exists" is success when the role is exactly the one this
 * create made: the SDK resends a create whose answer was lost. Anything else with the
 * name is someone else's, and the error stands.
 */
export async function createRoleOnce(iam: AccountClients["iam"], after: { name: string; path: string; tags: Record<string, string> }, create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(error instanceof EntityAlreadyExistsException)) throw error;
    const role = (await iam.send(new GetRoleCommand({ RoleName: after.name }))).Role;
    const tags = Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key, t.Value]));
    const wanted = after.tags;
    if (role?.Path !== after.path || tags[MANAGED_BY_TAG] !== wanted[MANAGED_BY_TAG] || tags[CONFIG_TAG] !== wanted[CONFIG_TAG]) throw error;
  }
}
