import "server-only";
import { type Config, config } from "@/lib/config";
import { type Db, getDb } from "@/lib/db/client";
import { perService } from "@/lib/mdr/providers/facts";
import { CallGate } from "@/lib/mdr/providers/gate";
import { createSimulatedProviders } from "@/lib/mdr/providers/simulation";
import type { Providers } from "@/lib/mdr/providers/types";

/** Everything a verb needs, passed in so tests can give their own database, providers and clock. */
export interface MdrContext {
  db: Db;
  providers: Providers;
  config: Config;
  actor: string;
  /** The tenants the caller may see and act in (lower-case ids); null: every configured tenant. */
  scope: readonly string[] | null;
  /** The caller's address, where known (for the security audit log). */
  ip?: string | null;
  now: () => number;
}

/** Who a context acts for: the audit log's actor and the tenants it may see (null: all). */
export interface Caller {
  actor: string;
  scope: readonly string[] | null;
  ip?: string | null;
}

/** The background loops: every tenant. */
export const SYSTEM: Caller = { actor: "system", scope: null };

/** The rate limiter and circuit breaker of the configuration. */
export function createGate(cfg: Config): CallGate {
  return new CallGate({
    limits: cfg.rateLimits,
    lanes: cfg.rateLanes,
    maxQueueWaitMs: cfg.rateQueueMaxWaitMs,
    // Calls in flight at once per service and tenant: each system's facts.
    concurrency: perService((_, f) => f.limits.concurrency),
    // 10%: a call let go at the end of one window may arrive in the next; 90 a minute are at most
    // 90 in 66 s as Defender counts them, well under its 100.
    windowMargin: 0.1,
    breakerThreshold: cfg.breaker.threshold,
    breakerCooldownMs: cfg.breaker.cooldownMs,
  });
}

export function createProviders(cfg: Config): Providers {
  const gate = createGate(cfg);
  if (cfg.mode === "live") {
    // Loaded in live mode only: the cloud SDKs behind it take about 100 MB of memory that a
    // simulation never uses.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLiveProviders } = require("@/lib/mdr/providers/live") as typeof import("@/lib/mdr/providers/live");
    return createLiveProviders(cfg, gate);
  }
  return createSimulatedProviders({
    gate,
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

export function getContext(caller: Caller): MdrContext {
  return { db: getDb(), providers: getProviders(), config: config(), actor: caller.actor, scope: caller.scope, ip: caller.ip ?? null, now: Date.now };
}
