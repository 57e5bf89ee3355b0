// Bulk requests: the bulk's own row, and its actions (each names it in `parameters.bulk_id`).
import { and, asc, count, eq, lte, sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { type ActionRow, type BulkRow, actions, bulks } from "@/lib/db/schema";
import type { ProviderName } from "@/lib/mdr/enums";

/** The expression the `actions_bulk` index is on, with the term its WHERE needs to be used. */
const BULK_OF = sql`json_extract(${actions.parameters}, '$.bulk_id')`;
const ofBulk = (id: string) => and(sql`${BULK_OF} is not null`, sql`${BULK_OF} = ${id}`);

export function insertBulk(db: Db, bulk: BulkRow): void {
  db.insert(bulks).values(bulk).run();
}

export function findBulk(db: Db, id: string): BulkRow | undefined {
  return db.select().from(bulks).where(eq(bulks.id, id)).get();
}

/** The bulk's actions in the order they were asked. */
export function bulkActions(db: Db, id: string): ActionRow[] {
  return db.select().from(actions).where(ofBulk(id)).orderBy(asc(actions.id)).all();
}

/** Queued actions of one provider and tenant up to `lastId` (inclusive): what goes out before it. */
export function queuedUpTo(db: Db, provider: ProviderName, tenantId: string, lastId: string): number {
  return (
    db
      .select({ n: count() })
      .from(actions)
      .where(and(eq(actions.status, "queued"), lte(actions.id, lastId), eq(actions.provider, provider), eq(actions.tenantId, tenantId)))
      .get()?.n ?? 0
  );
}
