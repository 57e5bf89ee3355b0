import fs from "node:fs";

// The run's databases live in a temporary directory made by playwright.config.ts; keep them
// with MDR_E2E_KEEP=1 to look at what a run wrote.
export default function globalTeardown() {
  const dir = process.env.MDR_E2E_DIR;
  if (dir && process.env.MDR_E2E_DIR_TEMP === "1" && !process.env.MDR_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
}
