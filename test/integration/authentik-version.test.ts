import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { startAuthentikEmulator, type AuthentikEmulator } from "../peers/authentik/server.js";
import { example } from "./harness.js";

let old: AuthentikEmulator;
beforeAll(async () => {
  // Should anything reach for AWS, it meets a closed loopback port, never the internet.
  process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
  old = await startAuthentikEmulator({ token: "t0ken-for-old-authentik", version: "2024.10.5" });
});
afterAll(async () => {
  await old.stop();
});

describe("authentik version", () => {
  it("refuses an authentik older than the oldest supported one, clearly and before any change", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aag-version-"));
    const file = path.join(dir, "aws-access.yaml");
    writeFileSync(file, example("classic-iam.yaml"));
    let stderr = "";
    const code = await main(["plan", "-c", file], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      stdin: new PassThrough(),
      // The version check comes before any AWS call (none is reachable here).
      env: { AUTHENTIK_URL: old.url, AUTHENTIK_TOKEN: "t0ken-for-old-authentik", AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" },
      cwd: dir,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`error: authentik 2024.10.5 at ${old.url} is too old: authentik-aws-gitops needs 2024.12 or newer`);
    expect(old.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });
});
