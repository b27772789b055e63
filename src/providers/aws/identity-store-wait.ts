import { GetGroupIdCommand, ResourceNotFoundException } from "@aws-sdk/client-identitystore";
import { UserError } from "../../errors.js";
import type { IdentityCenterClients } from "./sso-clients.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the Identity Store (bounded, with back-off) until a group SCIM is
 * provisioning appears; returns its id.
 */
export async function waitForIdentityStoreGroup(
  clients: IdentityCenterClients,
  identityStoreId: string,
  name: string,
  options: { timeoutMs: number; pollMs: number; info: (message: string) => void },
): Promise<string> {
  const started = Date.now();
  let delay = Math.min(2_000, options.pollMs);
  for (;;) {
    try {
      const found = await clients.identityStore.send(
        new GetGroupIdCommand({ IdentityStoreId: identityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "displayName", AttributeValue: name } } }),
      );
      if (found.GroupId) {
        options.info(`group '${name}' is now in the Identity Store`);
        return found.GroupId;
      }
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) {
      throw new UserError(
        `group '${name}' did not appear in the Identity Store within ${Math.round(options.timeoutMs / 1000)}s of starting authentik's SCIM sync; check the SCIM provider's sync status in authentik, then run apply again (what was applied stays, the rest is picked up)`,
      );
    }
    options.info(`waiting for SCIM to provision group '${name}' (${Math.round(waited / 1000)}s)`);
    await sleep(delay);
    delay = Math.min(delay * 2, 10_000);
  }
}
