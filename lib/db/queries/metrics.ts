// Counts over a time window of the audit log. Both window reads are ranges of the covering
// actions_created index, and SQLite does the counting: a day holds thousands of actions, and
// turning each into a JavaScript object cost more than the reading.
import { type SQL, and, count, eq, gte, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { type ActionStatus, type ActionType, actions } from "@/lib/db/schema";

/** Only these tenants (a caller's scope); undefined: every tenant. */
type Tenants = readonly string[] | undefined;
const ofTenants = (tenants: Tenants): SQL | undefined => (tenants ? inArray(actions.tenantId, [...tenants]) : undefined);

const inWindow = (since: number, until: number, tenants: Tenants) =>
  and(gte(actions.createdAt, since), lte(actions.createdAt, until), ofTenants(tenants));

/** Actions made from `since` to `until` (inclusive), counted by type, status and hour since `since`. */
export function countActionsByHour(
  db: Db,
  since: number,
  until: number,
  hourMs: number,
  tenants?: Tenants,
): { type: ActionType; status: ActionStatus; hour: number; n: number }[] {
  // CAST: the driver binds every JavaScript number as a REAL, which would make the division exact.
  const hourOf = sql<number>`cast((${actions.createdAt} - ${since}) / ${hourMs} as integer)`;
  return db
    .select({ type: actions.type, status: actions.status, hour: hourOf, n: count() })
    .from(actions)
    .where(inWindow(since, until, tenants))
    .groupBy(actions.type, actions.status, hourOf)
    .all();
}

/** How long each success made in the window took (completed - created), shortest first, as bare numbers. */
export function successDurations(db: Db, since: number, until: number, tenants?: Tenants): number[] {
  return db
    .values<[number]>(
      sql`select ${actions.completedAt} - ${actions.createdAt} from ${actions}
          where ${and(inWindow(since, until, tenants), eq(actions.status, "succeeded"), isNotNull(actions.completedAt))} order by 1`,
    )
    .map((r) => r[0]);
}

/** Distinct targets of a type whose effect is in place now; for blocks, only those expiring after `expiringAfter`. */
export function countActiveTargets(db: Db, type: ActionType, expiringAfter?: number, tenants?: Tenants): number {
  const extra = expiringAfter === undefined ? sql`1 = 1` : sql`${actions.expiresAt} > ${expiringAfter}`;
  return (
    db
      .select({ n: sql<number>`count(distinct ${actions.target})` })
      .from(actions)
      .where(and(eq(actions.type, type), eq(actions.active, true), extra, ofTenants(tenants)))
      .get()?.n ?? 0
  );
}
