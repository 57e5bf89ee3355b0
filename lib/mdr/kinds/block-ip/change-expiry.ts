// Move the end of an active IP block, earlier or later. The change is a step in the block's own
// timeline. A Defender indicator carries its expiry, so Defender is told (Submit or Update
// Indicator: the same value updates it in place); NSG rules and ACL entries have none, and the
// expiry sweep reads the row, so for them the row is all there is to change.
import "server-only";
import { MdrError } from "@/lib/errors";
import { findRunningUndo, patchAction } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { addEvent, getActionRow, providerFailure } from "@/lib/mdr/actions";
import { actionComment } from "@/lib/mdr/action-comment";
import type { MdrContext } from "@/lib/mdr/context";
import { FIREWALL_LABELS, type FirewallType, ProviderError } from "@/lib/mdr/providers/types";
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
  const row = getActionRow(ctx, id);
  if (!row) throw new MdrError("not_found", `No action ${id}.`);
  const why = whyNotChangeable(ctx, row);
  if (why) throw new MdrError("conflict", `The expiry of action ${id} cannot be changed: ${why}.`);
  const at = newExpiry(ctx, input.expires_at);
  const firewall = row.provider as FirewallType;
  const from = row.expiresAt === null ? "none" : iso(row.expiresAt);
  const by = `${ctx.actor}${input.reason ? `: ${input.reason}` : ""}`;

  try {
    await ctx.providers.firewalls[firewall].setExpiry(row.tenantId, row.providerRef!, {
      actionId: row.id,
      address: row.target,
      expiresAt: new Date(at),
      // The indicator's description as the block wrote it: an update must not rewrite who asked.
      description: actionComment(row.id, row.requestedBy, row.reason),
    });
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    const { error } = providerFailure(err);
    addEvent(ctx, row.id, row.status, `Expiry change from ${from} to ${iso(at)} by ${by} failed: ${err.message}`);
    throw new MdrError(error.code, error.message, { headers: error.headers, extra: { action_id: row.id } });
  }

  const where = firewall === "defender" ? ` (indicator ${row.providerRef} updated at Defender)` : ` (${FIREWALL_LABELS[firewall]}: the expiry sweep removes it then)`;
  const patch: Partial<ActionRow> = { expiresAt: at, updatedAt: ctx.now() };
  if (row.result && "expiration_time" in row.result) patch.result = { ...row.result, expiration_time: iso(at) };
  patchAction(ctx.db, row.id, patch);
  addEvent(ctx, row.id, row.status, `Expiry changed from ${from} to ${iso(at)}${where} by ${by}`);
  return getActionRow(ctx, row.id)!;
}
