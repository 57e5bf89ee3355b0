// What crash recovery writes when it has asked the provider: the words every kind's settle uses.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";

export const VERIFIED = "Verified after a restart";

/**
 * The provider has nothing of the action: recorded failed, saying what was verified absent. A
 * bulk's target goes back to the queue instead: it was taken from there and nothing was sent, so
 * it is sent when its turn comes, as it would have been without the crash.
 */
export function absent(ctx: MdrContext, row: ActionRow, what: string): void {
  if (typeof row.parameters.bulk_id === "string") {
    transition(ctx, row, "queued", `${VERIFIED}: ${what}; back in the queue of bulk ${row.parameters.bulk_id}`);
    return;
  }
  const message = `${VERIFIED}: ${what}`;
  transition(ctx, row, "failed", message, { error: message });
}
