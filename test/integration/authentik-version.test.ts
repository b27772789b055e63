import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliProcess } from "../support/run-cli.js";
import { example, peerEnv, startAuthentikPeer, type AuthentikPeer } from "../support/peers.js";

const OLD_TOKEN = "t0ken-for-old-authentik";
let old: AuthentikPeer;
beforeAll(async () => {
  old = await startAuthentikPeer(["--version", "2024.10.5"], OLD_TOKEN);
});
afterAll(() => old.stop());

describe("authentik version", () => {
  it("refuses an authentik older than the oldest supported one, clearly and before any change", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aag-version-"));
    const file = path.join(dir, "aws-access.yaml");
    writeFileSync(file, example("classic-iam.yaml"));
    // The version check comes before any AWS call: should anything reach for AWS, it
    // meets a closed loopback port, never the internet.
    const r = await runCliProcess(["plan", "-c", file], peerEnv("http://127.0.0.1:9", old.url, OLD_TOKEN), dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: authentik 2024.10.5 at ${old.url} is too old: authentik-aws-gitops supports authentik 2025.10 to 2026.8`);
    expect((await old.control.requests()).filter((q) => q.method !== "GET")).toEqual([]);
  });
});
