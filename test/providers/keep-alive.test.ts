import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

describe("what a pending request waits on keeps the process alive", () => {
  // An unref()'d timer or handle lets Node exit (code 13, "unsettled top-level await")
  // while a request still waits on it. In-process tests cannot see that: the test
  // runner keeps the loop alive. So: none in the tool's code at all.
  it("no unref() anywhere in src/", () => {
    const offenders = sources(path.join(root, "src")).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) => (/\.unref\s*\??\.?\s*\(/.test(line) ? [`${path.relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it("the Identity Center rate limiter holds a process open while requests wait for tokens", async () => {
    // Run as the CLI runs, in a process of its own with nothing else on its event loop.
    const script = `
      const { createRateLimiter } = await import(${JSON.stringify(path.join(root, "lib", "src", "providers", "aws", "sso-clients.js"))});
      const limiter = createRateLimiter(20, 1);
      await Promise.all(Array.from({ length: 4 }, () => limiter.take()));
      console.log("all four requests got a token");`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { timeout: 30_000 });
    expect(stdout).toBe("all four requests got a token\n");
  });
});
