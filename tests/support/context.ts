// An in-process context on a fresh database file and a fresh simulated tenant, with a clock
// the test moves by hand.
import { parseConfig } from "@/lib/config";
import { type Db, openDb } from "@/lib/db/client";
import type { MdrContext } from "@/lib/mdr/context";
import { createSimulatedProviders } from "@/lib/mdr/providers/simulation";
import type { Providers } from "@/lib/mdr/providers/types";
import { tempDbPath } from "./server";

export interface TestContext extends MdrContext {
  clock: { now: number; advance(ms: number): void };
}

export function testContext(
  opts: { env?: Record<string, string>; dbPath?: string; actor?: string; providers?: Providers; start?: number } = {},
): TestContext {
  const cfg = parseConfig({ MDR_SIM_STEP_MS: "1000", ...opts.env });
  const clock = {
    now: opts.start ?? Date.parse("2026-11-28T12:00:00Z"),
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const db: Db = openDb(opts.dbPath ?? tempDbPath("unit"));
  const providers =
    opts.providers ??
    createSimulatedProviders({
      failureRate: cfg.sim.failureRate,
      faults: cfg.sim.faults,
      stepMs: cfg.sim.stepMs,
      extraDevices: cfg.sim.extraDevices,
      nsgPriorityRange: cfg.nsgPriorityRange,
      naclRuleRange: cfg.naclRuleRange,
      now: () => clock.now,
      random: () => 0.5,
    });
  return { db, providers, config: cfg, actor: opts.actor ?? "tester", now: () => clock.now, clock };
}
