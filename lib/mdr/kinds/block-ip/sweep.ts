// Blocks end on their own: at expires_at the sweep removes the rule, as an unblock_ip action by
// `system`, and retries with a growing wait while it cannot.
import "server-only";
import { escapeUnsafe } from "@/lib/text";
import { expiredOfType, findRunningUndo, undoAttempts } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import type { MdrContext } from "@/lib/mdr/context";
import { BLOCK_IP } from "@/lib/mdr/kinds/block-ip/meta";
import { unblockIp } from "@/lib/mdr/kinds/block-ip/unblock";

const [BLOCK, UNBLOCK] = BLOCK_IP.kinds;

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
  const attempts = undoAttempts(ctx.db, block.id, UNBLOCK.type);
  const last = attempts[0];
  if (!last) return true;
  const wait = Math.min(ctx.config.sweepIntervalMs * 2 ** (attempts.length - 1), MAX_UNBLOCK_RETRY_MS);
  return ctx.now() - last.createdAt >= wait;
}

/** Ends every block whose expiry has passed, as an unblock_ip action by `system`. */
export async function sweepExpiredBlocks(ctx: MdrContext): Promise<number> {
  const due = expiredOfType(ctx.db, BLOCK.type, ctx.now());
  let ended = 0;
  for (const block of due) {
    if (!unblockDue(ctx, block)) continue;
    try {
      await unblockIp({ ctx, block, reason: `Expired at ${new Date(block.expiresAt!).toISOString()}` });
      ended++;
    } catch (err) {
      // Recorded as a failed (or rejected) unblock_ip action; the block stays active and a later
      // sweep retries, backing off (unblockDue).
      console.error(`[mdr] expiry of ${block.id} failed: ${escapeUnsafe((err as Error).message)}`);
    }
  }
  return ended;
}
