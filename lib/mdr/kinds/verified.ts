// What crash recovery writes when it has asked the provider: the words every kind's settle uses.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";

export const VERIFIED = "Verified after a restart";

/** The provider has nothing of the action: recorded failed, saying what was verified absent. */
export function absent(ctx: MdrContext, row: ActionRow, what: string): void {
  const message = `${VERIFIED}: ${what}`;
  transition(ctx, row, "failed", message, { error: message });
}
