// The security audit log: who signed in (or failed to), which tokens were made and revoked,
// which users and protected assets changed. Never holds a password, token or cookie.
import { and, desc, eq, gt, lt } from "drizzle-orm";
import { type AuditEventRow, auditEvents } from "@/lib/db/schema";
import type { AuditEvent } from "@/lib/mdr/enums";
import type { Store } from "./store";

export interface AuditEntry {
  event: AuditEvent;
  actor: string;
  subject?: string | null;
  detail?: Record<string, unknown> | null;
  ip?: string | null;
}

export function recordAudit(store: Store, entry: AuditEntry): void {
  store.db
    .insert(auditEvents)
    .values({
      at: store.now(),
      event: entry.event,
      actor: entry.actor,
      subject: entry.subject ?? null,
      detail: entry.detail ?? null,
      ip: entry.ip ?? null,
    })
    .run();
}

export interface AuditPage {
  events: AuditEventRow[];
  nextCursor: number | null;
}

/** Newest first, keyset by id. */
export function listAudit(store: Store, opts: { event?: AuditEvent; limit: number; cursor?: number }): AuditPage {
  const rows = store.db
    .select()
    .from(auditEvents)
    .where(
      and(
        opts.event ? eq(auditEvents.event, opts.event) : undefined,
        opts.cursor !== undefined ? lt(auditEvents.id, opts.cursor) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(opts.limit + 1)
    .all();
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

/** Failed sign-ins for an account, or from an address, since a time. */
export function countFailures(store: Store, by: { subject: string } | { ip: string }, since: number) {
  const rows = store.db
    .select({ at: auditEvents.at })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.event, "sign_in_failed"),
        "subject" in by ? eq(auditEvents.subject, by.subject) : eq(auditEvents.ip, by.ip),
        gt(auditEvents.at, since),
      ),
    )
    .orderBy(auditEvents.at)
    .all();
  return { count: rows.length, oldest: rows[0]?.at ?? null };
}
