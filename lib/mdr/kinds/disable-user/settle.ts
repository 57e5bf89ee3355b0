// A disable or an enable a crash left pending: the account's accountEnabled says what happened.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { VERIFIED, absent } from "@/lib/mdr/kinds/verified";
import { ProviderError } from "@/lib/mdr/providers/types";

export async function settleDisable(ctx: MdrContext, row: ActionRow): Promise<void> {
  const identity = ctx.providers.identity;
  const user = await identity.getUser(row.tenantId, row.target);
  if (user.accountEnabled) {
    absent(ctx, row, `${row.target} is enabled; the account was not disabled`);
    return;
  }
  const facts = { providerRef: user.id, result: { user_id: user.id }, active: true };
  if (row.parameters.revoke_sessions === false) {
    transition(ctx, row, "succeeded", `${VERIFIED}: the account is disabled; sign-in sessions were not revoked, as asked`, facts);
    return;
  }
  // Whether the revoke went out before the crash cannot be read back from Graph; revoking again
  // revokes nothing more, so it is sent now to finish what was asked.
  try {
    await identity.revokeSignInSessions(row.tenantId, row.target);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    const message = `Partial failure: the account is disabled, but revoking its sign-in sessions after a restart failed: ${err.message}`;
    transition(ctx, row, "failed", message, { ...facts, error: message });
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: the account is disabled; sign-in sessions revoked`, {
    ...facts,
    result: { user_id: user.id, sessions_revoked: true },
  });
}

export async function settleEnable(ctx: MdrContext, row: ActionRow): Promise<void> {
  const user = await ctx.providers.identity.getUser(row.tenantId, row.target);
  if (!user.accountEnabled) {
    absent(ctx, row, `${row.target} is still disabled; the account was not enabled`);
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: the account is enabled`, { providerRef: user.id });
}
