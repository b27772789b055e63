// GitHub's limits as the Action measures them: a job summary in UTF-8 bytes, and where
// the token's login is asked (GraphQL, next to the REST base).
import { describe, expect, it } from "vitest";
import { graphqlUrlFor } from "../../src/action/github.js";
import { fitBytes, JOB_SUMMARY_LIMIT_BYTES, truncateUtf8 } from "../../src/action/summary.js";

describe("job summary limit", () => {
  it("is 1 MiB", () => {
    expect(JOB_SUMMARY_LIMIT_BYTES).toBe(1_048_576);
  });

  it("truncateUtf8 keeps whole characters within the byte budget", () => {
    expect(truncateUtf8("abc", 10)).toBe("abc");
    expect(truncateUtf8("説明説明", 7)).toBe("説明"); // 3 bytes each
    expect(truncateUtf8("a🙂b", 4)).toBe("a"); // the emoji takes 4 bytes and is never split
    expect(truncateUtf8("a🙂b", 5)).toBe("a🙂");
    expect(truncateUtf8("é".repeat(10), 5)).toBe("éé");
  });

  it("fitBytes renders again with a smaller limit until the bytes fit", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${i} 読み取り専用`);
    const limits: number[] = [];
    const render = (maxLength: number) => {
      limits.push(maxLength);
      const kept: string[] = [];
      let length = 0;
      for (const l of lines) {
        if (length + l.length + 1 > maxLength - 10) break;
        kept.push(l);
        length += l.length + 1;
      }
      return `${kept.join("\n")}\n(cut)`;
    };
    const text = fitBytes(20_000, render);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(20_000);
    expect(Buffer.byteLength(text)).toBeGreaterThan(18_000);
    expect(text.endsWith("(cut)")).toBe(true);
    expect(limits[0]).toBe(20_000);
    expect(limits.length).toBeLessThanOrEqual(6);
    // ASCII fits at once
    expect(fitBytes(100, () => "x".repeat(100))).toBe("x".repeat(100));
  });
});

describe("GraphQL endpoint", () => {
  it("is what the runner says, else next to the REST base", () => {
    expect(graphqlUrlFor("https://api.github.com", { GITHUB_GRAPHQL_URL: "https://api.github.com/graphql" })).toBe("https://api.github.com/graphql");
    expect(graphqlUrlFor("https://api.github.com/")).toBe("https://api.github.com/graphql");
    // GitHub Enterprise Server: REST at /api/v3, GraphQL at /api/graphql
    expect(graphqlUrlFor("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com/api/graphql");
    expect(graphqlUrlFor("http://127.0.0.1:4000")).toBe("http://127.0.0.1:4000/graphql");
  });
});
