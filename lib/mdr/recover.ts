// Crash recovery: a row left `pending` by a process that died in the middle of a provider call
// (kill -9, a power cut) says nothing of what happened at the provider. At start the provider is
// asked, and the row is completed with what is really there: done (succeeded and active, or in
// progress for the poller to follow) or verified absent (failed, saying so). No row stays pending.
import "server-only";
import { pendingActionsBefore } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { getActionRow, transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { isCommentOf } from "@/lib/mdr/action-comment";
import { machineActionFailure, machineActionOutcome } from "@/lib/mdr/machine-actions";
import {
  FIREWALL_LABELS,
  type FirewallType,
  type MachineAction,
  type MailFolder,
  ProviderError,
} from "@/lib/mdr/providers/types";

/** How long a row may wait for its provider to be reachable before it is closed as unknown. */
export const GIVE_UP_MS = 24 * 3_600_000;

const VERIFIED = "Verified after a restart";

/** Settles every row left pending by an earlier process; returns how many were settled. */
export async function recoverOrphans(ctx: MdrContext, startedAt: number): Promise<number> {
  const orphans = pendingActionsBefore(ctx.db, startedAt);
  let settled = 0;
  for (const row of orphans) {
    try {
      await settle(ctx, row);
      settled++;
    } catch (err) {
      if (ctx.now() - row.createdAt > GIVE_UP_MS) {
        const message = `Outcome unknown: the provider could not be asked for ${GIVE_UP_MS / 3_600_000} h after a restart (${(err as Error).message})`;
        transition(ctx, row, "failed", message, { error: message });
        settled++;
      } else {
        // Unreachable for now: the next round asks again.
        console.error(`[mdr] recovery of ${row.id} must wait: ${(err as Error).message}`);
      }
    }
  }
  return settled;
}

async function settle(ctx: MdrContext, row: ActionRow): Promise<void> {
  switch (row.type) {
    case "isolate_endpoint":
    case "release_endpoint":
      return settleMachineAction(ctx, row);
    case "block_ip":
      return settleBlock(ctx, row);
    case "unblock_ip":
      return settleUnblock(ctx, row);
    case "disable_user":
      return settleDisable(ctx, row);
    case "enable_user":
      return settleEnable(ctx, row);
    case "quarantine_email":
      return settleQuarantine(ctx, row);
    case "restore_email":
      return settleRestore(ctx, row);
  }
}

function absent(ctx: MdrContext, row: ActionRow, what: string): void {
  const message = `${VERIFIED}: ${what}`;
  transition(ctx, row, "failed", message, { error: message });
}

/** The device an isolation or release was for, or null when it never resolved to one. */
async function machineOf(ctx: MdrContext, row: ActionRow): Promise<string | null> {
  const known = row.result?.machine_id ?? row.parameters.machine_id;
  if (typeof known === "string" && known !== "") return known;
  const hostname = row.parameters.hostname;
  if (typeof hostname !== "string") return null;
  const machines = await ctx.providers.endpoint.findMachines(row.tenantId, hostname);
  return machines.length === 1 ? machines[0]!.id : null;
}

/** Defender's machine action sent in this row's name: its Comment is the row's (actionComment). */
async function settleMachineAction(ctx: MdrContext, row: ActionRow): Promise<void> {
  const isolating = row.type === "isolate_endpoint";
  const machineId = await machineOf(ctx, row);
  if (machineId === null) {
    absent(ctx, row, `${row.target} does not resolve to one device, so no ${isolating ? "isolation" : "release"} was sent`);
    return;
  }
  const type: MachineAction["type"] = isolating ? "Isolate" : "Unisolate";
  const sent = (await ctx.providers.endpoint.listMachineActions(row.tenantId, machineId)).find(
    (a) => a.type === type && isCommentOf(a.requestorComment, row.id),
  );
  if (!sent) {
    absent(ctx, row, `Defender has no ${type} machine action from ${row.id} for device ${machineId}; nothing was sent`);
    return;
  }
  const facts = { providerRef: sent.id, result: { machine_id: machineId, machine_action_status: sent.status } };
  switch (machineActionOutcome(sent.status)) {
    case "succeeded":
      transition(ctx, row, "succeeded", `${VERIFIED}: Defender ${isolating ? "isolated" : "released"} the device (${sent.id})`, {
        ...facts,
        active: isolating,
      });
      break;
    case "failed": {
      const message = `${VERIFIED}: Defender machine action ${sent.id} ended ${sent.status}`;
      transition(ctx, row, "failed", message, { ...facts, error: machineActionFailure(sent).message });
      break;
    }
    case "running":
      // Still running at Defender: the poller follows it from here.
      transition(ctx, row, "in_progress", `${VERIFIED}: Defender machine action ${sent.id} is ${sent.status}`, facts);
  }
}

async function settleBlock(ctx: MdrContext, row: ActionRow): Promise<void> {
  const firewall = row.provider as FirewallType;
  const found = await ctx.providers.firewalls[firewall].findBlock(row.tenantId, row.id, row.target, row.result);
  if (!found) {
    absent(ctx, row, `${FIREWALL_LABELS[firewall]} has no rule for ${row.target} from ${row.id}; nothing was blocked`);
    return;
  }
  const until = row.expiresAt === null ? "" : ` until ${new Date(row.expiresAt).toISOString()}`;
  transition(ctx, row, "succeeded", `${VERIFIED}: ${row.target} is blocked on ${FIREWALL_LABELS[firewall]} (${found.ref})${until}`, {
    providerRef: found.ref,
    result: found.details,
    active: true,
  });
}

async function settleUnblock(ctx: MdrContext, row: ActionRow): Promise<void> {
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

async function settleDisable(ctx: MdrContext, row: ActionRow): Promise<void> {
  const identity = ctx.providers.identity;
  const user = await identity.getUser(row.tenantId, row.target);
  if (user.accountEnabled) {
    absent(ctx, row, `${row.target} is enabled; the account was not disabled`);
    return;
  }
  const facts = { providerRef: user.id, result: { user_id: user.id }, active: true };
  if (row.parameters.revoke_sessions === false) {
    transition(ctx, row, "succeeded", `${VERIFIED}: the account is disabled; sign-in sessions were not revoked, as asked`, facts);
    return;
  }
  // Whether the revoke went out before the crash cannot be read back from Graph; revoking again
  // revokes nothing more, so it is sent now to finish what was asked.
  try {
    await identity.revokeSignInSessions(row.tenantId, row.target);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    const message = `Partial failure: the account is disabled, but revoking its sign-in sessions after a restart failed: ${err.message}`;
    transition(ctx, row, "failed", message, { ...facts, error: message });
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: the account is disabled; sign-in sessions revoked`, {
    ...facts,
    result: { user_id: user.id, sessions_revoked: true },
  });
}

async function settleEnable(ctx: MdrContext, row: ActionRow): Promise<void> {
  const user = await ctx.providers.identity.getUser(row.tenantId, row.target);
  if (!user.accountEnabled) {
    absent(ctx, row, `${row.target} is still disabled; the account was not enabled`);
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: the account is enabled`, { providerRef: user.id });
}

const QUARANTINE_FOLDER: Record<string, MailFolder | null> = {
  softDelete: "recoverableitemsdeletions",
  moveToJunk: "junkemail",
  hardDelete: null,
};

/** Where the copies of a quarantined message are now. */
async function settleQuarantine(ctx: MdrContext, row: ActionRow): Promise<void> {
  const mail = ctx.providers.mail;
  const mailbox = String(row.parameters.user_principal_name);
  const folder = QUARANTINE_FOLDER[String(row.parameters.action)] ?? null;
  const noted = (row.result?.messages ?? []) as { id: string; new_id: string | null; subject: string }[];
  if (!row.target.startsWith("<")) {
    // A Graph message id changes when the message moves: only what the row noted can be vouched for.
    if (noted.length > 0) {
      transition(ctx, row, "succeeded", `${VERIFIED}: ${noted.length} message(s) had been dealt with before the restart`, {
        active: true,
      });
    } else if ((await mail.findMessages(row.tenantId, mailbox, row.target)).length > 0) {
      absent(ctx, row, `message ${row.target} is still where it was; nothing was moved`);
    } else {
      absent(ctx, row, `message ${row.target} no longer resolves and the action noted no move; the outcome cannot be confirmed`);
    }
    return;
  }
  const remaining = await mail.findMessages(row.tenantId, mailbox, row.target);
  if (folder === null) {
    if (remaining.length === 0) {
      transition(ctx, row, "succeeded", `${VERIFIED}: no copy of the message is left in the mailbox`, { active: true });
    } else {
      const what = noted.length > 0 ? `${remaining.length} copy(ies) are still in the mailbox` : "the message is still in the mailbox; nothing was deleted";
      transition(ctx, row, "failed", `${VERIFIED}: ${what}`, { error: `${VERIFIED}: ${what}`, active: noted.length > 0 });
    }
    return;
  }
  const moved = await mail.findMessagesIn(row.tenantId, mailbox, row.target, folder);
  const outside = remaining.filter((m) => !moved.some((x) => x.id === m.id));
  if (moved.length === 0) {
    absent(ctx, row, `no copy of the message is in ${folder}; nothing was moved`);
    return;
  }
  const messages = moved.map((m) => ({ id: noted.find((n) => n.new_id === m.id)?.id ?? null, new_id: m.id, subject: m.subject }));
  const facts = { providerRef: moved[0]!.id, result: { messages, folder }, active: true };
  if (outside.length > 0) {
    const message = `${VERIFIED}: partial failure: ${moved.length} copy(ies) are in ${folder}, ${outside.length} still outside it`;
    transition(ctx, row, "failed", message, { ...facts, error: message });
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: ${moved.length} message(s) are in ${folder}`, facts);
}

async function settleRestore(ctx: MdrContext, row: ActionRow): Promise<void> {
  const mailbox = String(row.parameters.user_principal_name);
  if (!row.target.startsWith("<")) {
    absent(ctx, row, "a message known only by its Graph id cannot be looked for in the inbox; the outcome cannot be confirmed");
    return;
  }
  const back = await ctx.providers.mail.findMessagesIn(row.tenantId, mailbox, row.target, "inbox");
  if (back.length === 0) {
    absent(ctx, row, "no copy of the message is in the inbox; nothing was moved back");
    return;
  }
  transition(ctx, row, "succeeded", `${VERIFIED}: ${back.length} message(s) are back in the inbox`, { providerRef: back[0]!.id });
}
