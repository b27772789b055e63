// operationId → handler. Operations of schema.yml without a handler answer 501
// (the emulator covers what the tool uses, not all of authentik).
import type { HandlerTable } from "./common.js";
import { coreHandlers } from "./core.js";
import { miscHandlers } from "./misc.js";
import { oauthHandlers } from "./oauth.js";
import { policyHandlers } from "./policies.js";
import { propertyMappingHandlers } from "./propertymappings.js";
import { providerHandlers } from "./providers.js";
import { rbacHandlers } from "./rbac.js";

export const handlers: HandlerTable = {
  ...coreHandlers,
  ...policyHandlers,
  ...providerHandlers,
  ...propertyMappingHandlers,
  ...miscHandlers,
  ...oauthHandlers,
  ...rbacHandlers,
};
