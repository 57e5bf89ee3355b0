// Blocking an address on a firewall for a set time, and ending the block (by hand or at expiry).
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { blockGuard, blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { blockHolder } from "@/lib/mdr/kinds/block-ip/duplicates";
import { BLOCK_IP } from "@/lib/mdr/kinds/block-ip/meta";
import { settleBlock, settleUnblock } from "@/lib/mdr/kinds/block-ip/settle";
import { sweepExpiredBlocks } from "@/lib/mdr/kinds/block-ip/sweep";
import { unblockIp } from "@/lib/mdr/kinds/block-ip/unblock";
import type { ActionKind, UndoVerb } from "@/lib/mdr/kinds/kind";
import { BlockIpRequest, RevertRequest } from "@/lib/mdr/schemas";

const [BLOCK, UNBLOCK] = BLOCK_IP.kinds;

const unblock: UndoVerb = (ctx, block, reason) => unblockIp({ ctx, block, reason });

export const blockKind: ActionKind<BlockIpRequest> = {
  meta: BLOCK,
  request: BlockIpRequest,
  perform: (ctx, input) => blockIp({ ctx, input }),
  undo: unblock,
  duplicate: blockHolder,
  guard: blockGuard,
  settle: settleBlock,
  background: { sweep: sweepExpiredBlocks },
};

export const unblockKind: ActionKind<{ original: ActionRow; reason: string | null }> = {
  meta: UNBLOCK,
  request: RevertRequest,
  perform: (ctx, { original, reason }) => unblock(ctx, original, reason),
  undo: null,
  duplicate: null,
  guard: null,
  settle: settleUnblock,
  background: {},
};
