// Microsoft Defender for Endpoint: devices, machine actions (isolation) and IP indicators.
import type { ServiceFacts } from "../facts";

export const defender = {
  provider: "defender",
  names: { label: "Defender", title: "Defender for Endpoint", table: "Defender" },
  firewall: { label: "Defender for Endpoint (IP indicator)", position: 3 },
  choice: { label: "Defender indicator", description: "Single public IPs, on every onboarded device" },
  // Below the published 100 a minute and 1,500 an hour per API (common-errors.md).
  limits: { rate: "90/60s,1350/1h", concurrency: 10 },
  // A tenant-independent API host: none published in some clouds (China) unless MDE_API_URL is set.
  configured: (live) => Boolean(live.endpoints.mdeApiUrl && live.endpoints.mdeResource),
  simulatedLatencyMs: 4,
} as const satisfies ServiceFacts;
