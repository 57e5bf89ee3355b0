// The product's own context for the in-process parts of the benchmark (floor, seeding): the real
// database code, migrations and simulated providers, with the clock given by the caller. Run with
// `node --conditions=react-server --import tsx` so that `server-only` lets lib/ load.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseConfig } from "@/lib/config";
import { openDb } from "@/lib/db/client";
import type { MdrContext } from "@/lib/mdr/context";
import { createSimulatedProviders } from "@/lib/mdr/providers/simulation";

export interface BenchContextOptions {
  dbPath?: string;
  /** Environment on top of the benchmark's simulation settings (instant, no failures). */
  env?: Record<string, string>;
  now?: () => number;
  random?: () => number;
}

export function benchContext(opts: BenchContextOptions = {}): MdrContext {
  const dbPath = opts.dbPath ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-bench-")), "mdr.db");
  const cfg = parseConfig({
    MDR_MODE: "simulation",
    MDR_DB_PATH: dbPath,
    MDR_SIM_STEP_MS: "0",
    MDR_SIM_FAILURE_RATE: "0",
    ...opts.env,
  });
  const now = opts.now ?? Date.now;
  const providers = createSimulatedProviders({
    failureRate: cfg.sim.failureRate,
    faults: cfg.sim.faults,
    stepMs: cfg.sim.stepMs,
    extraDevices: cfg.sim.extraDevices,
    maxIndicators: cfg.sim.maxIndicators,
    nsgPriorityRange: cfg.nsgPriorityRange,
    naclRuleRange: cfg.naclRuleRange,
    now,
    random: opts.random,
  });
  return { db: openDb(dbPath), providers, config: cfg, actor: "anonymous", scope: null, now };
}

/** Reads `--name value` flags. */
export function flag(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}
