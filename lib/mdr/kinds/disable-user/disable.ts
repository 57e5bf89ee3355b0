import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { type ActionSpec, type Facts, type Outcome, PartialFailure, type Perform, type PerformMany, runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { disableHolder } from "@/lib/mdr/kinds/disable-user/duplicates";
import { assertNotProtected } from "@/lib/mdr/protected-assets";
import { currentScope, runInScope } from "@/lib/mdr/providers/call-scope";
import type { DirectoryUser } from "@/lib/mdr/providers/types";
import type { DisableUserRequest } from "@/lib/mdr/schemas";
import { resolveTenant } from "@/lib/mdr/tenant";

/** Never a protected account. */
export function disableGuard(ctx: MdrContext, input: Pick<DisableUserRequest, "upn">): void {
  assertNotProtected(ctx, "upn", input.upn, "upn");
}

/** A disable's spec: what its row records (everything its provider work needs). */
export function disableSpec(ctx: MdrContext, input: DisableUserRequest, tenantId: string): ActionSpec {
  return {
    type: "disable_user",
    target: input.upn,
    tenantId,
    provider: "graph",
    parameters: { upn: input.upn, revoke_sessions: input.revoke_sessions },
    reason: input.reason,
    guard: () => disableGuard(ctx, input),
    duplicate: disableHolder,
  };
}

/** What the row says once the account is disabled: from then on it is in effect. */
function disabledStep(user: DirectoryUser): [string, Facts] {
  return [
    user.accountEnabled ? "Account disabled (accountEnabled=false)" : "Account was already disabled; kept disabled",
    { active: true, providerRef: user.id, result: { user_id: user.id, was_enabled: user.accountEnabled } },
  ];
}

const NOT_REVOKED: Outcome = { status: "succeeded", message: "Account disabled; sign-in sessions were not revoked, as asked" };
const REVOKED: Outcome = { status: "succeeded", message: "Account disabled and sign-in sessions revoked", result: { sessions_revoked: true } };

function revokeFailed(err: unknown): PartialFailure {
  return new PartialFailure(
    `Partial failure: the account is disabled, but revoking its sign-in sessions failed: ${(err as Error).message}`,
    err,
  );
}

/**
 * The revoke comes after the change: a bulk's target can no longer go back to the queue unsent,
 * so its call waits for its turn as long as the rate gate's bound allows, not only until the bulk
 * request answers (a disabled account whose revoke is refused for rate would be a partial failure).
 */
function afterTheChange<T>(work: () => Promise<T>): Promise<T> {
  const scope = currentScope();
  return scope?.waitUntil === undefined ? work() : runInScope({ ...scope, waitUntil: undefined }, work);
}

interface DisableParameters {
  upn: string;
  revoke_sessions: boolean;
}

/** A disable's provider work, from its row: the same at once or from the queue. */
export const performDisable =
  (ctx: MdrContext): Perform =>
  async (action, progress) => {
    const { upn, revoke_sessions } = action.parameters as unknown as DisableParameters;
    const identity = ctx.providers.identity;
    const tenantId = action.tenantId;
    const user = await identity.getUser(tenantId, upn);
    await identity.setAccountEnabled(tenantId, upn, false);
    progress.note(...disabledStep(user));
    if (!revoke_sessions) return NOT_REVOKED;
    try {
      await afterTheChange(() => identity.revokeSignInSessions(tenantId, upn));
    } catch (err) {
      throw revokeFailed(err);
    }
    return REVOKED;
  };

/**
 * Many disables of one tenant through Graph's JSON batching, in three rounds of batches: read each
 * account (was it enabled, its id), disable those found, then revoke the sessions of those
 * disabled. The revoke is a round of its own rather than tied to its disable by `dependsOn`: a
 * batch should be fully sequential or fully parallel (json-batching.md), both ways cost the same
 * number of requests (three operations a user, twenty a request), and a revoke is only ever sent
 * for an account whose disable was answered, as in a single request. Each user's outcome and
 * messages are those of a single request.
 */
export function disableBatch(ctx: MdrContext, provider: ActionRow["provider"]): { size: number; perform: PerformMany } | null {
  const identity = ctx.providers.identity;
  if (provider !== "graph" || !identity.getUsers || !identity.setAccountEnabledMany || !identity.revokeSignInSessionsMany || !identity.batchSize) {
    return null;
  }
  return {
    size: identity.batchSize,
    perform: async (actions, progress) => {
      const tenantId = actions[0]!.tenantId;
      const params = actions.map((a) => a.parameters as unknown as DisableParameters);
      const outcomes: (Outcome | Error)[] = Array.from({ length: actions.length });
      const read = await identity.getUsers!(tenantId, params.map((p) => p.upn));
      const found = read.flatMap((r, i) => (r.ok ? [{ i, user: r.value }] : ((outcomes[i] = r.error), [])));
      const set = await identity.setAccountEnabledMany!(tenantId, found.map(({ i }) => params[i]!.upn), false);
      const toRevoke: number[] = [];
      set.forEach((r, k) => {
        const { i, user } = found[k]!;
        if (!r.ok) {
          outcomes[i] = r.error;
          return;
        }
        progress[i]!.note(...disabledStep(user));
        if (params[i]!.revoke_sessions) toRevoke.push(i);
        else outcomes[i] = NOT_REVOKED;
      });
      if (toRevoke.length > 0) {
        try {
          const revoked = await afterTheChange(() => identity.revokeSignInSessionsMany!(tenantId, toRevoke.map((i) => params[i]!.upn)));
          revoked.forEach((r, k) => (outcomes[toRevoke[k]!] = r.ok ? REVOKED : revokeFailed(r.error)));
        } catch (err) {
          for (const i of toRevoke) outcomes[i] = revokeFailed(err);
        }
      }
      return outcomes;
    },
  };
}

// Disable an account and revoke its sign-in sessions through Microsoft Graph.
export async function disableUser({ ctx, input }: { ctx: MdrContext; input: DisableUserRequest }): Promise<ActionRow> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  return runAction(ctx, disableSpec(ctx, input, tenantId), performDisable(ctx));
}
