// An action whose effect is already in place, or on its way, is not sent to the provider again:
// the audit log knows which action holds the host, the address, the account or the message.
// Asked inside the transaction that writes the new row, so of two identical requests at the same
// moment the first holds and the second is refused, never both.
import "server-only";
import { type SQL, and, eq, inArray, or, sql } from "drizzle-orm";
import { type ActionRow, type ActionType, actions } from "@/lib/db/schema";
import type { Db } from "@/lib/db/client";
import { FIREWALL_LABELS } from "@/lib/mdr/providers/types";

/** The action that already holds what a new one asks for, and how to say so. */
export interface Holder {
  id: string;
  detail: string;
}

/** What a new action is compared on. */
export interface Claim {
  type: ActionType;
  target: string;
  tenantId: string;
  provider: ActionRow["provider"];
  parameters: Record<string, unknown>;
}

type Reader = Pick<Db, "select">;

/**
 * Rows of `type` in the tenant that hold their effect: still running (pending, in progress), or
 * done and in effect now (active, not reverted). A failed disable that did disable the account is
 * active too: the account is disabled.
 */
function holding(
  db: Reader,
  type: ActionType,
  tenantId: string,
  opts: { target?: string; exceptId?: string; where?: SQL } = {},
): ActionRow[] {
  const exceptId = opts.exceptId;
  return db
    .select()
    .from(actions)
    .where(
      and(
        eq(actions.type, type),
        eq(actions.tenantId, tenantId),
        opts.target === undefined ? undefined : eq(actions.target, opts.target),
        or(inArray(actions.status, ["pending", "in_progress"]), eq(actions.active, true)),
        opts.where,
      ),
    )
    .all()
    .filter((row) => row.id !== exceptId && row.revertedBy === null);
}

const running = (row: ActionRow) => row.status === "pending" || row.status === "in_progress";

/** Names a device is known by in an isolation row: what was asked, and what Defender resolved it to. */
function deviceNames(row: ActionRow): string[] {
  const names = [row.target, row.parameters.machine_id, row.result?.machine_id, row.result?.computer_dns_name]
    .filter((n): n is string => typeof n === "string" && n !== "")
    .map((n) => n.toLowerCase());
  const dns = row.result?.computer_dns_name;
  if (typeof dns === "string") names.push(dns.toLowerCase().split(".")[0]!);
  return names;
}

/**
 * The names of deviceNames(), compared in SQL: only rows that name one of `wanted` are read back,
 * not every isolation in effect in the tenant (names are ASCII, so SQLite's lower() suffices).
 */
function namesOneOf(wanted: string[]): SQL {
  const list = sql.join(
    wanted.map((n) => sql`${n}`),
    sql`, `,
  );
  const dns = sql`json_extract(${actions.result}, '$.computer_dns_name')`;
  return sql`(lower(${actions.target}) in (${list})
    or lower(json_extract(${actions.parameters}, '$.machine_id')) in (${list})
    or lower(json_extract(${actions.result}, '$.machine_id')) in (${list})
    or lower(${dns}) in (${list})
    or lower(substr(${dns}, 1, instr(${dns} || '.', '.') - 1)) in (${list}))`;
}

/** The isolation that holds any of `names` (host names, FQDNs, machine ids). */
export function isolationHolder(db: Reader, tenantId: string, names: string[], exceptId?: string): Holder | undefined {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const row = holding(db, "isolate_endpoint", tenantId, { exceptId, where: namesOneOf([...wanted]) }).find((r) =>
    deviceNames(r).some((n) => wanted.has(n)),
  );
  if (!row) return undefined;
  const shown = names[0]!;
  return {
    id: row.id,
    detail: running(row)
      ? `${shown} is already being isolated by ${row.id} (${row.status.replace("_", " ")}); nothing was sent to Defender`
      : `${shown} is already isolated by ${row.id}; nothing was sent to Defender`,
  };
}

function blockHolder(db: Reader, claim: Claim): Holder | undefined {
  const row = holding(db, "block_ip", claim.tenantId, { target: claim.target }).find((r) => r.provider === claim.provider);
  if (!row) return undefined;
  const firewall = FIREWALL_LABELS[claim.provider as keyof typeof FIREWALL_LABELS];
  const until = row.expiresAt === null ? "" : ` until ${new Date(row.expiresAt).toISOString()}`;
  return {
    id: row.id,
    detail: running(row)
      ? `${claim.target} is already being blocked on ${firewall} by ${row.id}; nothing was sent to the firewall`
      : `${claim.target} is already blocked on ${firewall} by ${row.id}${until}; nothing was sent to the firewall (change its expiry with PATCH /api/v1/mdr/actions/${row.id})`,
  };
}

function disableHolder(db: Reader, claim: Claim): Holder | undefined {
  const row = holding(db, "disable_user", claim.tenantId, { target: claim.target })[0];
  if (!row) return undefined;
  return {
    id: row.id,
    detail: running(row)
      ? `${claim.target} is already being disabled by ${row.id}; nothing was sent to Graph`
      : `${claim.target} is already disabled by ${row.id}; nothing was sent to Graph`,
  };
}

function quarantineHolder(db: Reader, claim: Claim): Holder | undefined {
  const mailbox = String(claim.parameters.user_principal_name);
  const row = holding(db, "quarantine_email", claim.tenantId, { target: claim.target }).find(
    (r) => String(r.parameters.user_principal_name) === mailbox,
  );
  if (!row) return undefined;
  return {
    id: row.id,
    detail: running(row)
      ? `${claim.target} in the mailbox of ${mailbox} is already being quarantined by ${row.id}; nothing was sent to Graph`
      : `${claim.target} in the mailbox of ${mailbox} is already quarantined by ${row.id} (${String(row.parameters.action)}); nothing was sent to Graph`,
  };
}

/** The action already holding what `claim` asks for; undefined when nothing does (or for reverse actions). */
export function holderOf(db: Reader, claim: Claim): Holder | undefined {
  switch (claim.type) {
    case "isolate_endpoint": {
      // With both a machine id and a hostname, whether they name the same device is checked first
      // (at Defender): the isolation asks the log again once the device is known.
      const both = typeof claim.parameters.machine_id === "string" && typeof claim.parameters.hostname === "string";
      return both ? undefined : isolationHolder(db, claim.tenantId, [claim.target]);
    }
    case "block_ip":
      return blockHolder(db, claim);
    case "disable_user":
      return disableHolder(db, claim);
    case "quarantine_email":
      return quarantineHolder(db, claim);
    default:
      // Reverse actions are guarded by the revert endpoint (already reverted, being reverted).
      return undefined;
  }
}
