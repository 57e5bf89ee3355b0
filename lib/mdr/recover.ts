// Crash recovery: a row left `pending` by a process that died in the middle of a provider call
// (kill -9, a power cut) says nothing of what happened at the provider. At start the provider is
// asked, and the row is completed with what is really there: done (succeeded and active, or in
// progress for the poller to follow) or verified absent (failed, saying so). No row stays pending.
// How each kind asks is its own (its settle, lib/mdr/kinds/<kind>/settle.ts).
import "server-only";
import { pendingActionsBefore } from "@/lib/db/queries/actions";
import { transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { kindOf } from "@/lib/mdr/kinds";
import { escapeUnsafe } from "@/lib/text";

/** How long a row may wait for its provider to be reachable before it is closed as unknown. */
export const GIVE_UP_MS = 24 * 3_600_000;

/** Settles every row left pending by an earlier process; returns how many were settled. */
export async function recoverOrphans(ctx: MdrContext, startedAt: number): Promise<number> {
  const orphans = pendingActionsBefore(ctx.db, startedAt);
  let settled = 0;
  for (const row of orphans) {
    try {
      await kindOf(row.type).settle(ctx, row);
      settled++;
    } catch (err) {
      if (ctx.now() - row.createdAt > GIVE_UP_MS) {
        const message = `Outcome unknown: the provider could not be asked for ${GIVE_UP_MS / 3_600_000} h after a restart (${(err as Error).message})`;
        transition(ctx, row, "failed", message, { error: message });
        settled++;
      } else {
        // Unreachable for now: the next round asks again.
        console.error(`[mdr] recovery of ${row.id} must wait: ${escapeUnsafe((err as Error).message)}`);
      }
    }
  }
  return settled;
}
