// Enable an account a disable turned off: the reverse action of a disable.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { type ActionSpec, type Outcome, type Perform, type PerformMany, getActionRow, runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";

/** An enable's spec: it names the disable it undoes and the account. */
export function enableSpec(disabled: ActionRow, reason: string | null): ActionSpec {
  return {
    type: "enable_user",
    target: disabled.target,
    tenantId: disabled.tenantId,
    provider: "graph",
    parameters: { upn: disabled.target, disable_action_id: disabled.id },
    reason,
    reverts: disabled.id,
  };
}

function enabledOutcome(ctx: MdrContext, action: ActionRow): Outcome {
  const disabled = getActionRow(ctx, String(action.parameters.disable_action_id));
  return {
    status: "succeeded",
    message: "Account enabled (accountEnabled=true); the user signs in again with their credentials",
    providerRef: disabled?.providerRef ?? undefined,
  };
}

/** An enable's provider work, from its row: the same at once or from the queue. */
export const performEnable =
  (ctx: MdrContext): Perform =>
  async (action) => {
    await ctx.providers.identity.setAccountEnabled(action.tenantId, String(action.parameters.upn), true);
    return enabledOutcome(ctx, action);
  };

/** Many enables of one tenant through Graph's JSON batching (a bulk's revert). */
export function enableBatch(ctx: MdrContext, provider: ActionRow["provider"]): { size: number; perform: PerformMany } | null {
  const identity = ctx.providers.identity;
  if (provider !== "graph" || !identity.setAccountEnabledMany || !identity.batchSize) return null;
  return {
    size: identity.batchSize,
    perform: async (actions) => {
      const set = await identity.setAccountEnabledMany!(actions[0]!.tenantId, actions.map((a) => String(a.parameters.upn)), true);
      return set.map((r, i) => (r.ok ? enabledOutcome(ctx, actions[i]!) : r.error));
    },
  };
}

export function enableUser(ctx: MdrContext, disabled: ActionRow, reason: string | null): Promise<ActionRow> {
  return runAction(ctx, enableSpec(disabled, reason), performEnable(ctx));
}
