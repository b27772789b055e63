import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import { reservedVariable } from "../../src/config/semantic-rules.js";

/**
 * apply sends the SCIM token (the value of the variable scim.tokenEnv names) to
 * scim.url. Only IAM Identity Center's SCIM endpoint is accepted there, and the
 * variable may not be one that holds another secret of the run.
 */
const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "identity-center.yaml"), "utf8");
const EXAMPLE_URL = "https://scim.us-east-1.amazonaws.com/abcd1234-5678-90ab-cdef-example11111/scim/v2";

function errorsWith(url: string, tokenEnv = "AWS_SCIM_TOKEN", region = "us-east-1"): string[] {
  const text = example
    .replace(EXAMPLE_URL, JSON.stringify(url))
    .replace("tokenEnv: AWS_SCIM_TOKEN", `tokenEnv: ${tokenEnv}`)
    .replace("region: us-east-1", `region: ${region}`);
  return validateConfigText("ic.yaml", text)
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.line}:${d.column} ${d.message}`);
}

describe("scim.url", () => {
  it.each([
    [EXAMPLE_URL, "us-east-1"],
    [`${EXAMPLE_URL}/`, "us-east-1"],
    ["https://scim.ca-central-1.amazonaws.com/bdh6a5e3698-0fc6-4232-a028-fea1a99ff77a/scim/v2", "ca-central-1"],
    ["https://scim.us-gov-west-1.amazonaws.com/f3v9c6bc2ca-b104-4571-b669-f2eba522efe8/scim/v2", "us-gov-west-1"],
    ["https://scim.ap-southeast-5.amazonaws.com/0123abcd/scim/v2", "ap-southeast-5"],
  ])("accepts AWS's SCIM endpoint %s", (url, region) => {
    expect(errorsWith(url, "AWS_SCIM_TOKEN", region)).toEqual([]);
  });

  it.each([
    "http://scim.us-east-1.amazonaws.com/abcd1234/scim/v2",
    "https://scim.us-east-1.amazonaws.com:8443/abcd1234/scim/v2",
    "https://scim.us-east-1.amazonaws.com/abcd1234/scim/v2?x=1",
    "https://scim.us-east-1.amazonaws.com/abcd1234/scim/v2#x",
    "https://scim.us-east-1.amazonaws.com/abcd1234/scim/v1",
    "https://scim.us-east-1.amazonaws.com/abcd1234/scim/v2/Users",
    "https://scim.us-east-1.amazonaws.com/abcd/1234/scim/v2",
    "https://scim.us-east-1.amazonaws.com/%2e%2e/scim/v2",
    "https://scim.us-east-1.amazonaws.com./abcd1234/scim/v2",
    "https://scim.us-east-1.amazonaws.com.attacker.example/abcd1234/scim/v2",
    "https://user:pw@scim.us-east-1.amazonaws.com/abcd1234/scim/v2",
    "https://scim.us-east-1.amazonaws.com@attacker.example/abcd1234/scim/v2",
    "https://SCIM.US-EAST-1.AMAZONAWS.COM/abcd1234/scim/v2",
    "https://scim.cn-north-1.amazonaws.com.cn/abcd1234/scim/v2",
    "https://attacker.example/scim.us-east-1.amazonaws.com/abcd1234/scim/v2",
    "https://169.254.169.254/abcd1234/scim/v2",
    " https://scim.us-east-1.amazonaws.com/abcd1234/scim/v2",
  ])("refuses %s", (url) => {
    const errors = errorsWith(url);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^69:8 'scim\.url' must be the SCIM endpoint IAM Identity Center shows/);
  });

  it("refuses an endpoint in another region than the Identity Center instance", () => {
    expect(errorsWith(EXAMPLE_URL, "AWS_SCIM_TOKEN", "eu-west-1")).toEqual([
      "69:8 'scim.url' is in region us-east-1, but aws.identityCenter.region is eu-west-1; IAM Identity Center serves SCIM only in the region of its instance",
    ]);
  });
});

describe("scim.tokenEnv", () => {
  it.each(["AWS_SCIM_TOKEN", "SCIM_TOKEN", "IDENTITY_CENTER_SCIM_TOKEN", "AWS_IDENTITY_CENTER_SCIM", "AUTHENTIKTOKEN_SCIM"])("may be %s", (name) => {
    expect(reservedVariable(name)).toBeUndefined();
    expect(errorsWith(EXAMPLE_URL, name)).toEqual([]);
  });

  it.each([
    "AUTHENTIK_TOKEN", "AUTHENTIK_URL", "authentik_token", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "aws_session_token",
    "AWS_SECURITY_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE",
    "GITHUB_TOKEN", "GH_TOKEN", "GITHUB_EVENT_PATH", "INPUT_GITHUB_TOKEN", "INPUT_AUTHENTIK_TOKEN", "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "RUNNER_TEMP",
  ])("may not be %s, which holds something else", (name) => {
    expect(reservedVariable(name)).toBeDefined();
    const errors = errorsWith(EXAMPLE_URL, name);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^70:13 'scim\\.tokenEnv' names ${name}, a variable .*; the SCIM token needs a variable of its own, e\\.g\\. AWS_SCIM_TOKEN$`));
  });
});
