// Work that runs on its own once per server process: settle rows an earlier process left pending,
// mirror Defender machine actions onto their rows, and end IP blocks whose time is up. All read
// their work from the database, so they resume after a restart.
import "server-only";
import { startCheckpointer } from "@/lib/db/checkpointer";
import { dbFile, refreshPlannerStatistics } from "@/lib/db/client";
import { expiredBlocks, findRunningUndo, machineActionsInProgress, patchAction, undoAttempts } from "@/lib/db/queries/actions";
import { forgetKeysOlderThan } from "@/lib/db/queries/idempotency";
import type { ActionRow } from "@/lib/db/schema";
import { addEvent, transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { machineActionFailure, machineActionOutcome } from "@/lib/mdr/machine-actions";
import { ProviderError } from "@/lib/mdr/providers/types";
import { type CallScope, runInScope } from "@/lib/mdr/providers/call-scope";
import { recoverOrphans } from "@/lib/mdr/recover";
import { unblockIp } from "@/lib/mdr/unblock-ip";

/** Polls every in-progress machine action once; returns how many rows changed. */
export async function pollMachineActions(ctx: MdrContext): Promise<number> {
  const open = machineActionsInProgress(ctx.db);
  let changed = 0;
  for (const row of open) {
    // Polls yield to actions under the rate limit: a poll without a free turn waits for the next round.
    if (await runInScope(POLLING, () => pollOne(ctx, row))) changed++;
  }
  return changed;
}

const POLLING: CallScope = { background: true, queued: () => {} };

async function pollOne(ctx: MdrContext, row: ActionRow): Promise<boolean> {
  if (row.providerRef === null) return false;
  let status;
  try {
    status = (await ctx.providers.endpoint.getMachineAction(row.tenantId, row.providerRef)).status;
  } catch (err) {
    if (err instanceof ProviderError && err.kind === "not_found") {
      transition(ctx, row, "failed", `Defender has no record of machine action ${row.providerRef}`, {
        error: (err as Error).message,
      });
      return true;
    }
    // A transient failure: the next round asks again.
    return false;
  }
  const last = row.result?.machine_action_status;
  if (status === last) return false;
  const result = { machine_action_status: status };
  switch (machineActionOutcome(status)) {
    case "succeeded": {
      const isolating = row.type === "isolate_endpoint";
      transition(ctx, row, "succeeded", `Defender: ${isolating ? "isolation" : "release"} Succeeded`, {
        result,
        active: isolating,
      });
      break;
    }
    case "failed":
      transition(ctx, row, "failed", `Defender: machine action ended ${status}`, {
        result,
        error: machineActionFailure({ id: row.providerRef, status }).message,
      });
      break;
    case "running":
      patchAction(ctx.db, row.id, { result: { ...(row.result ?? {}), ...result }, updatedAt: ctx.now() });
      addEvent(ctx, row.id, row.status, `Defender: machine action is ${status}`);
  }
  return true;
}

/** The longest wait between two attempts to end the same expired block. */
export const MAX_UNBLOCK_RETRY_MS = 3_600_000;

/**
 * Whether an expired block is due for an(other) unblock attempt. Not while an unblock of it is still
 * running (a revert by hand, say): a second one would race it to the same rule, and whichever came
 * second would find the rule gone or going and be recorded as refused. Each attempt that did not end
 * it (the provider was down, or its rule now says something else) is an audit row: retrying every
 * sweep would write one per interval for as long as the cause lasts. So the wait after the n-th
 * attempt is interval * 2^(n-1), at most an hour.
 */
function unblockDue(ctx: MdrContext, block: ActionRow): boolean {
  if (findRunningUndo(ctx.db, block.id)) return false;
  const attempts = undoAttempts(ctx.db, block.id, "unblock_ip");
  const last = attempts[0];
  if (!last) return true;
  const wait = Math.min(ctx.config.sweepIntervalMs * 2 ** (attempts.length - 1), MAX_UNBLOCK_RETRY_MS);
  return ctx.now() - last.createdAt >= wait;
}

/** Ends every block whose expiry has passed, as an unblock_ip action by `system`. */
export async function sweepExpiredBlocks(ctx: MdrContext): Promise<number> {
  const due = expiredBlocks(ctx.db, ctx.now());
  let ended = 0;
  for (const block of due) {
    if (!unblockDue(ctx, block)) continue;
    try {
      await unblockIp({ ctx, block, reason: `Expired at ${new Date(block.expiresAt!).toISOString()}` });
      ended++;
    } catch (err) {
      // Recorded as a failed (or rejected) unblock_ip action; the block stays active and a later
      // sweep retries, backing off (unblockDue).
      console.error(`[mdr] expiry of ${block.id} failed: ${(err as Error).message}`);
    }
  }
  return ended;
}

/** Idempotency keys are answered for 24 hours; older ones are deleted. */
export function forgetOldIdempotencyKeys(ctx: MdrContext): number {
  return forgetKeysOlderThan(ctx.db, ctx.now() - 24 * 3_600_000);
}

const state = globalThis as unknown as { __mdrBackground?: { timers: NodeJS.Timeout[] } };

/** How often the checkpoint thread copies the write-ahead log back into the database file. */
const CHECKPOINT_INTERVAL_MS = 100;

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
      loop("machine action poll", ctx.config.pollIntervalMs, pollMachineActions),
      loop("expiry sweep", ctx.config.sweepIntervalMs, sweepExpiredBlocks),
      loop("idempotency key cleanup", 3_600_000, async (c) => forgetOldIdempotencyKeys(c)),
      loop("planner statistics", 3_600_000, async (c) => refreshPlannerStatistics(c.db)),
    ],
  };
  const file = dbFile(ctx.db);
  if (file !== null) startCheckpointer(file, { intervalMs: CHECKPOINT_INTERVAL_MS });
  // Rows cut off by a crash are settled first (an unblock left pending would hold its block back),
  // then blocks that expired while the server was down end now, not one interval later.
  void recover(ctx)
    .catch((err) => console.error("[mdr] recovery failed:", err))
    .then(() => sweepExpiredBlocks(ctx))
    .catch((err) => console.error("[mdr] expiry sweep failed:", err));
}
