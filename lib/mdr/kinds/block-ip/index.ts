// Blocking an address on a firewall for a set time, and ending the block (by hand or at expiry).
import "server-only";
import { blockBatch, blockGuard, blockIp, performBlock } from "@/lib/mdr/kinds/block-ip/block";
import { blockHolder } from "@/lib/mdr/kinds/block-ip/duplicates";
import { BLOCK_IP } from "@/lib/mdr/kinds/block-ip/meta";
import { changeExpiry } from "@/lib/mdr/kinds/block-ip/change-expiry";
import { settleBlock, settleChangeExpiry, settleUnblock } from "@/lib/mdr/kinds/block-ip/settle";
import { sweepExpiredBlocks } from "@/lib/mdr/kinds/block-ip/sweep";
import { performUnblock, unblockBatch, unblockIp, unblockSpec } from "@/lib/mdr/kinds/block-ip/unblock";
import { type ActionKind, kindPair } from "@/lib/mdr/kinds/kind";
import { BlockIpRequest, ChangeExpiryRequest } from "@/lib/mdr/schemas";

export const [blockKind, unblockKind] = kindPair(
  BLOCK_IP,
  {
    request: BlockIpRequest,
    perform: blockIp,
    undo: (ctx, block, reason) => unblockIp({ ctx, block, reason }),
    duplicate: blockHolder,
    guard: blockGuard,
    settle: settleBlock,
    // Blocks end at their expiry: the sweep removes them as unblock actions.
    background: { sweep: sweepExpiredBlocks },
    queue: { perform: performBlock, calls: 2, batch: blockBatch, undoSpec: unblockSpec },
  },
  { settle: settleUnblock, queue: { perform: performUnblock, calls: 1, batch: unblockBatch } },
);

/**
 * A move of an active block's end (PATCH /actions/{id}): an outside change of its own at Defender,
 * the block's row only on an NSG or ACL. Undone by moving it again.
 */
export const changeExpiryKind: ActionKind<{ id: string; input: ChangeExpiryRequest }> = {
  meta: BLOCK_IP.kinds[2],
  request: ChangeExpiryRequest,
  perform: ({ ctx, input }) => changeExpiry({ ctx, ...input }),
  undo: null,
  // Two changes at once both go out; the later one is the block's expiry.
  duplicate: null,
  guard: null,
  settle: settleChangeExpiry,
  background: {},
};
