// npm test: every test. Builds the production app when needed (the API tests run against it),
// then runs the unit and API suites and prints one summary line.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildIfNeeded } from "./build-if-needed.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

buildIfNeeded();

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-test-")), "vitest.json");
const vitest = spawnSync(
  process.execPath,
  [path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
  { cwd: ROOT, stdio: "inherit", env },
);

let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(report)) {
  const r = JSON.parse(fs.readFileSync(report, "utf8"));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = r.numPendingTests + r.numTodoTests;
}
console.log(`\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
if (vitest.status !== 0 || failed > 0 || passed === 0) process.exit(vitest.status || 1);
