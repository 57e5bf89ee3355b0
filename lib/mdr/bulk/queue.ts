// The durable queue a bulk's targets wait in. Every target is written first as an action of its
// own, `queued` (recorded, nothing sent); it is then taken from the queue exactly once (a claim
// that moves it to `pending`) and run through the one pipeline, in batches where the provider has
// a batch form. A target whose call has no turn soon under the provider's limits goes back to wait
// (nothing was sent); the background worker takes it when its turn comes, also after a restart.
import "server-only";
import { monotonicFactory } from "ulid";
import { inTransaction } from "@/lib/db/client";
import { claimQueued, queuedActions } from "@/lib/db/queries/actions";
import { insertBulk } from "@/lib/db/queries/bulks";
import type { ActionRow, BulkRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import { type ActionSpec, type Perform, type PerformMany, addEvent, executeMany, writeAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { kindOf } from "@/lib/mdr/kinds";

/** How many calls (or batches) of a bulk run at once; the rate gate decides when each goes. */
export const BULK_CONCURRENCY = 8;

/**
 * The longest a call of a bulk's target run within its request waits for a turn: the answer comes
 * at once, and what has no turn by then waits in the queue.
 */
export const REQUEST_WAIT_MS = 5_000;

const bulkIds = monotonicFactory();

/** `blk_` + a ULID of the creation time. */
export function newBulkId(at: number): string {
  return `blk_${bulkIds(at)}`;
}

/** What an item of a bulk ended as within its request: its row, or the error its single request would have answered. */
export type Written = { target: string; row: ActionRow } | { target: string; error: unknown };

/**
 * Writes a bulk and an action per target, queued, in one transaction. A target its guardrails
 * or duplicate rule refuse is recorded rejected at once and never queued.
 */
export function enqueueBulk(
  ctx: MdrContext,
  head: Pick<BulkRow, "type" | "tenantId" | "provider" | "reverts">,
  items: { target: string; spec: ActionSpec }[],
): { bulk: BulkRow; written: Written[] } {
  const now = ctx.now();
  const bulk: BulkRow = { id: newBulkId(now), ...head, requestedBy: ctx.actor, total: items.length, createdAt: now };
  const written = inTransaction(ctx.db, () => {
    insertBulk(ctx.db, bulk);
    return items.map(({ target, spec }, i): Written => {
      try {
        const row = writeAction(
          ctx,
          { ...spec, parameters: { ...spec.parameters, bulk_id: bulk.id } },
          { note: `target ${i + 1} of ${items.length} of bulk ${bulk.id}; queued` },
        );
        return { target, row };
      } catch (error) {
        return { target, error };
      }
    });
  });
  return { bulk, written };
}

/** A piece of work: one action, or a batch of a provider's batch form. */
interface Unit {
  lane: string;
  rows: ActionRow[];
  perform: PerformMany;
}

function unitsOf(ctx: MdrContext, rows: ActionRow[]): Unit[] {
  const units: Unit[] = [];
  const batches = new Map<string, { size: number; perform: PerformMany; rows: ActionRow[] }>();
  for (const row of rows) {
    const queue = kindOf(row.type).queue;
    if (!queue) throw new Error(`action ${row.id} of type ${row.type} cannot wait in the queue`);
    const lane = `${row.provider} ${row.tenantId}`;
    const batch = queue.batch?.(ctx, row.provider);
    if (batch) {
      const key = `${row.type} ${lane}`;
      let open = batches.get(key);
      if (!open || open.rows.length >= batch.size) {
        open = { ...batch, rows: [] };
        batches.set(key, open);
        units.push({ lane, rows: open.rows, perform: batch.perform });
      }
      open.rows.push(row);
    } else {
      const perform: Perform = queue.perform(ctx);
      units.push({ lane, rows: [row], perform: async ([a], [p]) => [await perform(a!, p!)] });
    }
  }
  return units;
}

/**
 * Runs queued actions: each taken once (another worker may have taken it: then it is skipped), in
 * batches where the provider has them, at most BULK_CONCURRENCY at a time. Once an action of a
 * lane (provider and tenant) goes back to wait, the lane's other actions are left queued too.
 * Returns what each action taken here ended as (its row, or the error its single request would have answered).
 */
export async function runQueued(ctx: MdrContext, rows: ActionRow[], waitUntil?: number): Promise<Map<string, ActionRow | MdrError>> {
  const ended = new Map<string, ActionRow | MdrError>();
  const units = unitsOf(ctx, rows);
  const stalled = new Set<string>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < units.length; i = next++) {
      const unit = units[i]!;
      if (stalled.has(unit.lane)) continue;
      const now = ctx.now();
      // The request answers now: what has not started waits in the queue.
      if (waitUntil !== undefined && Date.now() >= waitUntil) break;
      const taken: ActionRow[] = [];
      for (const row of unit.rows) {
        const claimed = claimQueued(ctx.db, row.id, now);
        if (!claimed) continue;
        // A target that waited past its request's answer says when its turn came.
        if (now - row.updatedAt >= 1000) {
          addEvent(ctx, row.id, "pending", `Taken from the queue after ${((now - row.updatedAt) / 1000).toFixed(1)} s`);
        }
        taken.push(claimed);
      }
      if (taken.length === 0) continue;
      const results = await executeMany(ctx, taken, unit.perform, { waitUntil });
      results.forEach((r, k) => {
        ended.set(taken[k]!.id, r);
        if (!(r instanceof MdrError) && r.status === "queued") stalled.add(unit.lane);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, units.length) }, worker));
  return ended;
}

/** How many queued actions the background worker reads per round. */
const QUEUE_PAGE = 2_000;

/** The background worker's round: the queue's head, run as the limits allow; returns how many ended or moved. */
export async function drainQueue(ctx: MdrContext): Promise<number> {
  const rows = queuedActions(ctx.db, QUEUE_PAGE);
  if (rows.length === 0) return 0;
  const ended = await runQueued(ctx, rows);
  return [...ended.values()].filter((r) => r instanceof MdrError || r.status !== "queued").length;
}
