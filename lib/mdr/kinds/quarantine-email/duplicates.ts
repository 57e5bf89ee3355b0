// The quarantine already holding a message in the same mailbox.
import "server-only";
import type { Db } from "@/lib/db/client";
import { holdersOfTarget } from "@/lib/db/queries/holders";
import type { Claim, Holder } from "@/lib/mdr/actions";
import { isOpen } from "@/lib/mdr/enums";

export function quarantineHolder(db: Db, claim: Claim): Holder | undefined {
  const mailbox = String(claim.parameters.user_principal_name);
  const row = holdersOfTarget(db, claim.type, claim.tenantId, claim.target).find(
    (r) => String(r.parameters.user_principal_name) === mailbox,
  );
  if (!row) return undefined;
  return {
    id: row.id,
    detail: isOpen(row)
      ? `${claim.target} in the mailbox of ${mailbox} is already being quarantined by ${row.id}; nothing was sent to Graph`
      : `${claim.target} in the mailbox of ${mailbox} is already quarantined by ${row.id} (${String(row.parameters.action)}); nothing was sent to Graph`,
  };
}
