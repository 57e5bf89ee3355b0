// Move a quarantined message back to the inbox: the reverse action of a quarantine.
import "server-only";
import { undoAttempts } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { type ActionSpec, type Outcome, PartialFailure, type Perform, type PerformMany, type Progress, getActionRow, runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import type { BatchOutcome, MailMessage, ProviderError } from "@/lib/mdr/providers/types";

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

/** A restore's spec: it names the quarantine it undoes and the mailbox. */
export function restoreSpec(quarantine: ActionRow, reason: string | null): ActionSpec {
  return {
    type: "restore_email",
    target: quarantine.target,
    tenantId: quarantine.tenantId,
    provider: "graph",
    parameters: {
      message_id: quarantine.target,
      user_principal_name: String(quarantine.parameters.user_principal_name),
      quarantine_action_id: quarantine.id,
    },
    reason,
    reverts: quarantine.id,
  };
}

/**
 * What a restore moves back, read when it runs: the copies its quarantine moved, less those an
 * earlier restore of it moved back before it failed (asked for again by their quarantine id, they
 * would fail: a moved message gets a new id, and no retry could ever succeed).
 */
function restorePlan(ctx: MdrContext, action: ActionRow): { mailbox: string; todo: MovedMessage[]; doneBefore: string } {
  const quarantine = getActionRow(ctx, String(action.parameters.quarantine_action_id));
  const mailbox = String(action.parameters.user_principal_name);
  const moved = ((quarantine?.result?.messages ?? []) as MovedMessage[]).filter((m) => m.new_id !== null);
  const earlier = restoredEarlier(ctx, String(action.parameters.quarantine_action_id));
  const todo = moved.filter((m) => !earlier.has(m.new_id!));
  const doneBy = [...new Set(moved.filter((m) => earlier.has(m.new_id!)).map((m) => earlier.get(m.new_id!)!))];
  const doneBefore = doneBy.length === 0 ? "" : `; ${moved.length - todo.length} had been moved back by ${doneBy.join(", ")}`;
  return { mailbox, todo, doneBefore };
}

/** Each copy's move back, in order, noted as it went; the outcome of them all. */
function restoredOutcome(
  plan: ReturnType<typeof restorePlan>,
  progress: Progress,
  results: BatchOutcome<MailMessage>[],
): Outcome | Error {
  const restored: { id: string; new_id: string; subject: string }[] = [];
  for (const [k, message] of plan.todo.entries()) {
    const r = results[k]!;
    if (!r.ok) {
      if (restored.length === 0) return r.error;
      return new PartialFailure(
        `Partial failure: ${restored.length} of ${plan.todo.length} message(s) were moved back to the inbox, then: ${r.error.message}`,
        r.error,
      );
    }
    restored.push({ id: message.new_id!, new_id: r.value.id, subject: message.subject });
    progress.note(`Moved "${message.subject}" back to inbox`, { result: { messages: restored } });
  }
  return {
    status: "succeeded",
    message: `Moved ${restored.length} message(s) back to inbox${plan.doneBefore}`,
    providerRef: restored[0]?.new_id,
  };
}

/** A restore's provider work, from its row: the same at once or from the queue. One copy at a time, stopping at the first failure. */
export const performRestore =
  (ctx: MdrContext): Perform =>
  async (action, progress) => {
    const plan = restorePlan(ctx, action);
    const results: BatchOutcome<MailMessage>[] = [];
    for (const message of plan.todo) {
      try {
        results.push({ ok: true, value: await ctx.providers.mail.move(action.tenantId, plan.mailbox, message.new_id!, "inbox") });
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        results.push({ ok: false, error: err as ProviderError });
        break;
      }
    }
    const outcome = restoredOutcome(plan, progress, results);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };

/** Many restores of one tenant (a bulk's revert): every copy of every mailbox moved back in the fewest batch requests. */
export function restoreBatch(ctx: MdrContext, provider: ActionRow["provider"]): { size: number; perform: PerformMany } | null {
  const mail = ctx.providers.mail;
  if (provider !== "graph" || !mail.moveMany || !mail.batchSize) return null;
  return {
    size: mail.batchSize,
    perform: async (actions, progress) => {
      const plans = actions.map((a) => restorePlan(ctx, a));
      const items = plans.flatMap((p) => p.todo.map((m) => ({ mailbox: p.mailbox, id: m.new_id!, destination: "inbox" as const })));
      const moved = items.length === 0 ? [] : await mail.moveMany!(actions[0]!.tenantId, items);
      let at = 0;
      return plans.map((plan, i) => {
        const mine = moved.slice(at, (at += plan.todo.length));
        return restoredOutcome(plan, progress[i]!, mine);
      });
    },
  };
}

export function restoreEmail(ctx: MdrContext, quarantine: ActionRow, reason: string | null): Promise<ActionRow> {
  return runAction(ctx, restoreSpec(quarantine, reason), performRestore(ctx));
}
