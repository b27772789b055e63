import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Silences the AWS SDK's NodeVersionSupportWarning (only that one), as the CLI's bin does.
    setupFiles: ["test/support/silence-sdk-node-warning.ts"],
    // Integration tests start real peers (moto_server, the authentik emulator);
    // their setup can take a few seconds on a loaded 2-core machine.
    testTimeout: 60_000,
    // End-to-end files mostly wait on peers and the CLI in child processes, so more
    // files than cores run at once (the default here would be one).
    maxWorkers: 3,
    hookTimeout: 120_000,
  },
});
