// A block or an unblock a crash left pending: the firewall's rule for the block says what happened.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { getActionRow, transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { VERIFIED, absent } from "@/lib/mdr/kinds/verified";
import { applyExpiry, askedBy, whereSaid } from "@/lib/mdr/kinds/block-ip/change-expiry";
import { blockedMessage } from "@/lib/mdr/providers/facts";
import { FIREWALL_LABELS, type FirewallType } from "@/lib/mdr/providers/types";

export async function settleBlock(ctx: MdrContext, row: ActionRow): Promise<void> {
  const firewall = row.provider as FirewallType;
  const found = await ctx.providers.firewalls[firewall].findBlock(row.tenantId, row.id, row.target, row.result);
  if (!found) {
    absent(ctx, row, `${FIREWALL_LABELS[firewall]} has no rule for ${row.target} from ${row.id}; nothing was blocked`);
    return;
  }
  const until = row.expiresAt === null ? "" : ` until ${new Date(row.expiresAt).toISOString()}`;
  transition(ctx, row, "succeeded", `${VERIFIED}: ${blockedMessage(firewall, row.target, found.ref, until)}`, {
    providerRef: found.ref,
    result: found.details,
    active: true,
  });
}

export async function settleUnblock(ctx: MdrContext, row: ActionRow): Promise<void> {
  const block = row.reverts ? getActionRow(ctx, row.reverts) : undefined;
  if (!block) {
    absent(ctx, row, "the block it was to end is not in the audit log");
    return;
  }
  const firewall = block.provider as FirewallType;
  const found = await ctx.providers.firewalls[firewall].findBlock(block.tenantId, block.id, block.target, block.result);
  if (found) {
    // The block stays active; the expiry sweep (or a new revert) ends it.
    absent(ctx, row, `rule ${found.ref} is still on ${FIREWALL_LABELS[firewall]}; nothing was removed`);
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: ${FIREWALL_LABELS[firewall]} no longer has the rule of ${block.id}`, {
    providerRef: block.providerRef ?? undefined,
    result: { already_absent: true },
  });
}

/**
 * A change of expiry: done when the block's expiry is the new one where it lives. A Defender
 * indicator carries it (then the block's row is brought up to date if the crash came before);
 * an NSG rule or ACL entry has none, so the block's row is all there is.
 */
export async function settleChangeExpiry(ctx: MdrContext, row: ActionRow): Promise<void> {
  const block = getActionRow(ctx, String(row.parameters.block_action_id));
  if (!block) {
    absent(ctx, row, "the block whose expiry it was to change is not in the audit log");
    return;
  }
  const to = Date.parse(String(row.parameters.to));
  const toIso = new Date(to).toISOString();
  if (block.provider === "defender") {
    const found = await ctx.providers.firewalls.defender.findBlock(block.tenantId, block.id, block.target, block.result);
    const expires = found?.details.expiration_time;
    if (!found || typeof expires !== "string" || Date.parse(expires) !== to) {
      absent(
        ctx,
        row,
        found
          ? `indicator ${found.ref} expires at ${typeof expires === "string" ? expires : "no time"}, not ${toIso}; the expiry was not changed`
          : `Defender has no indicator of ${block.id} for ${block.target}; the expiry was not changed`,
      );
      return;
    }
    if (block.expiresAt !== to) applyExpiry(ctx, block, to, askedBy(row.requestedBy, row.reason), `${VERIFIED}: `);
  } else if (block.expiresAt !== to) {
    absent(ctx, row, `${block.id} still expires at ${block.expiresAt === null ? "no time" : new Date(block.expiresAt).toISOString()}; nothing was changed`);
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: ${block.id} expires at ${toIso}${whereSaid(block)}`, {
    providerRef: block.providerRef ?? undefined,
  });
}
