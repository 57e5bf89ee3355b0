import "server-only";
import { MdrError } from "@/lib/errors";
import type { ActionRow } from "@/lib/db/schema";
import { runAction } from "@/lib/mdr/actions";
import { FIREWALL_LABELS } from "@/lib/mdr/kinds/block-ip/block";
import type { MdrContext } from "@/lib/mdr/context";

// Remove exactly the rule a block created; the unblock action reverts the block.
export async function unblockIp({
  ctx,
  block,
  reason,
}: {
  ctx: MdrContext;
  block: ActionRow;
  reason: string | null;
}): Promise<ActionRow> {
  if (block.type !== "block_ip" || block.providerRef === null) {
    throw new MdrError("conflict", `Action ${block.id} is not a block that took effect; there is nothing to unblock.`);
  }
  const ref = block.providerRef;
  const firewall = block.provider === "graph" ? null : block.provider;
  if (firewall === null) throw new MdrError("conflict", `Action ${block.id} has no firewall to unblock on.`);
  return runAction(
    ctx,
    {
      type: "unblock_ip",
      target: block.target,
      tenantId: block.tenantId,
      provider: firewall,
      parameters: { ip: block.target, firewall_type: firewall, block_action_id: block.id, rule: ref },
      reason,
      reverts: block.id,
    },
    async () => {
      const { alreadyAbsent } = await ctx.providers.firewalls[firewall].unblock(block.tenantId, ref, block.target);
      return {
        status: "succeeded",
        message: alreadyAbsent
          ? `${FIREWALL_LABELS[firewall]} no longer had rule ${ref}; the block is verified gone`
          : `Removed rule ${ref} from ${FIREWALL_LABELS[firewall]}`,
        providerRef: ref,
        result: { already_absent: alreadyAbsent },
      };
    },
  );
}
