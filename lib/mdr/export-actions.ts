import "server-only";
import { csvRecord } from "@/lib/csv";
import { openReader } from "@/lib/db/client";
import { type ActionFilter, exportActionRows, timelinesOf } from "@/lib/db/queries/actions";
import { linkHashes } from "@/lib/db/queries/chain";
import type { ActionEventRow, ActionRow } from "@/lib/db/schema";
import { toApiAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { idCeiling, idFloor } from "@/lib/mdr/list-actions";
import type { ActionDetail, ExportActionsQuery, ExportFormat } from "@/lib/mdr/schemas";
import { inScope } from "@/lib/mdr/tenant";
import { DOWNLOAD_CONTENT_TYPES, downloadFilename, pagedTextStream } from "@/lib/paged-stream";

// The audit log of actions as a file: one action with its timeline per line (NDJSON) or per
// record (CSV), oldest first. Streamed: the database is read a page at a time (keyset on the id)
// and only when the reader asks for more, so a million actions cost the server one page of memory
// whatever the size of the log, and a slow client slows the reading, not the server's heap.

/** Actions per page (and per chunk written): a few MB of text at most. */
export const EXPORT_PAGE_SIZE = 1000;

/** One exported action: what GET /mdr/actions/{id} answers, and the hash that proves it. */
export type ExportedAction = ActionDetail & {
  /**
   * The hash of the action's newest link in the audit log's hash chain (hex): it proves the row as
   * exported, and the chain before it every step of its timeline. Null for an action with no link
   * (none in a consistent log).
   */
  hash: string | null;
};

const iso = (ms: number) => new Date(ms).toISOString();

export function toExportedAction(row: ActionRow, timeline: readonly ActionEventRow[], hash: string | null): ExportedAction {
  return {
    ...toApiAction(row),
    timeline: timeline.map((e) => ({ at: iso(e.at), status: e.status, message: e.message })),
    hash,
  };
}

/**
 * The CSV's columns: one record per action, the action's own fields as columns (sortable, filterable,
 * countable in a spreadsheet: one record is one thing that was done), and what has structure
 * (parameters, result, the timeline) as JSON text in a cell. NDJSON is the format for a SIEM.
 */
export const CSV_COLUMNS = [
  "id", "type", "status", "target", "tenant_id", "provider", "mode", "reason", "requested_by", "provider_ref",
  "error", "active", "created_at", "updated_at", "completed_at", "expires_at", "reverts", "reverted_by",
  "parameters", "result", "timeline", "hash",
] as const satisfies readonly (keyof ExportedAction)[];

function csvLine(a: ExportedAction): string {
  return csvRecord(
    CSV_COLUMNS.map((c) => {
      const v = a[c];
      return v !== null && typeof v === "object" ? JSON.stringify(v) : v;
    }),
  );
}

const LINE: Record<ExportFormat, (a: ExportedAction) => string> = {
  ndjson: (a) => `${JSON.stringify(a)}\n`,
  csv: csvLine,
};

export const EXPORT_CONTENT_TYPES = DOWNLOAD_CONTENT_TYPES;

/** `mdr-actions-20260131T120000Z.ndjson`: when it was made, in UTC. */
export const exportFilename = (format: ExportFormat, at: number) => downloadFilename("mdr-actions", format, at);

/**
 * The export as a stream of UTF-8 text. The log is read as it is while it is read: the export ends
 * at the actions made by the time it started (`until` or now, whichever is earlier); an action
 * still changing shows its state when its page was read.
 */
export function exportActions({
  ctx,
  query,
  pageSize = EXPORT_PAGE_SIZE,
}: {
  ctx: Pick<MdrContext, "db" | "scope" | "now">;
  query: ExportActionsQuery;
  pageSize?: number;
}): ReadableStream<Uint8Array> {
  const started = ctx.now();
  const until = query.until ? Math.min(Date.parse(query.until), started) : started;
  const filter: Omit<ActionFilter, "idBelow"> = {
    type: query.type,
    status: query.status,
    target: query.target,
    tenantId: query.tenant_id,
    idFrom: query.since ? idFloor(Date.parse(query.since)) : undefined,
    idTo: idCeiling(until),
    tenantIn: ctx.scope ?? undefined,
  };
  // A caller's scope narrows every read; a tenant filter outside it finds nothing.
  const empty = query.tenant_id !== undefined && !inScope(ctx, query.tenant_id);
  let after: string | undefined;
  const line = LINE[query.format];
  // A connection of the export's own, opened at the first page (lib/db/client.ts openReader).
  let reader: ReturnType<typeof openReader> | undefined;
  const db = () => (reader ??= openReader(ctx.db)).db;
  return pagedTextStream({
    header: query.format === "csv" ? csvRecord(CSV_COLUMNS) : undefined,
    empty,
    close: () => reader?.close(),
    page: () => {
      const rows = exportActionRows(db(), filter, after, pageSize);
      let text = "";
      if (rows.length > 0) {
        const ids = rows.map((r) => r.id);
        const timelines = timelinesOf(db(), ids);
        const hashes = linkHashes(db(), "action", ids);
        for (const row of rows) text += line(toExportedAction(row, timelines.get(row.id)!, hashes.get(row.id) ?? null));
        after = rows[rows.length - 1]!.id;
      }
      return { text, last: rows.length < pageSize };
    },
  });
}
