// Pulling an email out of a mailbox through Microsoft Graph, and moving it back.
import "server-only";
import { kindPair } from "@/lib/mdr/kinds/kind";
import { quarantineHolder } from "@/lib/mdr/kinds/quarantine-email/duplicates";
import { QUARANTINE_EMAIL } from "@/lib/mdr/kinds/quarantine-email/meta";
import { performQuarantine, quarantineBatch, quarantineEmail } from "@/lib/mdr/kinds/quarantine-email/quarantine";
import { performRestore, restoreBatch, restoreEmail, restoreSpec } from "@/lib/mdr/kinds/quarantine-email/restore";
import { settleQuarantine, settleRestore } from "@/lib/mdr/kinds/quarantine-email/settle";
import { QuarantineEmailRequest } from "@/lib/mdr/schemas";

// Mail has no protected assets (no guard): any message may be pulled.
export const [quarantineKind, restoreKind] = kindPair(
  QUARANTINE_EMAIL,
  {
    request: QuarantineEmailRequest,
    perform: quarantineEmail,
    undo: restoreEmail,
    duplicate: quarantineHolder,
    guard: null,
    settle: settleQuarantine,
    background: {},
    // Find the message in the mailbox, then move it: two calls, each a batch's operation.
    queue: { perform: performQuarantine, calls: 2, batch: quarantineBatch, undoSpec: restoreSpec },
  },
  { settle: settleRestore, queue: { perform: performRestore, calls: 1, batch: restoreBatch } },
);
