// What a test may ask of the authentik emulator running in another process (see
// ../peer-process.ts): its request log and emulator bugs, and the few pokes at
// state that authentik's API cannot make (a stored SCIM token is write-only; an
// authentik without the tasks API).
import type { AuthentikEmulator, RecordedRequest } from "./server.js";

export function authentikControls(emulator: AuthentikEmulator) {
  return {
    requests: (): RecordedRequest[] => emulator.requests,
    invalidRequests: (): RecordedRequest[] => emulator.invalidRequests(),
    emulatorErrors: (): string[] => emulator.emulatorErrors,
    /** The token authentik stores for the first SCIM provider (its API never returns it). */
    scimProviderToken: (): string | undefined => {
      for (const p of emulator.store.providers.values()) if (p.kind === "scim") return (p as { token: string }).token;
      return undefined;
    },
    /** As on an authentik without (or without access to) the tasks API. */
    clearSchedules: (): void => emulator.store.schedules.clear(),
  };
}
export type AuthentikControls = ReturnType<typeof authentikControls>;
