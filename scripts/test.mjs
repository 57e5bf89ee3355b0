// npm test: every test. Builds the production app when needed (the API tests run against it),
// then runs the unit and API suites.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { buildIfNeeded } from "./build-if-needed.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

buildIfNeeded();
run([path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run"]);
