// npm test: every test. Builds the production app when needed (the API and end-to-end tests run
// against it), runs the unit and API suites (vitest), then the page's suite (Playwright, in
// Debian's Chromium), and closes with each suite's count (unit, api, live, browser) and the
// duration, then the totals alone on the last line (scripts/test-summary.mjs).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildIfNeeded } from "./build-if-needed.mjs";
import { ensureChromium } from "./ensure-chromium.mjs";
import { VITEST_SUITES, countPlaywright, countVitest, summaryLines } from "./test-summary.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const reports = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-test-"));
const started = Date.now();

buildIfNeeded();

function runVitest() {
  const report = path.join(reports, "vitest.json");
  const run = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    { cwd: ROOT, stdio: "inherit", env },
  );
  // Per suite, from each file's path; none when vitest wrote no report.
  const counts = fs.existsSync(report) ? countVitest(JSON.parse(fs.readFileSync(report, "utf8")), ROOT) : {};
  return { status: run.status ?? 1, counts };
}

function runPlaywright(chromium) {
  const report = path.join(reports, "playwright.json");
  const run = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules/@playwright/test/cli.js"), "test", "--reporter=list,json"],
    { cwd: ROOT, stdio: "inherit", env: { ...env, CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: report } },
  );
  const counts = fs.existsSync(report)
    ? countPlaywright(JSON.parse(fs.readFileSync(report, "utf8")))
    : { passed: 0, failed: 0, skipped: 0 };
  if (counts.failed > 0) printErrorContexts(path.join(ROOT, "test-results/e2e"));
  return { status: run.status ?? 1, counts: { browser: counts } };
}

/**
 * What the page showed when a browser test failed (Playwright's error-context.md: the page's
 * accessibility snapshot), printed so that a failure on a CI machine can be read from its log.
 */
function printErrorContexts(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { recursive: true })) {
    if (path.basename(String(entry)) !== "error-context.md") continue;
    const file = path.join(dir, String(entry));
    console.log(`\n--- ${path.relative(ROOT, file)} ---\n${fs.readFileSync(file, "utf8").slice(0, 20_000)}`);
  }
}

const runners = [runVitest()];
console.log("\nEnd-to-end tests (Playwright, /mdr in Chromium)…");
const chromium = ensureChromium();
if (chromium) runners.push(runPlaywright(chromium));

const counts = Object.assign({}, ...runners.map((r) => r.counts));
const none = { passed: 0, failed: 0, skipped: 0 };
const suites = [
  ...VITEST_SUITES.map((name) => ({ name, ...(counts[name] ?? none) })),
  // A vitest file outside tests/unit and tests/api (none today) still counts.
  ...(counts.other ? [{ name: "other", ...counts.other }] : []),
  chromium ? { name: "browser", ...counts.browser } : { name: "browser", notRun: "no Chromium (see above)" },
];
const [breakdown, totals] = summaryLines(suites, (Date.now() - started) / 1000);
console.log(`\n${breakdown}`);
console.log(totals);
const failed = suites.reduce((n, s) => n + (s.failed ?? 0), 0);
// A runner that exited non-zero or passed nothing is broken, whatever its counts say.
const passedBy = (r) => Object.values(r.counts).reduce((n, c) => n + c.passed, 0);
const broken = runners.some((r) => r.status !== 0 || passedBy(r) === 0);
if (!chromium || failed > 0 || broken) process.exit(1);
