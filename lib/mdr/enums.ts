// The closed sets an action is described with. Free of server imports, so the page's client
// components can use them (through schemas.ts) without bundling the database layer.

// The action types come from the kinds' folders (lib/mdr/kinds/catalog.ts).
export { ACTION_TYPES, type ActionType } from "@/lib/mdr/kinds/catalog";

/**
 * `queued`: recorded, nothing sent yet (a bulk's target waiting for its turn under the provider's
 * limits); `pending`: written, its provider call under way.
 */
export const ACTION_STATUSES = ["queued", "pending", "in_progress", "succeeded", "failed", "rejected"] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** The statuses of an action still running: waiting in the queue, written, or in progress at the provider. */
export const OPEN_STATUSES = ["queued", "pending", "in_progress"] as const satisfies readonly ActionStatus[];

/** Whether an action is still running. */
export function isOpen(row: { status: string }): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(row.status);
}

/** The outside system an action went to, as the audit log names it: each system's facts say its name. */
export type { ProviderName } from "@/lib/mdr/providers/facts";

export const MODES = ["simulation", "live"] as const;

export const QUARANTINE_ACTIONS = ["softDelete", "hardDelete", "moveToJunk"] as const;
export type QuarantineAction = (typeof QUARANTINE_ACTIONS)[number];

/** What a protected asset rule matches: device names, account UPNs, or address ranges. */
export const PROTECTED_ASSET_KINDS = ["hostname", "upn", "ip_range"] as const;
export type ProtectedAssetKind = (typeof PROTECTED_ASSET_KINDS)[number];
