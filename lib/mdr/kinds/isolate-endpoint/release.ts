// Release an isolated device: the reverse action of an isolation, followed at Defender like it.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { type ActionSpec, type Perform, runAction } from "@/lib/mdr/actions";
import { actionComment } from "@/lib/mdr/action-comment";
import type { MdrContext } from "@/lib/mdr/context";
import { acceptedOutcome } from "@/lib/mdr/machine-actions";

/** A release's spec: it names the isolation it ends and the device. */
export function releaseSpec(isolation: ActionRow, reason: string | null): ActionSpec {
  return {
    type: "release_endpoint",
    target: isolation.target,
    tenantId: isolation.tenantId,
    provider: "defender",
    parameters: { machine_id: String(isolation.result?.machine_id ?? ""), isolation_action_id: isolation.id },
    reason,
    reverts: isolation.id,
  };
}

/** A release's provider work, from its row: the same at once or from the queue. */
export const performRelease =
  (ctx: MdrContext): Perform =>
  async (action, progress) => {
    const machineId = String(action.parameters.machine_id);
    const machineAction = await ctx.providers.endpoint.release(action.tenantId, machineId, {
      comment: actionComment(action.id, action.requestedBy, action.reason),
    });
    return acceptedOutcome(machineAction, progress, { isolating: false, result: { machine_id: machineId } });
  };

export function releaseEndpoint(ctx: MdrContext, isolation: ActionRow, reason: string | null): Promise<ActionRow> {
  return runAction(ctx, releaseSpec(isolation, reason), performRelease(ctx));
}
