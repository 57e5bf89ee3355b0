// Quarantining an email and restoring it, as the page and the API's documents see them (client-safe).
import { kindFolder } from "@/lib/mdr/kinds/meta";

export const QUARANTINE_EMAIL = kindFolder(
  {
    type: "quarantine_email",
    label: "Quarantine email",
    route: {
      path: "/api/v1/mdr/quarantine-email",
      summary: "Quarantine or delete an email",
      body: "QuarantineEmailRequest",
      bulk: { schema: "BulkQuarantineEmailRequest", field: "upns" },
    },
    undo: {
      type: "restore_email",
      label: "Restore email",
      consequence: "The message goes back to the inbox of the mailbox.",
      refuses: (action) =>
        action.parameters.action === "hardDelete" ? "a hardDelete permanently deleted the message: it cannot be undone" : null,
    },
  },
  { type: "restore_email", label: "Restore email" },
);
