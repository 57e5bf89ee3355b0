// The block already holding an address on the same firewall.
import "server-only";
import type { Db } from "@/lib/db/client";
import { holdersOfTarget } from "@/lib/db/queries/holders";
import type { Claim, Holder } from "@/lib/mdr/actions";
import { isOpen } from "@/lib/mdr/enums";
import { FIREWALL_LABELS } from "@/lib/mdr/providers/types";

export function blockHolder(db: Db, claim: Claim): Holder | undefined {
  const row = holdersOfTarget(db, claim.type, claim.tenantId, claim.target).find((r) => r.provider === claim.provider);
  if (!row) return undefined;
  const firewall = FIREWALL_LABELS[claim.provider as keyof typeof FIREWALL_LABELS];
  const until = row.expiresAt === null ? "" : ` until ${new Date(row.expiresAt).toISOString()}`;
  return {
    id: row.id,
    detail: isOpen(row)
      ? `${claim.target} is already being blocked on ${firewall} by ${row.id}; nothing was sent to the firewall`
      : `${claim.target} is already blocked on ${firewall} by ${row.id}${until}; nothing was sent to the firewall (change its expiry with PATCH /api/v1/mdr/actions/${row.id})`,
  };
}
