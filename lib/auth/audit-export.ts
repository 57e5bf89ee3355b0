import "server-only";
import { z } from "zod";
import { AUDIT_EVENTS } from "@/lib/auth/enums";
import type { Store } from "@/lib/auth/store";
import { toApiAuditEvent } from "@/lib/auth/audit";
import { csvRecord } from "@/lib/csv";
import { exportAuditEvents, lastAuditEventId } from "@/lib/db/queries/auth";
import { linkHashes } from "@/lib/db/queries/chain";
import type { AuditEventRow } from "@/lib/db/schema";
import { openReader } from "@/lib/db/client";
import { pagedTextStream } from "@/lib/paged-stream";

// The security audit log as a file (GET /api/v1/admin/audit/export, admins of every tenant):
// sign-ins and their failures, tokens, users, protected assets, refusals; oldest first, streamed a
// page at a time as the client reads, like the export of actions.

const IsoTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z" });

export const ExportAuditQuery = z
  .strictObject({
    format: z.enum(["ndjson", "csv"]).default("ndjson"),
    event: z.enum(AUDIT_EVENTS).optional(),
    since: IsoTime.optional(),
    until: IsoTime.optional(),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) <= Date.parse(q.until), {
    path: ["until"],
    message: "must not be before since",
  });
export type ExportAuditQuery = z.infer<typeof ExportAuditQuery>;

export const AUDIT_EXPORT_PAGE_SIZE = 1000;

/** An exported event: what GET /admin/audit answers for it, and its link's hash in the audit log's hash chain (hex). */
export function toExportedAuditEvent(e: AuditEventRow, hash: string | null) {
  return { ...toApiAuditEvent(e), hash };
}

export const AUDIT_CSV_COLUMNS = ["id", "at", "event", "actor", "subject", "ip", "detail", "hash"] as const;

/** The events recorded up to the start of the export (or `until`), oldest first. */
export function exportAudit(store: Store, query: ExportAuditQuery, pageSize = AUDIT_EXPORT_PAGE_SIZE): ReadableStream<Uint8Array> {
  const idMax = lastAuditEventId(store.db);
  let after = 0;
  const line =
    query.format === "csv"
      ? (e: ReturnType<typeof toExportedAuditEvent>) =>
          csvRecord(AUDIT_CSV_COLUMNS.map((c) => (c === "detail" ? (e.detail === null ? null : JSON.stringify(e.detail)) : e[c])))
      : (e: ReturnType<typeof toExportedAuditEvent>) => `${JSON.stringify(e)}\n`;
  // A connection of the export's own, opened at the first page (lib/db/client.ts openReader).
  let reader: ReturnType<typeof openReader> | undefined;
  const db = () => (reader ??= openReader(store.db)).db;
  return pagedTextStream({
    header: query.format === "csv" ? csvRecord(AUDIT_CSV_COLUMNS) : undefined,
    close: () => reader?.close(),
    page: () => {
      const rows = exportAuditEvents(db(), {
        event: query.event,
        atFrom: query.since ? Date.parse(query.since) : undefined,
        atTo: query.until ? Date.parse(query.until) : undefined,
        idAbove: after,
        idMax,
        limit: pageSize,
      });
      let text = "";
      const hashes = linkHashes(db(), "audit", rows.map((r) => String(r.id)));
      for (const row of rows) text += line(toExportedAuditEvent(row, hashes.get(String(row.id)) ?? null));
      if (rows.length > 0) after = rows[rows.length - 1]!.id;
      return { text, last: rows.length < pageSize };
    },
  });
}
