import "server-only";
import { MdrError } from "@/lib/errors";
import type { ActionRow } from "@/lib/db/schema";
import { type ActionSpec, type Outcome, type Perform, type PerformMany, type Progress, runAction } from "@/lib/mdr/actions";
import { actionComment } from "@/lib/mdr/action-comment";
import type { MdrContext } from "@/lib/mdr/context";
import { blockHolder } from "@/lib/mdr/kinds/block-ip/duplicates";
import { assertNotProtected } from "@/lib/mdr/protected-assets";
import { blockedMessage, serviceOf } from "@/lib/mdr/providers/facts";
import { type BlockRequest, type BlockResult, FIREWALL_LABELS, type FirewallType } from "@/lib/mdr/providers/types";
import type { BlockIpRequest } from "@/lib/mdr/schemas";
import { requireService, resolveTenant } from "@/lib/mdr/tenant";

export { FIREWALL_LABELS };

const HOUR_MS = 3_600_000;

/** Never a protected address range. */
export function blockGuard(ctx: MdrContext, input: BlockIpRequest): void {
  assertNotProtected(ctx, "ip_range", input.ip, "ip");
}

/** A block's spec: what its row records (everything its provider work needs). */
export function blockSpec(ctx: MdrContext, input: BlockIpRequest, tenantId: string): ActionSpec {
  const firewall = input.firewall_type;
  return {
    type: "block_ip",
    target: input.ip,
    tenantId,
    provider: firewall,
    parameters: {
      ip: input.ip,
      firewall_type: firewall,
      priority: input.priority ?? null,
      duration_hours: input.duration_hours,
    },
    reason: input.reason,
    guard: () => blockGuard(ctx, input),
    duplicate: blockHolder,
    // From the row's own creation time, so expires_at - created_at is exactly duration_hours.
    expiresAfterMs: Math.round(input.duration_hours * HOUR_MS),
  };
}

/** What the firewall is asked, from the block's row. */
function blockRequest(action: ActionRow, progress: Progress): BlockRequest {
  const { ip, priority } = action.parameters as { ip: string; priority: number | null };
  return {
    actionId: action.id,
    address: ip,
    priority: priority ?? undefined,
    expiresAt: new Date(action.expiresAt!),
    description: actionComment(action.id, action.requestedBy, action.reason),
    planned: (details) => progress.remember({ result: details }),
  };
}

function blockedOutcome(action: ActionRow, result: BlockResult): Outcome {
  const firewall = action.provider as FirewallType;
  return {
    status: "succeeded",
    message: blockedMessage(firewall, action.target, result.ref, ` until ${new Date(action.expiresAt!).toISOString()}`),
    providerRef: result.ref,
    result: result.details,
    active: true,
  };
}

/** A block's provider work, from its row: the same at once or from the queue. */
export const performBlock =
  (ctx: MdrContext): Perform =>
  async (action, progress) =>
    blockedOutcome(action, await ctx.providers.firewalls[action.provider as FirewallType].block(action.tenantId, blockRequest(action, progress)));

/** Many blocks of one tenant on a firewall with a batch form, in the fewest calls it allows. */
export function blockBatch(ctx: MdrContext, provider: ActionRow["provider"]): { size: number; perform: PerformMany } | null {
  const firewall = ctx.providers.firewalls[provider as FirewallType];
  if (!firewall?.blockMany || !firewall.batchSize) return null;
  return {
    size: firewall.batchSize,
    perform: async (actions, progress) => {
      const outcomes = await firewall.blockMany!(actions[0]!.tenantId, actions.map((a, i) => blockRequest(a, progress[i]!)));
      return outcomes.map((o, i) => (o.ok ? blockedOutcome(actions[i]!, o.value) : o.error));
    },
  };
}

// Block an address or range on one firewall until it expires (then the sweep unblocks it).
export async function blockIp({ ctx, input }: { ctx: MdrContext; input: BlockIpRequest }): Promise<ActionRow> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  requireService(ctx, serviceOf(input.firewall_type), tenantId, "firewall_type");
  const refused = ctx.providers.firewalls[input.firewall_type].refuses?.(tenantId, input.ip);
  if (refused) throw MdrError.field("ip", refused);
  return runAction(ctx, blockSpec(ctx, input, tenantId), performBlock(ctx));
}
