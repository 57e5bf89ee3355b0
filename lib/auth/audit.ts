// The security audit log: who signed in (or failed to), which tokens were made and revoked,
// which users and protected assets changed. Never holds a password, token or cookie.
import { insertAuditEvent, listAuditEvents, signInFailureTimes } from "@/lib/db/queries/auth";
import type { AuditEventRow } from "@/lib/db/schema";
import type { AuditEvent } from "./enums";
import type { Store } from "./store";

export interface AuditEntry {
  event: AuditEvent;
  actor: string;
  subject?: string | null;
  detail?: Record<string, unknown> | null;
  ip?: string | null;
}

export function recordAudit(store: Store, entry: AuditEntry): void {
  insertAuditEvent(store.db, {
    at: store.now(),
    event: entry.event,
    actor: entry.actor,
    subject: entry.subject ?? null,
    detail: entry.detail ?? null,
    ip: entry.ip ?? null,
  });
}

export interface AuditPage {
  events: AuditEventRow[];
  nextCursor: number | null;
}

/** Newest first, keyset by id. */
export function listAudit(store: Store, opts: { event?: AuditEvent; limit: number; cursor?: number }): AuditPage {
  const rows = listAuditEvents(store.db, { event: opts.event, before: opts.cursor, limit: opts.limit + 1 });
  const more = rows.length > opts.limit;
  const events = rows.slice(0, opts.limit);
  return { events, nextCursor: more ? events[events.length - 1]!.id : null };
}

/** An event as GET /api/v1/admin/audit answers it (and the admin page renders it first). */
export function toApiAuditEvent(e: AuditEventRow) {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    event: e.event,
    actor: e.actor,
    subject: e.subject,
    detail: e.detail,
    ip: e.ip,
  };
}

/** When the failed sign-ins for an account (from an address), or from an address, happened since a time: oldest first. */
export function failureTimes(store: Store, by: { subject: string; ip?: string } | { ip: string }, since: number): number[] {
  return signInFailureTimes(store.db, by, since);
}
