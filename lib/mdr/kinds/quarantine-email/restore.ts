// Move a quarantined message back to the inbox: the reverse action of a quarantine.
import "server-only";
import { undoAttempts } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { PartialFailure, runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";

interface MovedMessage {
  id: string;
  new_id: string | null;
  subject: string;
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

export function restoreEmail(ctx: MdrContext, quarantine: ActionRow, reason: string | null): Promise<ActionRow> {
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
