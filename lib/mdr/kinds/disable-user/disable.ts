import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { PartialFailure, runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { disableHolder } from "@/lib/mdr/kinds/disable-user/duplicates";
import { assertNotProtected } from "@/lib/mdr/protected-assets";
import type { DisableUserRequest } from "@/lib/mdr/schemas";
import { resolveTenant } from "@/lib/mdr/tenant";

/** Never a protected account. */
export function disableGuard(ctx: MdrContext, input: DisableUserRequest): void {
  assertNotProtected(ctx, "upn", input.upn, "upn");
}

// Disable an account and revoke its sign-in sessions through Microsoft Graph.
export async function disableUser({ ctx, input }: { ctx: MdrContext; input: DisableUserRequest }): Promise<ActionRow> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  const identity = ctx.providers.identity;
  return runAction(
    ctx,
    {
      type: "disable_user",
      target: input.upn,
      tenantId,
      provider: "graph",
      parameters: { upn: input.upn, revoke_sessions: input.revoke_sessions },
      reason: input.reason,
      guard: () => disableGuard(ctx, input),
      duplicate: disableHolder,
    },
    async (_action, progress) => {
      const user = await identity.getUser(tenantId, input.upn);
      await identity.setAccountEnabled(tenantId, input.upn, false);
      progress.note(
        user.accountEnabled ? "Account disabled (accountEnabled=false)" : "Account was already disabled; kept disabled",
        { active: true, providerRef: user.id, result: { user_id: user.id, was_enabled: user.accountEnabled } },
      );
      if (!input.revoke_sessions) {
        return { status: "succeeded", message: "Account disabled; sign-in sessions were not revoked, as asked" };
      }
      try {
        await identity.revokeSignInSessions(tenantId, input.upn);
      } catch (err) {
        throw new PartialFailure(
          `Partial failure: the account is disabled, but revoking its sign-in sessions failed: ${(err as Error).message}`,
          err,
        );
      }
      return {
        status: "succeeded",
        message: "Account disabled and sign-in sessions revoked",
        result: { sessions_revoked: true },
      };
    },
  );
}
