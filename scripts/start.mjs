// npm start: build when needed, then serve the production app on http://localhost:3000
// (PORT to change it). Without Azure credentials it runs the simulated tenant.
import { spawn } from "node:child_process";
import path from "node:path";
import { buildIfNeeded } from "./build-if-needed.mjs";
import { serverNodeFlags } from "./node-flags.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
buildIfNeeded();
const next = path.join(ROOT, "node_modules/next/dist/bin/next");
const child = spawn(process.execPath, [...serverNodeFlags(), next, "start", ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
