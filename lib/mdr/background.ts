// Work that runs on its own once per server process: settle rows an earlier process left pending,
// and each kind's background work (lib/mdr/kinds/<kind>/): mirror Defender machine actions onto
// their rows, end IP blocks whose time is up; forward audit records to the SIEM. All read their work from the database, so they
// resume after a restart.
import "server-only";
import { signingKey, writeCheckpoint } from "@/lib/audit/chain";
import { pruneAudit } from "@/lib/audit/retention";
import { startCheckpointer } from "@/lib/db/checkpointer";
import { dbFile, refreshPlannerStatistics } from "@/lib/db/client";
import { forgetKeysOlderThan } from "@/lib/db/queries/idempotency";
import type { MdrContext } from "@/lib/mdr/context";
import { KINDS } from "@/lib/mdr/kinds";
import type { ActionKind } from "@/lib/mdr/kinds/kind";
import { drainQueue } from "@/lib/mdr/bulk/queue";
import { recoverOrphans } from "@/lib/mdr/recover";
import { startSiemForwarding } from "@/lib/mdr/siem/forwarder";

/** Runs one background piece of every kind that has it, one kind after the other; returns how many rows changed. */
async function everyKind(ctx: MdrContext, piece: keyof ActionKind["background"]): Promise<number> {
  let changed = 0;
  for (const kind of Object.values(KINDS) as ActionKind<never>[]) {
    const work = kind.background[piece];
    if (work) changed += await work(ctx);
  }
  return changed;
}

/** Every kind's polling of work still running at its provider (Defender's machine actions). */
export const pollKinds = (ctx: MdrContext) => everyKind(ctx, "poll");

/** Every kind's sweep of what ends on its own (blocks at their expiry). */
export const sweepKinds = (ctx: MdrContext) => everyKind(ctx, "sweep");

/** Idempotency keys are answered for 24 hours; older ones are deleted. */
export function forgetOldIdempotencyKeys(ctx: MdrContext): number {
  return forgetKeysOlderThan(ctx.db, ctx.now() - 24 * 3_600_000);
}

/**
 * Retention (MDR_AUDIT_RETENTION_DAYS): deletes the audit log's final records older than the cut
 * (lib/audit/retention.ts); nothing when it is unset. Returns the links deleted.
 */
export async function pruneOldAudit(ctx: MdrContext): Promise<number> {
  const days = ctx.config.audit.retentionDays;
  if (days === undefined) return 0;
  const r = await pruneAudit(ctx.db, signingKey(ctx.config, ctx.db), { days, now: ctx.now, actor: "system" });
  if (r.removed.links > 0) {
    console.log(
      `[mdr] Audit retention (${days} days): removed ${r.removed.actions} actions, ${r.removed.actionEvents} timeline events and ` +
        `${r.removed.auditEvents} security events before ${r.cutoff} (chain cut at link ${r.cut}) in ${r.seconds.toFixed(2)} s`,
    );
  }
  return r.removed.links;
}

const state = globalThis as unknown as { __mdrBackground?: { timers: NodeJS.Timeout[] } };

/** How often the checkpoint thread copies the write-ahead log back into the database file. */
const CHECKPOINT_INTERVAL_MS = 100;

/** How often the head of the audit chain is signed (when it moved). */
const AUDIT_CHECKPOINT_INTERVAL_MS = 3_600_000;

/** How often the audit log's retention runs (and once at start). */
const AUDIT_RETENTION_INTERVAL_MS = 3_600_000;

/** Starts the loops once per process. */
export function startBackground(makeContext: () => MdrContext): void {
  if (state.__mdrBackground) return;
  const ctx = makeContext();
  // Every row pending from before this moment was left by an earlier process: nothing runs it.
  const startedAt = ctx.now();
  // One settling pass at a time: the first one at start and the loop's must not settle a row twice.
  let settling: Promise<number> | undefined;
  const recover = (c: MdrContext) =>
    (settling ??= recoverOrphans(c, startedAt).finally(() => {
      settling = undefined;
    }));
  const loop = (name: string, every: number, work: (c: MdrContext) => Promise<unknown>) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work(ctx)
        .catch((err) => console.error(`[mdr] ${name} failed:`, err))
        .finally(() => {
          running = false;
        });
    }, every);
    timer.unref();
    return timer;
  };
  state.__mdrBackground = {
    timers: [
      loop("recovery", ctx.config.sweepIntervalMs, recover),
      loop("poll", ctx.config.pollIntervalMs, pollKinds),
      // A bulk's targets that had no turn within their request, once recovery has settled what a
      // crash cut off (a target taken from the queue and left pending is settled, never run again).
      loop("bulk queue", ctx.config.queueIntervalMs, async (c) => (settling ? 0 : drainQueue(c))),
      loop("sweep", ctx.config.sweepIntervalMs, sweepKinds),
      loop("idempotency key cleanup", 3_600_000, async (c) => forgetOldIdempotencyKeys(c)),
      loop("planner statistics", 3_600_000, async (c) => refreshPlannerStatistics(c.db)),
      loop("audit checkpoint", AUDIT_CHECKPOINT_INTERVAL_MS, async (c) => writeCheckpoint(c.db, signingKey(c.config, c.db), "hourly", c.now())),
      loop("audit retention", AUDIT_RETENTION_INTERVAL_MS, pruneOldAudit),
    ],
  };
  // At shutdown (SIGTERM, SIGINT: the server exits through process.exit) the head is signed too;
  // better-sqlite3 is synchronous, so this runs to its end in the exit handler.
  process.once("exit", () => {
    try {
      writeCheckpoint(ctx.db, signingKey(ctx.config, ctx.db), "shutdown", ctx.now());
    } catch (err) {
      console.error("[mdr] the shutdown checkpoint of the audit log failed:", err);
    }
  });
  // Audit records to the SIEM destinations, from the outbox, apart from any request.
  startSiemForwarding(ctx.db, ctx.config.siem, ctx.now);
  const file = dbFile(ctx.db);
  if (file !== null) startCheckpointer(file, { intervalMs: CHECKPOINT_INTERVAL_MS });
  // Rows cut off by a crash are settled first (an unblock left pending would hold its block back),
  // then blocks that expired while the server was down end now, not one interval later.
  void recover(ctx)
    .catch((err) => console.error("[mdr] recovery failed:", err))
    .then(() => sweepKinds(ctx))
    .catch((err) => console.error("[mdr] sweep failed:", err))
    .then(() => pruneOldAudit(ctx))
    .catch((err) => console.error("[mdr] audit retention failed:", err));
}
