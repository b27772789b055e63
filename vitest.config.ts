import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Silences the AWS SDK's NodeVersionSupportWarning (only that one), as the CLI's bin does.
    setupFiles: ["test/support/silence-sdk-node-warning.ts"],
    // Integration tests start real peers (moto_server, the authentik emulator);
    // their setup can take a few seconds on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
