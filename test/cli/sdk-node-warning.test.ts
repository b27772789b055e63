import { STSClient } from "@aws-sdk/client-sts";
import { expect, it } from "vitest";

/**
 * The AWS SDK warns once per process under Node < 22 that its releases after
 * January 2027 will need Node 22 (NodeVersionSupportWarning). The CLI's bin
 * filters that one warning; the test run does too (test/support/silence-sdk-node-warning.ts),
 * and lets every other warning through.
 */
it("the test run does not print the AWS SDK's Node-version warning, but prints other warnings", async () => {
  const seen: string[] = [];
  const listener = (w: Error) => seen.push(`${w.name}: ${w.message}`);
  process.on("warning", listener);
  try {
    new STSClient({ region: "us-east-1" });
    process.emitWarning("something else", "TestWarning");
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  expect(seen.filter((w) => w.includes("NodeVersionSupportWarning"))).toEqual([]);
  expect(seen).toContain("TestWarning: something else");
});
