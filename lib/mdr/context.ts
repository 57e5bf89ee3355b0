import "server-only";
import { type Config, config } from "@/lib/config";
import { type Db, getDb } from "@/lib/db/client";
import { createSimulatedProviders } from "@/lib/mdr/providers/simulation";
import type { Providers } from "@/lib/mdr/providers/types";

/** Everything a verb needs, passed in so tests can give their own database, providers and clock. */
export interface MdrContext {
  db: Db;
  providers: Providers;
  config: Config;
  actor: string;
  now: () => number;
}

export function createProviders(cfg: Config): Providers {
  if (cfg.mode === "live") {
    // Loaded in live mode only: the cloud SDKs behind it take about 100 MB of memory that a
    // simulation never uses.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLiveProviders } = require("@/lib/mdr/providers/live") as typeof import("@/lib/mdr/providers/live");
    return createLiveProviders(cfg);
  }
  return createSimulatedProviders({
    failureRate: cfg.sim.failureRate,
    faults: cfg.sim.faults,
    stepMs: cfg.sim.stepMs,
    extraDevices: cfg.sim.extraDevices,
    maxIndicators: cfg.sim.maxIndicators,
    nsgPriorityRange: cfg.nsgPriorityRange,
    naclRuleRange: cfg.naclRuleRange,
  });
}

const cache = globalThis as unknown as { __mdrProviders?: Providers };

export function getProviders(): Providers {
  cache.__mdrProviders ??= createProviders(config());
  return cache.__mdrProviders;
}

export function getContext(actor: string): MdrContext {
  return { db: getDb(), providers: getProviders(), config: config(), actor, now: Date.now };
}
