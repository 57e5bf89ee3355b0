// Enable an account a disable turned off: the reverse action of a disable.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";

export function enableUser(ctx: MdrContext, disabled: ActionRow, reason: string | null): Promise<ActionRow> {
  return runAction(
    ctx,
    {
      type: "enable_user",
      target: disabled.target,
      tenantId: disabled.tenantId,
      provider: "graph",
      parameters: { upn: disabled.target, disable_action_id: disabled.id },
      reason,
      reverts: disabled.id,
    },
    async () => {
      await ctx.providers.identity.setAccountEnabled(disabled.tenantId, disabled.target, true);
      return {
        status: "succeeded",
        message: "Account enabled (accountEnabled=true); the user signs in again with their credentials",
        providerRef: disabled.providerRef ?? undefined,
      };
    },
  );
}
