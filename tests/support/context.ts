// An in-process context on a fresh database file and a fresh simulated tenant, with a clock
// the test moves by hand.
import { parseConfig } from "@/lib/config";
import { type Db, openDb } from "@/lib/db/client";
import { type ActionRow, actions } from "@/lib/db/schema";
import type { MdrContext } from "@/lib/mdr/context";
import { createSimulatedProviders } from "@/lib/mdr/providers/simulation";
import type { Providers } from "@/lib/mdr/providers/types";
import { tempDbPath } from "./server";

export interface TestContext extends MdrContext {
  clock: { now: number; advance(ms: number): void };
}

export function testContext(
  opts: { env?: Record<string, string>; dbPath?: string; actor?: string; scope?: readonly string[]; providers?: Providers; start?: number } = {},
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
  return { db, providers, config: cfg, actor: opts.actor ?? "tester", scope: opts.scope ?? null, now: () => clock.now, clock };
}

/**
 * A row as a killed process leaves it, written straight to the database: pending, the provider
 * maybe called. A block on Defender made a second ago unless `over` says otherwise.
 */
export function orphanRow(ctx: TestContext, over: Partial<ActionRow>): ActionRow {
  const row: ActionRow = {
    id: `act_01JZ${String(Math.floor(Math.random() * 1e10)).padStart(22, "0")}`.slice(0, 30),
    type: "block_ip",
    status: "pending",
    target: "185.220.101.9",
    tenantId: "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d",
    provider: "defender",
    mode: "simulation",
    parameters: {},
    reason: null,
    requestedBy: "tester",
    providerRef: null,
    result: null,
    error: null,
    active: false,
    createdAt: ctx.clock.now - 1000,
    updatedAt: over.createdAt ?? ctx.clock.now - 1000,
    completedAt: null,
    expiresAt: ctx.clock.now + 3_600_000,
    reverts: null,
    revertedBy: null,
    ...over,
  };
  ctx.db.insert(actions).values(row).run();
  return row;
}
