import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfigText } from "../../src/config/load-config.js";
import { organizationsRegion, partitionOfArn, partitionOfRegion, signInEndpoint, signInRegionOf, trustPolicy, trustPolicyAudiences } from "../../src/domain/aws-iam.js";
import { normalizePolicy, policyJson } from "../../src/domain/policy-normalize.js";
import { awsPolicies } from "../../src/permissions/model.js";

/**
 * Partitions: classic-iam is the commercial partition's only (its trust policies, SAML
 * audience and sign-in URLs are aws's; refused elsewhere, see aws-limits.test.ts);
 * identity-center works in its instance's partition, and what the tool builds itself
 * there — the Organizations endpoint, the ARNs the permissions command prints — is of
 * that partition, not aws's.
 */
const example = readFileSync(path.join(import.meta.dirname, "..", "..", "examples", "identity-center.yaml"), "utf8");

describe("partitions and regions", () => {
  it("knows the partition of a region and of an ARN", () => {
    expect(partitionOfRegion("eu-west-1")?.id).toBe("aws");
    expect(partitionOfRegion("us-gov-west-1")?.id).toBe("aws-us-gov");
    expect(partitionOfRegion("cn-northwest-1")?.id).toBe("aws-cn");
    expect(partitionOfRegion("us-isob-east-1")?.id).toBe("aws-iso-b");
    expect(partitionOfRegion("nowhere")).toBeUndefined();
    expect(partitionOfArn("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess")).toEqual({ id: "aws-us-gov", name: "AWS GovCloud (US)" });
    // What is not a partition is never repeated (a value the schema refuses may be anything).
    expect(partitionOfArn("arn:kR7vQ2mXp9LwZt4BnH8sJc3Yd6FgA1eU:iam::aws:policy/X")).toBeUndefined();
  });

  it("calls AWS Organizations where the instance's partition has it", () => {
    expect(organizationsRegion("eu-central-1")).toBe("us-east-1");
    expect(organizationsRegion("us-gov-east-1")).toBe("us-gov-west-1");
    expect(organizationsRegion("cn-north-1")).toBe("cn-northwest-1");
  });

  it("sign-in endpoints: us-east-1's has no region in its name", () => {
    expect(signInEndpoint("us-east-1")).toBe("https://signin.aws.amazon.com/saml");
    expect(signInEndpoint("eu-west-1")).toBe("https://eu-west-1.signin.aws.amazon.com/saml");
    expect(signInRegionOf("https://signin.aws.amazon.com/saml")).toBe("us-east-1");
    expect(signInRegionOf("https://ap-southeast-2.signin.aws.amazon.com/saml")).toBe("ap-southeast-2");
    expect(signInRegionOf("https://us-east-1.signin.aws.amazon.com/saml")).toBeUndefined();
    expect(signInRegionOf("https://eu-west-1.signin.aws.amazon.com/saml/x")).toBeUndefined();
    expect(signInRegionOf("https://signin.amazonaws.cn/saml")).toBeUndefined();
  });

  it("the trust policy allows every sign-in endpoint; import reads them back from the tool's shape only", () => {
    const eu = signInEndpoint("eu-west-1");
    const global = signInEndpoint("us-east-1");
    const one = trustPolicy("111111111111", "authentik");
    expect(JSON.parse(policyJson(one)).Statement[0].Condition).toEqual({ StringEquals: { "SAML:aud": global } });
    const two = trustPolicy("111111111111", "authentik", [eu, global]);
    expect(JSON.parse(policyJson(two)).Statement[0].Condition.StringEquals["SAML:aud"]).toEqual([eu, global].sort());
    // As IAM returns it: URL-encoded, another order.
    const fromAws = normalizePolicy(encodeURIComponent(JSON.stringify({ Version: "2012-10-17", Statement: [{ Action: "sts:AssumeRoleWithSAML", Effect: "Allow", Condition: { StringEquals: { "SAML:aud": [global, eu] } }, Principal: { Federated: "arn:aws:iam::111111111111:saml-provider/authentik" } }] })));
    expect(trustPolicyAudiences(fromAws, "111111111111", "authentik")?.sort()).toEqual([eu, global].sort());
    expect(trustPolicyAudiences(one, "111111111111", "authentik")).toEqual([global]);
    expect(trustPolicyAudiences(two, "222222222222", "authentik")).toBeUndefined();
    expect(trustPolicyAudiences(two, "111111111111", "other")).toBeUndefined();
    const elsewhere = normalizePolicy({ ...two, Statement: [{ ...(two.Statement as object[])[0], Condition: { StringEquals: { "SAML:aud": "https://example.com/saml" } } }] });
    expect(trustPolicyAudiences(elsewhere, "111111111111", "authentik")).toBeUndefined();
    const more = normalizePolicy({ ...two, Statement: [...(two.Statement as object[]), { Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] });
    expect(trustPolicyAudiences(more, "111111111111", "authentik")).toBeUndefined();
  });

  it("identity-center in GovCloud: validates, and the permissions it prints are GovCloud ARNs", () => {
    const text = example
      .replace("region: us-east-1", "region: us-gov-west-1")
      .replace("https://scim.us-east-1.", "https://scim.us-gov-west-1.")
      .replaceAll("arn:aws:iam::aws:policy/", "arn:aws-us-gov:iam::aws:policy/");
    const result = validateConfigText("ic.yaml", text);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    for (const phase of ["plan", "apply"] as const) {
      const text = JSON.stringify(awsPolicies(result.config!, { phase, prune: true }).policies);
      expect(text).toContain("arn:aws-us-gov:sso:::");
      expect(text).not.toMatch(/arn:aws:/);
    }
  });
});
