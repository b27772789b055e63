// operationId → handler. Operations of schema.yml without a handler answer 501
// (the emulator covers what the tool uses, not all of authentik).
import type { HandlerTable } from "./common.js";
import { coreHandlers } from "./core.js";
import { miscHandlers } from "./misc.js";
import { policyHandlers } from "./policies.js";
import { propertyMappingHandlers } from "./propertymappings.js";
import { providerHandlers } from "./providers.js";

export const handlers: HandlerTable = {
  ...coreHandlers,
  ...policyHandlers,
  ...providerHandlers,
  ...propertyMappingHandlers,
  ...miscHandlers,
};
