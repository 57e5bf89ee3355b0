// The closing lines of `npm test`, from the runners' JSON reports. The last line,
// `Tests: N passed, M failed` (`, K skipped` when some were), is what CI reads: it stays alone on
// its line and in that form. The line before it gives each suite's count and the run's duration.
import path from "node:path";

/** The vitest suites, in the order they are reported; the browser suite (Playwright) follows. */
export const VITEST_SUITES = ["unit", "api", "live"];

/**
 * The suite of a vitest test file: `unit` (tests/unit), `live` (tests/api/live-*: the live
 * adapters against the HTTPS emulator), `api` (the rest of tests/api); `other` for anything else.
 */
export function suiteOf(file, root) {
  const rel = path.relative(root, file).split(path.sep).join("/");
  if (rel.startsWith("tests/unit/")) return "unit";
  if (rel.startsWith("tests/api/")) return path.posix.basename(rel).startsWith("live-") ? "live" : "api";
  return "other";
}

const none = () => ({ passed: 0, failed: 0, skipped: 0 });

/**
 * A vitest JSON report counted per suite (testResults[].name is the file's path). A file that
 * failed without a failed test (it did not load, or a hook before its tests threw) is one failure.
 */
export function countVitest(report, root) {
  const counts = {};
  for (const file of report.testResults ?? []) {
    const suite = (counts[suiteOf(file.name, root)] ??= none());
    let failed = 0;
    for (const test of file.assertionResults ?? []) {
      if (test.status === "passed") suite.passed++;
      else if (test.status === "failed") failed++;
      else suite.skipped++; // skipped, pending, todo
    }
    suite.failed += failed || (file.status === "failed" ? 1 : 0);
  }
  return counts;
}

/** A Playwright JSON report counted: flaky tests passed in the end; errors outside tests are failures. */
export function countPlaywright(report) {
  return {
    passed: (report.stats?.expected ?? 0) + (report.stats?.flaky ?? 0),
    failed: (report.stats?.unexpected ?? 0) + (report.errors?.length ?? 0),
    skipped: report.stats?.skipped ?? 0,
  };
}

/**
 * The two closing lines: each suite's passed/run (and skipped), or why it did not run, with the
 * duration; then the totals.
 * @param {{ name: string, passed?: number, failed?: number, skipped?: number, notRun?: string }[]} suites
 */
export function summaryLines(suites, seconds) {
  const parts = suites.map((s) => {
    if (s.notRun) return `${s.name} NOT run: ${s.notRun}`;
    const { passed = 0, failed = 0, skipped = 0 } = s;
    return `${s.name} ${passed}/${passed + failed} passed${skipped ? ` (${skipped} skipped)` : ""}`;
  });
  const sum = (k) => suites.reduce((n, s) => n + (s[k] ?? 0), 0);
  const skipped = sum("skipped");
  return [
    `${parts.join(", ")}; ${Math.round(seconds)} s`,
    `Tests: ${sum("passed")} passed, ${sum("failed")} failed${skipped ? `, ${skipped} skipped` : ""}`,
  ];
}
