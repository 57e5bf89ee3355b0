// Undo an action: release the endpoint, remove the block, re-enable the user, move the email
// back to the inbox. The reverse action is an action of its own, linked by `reverts`; when it
// succeeds the original shows `reverted_by` and stops being active.
import "server-only";
import { MdrError } from "@/lib/errors";
import { findRunningUndo, undoAttempts } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { whyNotRevertible } from "@/lib/mdr/revertible";
import { PartialFailure, getActionRow, runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { actionComment } from "@/lib/mdr/action-comment";
import { acceptedOutcome } from "@/lib/mdr/machine-actions";
import { unblockIp } from "@/lib/mdr/unblock-ip";

interface MovedMessage {
  id: string;
  new_id: string | null;
  subject: string;
}

// POST /actions/{id}/revert
export async function revertAction({
  ctx,
  id,
  reason,
}: {
  ctx: MdrContext;
  id: string;
  reason: string | null;
}): Promise<ActionRow> {
  const original = getActionRow(ctx, id);
  if (!original) throw new MdrError("not_found", `No action ${id}.`);
  const why = whyNotRevertible(original);
  if (why) {
    throw new MdrError("conflict", `Action ${id} cannot be reverted: ${why}.`, {
      extra: original.revertedBy ? { reverted_by: original.revertedBy } : {},
    });
  }
  // A reverse action left pending by a process that died mid-call is settled at the next start
  // (recover.ts), so an open one is really running.
  const running = findRunningUndo(ctx.db, id);
  if (running) {
    throw new MdrError("conflict", `Action ${id} is already being reverted by ${running}.`, {
      extra: { reverted_by: running },
    });
  }

  switch (original.type) {
    case "block_ip":
      return unblockIp({ ctx, block: original, reason });
    case "isolate_endpoint":
      return releaseEndpoint(ctx, original, reason);
    case "disable_user":
      return enableUser(ctx, original, reason);
    case "quarantine_email":
      return restoreEmail(ctx, original, reason);
    default:
      throw new MdrError("conflict", `Action ${id} cannot be reverted.`);
  }
}

function releaseEndpoint(ctx: MdrContext, isolation: ActionRow, reason: string | null): Promise<ActionRow> {
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

function enableUser(ctx: MdrContext, disabled: ActionRow, reason: string | null): Promise<ActionRow> {
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

/**
 * Copies of a quarantine that an earlier restore of it moved back before it failed: by the id they
 * had in quarantine (which names nothing now), the id of that restore.
 */
function restoredEarlier(ctx: MdrContext, quarantineId: string): Map<string, string> {
  const attempts = undoAttempts(ctx.db, quarantineId, "restore_email");
  const earlier = new Map<string, string>();
  for (const attempt of attempts) {
    for (const m of (attempt.result?.messages ?? []) as MovedMessage[]) earlier.set(m.id, attempt.id);
  }
  return earlier;
}

function restoreEmail(ctx: MdrContext, quarantine: ActionRow, reason: string | null): Promise<ActionRow> {
  const mailbox = String(quarantine.parameters.user_principal_name);
  const moved = ((quarantine.result?.messages ?? []) as MovedMessage[]).filter((m) => m.new_id !== null);
  // A restore that failed part way moved some copies back already: asking for them again by their
  // quarantine id would fail (a moved message gets a new id), and no retry could ever succeed.
  const earlier = restoredEarlier(ctx, quarantine.id);
  const todo = moved.filter((m) => !earlier.has(m.new_id!));
  const doneBy = [...new Set(moved.filter((m) => earlier.has(m.new_id!)).map((m) => earlier.get(m.new_id!)!))];
  const doneBefore =
    doneBy.length === 0 ? "" : `; ${moved.length - todo.length} had been moved back by ${doneBy.join(", ")}`;
  return runAction(
    ctx,
    {
      type: "restore_email",
      target: quarantine.target,
      tenantId: quarantine.tenantId,
      provider: "graph",
      parameters: { message_id: quarantine.target, user_principal_name: mailbox, quarantine_action_id: quarantine.id },
      reason,
      reverts: quarantine.id,
    },
    async (_action, progress) => {
      const restored: { id: string; new_id: string; subject: string }[] = [];
      for (const message of todo) {
        try {
          const back = await ctx.providers.mail.move(quarantine.tenantId, mailbox, message.new_id!, "inbox");
          restored.push({ id: message.new_id!, new_id: back.id, subject: message.subject });
        } catch (err) {
          if (restored.length === 0) throw err;
          throw new PartialFailure(
            `Partial failure: ${restored.length} of ${todo.length} message(s) were moved back to the inbox, then: ${(err as Error).message}`,
            err,
          );
        }
        progress.note(`Moved "${message.subject}" back to inbox`, { result: { messages: restored } });
      }
      return {
        status: "succeeded",
        message: `Moved ${restored.length} message(s) back to inbox${doneBefore}`,
        providerRef: restored[0]?.new_id,
      };
    },
  );
}
