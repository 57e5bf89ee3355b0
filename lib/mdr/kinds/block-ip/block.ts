import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { runAction } from "@/lib/mdr/actions";
import { actionComment } from "@/lib/mdr/action-comment";
import type { MdrContext } from "@/lib/mdr/context";
import { blockHolder } from "@/lib/mdr/kinds/block-ip/duplicates";
import { assertNotProtected } from "@/lib/mdr/protected-assets";
import { blockedMessage, serviceOf } from "@/lib/mdr/providers/facts";
import { FIREWALL_LABELS } from "@/lib/mdr/providers/types";
import type { BlockIpRequest } from "@/lib/mdr/schemas";
import { requireService, resolveTenant } from "@/lib/mdr/tenant";

export { FIREWALL_LABELS };

const HOUR_MS = 3_600_000;

/** Never a protected address range. */
export function blockGuard(ctx: MdrContext, input: BlockIpRequest): void {
  assertNotProtected(ctx, "ip_range", input.ip, "ip");
}

// Block an address or range on one firewall until it expires (then the sweep unblocks it).
export async function blockIp({ ctx, input }: { ctx: MdrContext; input: BlockIpRequest }): Promise<ActionRow> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  const firewall = input.firewall_type;
  requireService(ctx, serviceOf(firewall), tenantId, "firewall_type");
  return runAction(
    ctx,
    {
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
    },
    async (action, progress) => {
      const expiresAt = action.expiresAt!;
      const result = await ctx.providers.firewalls[firewall].block(tenantId, {
        actionId: action.id,
        address: input.ip,
        priority: input.priority,
        expiresAt: new Date(expiresAt),
        description: actionComment(action.id, ctx.actor, input.reason),
        planned: (details) => progress.remember({ result: details }),
      });
      return {
        status: "succeeded",
        message: blockedMessage(firewall, input.ip, result.ref, ` until ${new Date(expiresAt).toISOString()}`),
        providerRef: result.ref,
        result: result.details,
        active: true,
      };
    },
  );
}
