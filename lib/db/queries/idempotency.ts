// Idempotency keys: a claim per (key, scope), then the response that answers every retry.
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { idempotencyKeys } from "@/lib/db/schema";

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;

const keyIs = (key: string, scope: string) => and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.scope, scope));

/** Deletes the key if it was made before `before` (it has expired). */
export function forgetKeyIfOlder(db: Db, key: string, scope: string, before: number): void {
  db.delete(idempotencyKeys)
    .where(and(keyIs(key, scope), lt(idempotencyKeys.createdAt, before)))
    .run();
}

/** Claims the key for a request with this body; false when another request holds it already. */
export function claimKey(db: Db, claim: { key: string; scope: string; bodyHash: string; createdAt: number }): boolean {
  return db.insert(idempotencyKeys).values(claim).onConflictDoNothing().run().changes === 1;
}

export function findKey(db: Db, key: string, scope: string): IdempotencyKeyRow | undefined {
  return db.select().from(idempotencyKeys).where(keyIs(key, scope)).get();
}

/** Gives a claimed key up, so that a retry can run. */
export function releaseKey(db: Db, key: string, scope: string): void {
  db.delete(idempotencyKeys).where(keyIs(key, scope)).run();
}

/** The answer every retry with the key gets. */
export function storeKeyResponse(
  db: Db,
  key: string,
  scope: string,
  response: Pick<IdempotencyKeyRow, "status" | "contentType" | "location" | "body">,
): void {
  db.update(idempotencyKeys).set(response).where(keyIs(key, scope)).run();
}

/** Deletes every key made before `before`; returns how many. */
export function forgetKeysOlderThan(db: Db, before: number): number {
  return db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before)).run().changes;
}
