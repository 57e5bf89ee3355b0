// The closing lines of `npm test` (scripts/test-summary.mjs): vitest's files counted per suite from
// their paths, Playwright's as the browser suite, and a last line CI can parse.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { countPlaywright, countVitest, suiteOf, summaryLines } from "@/scripts/test-summary.mjs";

const ROOT = "/repo";
/** A vitest JSON report's file entry: its absolute path, its tests' statuses, the file's status. */
const file = (rel: string, statuses: string[], status = statuses.includes("failed") ? "failed" : "passed") => ({
  name: path.join(ROOT, rel),
  status,
  assertionResults: statuses.map((s, i) => ({ title: `t${i}`, status: s })),
});
/** What CI reads. */
const LAST_LINE = /^Tests: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;

describe("npm test's summary", () => {
  it("files go to unit (tests/unit), live (tests/api/live-*) or api (the rest of tests/api)", () => {
    expect(
      Object.fromEntries(
        [
          "tests/unit/schemas.test.ts",
          "tests/unit/live-providers.test.ts",
          "tests/api/auth-matrix.test.ts",
          "tests/api/lifecycle.test.ts",
          "tests/api/live-lifecycle.test.ts",
          "tests/api/live-graph.test.ts",
          "tests/elsewhere/x.test.ts",
        ].map((rel) => [rel, suiteOf(path.join(ROOT, rel), ROOT)]),
      ),
    ).toEqual({
      "tests/unit/schemas.test.ts": "unit",
      "tests/unit/live-providers.test.ts": "unit",
      "tests/api/auth-matrix.test.ts": "api",
      "tests/api/lifecycle.test.ts": "api",
      "tests/api/live-lifecycle.test.ts": "live",
      "tests/api/live-graph.test.ts": "live",
      "tests/elsewhere/x.test.ts": "other",
    });
  });

  it("counts each suite's passed, failed and skipped tests; a file that failed without a failed test is one failure", () => {
    const report = {
      testResults: [
        file("tests/unit/schemas.test.ts", ["passed", "passed", "skipped", "todo"]),
        file("tests/unit/gate.test.ts", ["passed", "failed", "pending"]),
        file("tests/api/auth-matrix.test.ts", ["passed", "passed", "passed"]),
        // Its beforeAll threw: no test failed, the file did.
        file("tests/api/revert.test.ts", ["skipped", "skipped"], "failed"),
        file("tests/api/live-graph.test.ts", ["passed", "failed", "failed"]),
      ],
    };
    expect(countVitest(report, ROOT)).toEqual({
      unit: { passed: 3, failed: 1, skipped: 3 },
      api: { passed: 3, failed: 1, skipped: 2 },
      live: { passed: 1, failed: 2, skipped: 0 },
    });
  });

  it("counts Playwright's flaky tests as passed and its errors outside tests as failures", () => {
    expect(countPlaywright({ stats: { expected: 40, flaky: 2, unexpected: 1, skipped: 3 }, errors: [{}] })).toEqual({
      passed: 42,
      failed: 2,
      skipped: 3,
    });
    expect(countPlaywright({})).toEqual({ passed: 0, failed: 0, skipped: 0 });
  });

  it("the breakdown and duration on the line before; the totals alone on the last, in CI's form", () => {
    const lines = summaryLines(
      [
        { name: "unit", passed: 500, failed: 0, skipped: 0 },
        { name: "api", passed: 300, failed: 2, skipped: 1 },
        { name: "live", passed: 120, failed: 0, skipped: 0 },
        { name: "browser", passed: 50, failed: 1, skipped: 2 },
      ],
      312.4,
    );
    expect(lines).toEqual([
      "unit 500/500 passed, api 300/302 passed (1 skipped), live 120/120 passed, browser 50/51 passed (2 skipped); 312 s",
      "Tests: 970 passed, 3 failed, 3 skipped",
    ]);
    expect(lines[1]).toMatch(LAST_LINE);
  });

  it("without skipped tests the last line has no skipped part; a suite not run says why", () => {
    const [breakdown, last] = summaryLines(
      [
        { name: "unit", passed: 5, failed: 0, skipped: 0 },
        { name: "api", passed: 0, failed: 0, skipped: 0 },
        { name: "live", passed: 2, failed: 0, skipped: 0 },
        { name: "browser", notRun: "no Chromium (see above)" },
      ],
      9,
    );
    expect(breakdown).toBe("unit 5/5 passed, api 0/0 passed, live 2/2 passed, browser NOT run: no Chromium (see above); 9 s");
    expect(last).toBe("Tests: 7 passed, 0 failed");
    expect(last).toMatch(LAST_LINE);
  });
});
