// A block of an address for a set time, its removal and the changes of its expiry, as the page and the API's documents see them (client-safe).
import { kindFolder } from "@/lib/mdr/kinds/meta";
import { enforcementCaveat, isFirewallType } from "@/lib/mdr/providers/facts";

export const BLOCK_IP = kindFolder(
  {
    type: "block_ip",
    label: "Block IP",
    route: {
      path: "/api/v1/mdr/block-ip",
      summary: "Block an IP address or range on a firewall",
      body: "BlockIpRequest",
      bulk: { schema: "BulkBlockIpRequest", field: "ips" },
    },
    undo: {
      type: "unblock_ip",
      label: "Unblock address",
      consequence: "The rule is removed: traffic from this address is allowed again.",
    },
    contained: { key: "active_ip_blocks", unexpired: true },
  },
  { type: "unblock_ip", label: "Unblock IP" },
  {
    type: "change_expiry",
    label: "Change expiry",
    notUndoable: "a change of expiry is undone by changing the block's expiry again (PATCH the block)",
  },
);

/** What a done block does not promise, where devices enforce it later (a Defender indicator): for the page's toast. */
export function blockCaveat(action: { type: string; status: string; provider: string }): string | undefined {
  if (action.type !== "block_ip" || action.status !== "succeeded" || !isFirewallType(action.provider)) return undefined;
  return enforcementCaveat(action.provider);
}
