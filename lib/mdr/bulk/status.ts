// GET /bulk/{id}: how far a bulk has got, each target's action as it is now, and when its queued
// targets should have gone out under the configured rate limits.
import "server-only";
import { bulkActions, queuedUpTo } from "@/lib/db/queries/bulks";
import type { ActionRow, BulkRow } from "@/lib/db/schema";
import { bulkTarget, requireVisibleBulk } from "@/lib/mdr/bulk/requests";
import type { MdrContext } from "@/lib/mdr/context";
import { kindOf } from "@/lib/mdr/kinds";
import { serviceOf } from "@/lib/mdr/providers/facts";
import type { BulkStatus } from "@/lib/mdr/schemas";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * When the bulk's last queued target should go: every queued action of its provider and tenant up
 * to it goes first (oldest first), each a call or a batch, at the pace the rate gate allows.
 */
function estimateDone(ctx: MdrContext, bulk: BulkRow, rows: ActionRow[]): number | null {
  const last = rows.findLast((r) => r.status === "queued");
  if (!last) return null;
  const queue = kindOf(bulk.type).queue;
  const ahead = queuedUpTo(ctx.db, bulk.provider, bulk.tenantId, last.id);
  const batch = queue?.batch?.(ctx, bulk.provider);
  const calls = batch ? Math.ceil(ahead / batch.size) * (queue?.calls ?? 1) : ahead * (queue?.calls ?? 1);
  return ctx.providers.gate.estimate(serviceOf(bulk.provider), bulk.tenantId, calls);
}

export function getBulkStatus(ctx: MdrContext, id: string): BulkStatus {
  const bulk = requireVisibleBulk(ctx, id);
  const rows = bulkActions(ctx.db, id);
  return {
    id: bulk.id,
    type: bulk.type,
    tenant_id: bulk.tenantId,
    provider: bulk.provider,
    requested_by: bulk.requestedBy,
    created_at: iso(bulk.createdAt)!,
    reverts: bulk.reverts,
    total: bulk.total,
    // From the rows just read: one read of the bulk, not a second one to count it.
    counts: rows.reduce<Record<string, number>>((n, r) => ((n[r.status] = (n[r.status] ?? 0) + 1), n), {}),
    results: rows.map((r) => ({
      target: bulkTarget(r),
      id: r.id,
      status: r.status,
      active: r.active,
      error: r.error,
      completed_at: iso(r.completedAt),
    })),
    estimated_done_at: iso(estimateDone(ctx, bulk, rows)),
  };
}
