// npm test: every test. Builds the production app when needed (the API and end-to-end tests run
// against it), runs the unit and API suites (vitest), then the page's suite (Playwright, in
// Debian's Chromium), and prints one summary line for both.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildIfNeeded } from "./build-if-needed.mjs";
import { ensureChromium } from "./ensure-chromium.mjs";

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
  const out = { name: "vitest", status: run.status ?? 1, passed: 0, failed: 0, skipped: 0 };
  if (fs.existsSync(report)) {
    const r = JSON.parse(fs.readFileSync(report, "utf8"));
    out.passed = r.numPassedTests;
    out.failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    out.skipped = r.numPendingTests + r.numTodoTests;
  }
  return out;
}

function runPlaywright(chromium) {
  const report = path.join(reports, "playwright.json");
  const run = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules/@playwright/test/cli.js"), "test", "--reporter=list,json"],
    { cwd: ROOT, stdio: "inherit", env: { ...env, CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: report } },
  );
  const out = { name: "playwright", status: run.status ?? 1, passed: 0, failed: 0, skipped: 0 };
  if (fs.existsSync(report)) {
    const r = JSON.parse(fs.readFileSync(report, "utf8"));
    out.passed = (r.stats?.expected ?? 0) + (r.stats?.flaky ?? 0);
    out.failed = (r.stats?.unexpected ?? 0) + (r.errors?.length ?? 0);
    out.skipped = r.stats?.skipped ?? 0;
  }
  if (out.failed > 0) printErrorContexts(path.join(ROOT, "test-results/e2e"));
  return out;
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

const suites = [runVitest()];
console.log("\nEnd-to-end tests (Playwright, /mdr in Chromium)…");
const chromium = ensureChromium();
if (chromium) suites.push(runPlaywright(chromium));

const sum = (k) => suites.reduce((n, s) => n + s[k], 0);
const passed = sum("passed");
const failed = sum("failed");
const skipped = sum("skipped");
const detail = suites.map((s) => `${s.name} ${s.passed}/${s.passed + s.failed}`).join(", ");
const notRun = chromium ? "" : "; end-to-end suite NOT run: no Chromium (see above)";
console.log(
  `\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""} (${detail}; ${Math.round((Date.now() - started) / 1000)} s${notRun})`,
);
const broken = suites.some((s) => s.status !== 0 || s.passed === 0);
if (!chromium || failed > 0 || broken) process.exit(1);
