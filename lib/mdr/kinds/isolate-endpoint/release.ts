// Release an isolated device: the reverse action of an isolation, followed at Defender like it.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { runAction } from "@/lib/mdr/actions";
import { actionComment } from "@/lib/mdr/action-comment";
import type { MdrContext } from "@/lib/mdr/context";
import { acceptedOutcome } from "@/lib/mdr/machine-actions";

export function releaseEndpoint(ctx: MdrContext, isolation: ActionRow, reason: string | null): Promise<ActionRow> {
  const machineId = String(isolation.result?.machine_id ?? "");
  return runAction(
    ctx,
    {
      type: "release_endpoint",
      target: isolation.target,
      tenantId: isolation.tenantId,
      provider: "defender",
      parameters: { machine_id: machineId, isolation_action_id: isolation.id },
      reason,
      reverts: isolation.id,
    },
    async (action, progress) => {
      const machineAction = await ctx.providers.endpoint.release(isolation.tenantId, machineId, {
        comment: actionComment(action.id, ctx.actor, reason),
      });
      return acceptedOutcome(machineAction, progress, { isolating: false, result: { machine_id: machineId } });
    },
  );
}
