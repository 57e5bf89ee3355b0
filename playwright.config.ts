// Playwright: the page at /mdr in Debian's Chromium, against the production build (`next build`
// first; npm test does it) in simulation mode, one fresh database per run.
//
// Two servers: the main one, and one with Microsoft Graph marked down (MDR_SIM_FAULTS) for the
// service-health tests. Playwright owns both (it starts them, waits for their "Ready", stops them).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { adminState } from "./tests/e2e/state";

// This file is evaluated by the runner and again by each worker; workers inherit the runner's
// environment, so whatever the runner picks here (database directory, password) they see too.
//
// The ports: each server listens on port 0 (unless MDR_E2E_PORT / MDR_E2E_FAULTS_PORT name one)
// and prints the port it bound; the runner reads it from that line into the environment
// (webServer.wait: a named group becomes an upper-cased variable) before any worker starts, so
// the workers' evaluation of this file finds it. Nothing is chosen and then released for another
// process to take before the server binds it. The runner's own first evaluation has no port yet
// (port 0 below); it never uses these URLs.
if (!process.env.MDR_E2E_DIR) {
  process.env.MDR_E2E_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-e2e-"));
  process.env.MDR_E2E_DIR_TEMP = "1"; // made here: removed by the global teardown
}
// The first admin's password on both servers' fresh databases; the setup project signs in with it.
process.env.MDR_E2E_ADMIN_PASSWORD ??= randomBytes(18).toString("base64url");

const dir = process.env.MDR_E2E_DIR;
const mainUrl = `http://127.0.0.1:${process.env.MDR_E2E_PORT ?? 0}`;
const faultsUrl = `http://127.0.0.1:${process.env.MDR_E2E_FAULTS_PORT ?? 0}`;

/** `portVariable`: where the port goes (MDR_E2E_PORT); set beforehand, the server listens there. */
function server(portVariable: "MDR_E2E_PORT" | "MDR_E2E_FAULTS_PORT", name: string, env: Record<string, string> = {}) {
  const group = portVariable.toLowerCase();
  return {
    name,
    command: `node node_modules/next/dist/bin/next start -p ${process.env[portVariable] ?? 0} -H 127.0.0.1`,
    // Ready once it printed the port it listens on, then "Ready" (requests wait for the app's start).
    wait: { stdout: new RegExp(`- Local:\\s+http://127\\.0\\.0\\.1:(?<${group}>\\d+)[\\s\\S]*Ready in`) },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore" as const,
    stderr: "pipe" as const,
    gracefulShutdown: { signal: "SIGTERM" as const, timeout: 5_000 },
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      NODE_ENV: "production",
      MDR_MODE: "simulation",
      MDR_DB_PATH: path.join(dir, `${name}.db`),
      MDR_SIM_FAULTS: "",
      MDR_SIM_FAILURE_RATE: "0",
      // An isolation stays Pending 1 s, then InProgress 1 s: slow enough to watch, quick for a test.
      MDR_SIM_STEP_MS: "1000",
      MDR_POLL_INTERVAL_MS: "300",
      MDR_SWEEP_INTERVAL_MS: "500",
      MDR_STATUS_TTL_SECONDS: "1",
      MDR_ADMIN_PASSWORD: process.env.MDR_E2E_ADMIN_PASSWORD!,
      // Polling every 300 ms would spend Defender's (simulated) rate limit; the limiter has its own suites.
      MDR_RATE_LIMIT_DEFENDER: "none",
      ...env,
    },
  };
}

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results/e2e",
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]] : "list",
  globalTeardown: "./tests/e2e/global-teardown.ts",
  tsconfig: "./tests/e2e/tsconfig.e2e.json",
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    },
  },
  projects: [
    // Each server's admin signs in once (auth.setup.ts); the page tests reuse that session.
    { name: "sign-in", testMatch: /auth\.setup\.ts/, use: { baseURL: mainUrl } },
    { name: "sign-in-graph-down", testMatch: /auth\.setup\.ts/, use: { baseURL: faultsUrl } },
    {
      name: "mdr",
      testIgnore: /(service-down|tenant-scope|bulk-queue)\.spec\.ts/,
      dependencies: ["sign-in"],
      use: { baseURL: mainUrl, viewport: { width: 1440, height: 900 }, storageState: adminState(mainUrl) },
    },
    {
      name: "graph-down",
      testMatch: /service-down\.spec\.ts/,
      dependencies: ["sign-in-graph-down"],
      use: { baseURL: faultsUrl, viewport: { width: 1440, height: 900 }, storageState: adminState(faultsUrl) },
    },
    // Two tenants in live mode: the spec starts its own emulator and server (beforeAll) and signs in itself.
    { name: "tenant-scope", testMatch: /tenant-scope\.spec\.ts/, use: { viewport: { width: 1440, height: 900 } } },
    // Defender held to 2 calls a second, so a list waits in the queue: the spec starts its own simulation server.
    { name: "bulk-queue", testMatch: /bulk-queue\.spec\.ts/, use: { viewport: { width: 1440, height: 900 } } },
  ],
  webServer: [server("MDR_E2E_PORT", "mdr"), server("MDR_E2E_FAULTS_PORT", "graph-down", { MDR_SIM_FAULTS: "graph:down" })],
});
