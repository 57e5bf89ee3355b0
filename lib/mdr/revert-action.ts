// Undo an action: release the endpoint, remove the block, re-enable the user, move the email
// back to the inbox. The reverse action is an action of its own, linked by `reverts`; when it
// succeeds the original shows `reverted_by` and stops being active. The undo is the kind's own
// (lib/mdr/kinds/<kind>/).
import "server-only";
import { MdrError } from "@/lib/errors";
import { findRunningUndo } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { whyNotRevertible } from "@/lib/mdr/revertible";
import { requireVisibleAction } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { kindOf } from "@/lib/mdr/kinds";

// POST /actions/{id}/revert
export async function revertAction({
  ctx,
  id,
  reason,
}: {
  ctx: MdrContext;
  id: string;
  reason: string | null;
}): Promise<ActionRow> {
  const original = requireVisibleAction(ctx, id);
  const why = whyNotRevertible(original);
  if (why) {
    throw new MdrError("conflict", `Action ${id} cannot be reverted: ${why}.`, {
      extra: original.revertedBy ? { reverted_by: original.revertedBy } : {},
    });
  }
  // A reverse action left pending by a process that died mid-call is settled at the next start
  // (recover.ts), so an open one is really running.
  const running = findRunningUndo(ctx.db, id);
  if (running) {
    throw new MdrError("conflict", `Action ${id} is already being reverted by ${running}.`, {
      extra: { reverted_by: running },
    });
  }

  const undo = kindOf(original.type).undo;
  if (!undo) throw new MdrError("conflict", `Action ${id} cannot be reverted.`);
  return undo(ctx, original, reason);
}
