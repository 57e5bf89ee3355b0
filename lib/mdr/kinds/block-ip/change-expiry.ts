// Move the end of an active IP block, earlier or later: an action of its own (change_expiry),
// written pending before anything is sent, bounded by the action deadline and settled after a
// crash like every other outside change. The block's own timeline records the change, and the
// PATCH answers with the block. A Defender indicator carries its expiry, so Defender is told
// (Submit or Update Indicator: the same value updates it in place); NSG rules and ACL entries have
// none, and the expiry sweep reads the row, so for them the row is all there is to change.
import "server-only";
import { MdrError } from "@/lib/errors";
import { findRunningUndo, patchAction } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { addEvent, getActionRow, requireVisibleAction, runAction } from "@/lib/mdr/actions";
import { actionComment } from "@/lib/mdr/action-comment";
import type { MdrContext } from "@/lib/mdr/context";
import { FIREWALL_LABELS, type FirewallType } from "@/lib/mdr/providers/types";
import { type ChangeExpiryRequest, MAX_BLOCK_HOURS } from "@/lib/mdr/schemas";

const HOUR_MS = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Why the action's expiry cannot be changed, or null when it can. */
function whyNotChangeable(ctx: MdrContext, row: ActionRow): string | null {
  if (row.type !== "block_ip") return `it is ${row.type}; only an IP block (block_ip) has an expiry`;
  if (row.revertedBy) return `the block was already ended by ${row.revertedBy}`;
  if (row.status !== "succeeded" || !row.active) return `the block is not in effect (status ${row.status}, active ${row.active})`;
  const ending = findRunningUndo(ctx.db, row.id);
  return ending ? `the block is being ended by ${ending}` : null;
}

/** The new expiry as milliseconds, refused (422 on expires_at) unless in the future and within the longest block. */
function newExpiry(ctx: MdrContext, expiresAt: string): number {
  const at = Date.parse(expiresAt);
  const now = ctx.now();
  if (at <= now) throw MdrError.field("expires_at", `must be in the future (it is now ${iso(now)})`);
  if (at - now > MAX_BLOCK_HOURS * HOUR_MS) {
    throw MdrError.field("expires_at", `must be at most ${MAX_BLOCK_HOURS} hours (one year) from now`);
  }
  return at;
}

/** Where the new expiry lives, as the block's timeline says it. */
export function whereSaid(block: ActionRow): string {
  const firewall = block.provider as FirewallType;
  return firewall === "defender"
    ? ` (indicator ${block.providerRef} updated at Defender)`
    : ` (${FIREWALL_LABELS[firewall]}: the expiry sweep removes it then)`;
}

/**
 * Writes the new expiry on the block's row, with the step in its timeline: what the expiry sweep
 * reads. `by` is who asked and why, as the timeline says it.
 */
export function applyExpiry(ctx: MdrContext, block: ActionRow, at: number, by: string, prefix = ""): void {
  const from = block.expiresAt === null ? "none" : iso(block.expiresAt);
  const patch: Partial<ActionRow> = { expiresAt: at, updatedAt: ctx.now() };
  if (block.result && "expiration_time" in block.result) patch.result = { ...block.result, expiration_time: iso(at) };
  patchAction(ctx.db, block.id, patch);
  addEvent(ctx, block.id, block.status, `${prefix}Expiry changed from ${from} to ${iso(at)}${whereSaid(block)} by ${by}`);
}

/** Who asked and why, as the block's timeline says it. */
export const askedBy = (actor: string, reason: string | null) => `${actor}${reason ? `: ${reason}` : ""}`;

// PATCH /actions/{id}
export async function changeExpiry({
  ctx,
  id,
  input,
}: {
  ctx: MdrContext;
  id: string;
  input: ChangeExpiryRequest;
}): Promise<ActionRow> {
  const block = requireVisibleAction(ctx, id);
  const why = whyNotChangeable(ctx, block);
  if (why) throw new MdrError("conflict", `The expiry of action ${id} cannot be changed: ${why}.`);
  const at = newExpiry(ctx, input.expires_at);
  const firewall = block.provider as FirewallType;
  const from = block.expiresAt === null ? "none" : iso(block.expiresAt);
  const by = askedBy(ctx.actor, input.reason);

  try {
    await runAction(
      ctx,
      {
        type: "change_expiry",
        target: block.target,
        tenantId: block.tenantId,
        provider: firewall,
        parameters: { block_action_id: block.id, ip: block.target, firewall_type: firewall, from, to: iso(at) },
        reason: input.reason,
      },
      async (_action, progress) => {
        await ctx.providers.firewalls[firewall].setExpiry(block.tenantId, block.providerRef!, {
          actionId: block.id,
          address: block.target,
          expiresAt: new Date(at),
          // The indicator's description as the block wrote it: an update must not rewrite who asked.
          description: actionComment(block.id, block.requestedBy, block.reason),
        });
        // Durably before the block's row changes; an action closed meanwhile (timed out) stops here.
        if (firewall === "defender") progress.note(`Defender updated indicator ${block.providerRef}`, { providerRef: block.providerRef! });
        applyExpiry(ctx, getActionRow(ctx, block.id)!, at, by);
        return {
          status: "succeeded",
          message: `Expiry of ${block.id} changed from ${from} to ${iso(at)}${whereSaid(block)}`,
          providerRef: block.providerRef ?? undefined,
        };
      },
    );
  } catch (err) {
    // The PATCH answers as before: the block's id, the provider's message; the block's timeline says it failed.
    if (!(err instanceof MdrError) || !err.extra.action_id) throw err;
    addEvent(ctx, block.id, block.status, `Expiry change from ${from} to ${iso(at)} by ${by} failed: ${err.message}`);
    throw new MdrError(err.code, err.message, { headers: err.headers, extra: { action_id: block.id } });
  }
  return getActionRow(ctx, block.id)!;
}
