import "server-only";
import { type SQL, and, desc, eq, gte, lt, lte } from "drizzle-orm";
import { encodeTime } from "ulid";
import { actions } from "@/lib/db/schema";
import { toApiAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import type { ActionList, ListActionsQuery } from "@/lib/mdr/schemas";

/** The smallest and largest action ids that can be made at a given time: ids sort by time. */
export const idFloor = (ms: number) => `act_${encodeTime(ms, 10)}${"0".repeat(16)}`;
export const idCeiling = (ms: number) => `act_${encodeTime(ms, 10)}${"Z".repeat(16)}`;

// The audit log, newest first, a keyset page at a time (no OFFSET: deep pages cost the same).
export function listActions({ ctx, query }: { ctx: Pick<MdrContext, "db">; query: ListActionsQuery }): ActionList {
  const where: SQL[] = [];
  if (query.type) where.push(eq(actions.type, query.type));
  if (query.status) where.push(eq(actions.status, query.status));
  if (query.target) where.push(eq(actions.target, query.target));
  if (query.tenant_id) where.push(eq(actions.tenantId, query.tenant_id));
  if (query.since) where.push(gte(actions.id, idFloor(Date.parse(query.since))));
  if (query.until) where.push(lte(actions.id, idCeiling(Date.parse(query.until))));
  if (query.cursor) where.push(lt(actions.id, query.cursor));
  const rows = ctx.db
    .select()
    .from(actions)
    .where(and(...where))
    .orderBy(desc(actions.id))
    .limit(query.limit + 1)
    .all();
  const page = rows.slice(0, query.limit);
  return {
    actions: page.map(toApiAction),
    next_cursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
  };
}
