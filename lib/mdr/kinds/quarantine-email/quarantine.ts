import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import { type ActionSpec, type Outcome, PartialFailure, type Perform, type PerformMany, type Progress, runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { MAIL_FOLDERS, type MailFolder, type MailMessage, ProviderError } from "@/lib/mdr/providers/types";
import type { QuarantineEmailRequest } from "@/lib/mdr/schemas";
import { resolveTenant } from "@/lib/mdr/tenant";
import { quarantineHolder } from "@/lib/mdr/kinds/quarantine-email/duplicates";

/** "from inbox " for a well-known folder; Graph's opaque folder ids say nothing to a reader. */
function folderName(folder: string): string {
  return (MAIL_FOLDERS as readonly string[]).includes(folder) ? `from ${folder} ` : "";
}

/** Where each quarantine action moves the message; hardDelete deletes it for good. */
export const DESTINATION: Record<QuarantineEmailRequest["action"], MailFolder | null> = {
  softDelete: "recoverableitemsdeletions",
  moveToJunk: "junkemail",
  hardDelete: null,
};

/** Refused before anything is written: Graph would refuse the call after the row was. */
export function refuseUnavailableHardDelete(ctx: MdrContext, action: QuarantineEmailRequest["action"]): void {
  const mail = ctx.providers.mail;
  if (action === "hardDelete" && mail.permanentDeleteUnavailable) {
    throw MdrError.field(
      "action",
      `hardDelete is not available here: ${mail.permanentDeleteUnavailable}. Use softDelete (moves the message to Recoverable Items, undoable) instead`,
    );
  }
}

/** A quarantine's spec: what its row records (everything its provider work needs). */
export function quarantineSpec(input: Omit<QuarantineEmailRequest, "tenant_id">, tenantId: string): ActionSpec {
  return {
    type: "quarantine_email",
    target: input.message_id,
    tenantId,
    provider: "graph",
    parameters: { message_id: input.message_id, user_principal_name: input.user_principal_name, action: input.action },
    reason: input.reason,
    duplicate: quarantineHolder,
  };
}

interface QuarantineParameters {
  message_id: string;
  user_principal_name: string;
  action: QuarantineEmailRequest["action"];
}

type Moved = { id: string; new_id: string | null; subject: string };

function notFound(p: QuarantineParameters): ProviderError {
  return new ProviderError("graph", "not_found", `No message ${p.message_id} in the mailbox of ${p.user_principal_name}`, { httpStatus: 404 });
}

/** The timeline step for one copy dealt with, and what the row keeps of all so far. */
function noteCopy(progress: Progress, destination: MailFolder | null, message: MailMessage, moved: MailMessage | null, messages: Moved[]): void {
  messages.push({ id: message.id, new_id: moved?.id ?? null, subject: message.subject });
  progress.note(
    moved ? `Moved "${message.subject}" ${folderName(message.parentFolderId)}to ${destination}` : `Permanently deleted "${message.subject}"`,
    { active: true, result: { messages, folder: destination ?? "deleted" } },
  );
}

/** Some copies were already dealt with: said in the answer, not only in the timeline. */
function partly(destination: MailFolder | null, done: number, of: number, err: unknown): PartialFailure {
  const what = destination === null ? "permanently deleted" : `moved to ${destination}`;
  return new PartialFailure(`Partial failure: ${done} of ${of} message(s) were ${what}, then: ${(err as Error).message}`, err);
}

function quarantinedOutcome(destination: MailFolder | null, messages: Moved[]): Outcome {
  return {
    status: "succeeded",
    message: destination === null ? `Permanently deleted ${messages.length} message(s)` : `Moved ${messages.length} message(s) to ${destination}`,
    providerRef: messages[0]!.new_id ?? messages[0]!.id,
    active: true,
  };
}

// Pull a message out of a mailbox. Every copy with that Message-ID in the mailbox is acted on,
// and the new ids the moves return are kept so the action can be undone.
export const performQuarantine =
  (ctx: MdrContext): Perform =>
  async (action, progress) => {
    const p = action.parameters as unknown as QuarantineParameters;
    const mail = ctx.providers.mail;
    const tenantId = action.tenantId;
    const mailbox = p.user_principal_name;
    const found = await mail.findMessages(tenantId, mailbox, p.message_id);
    if (found.length === 0) throw notFound(p);
    const destination = DESTINATION[p.action];
    const messages: Moved[] = [];
    for (const message of found) {
      let moved: MailMessage | null = null;
      try {
        if (destination === null) await mail.permanentDelete(tenantId, mailbox, message.id);
        else moved = await mail.move(tenantId, mailbox, message.id, destination);
      } catch (err) {
        if (messages.length === 0) throw err;
        throw partly(destination, messages.length, found.length, err);
      }
      noteCopy(progress, destination, message, moved, messages);
    }
    return quarantinedOutcome(destination, messages);
  };

/**
 * One message quarantined in many mailboxes through Graph's JSON batching, in two rounds of
 * batches across the mailboxes: each mailbox's find, then the move (or delete) of every copy
 * found. Each mailbox's outcome and messages are those of a single request.
 */
export function quarantineBatch(ctx: MdrContext, provider: ActionRow["provider"]): { size: number; perform: PerformMany } | null {
  const mail = ctx.providers.mail;
  if (provider !== "graph" || !mail.findMessagesMany || !mail.moveMany || !mail.permanentDeleteMany || !mail.batchSize) return null;
  return {
    size: mail.batchSize,
    perform: async (actions, progress) => {
      const tenantId = actions[0]!.tenantId;
      const params = actions.map((a) => a.parameters as unknown as QuarantineParameters);
      const outcomes: (Outcome | Error)[] = Array.from({ length: actions.length });
      const finds = await mail.findMessagesMany!(tenantId, params.map((p) => ({ mailbox: p.user_principal_name, messageId: p.message_id })));
      // Every copy found, of every mailbox, in one list: moved (or deleted) in the fewest requests.
      const copies: { i: number; message: MailMessage }[] = [];
      finds.forEach((f, i) => {
        if (!f.ok) outcomes[i] = f.error;
        else if (f.value.length === 0) outcomes[i] = notFound(params[i]!);
        else for (const message of f.value) copies.push({ i, message });
      });
      const moves = copies.filter((c) => DESTINATION[params[c.i]!.action] !== null);
      const deletes = copies.filter((c) => DESTINATION[params[c.i]!.action] === null);
      // One after the other: two requests at once could carry more than 4 operations of one mailbox.
      const moved =
        moves.length === 0
          ? []
          : await mail.moveMany!(tenantId, moves.map((c) => ({ mailbox: params[c.i]!.user_principal_name, id: c.message.id, destination: DESTINATION[params[c.i]!.action]! })));
      const deleted =
        deletes.length === 0 ? [] : await mail.permanentDeleteMany!(tenantId, deletes.map((c) => ({ mailbox: params[c.i]!.user_principal_name, id: c.message.id })));
      const results = new Map<(typeof copies)[number], { ok: true; moved: MailMessage | null } | { ok: false; error: ProviderError }>();
      moves.forEach((c, k) => {
        const r = moved[k]!;
        results.set(c, r.ok ? { ok: true, moved: r.value } : r);
      });
      deletes.forEach((c, k) => {
        const r = deleted[k]!;
        results.set(c, r.ok ? { ok: true, moved: null } : r);
      });
      actions.forEach((_, i) => {
        if (outcomes[i] !== undefined) return;
        const destination = DESTINATION[params[i]!.action];
        const mine = copies.filter((c) => c.i === i);
        const messages: Moved[] = [];
        let failure: ProviderError | undefined;
        for (const c of mine) {
          const r = results.get(c)!;
          if (r.ok) noteCopy(progress[i]!, destination, c.message, r.moved, messages);
          else failure ??= r.error;
        }
        if (!failure) outcomes[i] = quarantinedOutcome(destination, messages);
        else outcomes[i] = messages.length === 0 ? failure : partly(destination, messages.length, mine.length, failure);
      });
      return outcomes;
    },
  };
}

// Pull a message out of a mailbox.
export async function quarantineEmail({ ctx, input }: { ctx: MdrContext; input: QuarantineEmailRequest }): Promise<ActionRow> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  refuseUnavailableHardDelete(ctx, input.action);
  return runAction(ctx, quarantineSpec(input, tenantId), performQuarantine(ctx));
}
