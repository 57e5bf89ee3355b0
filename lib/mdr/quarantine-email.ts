import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { runAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { type MailFolder, ProviderError } from "@/lib/mdr/providers/types";
import type { QuarantineEmailRequest } from "@/lib/mdr/schemas";
import { resolveTenant } from "@/lib/mdr/tenant";

/** Where each quarantine action moves the message; hardDelete deletes it for good. */
const DESTINATION: Record<QuarantineEmailRequest["action"], MailFolder | null> = {
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
        if (destination === null) {
          await mail.permanentDelete(tenantId, mailbox, message.id);
        }
        const moved = destination === null ? null : await mail.move(tenantId, mailbox, message.id, destination);
        messages.push({ id: message.id, new_id: moved?.id ?? null, subject: message.subject });
        progress.note(
          moved
            ? `Moved "${message.subject}" from ${message.parentFolderId} to ${destination}`
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
