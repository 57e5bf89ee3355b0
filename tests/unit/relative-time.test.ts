// The page's relative times (components/mdr/time.tsx): a time a little ahead of the browser's clock
// (a row the server made a moment ago) reads "just now"; real future times keep saying when.
import { describe, expect, it } from "vitest";
import { CLOCK_SKEW_MS, relative } from "@/components/mdr/time";

const NOW = Date.parse("2026-11-28T22:41:07.000Z");
const at = (ms: number) => new Date(NOW + ms).toISOString();

describe("relative", () => {
  it("a time 300 ms ahead of the clock (the server's clock a little ahead) is just now", () => {
    expect(relative(at(300), NOW)).toBe("just now");
  });

  it("clamps every future time under a minute, and no further", () => {
    expect([1, 4_999, 5_000, 30_000, CLOCK_SKEW_MS - 1].map((ms) => relative(at(ms), NOW))).toEqual([
      "just now",
      "just now",
      "just now",
      "just now",
      "just now",
    ]);
    expect(relative(at(CLOCK_SKEW_MS), NOW)).toBe("in 1m");
    expect(relative(at(CLOCK_SKEW_MS + 30_000), NOW)).toBe("in 1m");
  });

  it("an expiry in 3 hours, or 2 days, says so", () => {
    expect(relative(at(3 * 3_600_000), NOW)).toBe("in 3h");
    expect(relative(at(2 * 86_400_000 + 5_000), NOW)).toBe("in 2d");
  });

  it("past times are unchanged: just now under 5 s, then seconds, minutes, hours, days ago", () => {
    expect([0, -300, -4_400, -12_000, -125_000, -3 * 3_600_000, -3 * 86_400_000].map((ms) => relative(at(ms), NOW))).toEqual([
      "just now",
      "just now",
      "just now",
      "12s ago",
      "2m ago",
      "3h ago",
      "3d ago",
    ]);
  });
});
