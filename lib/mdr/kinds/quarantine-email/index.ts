// Pulling an email out of a mailbox through Microsoft Graph, and moving it back.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import type { ActionKind } from "@/lib/mdr/kinds/kind";
import { quarantineHolder } from "@/lib/mdr/kinds/quarantine-email/duplicates";
import { QUARANTINE_EMAIL } from "@/lib/mdr/kinds/quarantine-email/meta";
import { quarantineEmail } from "@/lib/mdr/kinds/quarantine-email/quarantine";
import { restoreEmail } from "@/lib/mdr/kinds/quarantine-email/restore";
import { settleQuarantine, settleRestore } from "@/lib/mdr/kinds/quarantine-email/settle";
import { QuarantineEmailRequest, RevertRequest } from "@/lib/mdr/schemas";

const [QUARANTINE, RESTORE] = QUARANTINE_EMAIL.kinds;

export const quarantineKind: ActionKind<QuarantineEmailRequest> = {
  meta: QUARANTINE,
  request: QuarantineEmailRequest,
  perform: (ctx, input) => quarantineEmail({ ctx, input }),
  undo: restoreEmail,
  duplicate: quarantineHolder,
  // Mail has no protected assets: any message may be pulled.
  guard: null,
  settle: settleQuarantine,
  background: {},
};

export const restoreKind: ActionKind<{ original: ActionRow; reason: string | null }> = {
  meta: RESTORE,
  request: RevertRequest,
  perform: (ctx, { original, reason }) => restoreEmail(ctx, original, reason),
  undo: null,
  duplicate: null,
  guard: null,
  settle: settleRestore,
  background: {},
};
