import "server-only";
import { MdrError } from "@/lib/errors";
import type { ActionRow } from "@/lib/db/schema";
import { type ActionSpec, type Outcome, type Perform, type PerformMany, runAction } from "@/lib/mdr/actions";
import { FIREWALL_LABELS } from "@/lib/mdr/kinds/block-ip/block";
import type { MdrContext } from "@/lib/mdr/context";
import type { FirewallType } from "@/lib/mdr/providers/types";

/** An unblock's spec: it names the block it ends and the rule to remove. */
export function unblockSpec(block: ActionRow, reason: string | null): ActionSpec {
  if (block.type !== "block_ip" || block.providerRef === null) {
    throw new MdrError("conflict", `Action ${block.id} is not a block that took effect; there is nothing to unblock.`);
  }
  const firewall = block.provider === "graph" ? null : block.provider;
  if (firewall === null) throw new MdrError("conflict", `Action ${block.id} has no firewall to unblock on.`);
  return {
    type: "unblock_ip",
    target: block.target,
    tenantId: block.tenantId,
    provider: firewall,
    parameters: { ip: block.target, firewall_type: firewall, block_action_id: block.id, rule: block.providerRef },
    reason,
    reverts: block.id,
  };
}

/** What the firewall is asked to remove: the rule the block created, for its address. */
function unblockItem(action: ActionRow): { ref: string; address: string } {
  const { rule, ip } = action.parameters as { rule: string; ip: string };
  return { ref: rule, address: ip };
}

function unblockedOutcome(action: ActionRow, alreadyAbsent: boolean): Outcome {
  const { ref } = unblockItem(action);
  const label = FIREWALL_LABELS[action.provider as FirewallType];
  return {
    status: "succeeded",
    message: alreadyAbsent ? `${label} no longer had rule ${ref}; the block is verified gone` : `Removed rule ${ref} from ${label}`,
    providerRef: ref,
    result: { already_absent: alreadyAbsent },
  };
}

/** An unblock's provider work, from its row: the same at once or from the queue. */
export const performUnblock =
  (ctx: MdrContext): Perform =>
  async (action) => {
    const { ref, address } = unblockItem(action);
    const { alreadyAbsent } = await ctx.providers.firewalls[action.provider as FirewallType].unblock(action.tenantId, ref, address);
    return unblockedOutcome(action, alreadyAbsent);
  };

/** Many unblocks of one tenant on a firewall with a batch form. */
export function unblockBatch(ctx: MdrContext, provider: ActionRow["provider"]): { size: number; perform: PerformMany } | null {
  const firewall = ctx.providers.firewalls[provider as FirewallType];
  if (!firewall?.unblockMany || !firewall.batchSize) return null;
  return {
    size: firewall.batchSize,
    perform: async (actions) => {
      const outcomes = await firewall.unblockMany!(actions[0]!.tenantId, actions.map(unblockItem));
      return outcomes.map((o, i) => (o.ok ? unblockedOutcome(actions[i]!, o.value.alreadyAbsent) : o.error));
    },
  };
}

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
  return runAction(ctx, unblockSpec(block, reason), performUnblock(ctx));
}

