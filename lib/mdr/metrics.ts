import "server-only";
import { and, count, eq, gte, isNotNull, lte, sql } from "drizzle-orm";
import { ACTION_STATUSES, ACTION_TYPES, type ActionStatus, type ActionType, actions } from "@/lib/db/schema";
import type { MdrContext } from "@/lib/mdr/context";
import { idCeiling, idFloor } from "@/lib/mdr/list-actions";
import type { MetricsResponse } from "@/lib/mdr/schemas";

const HOUR_MS = 3_600_000;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  // Nearest-rank: the smallest value with at least p% of the values at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

// Totals, success rate, time to completion and what is contained now, over the last `hours`.
export function getMetrics({ ctx, hours }: { ctx: Pick<MdrContext, "db" | "now">; hours: number }): MetricsResponse {
  const until = ctx.now();
  const since = until - hours * HOUR_MS;
  // The window is a range of the primary key: ids begin with their creation time.
  const inWindow = and(gte(actions.id, idFloor(since)), lte(actions.id, idCeiling(until)));

  const groups = ctx.db
    .select({ type: actions.type, status: actions.status, n: count() })
    .from(actions)
    .where(inWindow)
    .groupBy(actions.type, actions.status)
    .all();

  const byType = zeros(ACTION_TYPES);
  const byStatus = zeros(ACTION_STATUSES);
  const byTypeAndStatus = Object.fromEntries(ACTION_TYPES.map((t) => [t, zeros(ACTION_STATUSES)])) as Record<
    ActionType,
    Record<ActionStatus, number>
  >;
  for (const g of groups) {
    byType[g.type] += g.n;
    byStatus[g.status] += g.n;
    byTypeAndStatus[g.type][g.status] += g.n;
  }
  const total = groups.reduce((sum, g) => sum + g.n, 0);
  const decided = byStatus.succeeded + byStatus.failed;

  const durations = ctx.db
    .select({ ms: sql<number>`${actions.completedAt} - ${actions.createdAt}` })
    .from(actions)
    .where(and(inWindow, eq(actions.status, "succeeded"), isNotNull(actions.completedAt)))
    .all()
    .map((r) => r.ms)
    .sort((a, b) => a - b);

  const hourly = ctx.db
    .select({ bucket: sql<number>`(${actions.createdAt} - ${since}) / ${HOUR_MS}`, n: count() })
    .from(actions)
    .where(inWindow)
    .groupBy(sql`1`)
    .all();
  const perHour = Array.from({ length: hours }, (_, i) => ({
    hour: new Date(since + i * HOUR_MS).toISOString(),
    count: 0,
  }));
  for (const h of hourly) {
    const i = Math.min(hours - 1, Math.max(0, Math.floor(h.bucket)));
    perHour[i]!.count += h.n;
  }

  const activeTargets = (type: ActionType, extra = sql`1 = 1`) =>
    ctx.db
      .select({ n: sql<number>`count(distinct ${actions.target})` })
      .from(actions)
      .where(and(eq(actions.type, type), eq(actions.active, true), extra))
      .get()?.n ?? 0;

  return {
    window: { hours, since: new Date(since).toISOString(), until: new Date(until).toISOString() },
    total,
    by_type: byType,
    by_status: byStatus,
    by_type_and_status: byTypeAndStatus,
    success_rate: decided === 0 ? null : byStatus.succeeded / decided,
    time_to_completion_ms: { median: percentile(durations, 50), p90: percentile(durations, 90) },
    contained_now: {
      isolated_endpoints: activeTargets("isolate_endpoint"),
      active_ip_blocks: activeTargets("block_ip", sql`${actions.expiresAt} > ${until}`),
      disabled_users: activeTargets("disable_user"),
    },
    per_hour: perHour,
  };
}
