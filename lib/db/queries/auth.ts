// Who may sign in and how: users, browser sessions, API tokens, and the security audit log.
import { and, asc, count, desc, eq, gt, gte, isNull, lt, lte, ne, sql } from "drizzle-orm";
import type { AuditEvent } from "@/lib/auth/enums";
import { type Db, perDb } from "@/lib/db/client";
import { chainAudit, inWrite } from "@/lib/db/queries/chain";
import { enqueueSiemRecord } from "@/lib/db/queries/siem";
import {
  type ApiTokenRow,
  type AuditEventRow,
  type SessionRow,
  type UserRow,
  apiTokens,
  auditEvents,
  sessions,
  users,
} from "@/lib/db/schema";

// --- users

/** By username, as stored (lower case). */
export function findUserByName(db: Db, username: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.username, username)).get();
}

/** By single sign-on identity (issuer + subject). */
export function findUserByOidcSubject(db: Db, subject: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.oidcSubject, subject)).get();
}

export function listUsersByName(db: Db): UserRow[] {
  return db.select().from(users).orderBy(users.username).all();
}

export function countUsers(db: Db): number {
  return db.select({ n: count() }).from(users).get()!.n;
}

export function insertUser(db: Db, row: UserRow): void {
  db.insert(users).values(row).run();
}

export function patchUser(db: Db, id: string, patch: Partial<UserRow>): void {
  db.update(users).set(patch).where(eq(users.id, id)).run();
}

// --- sessions

/** A new session, and its user's last sign-in time: together. */
export function insertSession(db: Db, session: SessionRow): void {
  db.transaction((tx) => {
    tx.insert(sessions).values(session).run();
    tx.update(users).set({ lastSignInAt: session.createdAt }).where(eq(users.id, session.userId)).run();
  });
}

/** Every signed-in request looks its session up: prepared once per database. */
const sessionBySecret = perDb((db: Db) =>
  db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.secretHash, sql.placeholder("secretHash")))
    .prepare(),
);

/** The session whose secret hashes to `secretHash`, with its user, whatever its state. */
export function findSessionBySecretHash(db: Db, secretHash: string): { session: SessionRow; user: UserRow } | undefined {
  return sessionBySecret(db).get({ secretHash });
}

export function touchSession(db: Db, id: string, at: number): void {
  db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id)).run();
}

export function revokeSessionById(db: Db, id: string, at: number): void {
  db.update(sessions).set({ revokedAt: at }).where(eq(sessions.id, id)).run();
}

/** Ends every session of a user but `keepId` (the one that changed the password); how many were live. */
export function revokeOtherSessionsOfUser(db: Db, userId: string, keepId: string, at: number): number {
  return db
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepId), isNull(sessions.revokedAt), gt(sessions.expiresAt, at)))
    .run().changes;
}

/** Ends every session of a user (signed out everywhere). */
export function revokeSessionsOfUser(db: Db, userId: string, at: number): void {
  db.update(sessions).set({ revokedAt: at }).where(eq(sessions.userId, userId)).run();
}

// --- API tokens

export function findTokenByName(db: Db, name: string): ApiTokenRow | undefined {
  return db.select().from(apiTokens).where(eq(apiTokens.name, name)).get();
}

export function findTokenById(db: Db, id: string): ApiTokenRow | undefined {
  return db.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
}

/** Every request with a token looks it up: prepared once per database. */
const tokenBySecret = perDb((db: Db) =>
  db.select().from(apiTokens).where(eq(apiTokens.secretHash, sql.placeholder("secretHash"))).prepare(),
);

export function findTokenBySecretHash(db: Db, secretHash: string): ApiTokenRow | undefined {
  return tokenBySecret(db).get({ secretHash });
}

export function insertToken(db: Db, row: ApiTokenRow): void {
  db.insert(apiTokens).values(row).run();
}

export function touchToken(db: Db, id: string, at: number): void {
  db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id)).run();
}

export function revokeTokenById(db: Db, id: string, at: number, by: string): void {
  db.update(apiTokens).set({ revokedAt: at, revokedBy: by }).where(eq(apiTokens.id, id)).run();
}

/** Oldest first. */
export function listTokensByCreation(db: Db): ApiTokenRow[] {
  return db.select().from(apiTokens).orderBy(apiTokens.createdAt).all();
}

// --- the security audit log

export function insertAuditEvent(db: Db, row: Omit<AuditEventRow, "id">): void {
  // Chained, and queued for the SIEM destinations, in the same transaction as the event itself.
  inWrite(db, () => {
    const id = db.insert(auditEvents).values(row).run().lastInsertRowid;
    chainAudit(db, id);
    enqueueSiemRecord(db, "audit_event", id);
  });
}

/** Newest first, at most `limit`, of one event if given, with ids below `before` if given (keyset). */
export function listAuditEvents(db: Db, opts: { event?: AuditEvent; before?: number; limit: number }): AuditEventRow[] {
  return db
    .select()
    .from(auditEvents)
    .where(
      and(
        opts.event ? eq(auditEvents.event, opts.event) : undefined,
        opts.before !== undefined ? lt(auditEvents.id, opts.before) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(opts.limit)
    .all();
}

/**
 * When the failed sign-ins for an account (from one address, when given), or from an address,
 * happened after `since`: oldest first.
 */
export function signInFailureTimes(db: Db, by: { subject: string; ip?: string } | { ip: string }, since: number): number[] {
  return db
    .select({ at: auditEvents.at })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.event, "sign_in_failed"),
        "subject" in by ? eq(auditEvents.subject, by.subject) : undefined,
        by.ip !== undefined ? eq(auditEvents.ip, by.ip) : undefined,
        gt(auditEvents.at, since),
      ),
    )
    .orderBy(auditEvents.at)
    .all()
    .map((r) => r.at);
}

/**
 * One page of an export of the security audit log, oldest first: ids above `idAbove` up to
 * `idMax` (both keyset bounds on the primary key), of one event if given, at or after `atFrom`
 * and at or before `atTo` when given.
 */
export function exportAuditEvents(
  db: Db,
  opts: { event?: AuditEvent; atFrom?: number; atTo?: number; idAbove: number; idMax: number; limit: number },
): AuditEventRow[] {
  return db
    .select()
    .from(auditEvents)
    .where(
      and(
        gt(auditEvents.id, opts.idAbove),
        lte(auditEvents.id, opts.idMax),
        opts.event ? eq(auditEvents.event, opts.event) : undefined,
        opts.atFrom !== undefined ? gte(auditEvents.at, opts.atFrom) : undefined,
        opts.atTo !== undefined ? lte(auditEvents.at, opts.atTo) : undefined,
      ),
    )
    .orderBy(asc(auditEvents.id))
    .limit(opts.limit)
    .all();
}

/** The newest audit event's id (0 for none): where an export started now ends. */
export function lastAuditEventId(db: Db): number {
  return db.select({ id: sql<number>`coalesce(max(${auditEvents.id}), 0)` }).from(auditEvents).get()!.id;
}
