// A quarantine or a restore a crash left pending: where the message's copies are now says what happened.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { DESTINATION } from "@/lib/mdr/kinds/quarantine-email/quarantine";
import { VERIFIED, absent } from "@/lib/mdr/kinds/verified";
import type { QuarantineAction } from "@/lib/mdr/enums";

/** Where the copies of a quarantined message are now. */
export async function settleQuarantine(ctx: MdrContext, row: ActionRow): Promise<void> {
  const mail = ctx.providers.mail;
  const mailbox = String(row.parameters.user_principal_name);
  const folder = DESTINATION[row.parameters.action as QuarantineAction] ?? null;
  const noted = (row.result?.messages ?? []) as { id: string; new_id: string | null; subject: string }[];
  if (!row.target.startsWith("<")) {
    // A Graph message id changes when the message moves: only what the row noted can be vouched for.
    if (noted.length > 0) {
      transition(ctx, row, "succeeded", `${VERIFIED}: ${noted.length} message(s) had been dealt with before the restart`, {
        active: true,
      });
    } else if ((await mail.findMessages(row.tenantId, mailbox, row.target)).length > 0) {
      absent(ctx, row, `message ${row.target} is still where it was; nothing was moved`);
    } else {
      absent(ctx, row, `message ${row.target} no longer resolves and the action noted no move; the outcome cannot be confirmed`);
    }
    return;
  }
  const remaining = await mail.findMessages(row.tenantId, mailbox, row.target);
  if (folder === null) {
    if (remaining.length === 0) {
      transition(ctx, row, "succeeded", `${VERIFIED}: no copy of the message is left in the mailbox`, { active: true });
    } else {
      const what = noted.length > 0 ? `${remaining.length} copy(ies) are still in the mailbox` : "the message is still in the mailbox; nothing was deleted";
      transition(ctx, row, "failed", `${VERIFIED}: ${what}`, { error: `${VERIFIED}: ${what}`, active: noted.length > 0 });
    }
    return;
  }
  const moved = await mail.findMessagesIn(row.tenantId, mailbox, row.target, folder);
  const outside = remaining.filter((m) => !moved.some((x) => x.id === m.id));
  if (moved.length === 0) {
    absent(ctx, row, `no copy of the message is in ${folder}; nothing was moved`);
    return;
  }
  const messages = moved.map((m) => ({ id: noted.find((n) => n.new_id === m.id)?.id ?? null, new_id: m.id, subject: m.subject }));
  const facts = { providerRef: moved[0]!.id, result: { messages, folder }, active: true };
  if (outside.length > 0) {
    const message = `${VERIFIED}: partial failure: ${moved.length} copy(ies) are in ${folder}, ${outside.length} still outside it`;
    transition(ctx, row, "failed", message, { ...facts, error: message });
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: ${moved.length} message(s) are in ${folder}`, facts);
}

export async function settleRestore(ctx: MdrContext, row: ActionRow): Promise<void> {
  const mailbox = String(row.parameters.user_principal_name);
  if (!row.target.startsWith("<")) {
    absent(ctx, row, "a message known only by its Graph id cannot be looked for in the inbox; the outcome cannot be confirmed");
    return;
  }
  const back = await ctx.providers.mail.findMessagesIn(row.tenantId, mailbox, row.target, "inbox");
  if (back.length === 0) {
    absent(ctx, row, "no copy of the message is in the inbox; nothing was moved back");
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: ${back.length} message(s) are back in the inbox`, { providerRef: back[0]!.id });
}
