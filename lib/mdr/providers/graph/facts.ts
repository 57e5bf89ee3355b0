// Microsoft Graph: directory users (disable, enable, revoke sessions) and their mail.
import type { Cloud } from "@/lib/config";
import type { ServiceFacts } from "../facts";

/**
 * The national clouds where Graph has no `message: permanentDelete` (its page lists the global
 * service only: not US Government L4 or L5 (DOD), nor China operated by 21Vianet). GCC uses the
 * global Graph service.
 */
export const NO_PERMANENT_DELETE: Partial<Record<Cloud, string>> = {
  gcchigh: "US Government L4 (gcchigh)",
  dod: "US Government L5 (dod)",
  china: "China operated by 21Vianet (china)",
};

export const graph = {
  provider: "graph",
  names: { label: "Graph", title: "Microsoft Graph", table: "Graph" },
  // Below identity writes of 3,000 per 150 s per app and tenant and Outlook's 10,000 per 10 min
  // per mailbox; Outlook allows 4 concurrent requests per mailbox (throttling-limits.md).
  limits: { rate: "600/60s", concurrency: 4 },
  // Every tenant has a directory.
  configured: () => true,
  simulatedLatencyMs: 3,
} as const satisfies ServiceFacts;
