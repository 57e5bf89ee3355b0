// Microsoft Graph: directory users (disable, enable, revoke sessions) and their mail.
import type { ServiceFacts } from "../facts";

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
