/**
 * The Action's ways of signing in to authentik (authentik-auth: token | github-oidc), as
 * readInputs and run() take them, in-process: each way's inputs, an input of the other way
 * refused rather than ignored, and a job without `id-token: write` told so before anything
 * is read. (The end-to-end runs of dist/index.js are in github-oidc.test.ts.)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readInputs } from "../../src/action/inputs.js";
import { githubIdToken, oidcAudience } from "../../src/action/oidc.js";
import { run } from "../../src/action/run.js";
import type { ActionContext } from "../../src/action/types.js";
import { example } from "../support/peers.js";

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

function inputs(values: Record<string, string>) {
  for (const k of Object.keys(process.env)) if (k.startsWith("INPUT_")) delete process.env[k];
  const all: Record<string, string> = { config: "aws-access.yaml", "github-token": "ghs_x", "authentik-url": "https://authentik.test", ...values };
  for (const [name, value] of Object.entries(all)) process.env[`INPUT_${name.toUpperCase()}`] = value;
  return readInputs();
}

const refusal = (values: Record<string, string>) => {
  try {
    inputs(values);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("not refused");
};

describe("authentik-auth", () => {
  it("token (the default) takes authentik-token; github-oidc the client id and an optional audience", () => {
    expect(inputs({ "authentik-token": "t" })).toMatchObject({ authentikAuth: "token", authentikToken: "t", authentikClientId: "", authentikOidcAudience: "" });
    expect(inputs({ "authentik-auth": "github-oidc", "authentik-client-id": "aag" })).toMatchObject({
      authentikAuth: "github-oidc",
      authentikToken: "",
      authentikClientId: "aag",
      authentikOidcAudience: "",
    });
    expect(inputs({ "authentik-auth": "github-oidc", "authentik-client-id": "aag", "authentik-oidc-audience": "https://sso" }).authentikOidcAudience).toBe("https://sso");
  });

  it("refuses what mixes the two ways, or lacks what one needs", () => {
    expect(refusal({ "authentik-auth": "github-oidc", "authentik-client-id": "aag", "authentik-token": "t" })).toBe(
      "authentik-auth is github-oidc, but authentik-token is set too: remove the authentik-token input (and delete the secret), or set authentik-auth: token to sign in with it",
    );
    expect(refusal({ "authentik-auth": "github-oidc" })).toMatch(/^authentik-auth: github-oidc needs authentik-client-id, the Client ID of the authentik OAuth2 provider/);
    expect(refusal({ "authentik-token": "t", "authentik-client-id": "aag" })).toBe(
      "authentik-client-id is set, but authentik-auth is token: set authentik-auth: github-oidc to sign in with GitHub's OIDC token, or remove it",
    );
    expect(refusal({ "authentik-client-id": "aag", "authentik-oidc-audience": "x" })).toMatch(/^authentik-client-id and authentik-oidc-audience are set, but authentik-auth is token/);
    expect(refusal({ "authentik-auth": "oidc" })).toBe("input authentik-auth must be token or github-oidc, not 'oidc'");
  });

  it("github-oidc takes one configuration per step: one client id signs in for one configuration", () => {
    const oneStep =
      "authentik-auth: github-oidc takes one configuration per step (config names 2: a.yaml, b.yaml), since authentik-client-id names one OAuth2 provider and its accounts hold one configuration's permissions: run one step per configuration, each with the client id printed for it";
    expect(refusal({ "authentik-auth": "github-oidc", "authentik-client-id": "aag", config: "a.yaml\nb.yaml" })).toBe(oneStep);
    expect(refusal({ "authentik-auth": "github-oidc", "authentik-client-id": "aag", config: "a.yaml, b.yaml" })).toBe(oneStep);
    expect(inputs({ "authentik-auth": "github-oidc", "authentik-client-id": "aag", config: "a.yaml\n" }).configs).toEqual(["a.yaml"]);
    // With a token, several configurations share it as before.
    expect(inputs({ "authentik-token": "t", config: "a.yaml\nb.yaml" }).configs).toEqual(["a.yaml", "b.yaml"]);
  });

  it("requests GitHub's token for the client id (the blueprint's default audience too) unless told another audience", () => {
    expect(oidcAudience("", "authentik-aws-gitops-aws")).toBe("authentik-aws-gitops-aws");
    expect(oidcAudience("https://sso", "authentik-aws-gitops-aws")).toBe("https://sso");
    expect(githubIdToken("https://authentik.test", {}).name).toBe("GitHub's OIDC token (audience https://authentik.test)");
  });
});

describe("run() with github-oidc", () => {
  const ctx = (env: NodeJS.ProcessEnv, more: Partial<ActionContext> = {}): ActionContext => ({
    eventName: "pull_request",
    event: { pull_request: { number: 7, head: { repo: { full_name: "acme/aws-access" } }, base: { repo: { full_name: "acme/aws-access" } } } },
    repository: "acme/aws-access",
    sha: "0".repeat(40),
    ref: "refs/pull/7/merge",
    apiUrl: "http://127.0.0.1:9",
    serverUrl: "https://github.com",
    runId: "1",
    workspace: process.cwd(),
    tempDir: process.cwd(),
    env,
    ...more,
  });
  const oidc = () => inputs({ "authentik-auth": "github-oidc", "authentik-client-id": "aag" });

  it("says the job needs id-token: write before reading anything", async () => {
    await expect(run(oidc(), ctx({}))).rejects.toThrow(
      "authentik-auth: github-oidc needs GitHub's OIDC token, and this job cannot request one (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set): give the job `permissions: id-token: write`",
    );
  });

  it("refuses AUTHENTIK_TOKEN left in the step's environment", async () => {
    await expect(run(oidc(), ctx({ AUTHENTIK_TOKEN: "left-over", ACTIONS_ID_TOKEN_REQUEST_URL: "http://x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "y" }))).rejects.toThrow(
      "authentik-auth is github-oidc, but the step's environment sets AUTHENTIK_TOKEN: remove it (and delete the secret), or set authentik-auth: token to sign in with it",
    );
  });

  it("on merge_group validates offline and says so, asking GitHub for nothing (no account is named after a queued merge's subject)", async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), "aag-queue-"));
    writeFileSync(path.join(workspace, "aws-access.yaml"), example("classic-iam.yaml"));
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    try {
      // No ACTIONS_ID_TOKEN_REQUEST_*: the queue's run does not need id-token: write either.
      await run(oidc(), ctx({}, { eventName: "merge_group", event: { merge_group: { base_ref: "refs/heads/main", head_ref: "refs/heads/gh-readonly-queue/main/pr-7-abc" } }, ref: "refs/heads/gh-readonly-queue/main/pr-7-abc", workspace }));
    } finally {
      write.mockRestore();
    }
    const log = out.join("");
    expect(log).toContain("::notice title=authentik-aws-gitops%3A plan skipped for the merge queue::");
    expect(log).toContain("authentik-auth: github-oidc");
    expect(log).toContain("validated offline and is valid");
    expect(log).not.toContain("::error");
    expect(process.exitCode ?? 0).toBe(0);
  });
});

describe("run() with authentik-auth: token", () => {
  const ctx = (env: NodeJS.ProcessEnv): ActionContext => ({
    eventName: "push",
    event: {},
    repository: "acme/aws-access",
    sha: "0".repeat(40),
    ref: "refs/heads/main",
    apiUrl: "http://127.0.0.1:9",
    serverUrl: "https://github.com",
    runId: "1",
    workspace: process.cwd(),
    tempDir: process.cwd(),
    env,
  });

  it("refuses a JWT sign-in left in the step's environment, which would be used in place of the token input, its access token unmasked", async () => {
    const withToken = () => inputs({ "authentik-token": "t" });
    await expect(run(withToken(), ctx({ AUTHENTIK_JWT: "eyJx", AUTHENTIK_CLIENT_ID: "aag" }))).rejects.toThrow(
      "authentik-auth is token, but the step's environment sets AUTHENTIK_JWT and AUTHENTIK_CLIENT_ID (the CLI's sign-in with a JWT): remove them, or set authentik-auth: github-oidc to sign in with GitHub's OIDC token",
    );
    // Without the authentik-token input the JWT would have been the sign-in, silently.
    await expect(run(inputs({}), ctx({ AUTHENTIK_JWT_FILE: "/tmp/jwt", AUTHENTIK_CLIENT_ID: "aag" }))).rejects.toThrow(
      "authentik-auth is token, but the step's environment sets AUTHENTIK_JWT_FILE and AUTHENTIK_CLIENT_ID (the CLI's sign-in with a JWT)",
    );
    await expect(run(withToken(), ctx({ AUTHENTIK_CLIENT_ID: "aag" }))).rejects.toThrow("the step's environment sets AUTHENTIK_CLIENT_ID (the CLI's sign-in with a JWT): remove it,");
  });
});
