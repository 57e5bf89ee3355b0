// The SIEM outbox: every audit record is queued here in its own transaction, and each destination
// keeps its place in the queue (lib/mdr/siem reads, sends and moves it on).
import { and, asc, count, eq, gt, lte, max, min, notInArray, sql } from "drizzle-orm";
import { type Db, perDb } from "@/lib/db/client";
import {
  type ActionStatus,
  type ActionType,
  type SiemDestinationRow,
  type SiemSource,
  actionEvents,
  actions,
  auditChain,
  auditEvents,
  siemDestinations,
  siemOutbox,
} from "@/lib/db/schema";

const statements = perDb((db: Db) => ({
  // Only while some destination is enabled (read from the database, so the command line, whose
  // environment may not name the destinations, queues its records as the server does).
  enqueue: db
    .insert(siemOutbox)
    .select(
      sql`select null, ${sql.placeholder("source")}, ${sql.placeholder("recordId")} where exists (select 1 from ${siemDestinations} where ${siemDestinations.enabled} = 1)`,
    )
    .prepare(),
}));

/**
 * Queues a record for the SIEM destinations. The record's insert and this one commit together:
 * inside the caller's transaction when there is one, else in a transaction of their own.
 */
export function inSameTransaction(db: Db, work: () => void): void {
  if (db.$client.inTransaction) work();
  else db.$client.transaction(work)();
}

export function enqueueSiemRecord(db: Db, source: SiemSource, recordId: number | bigint): void {
  statements(db).enqueue.run({ source, recordId: Number(recordId) });
}

/** One queued record as the sender reads it: the outbox row, and the record it names (null when gone). */
export interface QueuedRecord {
  seq: number;
  source: SiemSource;
  recordId: number;
  action: {
    id: string;
    at: number;
    status: ActionStatus;
    message: string;
    type: ActionType;
    target: string;
    tenantId: string;
    provider: string;
    mode: string;
    requestedBy: string;
    reason: string | null;
  } | null;
  audit: {
    at: number;
    event: string;
    actor: string;
    subject: string | null;
    detail: Record<string, unknown> | null;
    ip: string | null;
  } | null;
  /**
   * The record's hash in the audit log's hash chain (hex), forwarded as the CEF extension `cs6`
   * (label recordHash) and the HEC field `hash`: a SIEM can check it against an export or a
   * verification.
   */
  hash: string | null;
}

/** Up to `limit` queued records after `afterSeq`, in outbox order, each with its record. */
export function queuedAfter(db: Db, afterSeq: number, limit: number): QueuedRecord[] {
  const rows = db
    .select({
      seq: siemOutbox.seq,
      source: siemOutbox.source,
      recordId: siemOutbox.recordId,
      eventAt: actionEvents.at,
      eventStatus: actionEvents.status,
      eventMessage: actionEvents.message,
      actionId: actions.id,
      type: actions.type,
      target: actions.target,
      tenantId: actions.tenantId,
      provider: actions.provider,
      mode: actions.mode,
      requestedBy: actions.requestedBy,
      reason: actions.reason,
      auditAt: auditEvents.at,
      auditEvent: auditEvents.event,
      actor: auditEvents.actor,
      subject: auditEvents.subject,
      detail: auditEvents.detail,
      ip: auditEvents.ip,
      hash: auditChain.hash,
    })
    .from(siemOutbox)
    .leftJoin(actionEvents, and(eq(siemOutbox.source, "action_event"), eq(actionEvents.id, siemOutbox.recordId)))
    .leftJoin(actions, eq(actions.id, actionEvents.actionId))
    .leftJoin(auditEvents, and(eq(siemOutbox.source, "audit_event"), eq(auditEvents.id, siemOutbox.recordId)))
    // Its link in the hash chain: an action event is an `event` link, a security event an `audit` one.
    .leftJoin(
      auditChain,
      and(
        eq(auditChain.kind, sql`case ${siemOutbox.source} when 'action_event' then 'event' else 'audit' end`),
        eq(auditChain.ref, sql`cast(${siemOutbox.recordId} as text)`),
      ),
    )
    .where(gt(siemOutbox.seq, afterSeq))
    .orderBy(asc(siemOutbox.seq))
    .limit(limit)
    .all();
  return rows.map((r) => ({
    seq: r.seq,
    source: r.source,
    recordId: r.recordId,
    action:
      r.actionId === null || r.eventAt === null
        ? null
        : {
            id: r.actionId,
            at: r.eventAt,
            status: r.eventStatus!,
            message: r.eventMessage!,
            type: r.type!,
            target: r.target!,
            tenantId: r.tenantId!,
            provider: r.provider!,
            mode: r.mode!,
            requestedBy: r.requestedBy!,
            reason: r.reason,
          },
    audit:
      r.auditAt === null
        ? null
        : { at: r.auditAt, event: r.auditEvent!, actor: r.actor!, subject: r.subject, detail: r.detail, ip: r.ip },
    hash: r.hash === null ? null : r.hash.toString("hex"),
  }));
}

/**
 * The server forwards to `names` (and to no other): those are enabled, the rest disabled. A
 * destination new, or enabled again, starts with the records written from now on; one that stayed
 * enabled keeps its place.
 */
export function enableDestinations(db: Db, names: readonly string[]): void {
  db.transaction((tx) => {
    const now = tx.select({ seq: max(siemOutbox.seq) }).from(siemOutbox).get()?.seq ?? 0;
    tx.update(siemDestinations)
      .set({ enabled: false })
      .where(names.length > 0 ? notInArray(siemDestinations.name, [...names]) : undefined)
      .run();
    for (const name of names) {
      const row = tx.select().from(siemDestinations).where(eq(siemDestinations.name, name)).get();
      if (!row) tx.insert(siemDestinations).values({ name, deliveredSeq: now, enabled: true }).run();
      else if (!row.enabled) tx.update(siemDestinations).set({ enabled: true, deliveredSeq: now }).where(eq(siemDestinations.name, name)).run();
    }
  });
}

/** A destination's row (undefined before forwarding to it ever started). */
export function destinationRow(db: Db, name: string): SiemDestinationRow | undefined {
  return db.select().from(siemDestinations).where(eq(siemDestinations.name, name)).get();
}

/** How many queued records a destination has not had yet. */
export function backlogAfter(db: Db, afterSeq: number): number {
  return db.select({ n: count() }).from(siemOutbox).where(gt(siemOutbox.seq, afterSeq)).get()?.n ?? 0;
}

/** A destination got everything up to `seq` (the last record being `record`). */
export function markDelivered(db: Db, name: string, seq: number, record: string, at: number): void {
  db.update(siemDestinations)
    .set({ deliveredSeq: seq, deliveredRecord: record, deliveredAt: at, failures: 0 })
    .where(eq(siemDestinations.name, name))
    .run();
}

/** A destination's attempt failed: its error, and one more failure in a row. */
export function markFailed(db: Db, name: string, error: string, at: number): number {
  const row = db
    .update(siemDestinations)
    .set({ lastError: error, lastErrorAt: at, failures: sql`${siemDestinations.failures} + 1` })
    .where(eq(siemDestinations.name, name))
    .returning({ failures: siemDestinations.failures })
    .get();
  return row?.failures ?? 1;
}

/**
 * Deletes the queued records every enabled destination has had (all of them when none is
 * enabled), at most `batch` at a time so the write stays short. Returns how many went.
 */
export function pruneDelivered(db: Db, batch: number): number {
  const first = db.select({ seq: min(siemOutbox.seq) }).from(siemOutbox).get()?.seq;
  if (first === null || first === undefined) return 0;
  // No enabled destination: nothing waits for what is left.
  const upTo =
    db.select({ seq: min(siemDestinations.deliveredSeq) }).from(siemDestinations).where(eq(siemDestinations.enabled, true)).get()
      ?.seq ?? Number.MAX_SAFE_INTEGER;
  return db
    .delete(siemOutbox)
    .where(lte(siemOutbox.seq, Math.min(upTo, first + batch - 1)))
    .run().changes;
}
