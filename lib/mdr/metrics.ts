import "server-only";
import { countActionsByHour, countActiveTargets, successDurations } from "@/lib/db/queries/metrics";
import { ACTION_STATUSES, ACTION_TYPES, type ActionStatus, type ActionType } from "@/lib/mdr/enums";
import type { MdrContext } from "@/lib/mdr/context";
import { KIND_META } from "@/lib/mdr/kinds/catalog";
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

/** What is contained right now: the targets each kind with a metric group holds (its meta's `contained`). */
function containedNow(ctx: Pick<MdrContext, "db" | "scope">, now: number): MetricsResponse["contained_now"] {
  const groups = ACTION_TYPES.flatMap((type) => {
    const contained = KIND_META[type].contained;
    return contained ? [[contained.key, countActiveTargets(ctx.db, type, contained.unexpired ? now : undefined, ctx.scope ?? undefined)] as const] : [];
  });
  return Object.fromEntries(groups) as MetricsResponse["contained_now"];
}

// Totals, success rate, time to completion and what is contained now, over the last `hours`.
// Only of the caller's tenants.
export function getMetrics({ ctx, hours }: { ctx: Pick<MdrContext, "db" | "now" | "scope">; hours: number }): MetricsResponse {
  const until = ctx.now();
  const since = until - hours * HOUR_MS;
  // One pass counts by type, status and hour; the other gives the time each success took.
  const tenants = ctx.scope ?? undefined;
  const groups = countActionsByHour(ctx.db, since, until, HOUR_MS, tenants);
  const durations = successDurations(ctx.db, since, until, tenants);

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
  let total = 0;
  for (const g of groups) {
    byType[g.type] += g.n;
    byStatus[g.status] += g.n;
    byTypeAndStatus[g.type][g.status] += g.n;
    // An action made at `until` exactly belongs to the last hour.
    perHour[Math.min(hours - 1, g.hour)]!.count += g.n;
    total += g.n;
  }
  const decided = byStatus.succeeded + byStatus.failed;

  return {
    window: { hours, since: new Date(since).toISOString(), until: new Date(until).toISOString() },
    total,
    by_type: byType,
    by_status: byStatus,
    by_type_and_status: byTypeAndStatus,
    success_rate: decided === 0 ? null : byStatus.succeeded / decided,
    time_to_completion_ms: { median: percentile(durations, 50), p90: percentile(durations, 90) },
    contained_now: containedNow(ctx, until),
    per_hour: perHour,
  };
}
