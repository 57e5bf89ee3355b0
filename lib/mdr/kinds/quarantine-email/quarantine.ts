import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import { PartialFailure, runAction } from "@/lib/mdr/actions";
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

// Pull a message out of a mailbox. Every copy with that Message-ID in the mailbox is acted on,
// and the new ids the moves return are kept so the action can be undone.
export async function quarantineEmail({
  ctx,
  input,
}: {
  ctx: MdrContext;
  input: QuarantineEmailRequest;
}): Promise<ActionRow> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  const mail = ctx.providers.mail;
  if (input.action === "hardDelete" && mail.permanentDeleteUnavailable) {
    // Refused before anything is written: Graph would refuse the call after the row was.
    throw MdrError.field(
      "action",
      `hardDelete is not available here: ${mail.permanentDeleteUnavailable}. Use softDelete (moves the message to Recoverable Items, undoable) instead`,
    );
  }
  const mailbox = input.user_principal_name;
  return runAction(
    ctx,
    {
      type: "quarantine_email",
      target: input.message_id,
      tenantId,
      provider: "graph",
      parameters: { message_id: input.message_id, user_principal_name: mailbox, action: input.action },
      reason: input.reason,
      duplicate: quarantineHolder,
    },
    async (_action, progress) => {
      const found = await mail.findMessages(tenantId, mailbox, input.message_id);
      if (found.length === 0) {
        throw new ProviderError("graph", "not_found", `No message ${input.message_id} in the mailbox of ${mailbox}`, {
          httpStatus: 404,
        });
      }
      const destination = DESTINATION[input.action];
      const messages: { id: string; new_id: string | null; subject: string }[] = [];
      for (const message of found) {
        let moved: MailMessage | null = null;
        try {
          if (destination === null) await mail.permanentDelete(tenantId, mailbox, message.id);
          else moved = await mail.move(tenantId, mailbox, message.id, destination);
        } catch (err) {
          if (messages.length === 0) throw err;
          // Some copies were already dealt with: say so in the answer, not only in the timeline.
          const done = destination === null ? "permanently deleted" : `moved to ${destination}`;
          throw new PartialFailure(
            `Partial failure: ${messages.length} of ${found.length} message(s) were ${done}, then: ${(err as Error).message}`,
            err,
          );
        }
        messages.push({ id: message.id, new_id: moved?.id ?? null, subject: message.subject });
        progress.note(
          moved
            ? `Moved "${message.subject}" ${folderName(message.parentFolderId)}to ${destination}`
            : `Permanently deleted "${message.subject}"`,
          { active: true, result: { messages, folder: destination ?? "deleted" } },
        );
      }
      return {
        status: "succeeded",
        message:
          destination === null
            ? `Permanently deleted ${messages.length} message(s)`
            : `Moved ${messages.length} message(s) to ${destination}`,
        providerRef: messages[0]!.new_id ?? messages[0]!.id,
        active: true,
      };
    },
  );
}
