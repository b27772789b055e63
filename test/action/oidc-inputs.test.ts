/**
 * The Action's ways of signing in to authentik (authentik-auth: token | github-oidc), as
 * readInputs and run() take them, in-process: each way's inputs, an input of the other way
 * refused rather than ignored, and a job without `id-token: write` told so before anything
 * is read. (The end-to-end runs of dist/index.js are in github-oidc.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { readInputs } from "../../src/action/inputs.js";
import { githubIdToken, oidcAudience } from "../../src/action/oidc.js";
import { run } from "../../src/action/run.js";
import type { ActionContext } from "../../src/action/types.js";

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

  it("requests GitHub's token for the client id (the blueprint's default audience too) unless told another audience", () => {
    expect(oidcAudience("", "authentik-aws-gitops-aws")).toBe("authentik-aws-gitops-aws");
    expect(oidcAudience("https://sso", "authentik-aws-gitops-aws")).toBe("https://sso");
    expect(githubIdToken("https://authentik.test", {}).name).toBe("GitHub's OIDC token (audience https://authentik.test)");
  });
});

describe("run() with github-oidc", () => {
  const ctx = (env: NodeJS.ProcessEnv): ActionContext => ({
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
  });
  const oidc = () => inputs({ "authentik-auth": "github-oidc", "authentik-client-id": "aag" });

  it("says the job needs id-token: write before reading anything", async () => {
    await expect(run(oidc(), ctx({}))).rejects.toThrow(
      "authentik-auth: github-oidc needs GitHub's OIDC token, and this job cannot request one (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set): give the job `permissions: id-token: write` (GitHub never gives one to a pull request from a fork)",
    );
  });

  it("refuses AUTHENTIK_TOKEN left in the step's environment", async () => {
    await expect(run(oidc(), ctx({ AUTHENTIK_TOKEN: "left-over", ACTIONS_ID_TOKEN_REQUEST_URL: "http://x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "y" }))).rejects.toThrow(
      "authentik-auth is github-oidc, but the step's environment sets AUTHENTIK_TOKEN: remove it (and delete the secret), or set authentik-auth: token to sign in with it",
    );
  });
});
