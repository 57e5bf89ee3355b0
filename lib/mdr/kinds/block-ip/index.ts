// Blocking an address on a firewall for a set time, and ending the block (by hand or at expiry).
import "server-only";
import { blockGuard, blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { blockHolder } from "@/lib/mdr/kinds/block-ip/duplicates";
import { BLOCK_IP } from "@/lib/mdr/kinds/block-ip/meta";
import { settleBlock, settleUnblock } from "@/lib/mdr/kinds/block-ip/settle";
import { sweepExpiredBlocks } from "@/lib/mdr/kinds/block-ip/sweep";
import { unblockIp } from "@/lib/mdr/kinds/block-ip/unblock";
import { kindPair } from "@/lib/mdr/kinds/kind";
import { BlockIpRequest } from "@/lib/mdr/schemas";

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
  },
  { settle: settleUnblock },
);
