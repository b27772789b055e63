import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, toIsoDuration } from "../../src/config/durations.js";
import { didYouMean } from "../../src/util/did-you-mean.js";

describe("durations", () => {
  it.each([
    [3600, 3600],
    ["4h", 14400],
    ["1h30m", 5400],
    ["900s", 900],
    ["PT4H", 14400],
    ["PT1H30M", 5400],
    ["0h", undefined],
    ["4 hours", undefined],
    [0, undefined],
  ] as const)("parseDuration(%j) = %j", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it("formats back", () => {
    expect(toIsoDuration(14400)).toBe("PT4H");
    expect(toIsoDuration(5400)).toBe("PT1H30M");
    expect(formatDuration(900)).toBe("15m");
    expect(formatDuration(3661)).toBe("1h1m1s");
  });
});

describe("didYouMean", () => {
  it("finds near misses and truncations but not unrelated words", () => {
    expect(didYouMean("rolse", ["roles", "mappings"])).toBe("roles");
    expect(didYouMean("classic", ["classic-iam", "identity-center"])).toBe("classic-iam");
    expect(didYouMean("Roles", ["roles"])).toBe("roles");
    expect(didYouMean("xyz", ["roles", "mappings"])).toBeUndefined();
    expect(didYouMean("ab", ["cd"])).toBeUndefined();
  });
});
