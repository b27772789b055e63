import { createServer } from "node:http";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AuthentikClient } from "../../src/providers/authentik/client.js";
import { displayUrl, redactUrls } from "../../src/util/redact-url.js";
import { runCli, runCliProcess } from "../support/run-cli.js";

/**
 * A password in AUTHENTIK_URL (`https://user:pass@host`) or a token in its query
 * string must never be printed: every URL the tool shows goes through
 * displayUrl, and the output streams strip credentials from any URL on the way out.
 */
const root = path.join(import.meta.dirname, "..", "..");
const config = path.join(root, "examples", "classic-iam.yaml");

const env = (authentikUrl: string): NodeJS.ProcessEnv => ({
  AUTHENTIK_URL: authentikUrl,
  AUTHENTIK_TOKEN: "test-token",
  AWS_ENDPOINT_URL: "http://127.0.0.1:9",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_REGION: "us-east-1",
});

function expectCleanFailure(r: { code: number; stdout: string; stderr: string }): void {
  expect(r.code).toBe(1);
  expect(r.stderr).not.toContain("internal error");
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout + r.stderr).not.toContain("s3cr3t");
}

describe("URLs are printed without credentials", () => {
  it("displayUrl drops user name, password, query and fragment", () => {
    expect(displayUrl("http://user:s3cr3t@127.0.0.1:9")).toBe("http://127.0.0.1:9");
    expect(displayUrl("https://user@authentik.company/")).toBe("https://authentik.company/");
    expect(displayUrl("https://authentik.company/api/v3/?token=s3cr3t#frag")).toBe("https://authentik.company/api/v3/?…");
    expect(displayUrl("https://authentik.company")).toBe("https://authentik.company");
    expect(displayUrl("not a url at all")).toBe("not a url at all");
    expect(displayUrl("ftp://u:p@[::1")).toBe("ftp://[::1");
  });

  it("redactUrls cleans every URL inside a text", () => {
    expect(redactUrls("fetch failed: http://user:s3cr3t@127.0.0.1:9/api/v3/admin/version/ and https://a:b@c.d/x?y=z ok")).toBe(
      "fetch failed: http://127.0.0.1:9/api/v3/admin/version/ and https://c.d/x?… ok",
    );
    expect(redactUrls("no url here; mail me@example.com")).toBe("no url here; mail me@example.com");
  });

  it("the authentik client shows its base URL without credentials", () => {
    const client = new AuthentikClient({ url: "https://user:s3cr3t@authentik.company/?token=s3cr3t", token: "t" });
    expect(client.baseUrl).toBe("https://authentik.company/?…");
  });

  it("plan with a password in AUTHENTIK_URL (closed port) exits 1 and names the host, not the password", async () => {
    const r = await runCli(["plan", "-c", config], env("http://user:s3cr3t@127.0.0.1:9"), root);
    expectCleanFailure(r);
    expect(r.stderr).toContain("127.0.0.1:9");
    expect(r.stderr).toMatch(/error: .*authentik/);
  });

  it("the same through the shipped CLI as its own process", async () => {
    const r = await runCliProcess(["plan", "-c", config], env("http://user:s3cr3t@127.0.0.1:9"), root);
    expectCleanFailure(r);
    expect(r.stderr).toContain("127.0.0.1:9");
  });

  it("the version gate names authentik's address without the token in its query string", async () => {
    // An authentik that answers every request with a release the tool does not support.
    const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"version_current": "2023.1.0"}'));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const r = await runCli(["plan", "-c", config], env(`http://127.0.0.1:${port}/?token=s3cr3t`), root);
      expectCleanFailure(r);
      expect(r.stderr).toContain(`authentik 2023.1.0 at http://127.0.0.1:${port}/?… is too old`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("the output streams", () => {
  it("strip user name and password from any URL printed, and leave the rest of it alone", async () => {
    const { scrubbingIO } = await import("../../src/cli/io.js");
    const { stripUrlCredentials } = await import("../../src/util/redact-url.js");
    const { PassThrough } = await import("node:stream");
    let out = "";
    const io = scrubbingIO({ stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, stdin: new PassThrough(), env: {}, cwd: root });
    io.stderr.write("AWS: cannot reach https://AKIA:s3cr3t@sso.us-east-1.amazonaws.com/x?region=us-east-1 now\n");
    expect(out).toBe("AWS: cannot reach https://sso.us-east-1.amazonaws.com/x?region=us-east-1 now\n");
    expect(stripUrlCredentials('"relayState": "https://console.aws.amazon.com/home?region=eu-west-1#/x", mail a@b.c')).toBe(
      '"relayState": "https://console.aws.amazon.com/home?region=eu-west-1#/x", mail a@b.c',
    );
  });
});

describe("AWS errors", () => {
  it("name the endpoint without its password", async () => {
    const { awsFailure } = await import("../../src/providers/aws/errors.js");
    const sdkError = Object.assign(new Error("Unexpected answer from https://AKIA:s3cr3t@iam.example/?X-Amz-Security-Token=s3cr3t"), { name: "UnknownError", $metadata: {} });
    const failure = awsFailure(sdkError, "listing roles");
    expect(failure.message).toContain("iam.example");
    expect(failure.message).not.toContain("s3cr3t");
  });
});
