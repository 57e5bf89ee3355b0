import "server-only";
import { encodeTime } from "ulid";
import { listActionRows } from "@/lib/db/queries/actions";
import { toApiAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import type { ActionList, ListActionsQuery } from "@/lib/mdr/schemas";
import { inScope } from "@/lib/mdr/tenant";

/** The smallest and largest action ids that can be made at a given time: ids sort by time. */
export const idFloor = (ms: number) => `act_${encodeTime(ms, 10)}${"0".repeat(16)}`;
export const idCeiling = (ms: number) => `act_${encodeTime(ms, 10)}${"Z".repeat(16)}`;

// The audit log, newest first, a keyset page at a time (no OFFSET: deep pages cost the same).
export function listActions({ ctx, query }: { ctx: Pick<MdrContext, "db" | "scope">; query: ListActionsQuery }): ActionList {
  // A caller's scope narrows every list; a tenant filter outside it finds nothing.
  if (query.tenant_id !== undefined && !inScope(ctx, query.tenant_id)) return { actions: [], next_cursor: null };
  const filter = {
    type: query.type,
    status: query.status,
    target: query.target,
    tenantId: query.tenant_id,
    idFrom: query.since ? idFloor(Date.parse(query.since)) : undefined,
    idTo: query.until ? idCeiling(Date.parse(query.until)) : undefined,
    idBelow: query.cursor,
    tenantIn: ctx.scope ?? undefined,
  };
  const rows = listActionRows(ctx.db, filter, query.limit + 1);
  const page = rows.slice(0, query.limit);
  return {
    actions: page.map(toApiAction),
    next_cursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
  };
}
