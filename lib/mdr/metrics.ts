import "server-only";
import { and, eq, gte, lte, sql } from "drizzle-orm";
import { ACTION_STATUSES, ACTION_TYPES, type ActionStatus, type ActionType, actions } from "@/lib/db/schema";
import type { MdrContext } from "@/lib/mdr/context";
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
  // A range of the actions_created index, which covers every column read here.
  const inWindow = and(gte(actions.createdAt, since), lte(actions.createdAt, until));

  // One read of the window from the covering actions_created index; everything else is counted here.
  const rows = ctx.db
    .select({
      type: actions.type,
      status: actions.status,
      createdAt: actions.createdAt,
      completedAt: actions.completedAt,
    })
    .from(actions)
    .where(inWindow)
    .all();

  const byType = zeros(ACTION_TYPES);
  const byStatus = zeros(ACTION_STATUSES);
  const byTypeAndStatus = Object.fromEntries(ACTION_TYPES.map((t) => [t, zeros(ACTION_STATUSES)])) as Record<
    ActionType,
    Record<ActionStatus, number>
  >;
  const perHour = Array.from({ length: hours }, (_, i) => ({
    hour: new Date(since + i * HOUR_MS).toISOString(),
    count: 0,
  }));
  const durations: number[] = [];
  for (const r of rows) {
    byType[r.type]++;
    byStatus[r.status]++;
    byTypeAndStatus[r.type][r.status]++;
    perHour[Math.min(hours - 1, Math.floor((r.createdAt - since) / HOUR_MS))]!.count++;
    if (r.status === "succeeded" && r.completedAt !== null) durations.push(r.completedAt - r.createdAt);
  }
  durations.sort((a, b) => a - b);
  const total = rows.length;
  const decided = byStatus.succeeded + byStatus.failed;

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
