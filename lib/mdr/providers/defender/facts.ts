// Microsoft Defender for Endpoint: devices, machine actions (isolation) and IP indicators.
import type { ServiceFacts } from "../facts";

export const defender = {
  provider: "defender",
  names: { label: "Defender", title: "Defender for Endpoint", table: "Defender" },
  // Devices block an IP indicator only with network protection in block mode and "Custom network
  // indicators" on, and only once the indicator reaches them (indicator-ip-domain.md).
  firewall: {
    label: "Defender for Endpoint (IP indicator)",
    position: 3,
    submitted: {
      as: "a Block IP indicator",
      caveat:
        "devices enforce it only with network protection in block mode and Custom network indicators on (Settings > Endpoints > General > Advanced features); it can take up to 48 hours to reach them, usually under 2",
    },
  },
  choice: { label: "Defender indicator", description: "Single public IPs; devices with network protection enforce it within hours" },
  // Below the published 100 a minute and 1,500 an hour per API (common-errors.md). The batch calls,
  // indicator import and batch delete, count apart: 30 a minute each (import-ti-indicators.md,
  // "Rate limitations for this API are 30 calls per minute"; batch-delete-ti-indicators.md, "30
  // calls per minute and 1,500 calls per hour"), each carrying up to 500 indicators.
  limits: { rate: "90/60s,1350/1h", concurrency: 10, batchRate: "27/60s,1350/1h" },
  // A tenant-independent API host: none published in some clouds (China) unless MDE_API_URL is set.
  configured: (live) => Boolean(live.endpoints.mdeApiUrl && live.endpoints.mdeResource),
  simulatedLatencyMs: 4,
} as const satisfies ServiceFacts;
