// The isolation already holding a device, by any name it is known by: what was asked, the
// machine id, the DNS name Defender resolved it to.
import "server-only";
import type { Db } from "@/lib/db/client";
import { isolationsHoldingAny } from "@/lib/db/queries/holders";
import type { ActionRow } from "@/lib/db/schema";
import type { Claim, Holder } from "@/lib/mdr/actions";
import { isOpen } from "@/lib/mdr/enums";

/** Names a device is known by in an isolation row: what was asked, and what Defender resolved it to. */
function deviceNames(row: ActionRow): string[] {
  const names = [row.target, row.parameters.machine_id, row.result?.machine_id, row.result?.computer_dns_name]
    .filter((n): n is string => typeof n === "string" && n !== "")
    .map((n) => n.toLowerCase());
  const dns = row.result?.computer_dns_name;
  if (typeof dns === "string") names.push(dns.toLowerCase().split(".")[0]!);
  return names;
}

/** The isolation that holds any of `names` (host names, FQDNs, machine ids). */
export function isolationHolder(db: Db, tenantId: string, names: string[], exceptId?: string): Holder | undefined {
  const wanted = [...new Set(names.map((n) => n.toLowerCase()))];
  const row = isolationsHoldingAny(db, tenantId, wanted, exceptId ?? "").find((r) =>
    deviceNames(r).some((n) => wanted.includes(n)),
  );
  if (!row) return undefined;
  const shown = names[0]!;
  return {
    id: row.id,
    detail: isOpen(row)
      ? `${shown} is already being isolated by ${row.id} (${row.status.replace("_", " ")}); nothing was sent to Defender`
      : `${shown} is already isolated by ${row.id}; nothing was sent to Defender`,
  };
}

/** The duplicate rule of a new isolation. */
export function isolationDuplicate(db: Db, claim: Claim): Holder | undefined {
  // With both a machine id and a hostname, whether they name the same device is checked first
  // (at Defender): the isolation asks the log again once the device is known.
  const both = typeof claim.parameters.machine_id === "string" && typeof claim.parameters.hostname === "string";
  return both ? undefined : isolationHolder(db, claim.tenantId, [claim.target]);
}
