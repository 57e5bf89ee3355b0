// The disable already holding an account.
import "server-only";
import type { Db } from "@/lib/db/client";
import { holdersOfTarget } from "@/lib/db/queries/holders";
import type { Claim, Holder } from "@/lib/mdr/actions";
import { isOpen } from "@/lib/mdr/enums";

export function disableHolder(db: Db, claim: Claim): Holder | undefined {
  const row = holdersOfTarget(db, claim.type, claim.tenantId, claim.target)[0];
  if (!row) return undefined;
  return {
    id: row.id,
    detail: isOpen(row)
      ? `${claim.target} is already being disabled by ${row.id}; nothing was sent to Graph`
      : `${claim.target} is already disabled by ${row.id}; nothing was sent to Graph`,
  };
}
