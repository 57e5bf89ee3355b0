// The registry: every action type is a kind, with all of its pieces (kind.ts). A type without a
// kind, or a kind without a piece, does not compile. What the page needs of the kinds is in
// catalog.ts, free of server code; tests/unit/kinds.test.ts checks the two agree.
import "server-only";
import type { ActionType } from "@/lib/mdr/enums";
import { blockKind, changeExpiryKind, unblockKind } from "@/lib/mdr/kinds/block-ip";
import { disableKind, enableKind } from "@/lib/mdr/kinds/disable-user";
import { isolateKind, releaseKind } from "@/lib/mdr/kinds/isolate-endpoint";
import type { ActionKind } from "@/lib/mdr/kinds/kind";
import { quarantineKind, restoreKind } from "@/lib/mdr/kinds/quarantine-email";

export const KINDS = {
  isolate_endpoint: isolateKind,
  release_endpoint: releaseKind,
  block_ip: blockKind,
  unblock_ip: unblockKind,
  change_expiry: changeExpiryKind,
  disable_user: disableKind,
  enable_user: enableKind,
  quarantine_email: quarantineKind,
  restore_email: restoreKind,
} satisfies Record<ActionType, ActionKind<never>>;

/** The kind of an action type, its input unknown to the caller. */
export function kindOf(type: ActionType): ActionKind<never> {
  return KINDS[type];
}
